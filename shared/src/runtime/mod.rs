//! The Lambda runtime side (feature `aws`): the entry points of the functions, the
//! conversion between Lambda events and the API layer, the queue and schedule handlers,
//! logs and metrics. It uses the adapters of `crate::aws`; they never use it.

pub mod entry;
pub mod gateway;
pub mod http;
pub mod invocation;
pub mod jobs;
pub mod libm;
pub mod metrics;
pub mod queue;
pub mod telemetry;

pub use entry::{run, run_review_sweeper, run_review_worker};
