//! The whole `main` of each function: logs, settings (failing fast on a missing one) and
//! clients, built once per process, then the Lambda runtime loop.
//!
//! What a function uses is given at compile time (`SMS`, `QUEUE`, `CODES`), so a function
//! builds, and links, only the SDK clients it uses: smaller binaries, shorter init.

use std::sync::Arc;

use lambda_http::{Error, Request, service_fn};

use crate::api::Function;
use crate::app::Services;
use crate::aws::config::{Settings, sdk_config};
use crate::aws::dynamo::DynamoStore;
use crate::aws::messaging::{SnsSms, SqsReviewQueue, Unused};
use crate::ports::{ReviewQueue, SmsSender};

/// Logs, settings (failing fast on a missing one) and clients, built once per process.
async fn init<const SMS: bool, const QUEUE: bool, const CODES: bool>(
    name: &str,
) -> Result<Services, Error> {
    super::telemetry::init();
    let sdk = sdk_config().await;
    let settings = Settings::load::<CODES>(&sdk).await?;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &settings.table);
    let sms: Arc<dyn SmsSender> = if SMS {
        Arc::new(SnsSms::new(
            aws_sdk_sns::Client::new(&sdk),
            settings.sms_sender_id.clone(),
        ))
    } else {
        Arc::new(Unused)
    };
    let queue: Arc<dyn ReviewQueue> = if QUEUE {
        Arc::new(SqsReviewQueue::new(
            aws_sdk_sqs::Client::new(&sdk),
            &settings.review_queue_url,
        ))
    } else {
        Arc::new(Unused)
    };
    tracing::info!(function = name, "function initialised");
    Ok(crate::aws::config::services_with(
        &settings, store, sms, queue,
    ))
}

/// The whole `main` of HTTP function `F` (`run::<{ FUNCTION.id() }>()`): it builds the
/// clients it uses and serves its own routes only, so nothing else is linked into it.
pub async fn run<const F: u8>() -> Result<(), Error> {
    let function = Function::from_id(F);
    let services = match const { uses(Function::from_id(F)) } {
        (true, true, true) => init::<true, true, true>(function.name()).await?,
        (true, false, true) => init::<true, false, true>(function.name()).await?,
        (false, false, false) => init::<false, false, false>(function.name()).await?,
        // No function uses another combination (a test checks).
        _ => init::<true, true, true>(function.name()).await?,
    };
    lambda_http::run(service_fn(|event: Request| {
        super::http::handle_as::<F>(&services, event)
    }))
    .await
}

/// The whole `main` of the review queue consumer: the table only.
pub async fn run_review_worker() -> Result<(), Error> {
    let services = init::<false, false, false>("review-worker").await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        super::jobs::review_batch(&services, event)
    }))
    .await
}

/// The whole `main` of the scheduled sweeper: the table and the review queue.
pub async fn run_review_sweeper() -> Result<(), Error> {
    let services = init::<false, true, false>("review-sweeper").await?;
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        super::jobs::sweep(&services, event)
    }))
    .await
}

/// What a function uses: (SMS, review queue, codes).
const fn uses(f: Function) -> (bool, bool, bool) {
    (f.sends_sms(), f.queues_reviews(), f.handles_codes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every function's needs are one of the combinations `run` builds.
    #[test]
    fn every_function_builds_what_it_uses() {
        for f in Function::ALL {
            assert!(
                matches!(
                    uses(f),
                    (true, true, true) | (true, false, true) | (false, false, false)
                ),
                "{}",
                f.name()
            );
        }
    }
}
