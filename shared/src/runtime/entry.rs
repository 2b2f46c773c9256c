//! The whole `main` of each function: logs, settings (failing fast on a missing one) and
//! clients, built once per process, then the Lambda runtime loop.

use lambda_http::{Error, Request, service_fn};

use crate::api::Function;
use crate::app::Services;

/// Logs, settings (failing fast on a missing one) and clients, built once per process.
async fn init(name: &str, handles_codes: bool) -> Result<Services, Error> {
    super::telemetry::init();
    let sdk = crate::aws::config::sdk_config().await;
    let settings = crate::aws::config::Settings::load(&sdk, handles_codes).await?;
    let clients = crate::aws::config::Clients::new(&sdk);
    tracing::info!(function = name, "function initialised");
    Ok(crate::aws::config::services(&settings, &clients))
}

/// The whole `main` of an HTTP function.
pub async fn run(function: Function) -> Result<(), Error> {
    let services = init(function.name(), function.handles_codes()).await?;
    lambda_http::run(service_fn(|event: Request| {
        super::http::handle(function, &services, event)
    }))
    .await
}

/// The whole `main` of the review queue consumer.
pub async fn run_review_worker() -> Result<(), Error> {
    let services = init("review-worker", false).await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        super::jobs::review_batch(&services, event)
    }))
    .await
}

/// The whole `main` of the scheduled sweeper.
pub async fn run_review_sweeper() -> Result<(), Error> {
    let services = init("review-sweeper", false).await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        super::jobs::sweep(&services, event)
    }))
    .await
}
