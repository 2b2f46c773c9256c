//! corpnum's domain crate: identifiers, lifecycle and code policy (`domain`), the ports
//! side effects go through (`ports`), the use cases (`app`), the HTTP contract (`api`),
//! in-memory fakes for tests (`fakes`, feature `test-support`), and behind the `aws` feature the AWS adapters (`aws`) and
//! the Lambda runtime side (`runtime`).

pub mod api;
pub mod app;
pub mod domain;
#[cfg(any(test, feature = "test-support"))]
pub mod fakes;
pub mod pdf;
pub mod ports;
pub mod system;

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "aws")]
pub mod runtime;
