//! The review queue consumed without Lambda: what the SQS event source mapping does for
//! the review-worker function, for the hosts that run without it (`corpnum-server`, the
//! local host). Messages are handed to the worker's own batch handler ([`super::jobs`]);
//! only those it did not report as failed are deleted, so a failed message comes back after
//! the queue's visibility timeout and, after five receives, moves to the dead-letter queue,
//! exactly as in Lambda.

use std::collections::HashSet;

use crate::app::Services;
use crate::ports::DependencyError;
use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

fn sqs_error(e: impl std::fmt::Display) -> DependencyError {
    DependencyError::new("sqs", e.to_string())
}

/// Receives up to 10 messages, waiting up to `wait_seconds` for the first
/// (`visibility_timeout` overrides the queue's for what is received).
pub async fn receive(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    wait_seconds: i32,
    visibility_timeout: Option<i32>,
) -> Result<Vec<Message>, DependencyError> {
    let out = sqs
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(10)
        .wait_time_seconds(wait_seconds)
        .set_visibility_timeout(visibility_timeout)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(|e| sqs_error(aws_sdk_sqs::error::DisplayErrorContext(e)))?;
    Ok(out.messages.unwrap_or_default())
}

/// The SQS event Lambda would deliver for `messages`.
fn sqs_event(messages: &[Message], queue_url: &str) -> Result<SqsEvent, DependencyError> {
    let queue = queue_url.rsplit('/').next().unwrap_or("");
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: serde_json::Map<String, Value> = m
                .attributes
                .as_ref()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_owned(), json!(v)))
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "md5OfBody": m.md5_of_body,
                "attributes": attributes,
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": format!("arn:aws:sqs:::{queue}"),
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).map_err(sqs_error)
}

/// Reviews `event` as one batch through the worker's handler; the ids of the messages
/// that failed (every one, when the invocation failed as a whole).
pub async fn failed_reviews(services: &Services, event: SqsEvent) -> Vec<String> {
    let ids: Vec<String> = event
        .records
        .iter()
        .filter_map(|r| r.message_id.clone())
        .collect();
    match super::jobs::review_batch(services, LambdaEvent::new(event, Context::default())).await {
        Ok(response) => response
            .batch_item_failures
            .into_iter()
            .map(|f| f.item_identifier)
            .collect(),
        Err(_) => ids,
    }
}

/// Reviews `messages` as one batch through the worker's handler: the receipt handles of
/// those that did not fail (to delete), and how many failed.
pub async fn reviewed(
    services: &Services,
    queue_url: &str,
    messages: &[Message],
) -> Result<(Vec<String>, usize), DependencyError> {
    if messages.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let event = sqs_event(messages, queue_url)?;
    let failed: HashSet<String> = failed_reviews(services, event).await.into_iter().collect();
    let done = messages
        .iter()
        .filter(|m| m.message_id.as_ref().is_some_and(|id| !failed.contains(id)))
        .filter_map(|m| m.receipt_handle.clone())
        .collect();
    Ok((done, failed.len()))
}

/// Deletes the messages received with `receipt_handles` (at most 10, one batch).
pub async fn delete(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    receipt_handles: Vec<String>,
) -> Result<(), DependencyError> {
    if receipt_handles.is_empty() {
        return Ok(());
    }
    let entries: Vec<DeleteMessageBatchRequestEntry> = receipt_handles
        .into_iter()
        .enumerate()
        .filter_map(|(i, handle)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(handle)
                .build()
                .ok()
        })
        .collect();
    sqs.delete_message_batch()
        .queue_url(queue_url)
        .set_entries(Some(entries))
        .send()
        .await
        .map_err(|e| sqs_error(aws_sdk_sqs::error::DisplayErrorContext(e)))?;
    Ok(())
}

/// Reviews `messages` as one batch through the worker's handler and deletes those that
/// did not fail. Returns how many failed.
pub async fn review(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    services: &Services,
    messages: &[Message],
) -> Result<usize, DependencyError> {
    let (done, failed) = reviewed(services, queue_url, messages).await?;
    delete(sqs, queue_url, done).await?;
    Ok(failed)
}

/// One poll: receive, then review what came. Returns how many messages came.
pub async fn poll(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    services: &Services,
    wait_seconds: i32,
    visibility_timeout: Option<i32>,
) -> Result<usize, DependencyError> {
    let messages = receive(sqs, queue_url, wait_seconds, visibility_timeout).await?;
    review(sqs, queue_url, services, &messages).await?;
    Ok(messages.len())
}
