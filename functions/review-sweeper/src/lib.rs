//! The `review-sweeper` function, every 15 minutes: expires unconfirmed applications,
//! marks overdue manual reviews, re-queues stranded ones (SPEC 5.4).

use corpnum::app::Services;
use lambda_runtime::{Error, LambdaEvent};
use serde_json::Value;

/// Handles one scheduled event.
pub async fn handler(services: &Services, event: LambdaEvent<Value>) -> Result<Value, Error> {
    corpnum::runtime::jobs::sweep(services, event).await
}
