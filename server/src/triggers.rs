//! Invocations by Yandex Cloud's triggers, for Serverless Containers, whose instances get no
//! CPU between requests (so the built-in consumer and schedule cannot be relied on there):
//! a Message Queue trigger posts a batch of the review queue's messages, a timer trigger
//! posts a tick. Both arrive as `POST /` with `{"messages": [...]}` (formats in
//! `yandex-cloud/docs`: `_includes/functions/ymq-format.md`,
//! `serverless-containers/concepts/trigger/timer.md`). Served only when
//! `CORPNUM_TRIGGERS=true`, by a container that only the triggers' and the API gateway's
//! service accounts may invoke.
//!
//! A Message Queue trigger deletes the whole batch on success and returns the whole batch
//! to the queue on an error, so any failed review fails the invocation (500); the reviews
//! that did succeed are not repeated when the batch comes back (a decided application's
//! ticket is ignored). A trigger batch size of 1 keeps retries to the failed message.

use aws_lambda_events::event::sqs::SqsEvent;
use corpnum::app::Services;
use serde_json::{Value, json};

const QUEUE_MESSAGE: &str = "yandex.cloud.events.messagequeue.QueueMessage";
const TIMER_MESSAGE: &str = "yandex.cloud.events.serverless.triggers.TimerMessage";

/// The status and body to answer a trigger's invocation with.
pub async fn handle(services: &Services, body: &[u8]) -> (u16, Value) {
    let Ok(invocation) = serde_json::from_slice::<Value>(body) else {
        return (
            400,
            json!({ "message": "not a trigger invocation: not JSON" }),
        );
    };
    let Some(messages) = invocation["messages"].as_array() else {
        return (
            400,
            json!({ "message": "not a trigger invocation: no messages" }),
        );
    };
    let mut records = Vec::new();
    let mut ticks = 0;
    for message in messages {
        match message["event_metadata"]["event_type"].as_str() {
            Some(QUEUE_MESSAGE) => {
                let m = &message["details"]["message"];
                records.push(json!({
                    "messageId": m["message_id"],
                    "body": m["body"],
                    "md5OfBody": m["md5_of_body"],
                    "attributes": m["attributes"],
                    "messageAttributes": {},
                    "eventSource": "yandex:ymq",
                    "eventSourceARN": message["details"]["queue_id"],
                }));
            }
            Some(TIMER_MESSAGE) => ticks += 1,
            other => {
                return (
                    400,
                    json!({ "message": format!("not a trigger invocation: event type {other:?}") }),
                );
            }
        }
    }
    let mut answer = json!({});
    if !records.is_empty() {
        let event: SqsEvent = match serde_json::from_value(json!({ "Records": records })) {
            Ok(event) => event,
            Err(e) => {
                return (
                    400,
                    json!({ "message": format!("unreadable queue message: {e}") }),
                );
            }
        };
        let total = event.records.len();
        let failed = corpnum::runtime::queue::failed_reviews(services, event).await;
        if !failed.is_empty() {
            // The trigger puts the whole batch back; SQS-style partial failure does not exist.
            return (500, json!({ "reviewed": total, "failed": failed }));
        }
        answer["reviewed"] = json!(total);
    }
    if ticks > 0 {
        match corpnum::runtime::jobs::sweep_now(services).await {
            Ok(report) => answer["sweep"] = report,
            Err(e) => return (500, json!({ "message": format!("sweep failed: {e}") })),
        }
    }
    (200, answer)
}
