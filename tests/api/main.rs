//! Integration tests: the real handlers, served by the local host over HTTP, against
//! DynamoDB Local and moto started by this test binary.

mod concurrency;
mod documents;
mod events;
mod failures;
mod history;
mod idempotency;
mod lists;
mod notices;
mod numbers;
mod openapi;
mod otp;
mod partitions;
mod personal_data;
mod replacement;
mod residency;
mod restrictions;
mod review;
mod round_trips;
mod schema;
mod status;
mod store_contract;
mod submit;
mod suspension;
mod template;
