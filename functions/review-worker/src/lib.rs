//! The `review-worker` function: consumes the SQS review queue in batches, runs the
//! automatic checks (SPEC 5), reports partial batch failures.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use corpnum::app::Services;
use lambda_runtime::{Error, LambdaEvent};

/// Handles one batch from the review queue.
pub async fn handler(
    services: &Services,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    corpnum::runtime::jobs::review_batch(services, event).await
}
