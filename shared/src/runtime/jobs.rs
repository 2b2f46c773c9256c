//! The non-HTTP functions: the review queue consumer and the scheduled sweep.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent};
use serde_json::{Value, json};
use tracing::Instrument;

use crate::app::{self, Services};
use crate::ports::ReviewTicket;

/// Reviews a batch, reporting only the messages that failed so that SQS retries those
/// alone (`ReportBatchItemFailures`). A message that cannot be read is a failure too: after
/// five receives it lands in the dead-letter queue. If every message failed, the invocation
/// fails, so the error shows in the function's metrics.
pub async fn review_batch(
    services: &Services,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    let cold_start = super::invocation::cold_start();
    let span = tracing::info_span!("invocation", function = "review-worker", cold_start);
    let result = review_records(services, event).instrument(span).await;
    super::metrics::flush("review-worker");
    result
}

async fn review_records(
    services: &Services,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    let mut response = SqsBatchResponse::default();
    let total = event.payload.records.len();
    let mut failed = 0;
    for record in event.payload.records {
        let message_id = record.message_id.clone().unwrap_or_default();
        let ticket: Option<ReviewTicket> = record
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok());
        let outcome = match ticket {
            Some(ticket) => {
                let span = tracing::info_span!(
                    "review",
                    message_id = %message_id,
                    application_id = %ticket.application_id,
                    attempt = ticket.attempt
                );
                app::review_application(services, &ticket)
                    .instrument(span)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
            None => Err("not a review ticket".to_owned()),
        };
        if let Err(reason) = outcome {
            tracing::error!(message_id = %message_id, reason = %reason, "review message failed; SQS will retry it");
            response.add_failure(message_id);
            failed += 1;
        }
    }
    if total > 0 && failed == total {
        return Err(format!("all {total} review messages failed").into());
    }
    Ok(response)
}

/// Most applications each of the sweep's jobs touches in one run; the rest wait 15
/// minutes for the next run. Six jobs: at most 3 000 items a run.
pub const SWEEP_BUDGET: u32 = 500;

/// One sweep now, as the scheduled event would start it (the hosts without EventBridge:
/// `corpnum-server`, the local host); returns its report.
pub async fn sweep_now(services: &Services) -> Result<Value, Error> {
    let event = json!({
        "version": "0",
        "id": uuid::Uuid::new_v4(),
        "detail-type": "Scheduled Event",
        "source": "corpnum.schedule",
        "time": chrono::Utc::now().to_rfc3339(),
        "detail": {},
    });
    sweep(
        services,
        LambdaEvent::new(event, lambda_runtime::Context::default()),
    )
    .await
}

/// One scheduled sweep; returns what it did.
pub async fn sweep(services: &Services, _event: LambdaEvent<Value>) -> Result<Value, Error> {
    let report = app::sweep(services, SWEEP_BUDGET).await;
    super::metrics::flush("review-sweeper");
    let report = report?;
    let truncated: Vec<&str> = report.truncated.iter().map(|j| j.as_str()).collect();
    tracing::info!(
        expired = report.expired,
        documents_expired = report.documents_expired,
        overdue_marked = report.overdue_marked,
        requeued = report.requeued,
        suspensions_ended = report.suspensions_ended,
        outbox_delivered = report.outbox_delivered,
        outbox_pending = report.outbox_pending,
        skipped = report.skipped,
        truncated = ?truncated,
        "sweep finished"
    );
    Ok(json!({
        "expired": report.expired,
        "documents_expired": report.documents_expired,
        "overdue_marked": report.overdue_marked,
        "requeued": report.requeued,
        "suspensions_ended": report.suspensions_ended,
        "outbox_delivered": report.outbox_delivered,
        "outbox_pending": report.outbox_pending,
        "outbox_oldest_age_seconds": report.outbox_oldest_age_seconds,
        "skipped": report.skipped,
        "truncated": !truncated.is_empty(),
        "truncated_jobs": truncated,
    }))
}
