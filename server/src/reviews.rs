//! The review queue consumer of the server: polls until asked to stop, each batch through
//! the review worker's handler ([`corpnum::runtime::queue`]).

use std::time::Duration;

use corpnum::app::Services;
use corpnum::runtime::queue::reviewed;

use crate::mq::QueueClient;
use tokio::sync::watch;

/// Polls the queue until `stop` turns true. A long poll is given up when asked to stop
/// (what SQS handed out meanwhile comes back after the visibility timeout); a batch being
/// reviewed is always finished.
pub async fn consume(
    queue: QueueClient,
    queue_url: String,
    services: Services,
    wait_seconds: i32,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let received = tokio::select! {
            biased;
            _ = stop.wait_for(|stopped| *stopped) => break,
            received = queue.receive(&queue_url, wait_seconds) => received,
        };
        let outcome = match received {
            Ok(messages) => match reviewed(&services, &queue_url, &messages).await {
                Ok((done, _failed)) => queue.delete(&queue_url, done).await,
                Err(e) => Err(e),
            },
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
