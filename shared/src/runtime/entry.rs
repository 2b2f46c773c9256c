//! The whole `main` of each function: logs, settings (failing fast on a missing one) and
//! clients, built once per process, then the Lambda runtime loop.
//!
//! What a function uses is given at compile time (`SNS`, `QUEUE`, `CODES`), so a function
//! builds, and links, only the SDK clients it uses: smaller binaries, shorter init.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, service_fn};

use crate::api::Function;
use crate::app::Services;
use crate::aws::config::{EventsTarget, Settings, sdk_config};
use crate::aws::dynamo::DynamoStore;
use crate::aws::messaging::{SnsEvents, SnsSms, SqsReviewQueue, Unused};
use crate::ports::{EventPublisher, ReviewQueue, SmsSender};

/// Logs, settings (failing fast on a missing one) and clients, built once per process.
async fn init<const SNS: bool, const QUEUE: bool, const CODES: bool>(
    name: &str,
) -> Result<Services, Error> {
    super::telemetry::init();
    crate::aws::config::check_sdk_partitions()?;
    let sdk = sdk_config().await;
    let settings = Settings::load::<CODES>(&sdk).await?;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &settings.table);
    let (sms, events): (Arc<dyn SmsSender>, Arc<dyn EventPublisher>) = if SNS {
        let sns = aws_sdk_sns::Client::new(&sdk);
        (
            Arc::new(SnsSms::new(sns.clone(), settings.sms_sender_id.clone())),
            match &settings.events {
                EventsTarget::Topic(arn) => Arc::new(SnsEvents::new(sns, arn)),
                // Linking the SQS publisher into every function would cost size for a
                // deployment that always has SNS topics.
                EventsTarget::Queue(_) => {
                    return Err("CORPNUM_EVENTS_QUEUE_URL is for corpnum-server; \
                                a Lambda function publishes to CORPNUM_EVENTS_TOPIC_ARN"
                        .into());
                }
            },
        )
    } else {
        (Arc::new(Unused), Arc::new(Unused))
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
        &settings, store, sms, events, queue,
    ))
}

/// The whole `main` of an HTTP function, with its own dispatcher; what it uses is given at
/// compile time, as
/// `run::<{ F.uses_sns() }, { F.queues_reviews() }, { F.handles_codes() }>(F, DISPATCH)`,
/// so it builds, and links, only those clients and its own routes.
pub async fn run<const SNS: bool, const QUEUE: bool, const CODES: bool>(
    function: Function,
    dispatch: crate::api::dispatch::Dispatch,
) -> Result<(), Error> {
    let services = init::<SNS, QUEUE, CODES>(function.name()).await?;
    let services = &services;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<super::gateway::GatewayEvent>| async move {
            Ok::<_, Error>(super::http::handle(function, dispatch, services, event.payload).await)
        },
    ))
    .await
}

/// The whole `main` of the review queue consumer: the table, and SNS for the outcome's
/// events and notice.
pub async fn run_review_worker() -> Result<(), Error> {
    let services = init::<true, false, false>("review-worker").await?;
    lambda_runtime::run(service_fn(|event| {
        super::jobs::review_batch(&services, event)
    }))
    .await
}

/// The whole `main` of the scheduled sweeper: the table, the review queue, and SNS for
/// events and notices (its own, and those it publishes again).
pub async fn run_review_sweeper() -> Result<(), Error> {
    let services = init::<true, true, false>("review-sweeper").await?;
    lambda_runtime::run(service_fn(|event| super::jobs::sweep(&services, event))).await
}
