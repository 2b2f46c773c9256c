//! The review queue consumer of the server: polls until asked to stop, each batch through
//! the review worker's handler ([`corpnum::runtime::queue`]).

use std::time::Duration;

use corpnum::app::Services;
use corpnum::runtime::queue::{receive, review};
use tokio::sync::watch;

/// Polls the queue until `stop` turns true. A long poll is given up when asked to stop
/// (what SQS handed out meanwhile comes back after the visibility timeout); a batch being
/// reviewed is always finished.
pub async fn consume(
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    services: Services,
    wait_seconds: i32,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let received = tokio::select! {
            biased;
            _ = stop.wait_for(|stopped| *stopped) => break,
            received = receive(&sqs, &queue_url, wait_seconds, None) => received,
        };
        let outcome = match received {
            Ok(messages) => review(&sqs, &queue_url, &services, &messages).await,
            Err(e) => Err(e),
        };
        if let Err(error) = outcome {
            tracing::warn!(error = %error, "review queue poll failed");
            tokio::select! {
                _ = stop.wait_for(|stopped| *stopped) => break,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }
    tracing::info!("review queue consumer stopped");
}
