//! The non-HTTP triggers, as AWS would fire them: the SQS event source mapping feeding
//! the review worker, and the 15-minute schedule of the sweeper.

use std::collections::HashSet;
use std::time::Duration;

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use corpnum::app::Services;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

/// One poll of the review queue (`visibility_timeout` overrides the queue's for what is
/// received, as tests do to retry at once): receive up to 10 messages, hand them to the worker as
/// one batch, and delete only those it did not report as failed. Failed messages become
/// visible again after the queue's visibility timeout and, after five receives, move to
/// the dead-letter queue, exactly as with the Lambda event source mapping.
pub async fn poll_reviews(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    services: &Services,
    wait_seconds: i32,
    visibility_timeout: Option<i32>,
) -> Result<usize, corpnum::ports::DependencyError> {
    let err = |e: String| corpnum::ports::DependencyError::new("sqs", e);
    let out = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait_seconds)
        .set_visibility_timeout(visibility_timeout)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(|e| err(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
    let messages = out.messages.unwrap_or_default();
    if messages.is_empty() {
        return Ok(0);
    }
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: serde_json::Map<String, Value> = m
                .attributes
                .as_ref()
                .map(|a| a.iter().map(|(k, v)| (k.as_str().to_owned(), json!(v))).collect())
                .unwrap_or_default();
            json!({
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "md5OfBody": m.md5_of_body,
                "attributes": attributes,
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": format!("arn:aws:sqs:us-east-1:000000000000:{}", queue_url.rsplit('/').next().unwrap_or("")),
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    let event: SqsEvent =
        serde_json::from_value(json!({ "Records": records })).map_err(|e| err(e.to_string()))?;
    let failed: HashSet<String> =
        match review_worker::handler(services, LambdaEvent::new(event, Context::default())).await {
            Ok(response) => response
                .batch_item_failures
                .into_iter()
                .map(|f| f.item_identifier)
                .collect(),
            // A failed invocation fails the whole batch.
            Err(_) => messages
                .iter()
                .filter_map(|m| m.message_id.clone())
                .collect(),
        };
    let done: Vec<DeleteMessageBatchRequestEntry> = messages
        .iter()
        .filter(|m| m.message_id.as_ref().is_some_and(|id| !failed.contains(id)))
        .enumerate()
        .filter_map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .set_receipt_handle(m.receipt_handle.clone())
                .build()
                .ok()
        })
        .collect();
    if !done.is_empty() {
        sqs.delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(done))
            .send()
            .await
            .map_err(|e| err(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
    }
    Ok(messages.len())
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
    let event = json!({
        "version": "0",
        "id": uuid::Uuid::new_v4(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "000000000000",
        "time": chrono::Utc::now().to_rfc3339(),
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:000000000000:rule/corpnum-review-sweeper"],
        "detail": {},
    });
    review_sweeper::handler(services, LambdaEvent::new(event, Context::default())).await
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
