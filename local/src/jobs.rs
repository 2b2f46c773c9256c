//! The non-HTTP triggers, as AWS would fire them: the SQS event source mapping feeding
//! the review worker, and the 15-minute schedule of the sweeper.

use std::time::Duration;

use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
use corpnum::app::Services;
use serde_json::{Value, json};

/// One poll of the review queue (`visibility_timeout` overrides the queue's for what is
/// received, as tests do to retry at once), exactly as the event source mapping would feed
/// the review worker: [`corpnum::runtime::queue::poll`].
pub async fn poll_reviews(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    services: &Services,
    wait_seconds: i32,
    visibility_timeout: Option<i32>,
) -> Result<usize, corpnum::ports::DependencyError> {
    corpnum::runtime::queue::poll(sqs, queue_url, services, wait_seconds, visibility_timeout).await
}

/// Polls the review queue until the task is dropped. Long polls last 2 s, within the
/// SQS client's 3 s attempt timeout.
pub async fn run_review_consumer(sqs: aws_sdk_sqs::Client, queue_url: String, services: Services) {
    loop {
        if let Err(error) = poll_reviews(&sqs, &queue_url, &services, 2, None).await {
            tracing::warn!(error = %error, "review queue poll failed");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// One scheduled sweep, through the sweeper function's handler.
pub async fn sweep_once(services: &Services) -> Result<Value, lambda_runtime::Error> {
    corpnum::runtime::jobs::sweep_now(services).await
}

/// Runs the sweeper every `interval` until the task is dropped.
pub async fn run_schedule(services: Services, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        if let Err(error) = sweep_once(&services).await {
            tracing::warn!(error = %error, "scheduled sweep failed");
        }
    }
}

/// Takes every message off a queue subscribed to the events topic, oldest first as far as
/// SQS tells, and returns each event with the `type` message attribute SNS carried:
/// `{"event": {...}, "type_attribute": "..."}`.
pub async fn drain_events(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
) -> Result<Vec<Value>, lambda_runtime::Error> {
    let mut events = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(events);
        }
        let mut done = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            // SNS's envelope: the event is its `Message`, the attributes beside it.
            let envelope: Value = m
                .body
                .as_deref()
                .and_then(|b| serde_json::from_str(b).ok())
                .unwrap_or(Value::Null);
            let event: Value = envelope
                .get("Message")
                .and_then(Value::as_str)
                .and_then(|b| serde_json::from_str(b).ok())
                .unwrap_or(Value::Null);
            let type_attribute = envelope
                .pointer("/MessageAttributes/type/Value")
                .cloned()
                .unwrap_or(Value::Null);
            events.push(json!({ "event": event, "type_attribute": type_attribute }));
            if let Some(handle) = &m.receipt_handle {
                done.push(
                    DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(handle)
                        .build()?,
                );
            }
        }
        sqs.delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(done))
            .send()
            .await
            .map_err(|e| aws_sdk_sqs::error::DisplayErrorContext(e).to_string())?;
    }
}
