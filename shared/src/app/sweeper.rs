//! The scheduled sweep (SPEC 5.4), by the status-and-age index in pages, never a scan.

use chrono::Duration;

use super::Services;
use super::verify::enqueue_review;
use crate::domain::{
    AUTO_REVIEW_ETA, Actor, ApplicationStatus, HistoryEntry, MANUAL_REVIEW_SLA, NumberEvent,
    NumberState, OTP_CONFIRMATION_WINDOW,
};
use crate::ports::{ApplicationUpdate, DependencyError, InvalidCursor, NumberChange, StoreError};

/// How long an application may sit in `under_review` before it is queued again.
pub const REQUEUE_AFTER: Duration = Duration::hours(1);
const PAGE: u32 = 100;

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    pub overdue_marked: u32,
    pub expired: u32,
    pub requeued: u32,
    /// Items skipped because they changed meanwhile; the next sweep sees them again.
    pub skipped: u32,
    /// Whether the item budget ran out before the backlog did.
    pub truncated: bool,
}

fn actor() -> Actor {
    Actor::System("review-sweeper".into())
}

/// One sweep. Handles at most `budget` applications so a large backlog cannot run the
/// function out of time; the rest waits for the next run (every 15 minutes).
pub async fn sweep(services: &Services, budget: u32) -> Result<SweepReport, DependencyError> {
    let mut report = SweepReport::default();
    let mut left = budget;
    let now = services.clock.now();
    for (status, age) in [
        (ApplicationStatus::AwaitingOtp, OTP_CONFIRMATION_WINDOW),
        (ApplicationStatus::ManualReview, MANUAL_REVIEW_SLA),
        (
            ApplicationStatus::UnderReview,
            REQUEUE_AFTER.max(AUTO_REVIEW_ETA),
        ),
    ] {
        let mut cursor: Option<String> = None;
        loop {
            if left == 0 {
                report.truncated = true;
                return Ok(report);
            }
            let page = match services
                .store
                .by_status(status, Some(now - age), PAGE.min(left), cursor.as_deref())
                .await
            {
                Ok(page) => page,
                Err(StoreError::Refused(InvalidCursor)) => break,
                Err(StoreError::Dependency(e)) => return Err(e),
            };
            for mut app in page.items {
                left = left.saturating_sub(1);
                let id = app.id;
                let outcome = match status {
                    ApplicationStatus::AwaitingOtp => {
                        let entry =
                            match app.transition(ApplicationStatus::Expired, actor(), None, now) {
                                Ok(e) => e,
                                Err(_) => continue,
                            };
                        let event = NumberEvent {
                            at: now,
                            from: Some(NumberState::Pending),
                            to: NumberState::Pending,
                            actor: actor(),
                            application_id: Some(id),
                            comment: Some("Код не подтверждён за 24 часа; номер освобождён".into()),
                            act: None,
                        };
                        app.revision += 1;
                        // The lock may already have passed to another application after it
                        // lapsed; then only the application is expired.
                        let number = services
                            .store
                            .number(&app.phone)
                            .await?
                            .filter(|n| {
                                n.lock.application_id == id && n.lock.state == NumberState::Pending
                            })
                            .map(|_| NumberChange::Release(event));
                        let update = ApplicationUpdate {
                            application: &app,
                            history: &[entry],
                            number,
                            charges: &[],
                            now,
                        };
                        services.store.update(update).await.map(|()| {
                            tracing::info!(application_id = %id, metric = "ApplicationsExpired", "expired unconfirmed application");
                            report.expired += 1;
                        })
                    }
                    ApplicationStatus::ManualReview if !app.overdue => {
                        app.overdue = true;
                        app.updated_at = now;
                        app.revision += 1;
                        let entry = HistoryEntry {
                            at: now,
                            from: Some(ApplicationStatus::ManualReview),
                            to: ApplicationStatus::ManualReview,
                            actor: actor(),
                            comment: Some("Срок ручной проверки (24 часа) превышен".into()),
                        };
                        let update = ApplicationUpdate {
                            application: &app,
                            history: &[entry],
                            number: None,
                            charges: &[],
                            now,
                        };
                        services.store.update(update).await.map(|()| {
                            tracing::warn!(application_id = %id, metric = "SlaBreaches", "manual review overdue");
                            report.overdue_marked += 1;
                        })
                    }
                    ApplicationStatus::UnderReview
                        if app
                            .last_queued_at
                            .is_none_or(|at| now - at >= REQUEUE_AFTER) =>
                    {
                        app.review_attempts += 1;
                        app.last_queued_at = Some(now);
                        app.revision += 1;
                        let update = ApplicationUpdate {
                            application: &app,
                            history: &[],
                            number: None,
                            charges: &[],
                            now,
                        };
                        match services.store.update(update).await {
                            Ok(()) => {
                                enqueue_review(services, id, app.review_attempts).await;
                                tracing::warn!(application_id = %id, metric = "ReviewsRequeued", "stranded review queued again");
                                report.requeued += 1;
                                Ok(())
                            }
                            Err(e) => Err(e),
                        }
                    }
                    _ => Ok(()),
                };
                match outcome {
                    Ok(()) => {}
                    Err(StoreError::Refused(_)) => report.skipped += 1,
                    Err(StoreError::Dependency(e)) => return Err(e),
                }
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    Ok(report)
}
