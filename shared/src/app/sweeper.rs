//! The scheduled sweep (SPEC 5.4). Each job reads only the applications due for it from
//! the timer index, with a budget of its own, and handling an application moves its timer
//! on or removes it. So a job never pays again for what it has done, and no job's backlog
//! holds up another.

use chrono::{DateTime, Utc};

use super::Services;
use super::verify::enqueue_review;
use crate::domain::{
    Actor, Application, ApplicationStatus, HistoryEntry, NumberEvent, NumberState, SweepJob,
};
use crate::ports::{ApplicationUpdate, DependencyError, InvalidCursor, NumberChange, StoreError};

pub use crate::domain::REQUEUE_AFTER;

const PAGE: u32 = 100;

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    pub overdue_marked: u32,
    /// Unconfirmed applications expired.
    pub expired: u32,
    /// Applications expired after 30 days awaiting requested documents.
    pub documents_expired: u32,
    pub requeued: u32,
    /// Numbers deactivated after 180 days suspended.
    pub suspensions_ended: u32,
    /// Outbox entries whose events and notice went out this run.
    pub outbox_delivered: u32,
    /// Outbox entries still not delivered after this run (a dependency is down).
    pub outbox_pending: u32,
    /// How long the oldest of those has waited; 0 if none.
    pub outbox_oldest_age_seconds: i64,
    /// Items that changed while being handled; the next sweep sees them again.
    pub skipped: u32,
    /// Jobs whose budget ran out before their backlog did.
    pub truncated: Vec<SweepJob>,
    /// Jobs stopped by a dependency failure (logged); the others still ran.
    pub failed: Vec<SweepJob>,
}

fn actor() -> Actor {
    Actor::System("review-sweeper".into())
}

/// One sweep: every job in turn, each handling at most `budget_per_job` applications so
/// a large backlog cannot run the function out of time; the rest waits for the next run
/// (every 15 minutes). Fails, after running every job, if any job hit a dependency failure.
pub async fn sweep(
    services: &Services,
    budget_per_job: u32,
) -> Result<SweepReport, DependencyError> {
    let mut report = SweepReport::default();
    let now = services.clock.now();
    let mut first_failure = None;
    for job in SweepJob::ALL
        .into_iter()
        .chain([SweepJob::EndSuspension, SweepJob::PublishOutbox])
    {
        let run = match job {
            SweepJob::EndSuspension => {
                end_suspensions(services, budget_per_job, now, &mut report).await
            }
            // Last, so it also delivers what the other jobs' changes failed to publish.
            SweepJob::PublishOutbox => {
                super::outbox::republish(services, budget_per_job, now, &mut report).await
            }
            _ => run_job(services, job, budget_per_job, now, &mut report).await,
        };
        if let Err(error) = run {
            tracing::error!(job = job.as_str(), error = %error, "sweeper job stopped by a dependency failure");
            report.failed.push(job);
            first_failure.get_or_insert(error);
        }
    }
    match first_failure {
        Some(error) => Err(error),
        None => Ok(report),
    }
}

async fn run_job(
    services: &Services,
    job: SweepJob,
    budget: u32,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), DependencyError> {
    let mut left = budget;
    let mut cursor: Option<String> = None;
    loop {
        if left == 0 {
            report.truncated.push(job);
            return Ok(());
        }
        let page = match services
            .store
            .due(job, now, PAGE.min(left), cursor.as_deref())
            .await
        {
            Ok(page) => page,
            Err(StoreError::Refused(InvalidCursor)) => return Ok(()),
            Err(StoreError::Dependency(e)) => return Err(e),
        };
        for app in page.items {
            left = left.saturating_sub(1);
            match handle(services, job, app, now, report).await {
                Ok(()) => {}
                Err(StoreError::Refused(_)) => report.skipped += 1,
                Err(StoreError::Dependency(e)) => return Err(e),
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

/// Deactivates numbers suspended for 180 days, at most `budget` of them.
async fn end_suspensions(
    services: &Services,
    budget: u32,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), DependencyError> {
    let mut left = budget;
    let mut cursor: Option<String> = None;
    loop {
        if left == 0 {
            report.truncated.push(SweepJob::EndSuspension);
            return Ok(());
        }
        let page = match services
            .store
            .suspensions_due(now, PAGE.min(left), cursor.as_deref())
            .await
        {
            Ok(page) => page,
            Err(StoreError::Refused(InvalidCursor)) => return Ok(()),
            Err(StoreError::Dependency(e)) => return Err(e),
        };
        for lock in page.items {
            left = left.saturating_sub(1);
            match super::number::end_suspension(services, lock, now).await {
                Ok(true) => report.suspensions_ended += 1,
                Ok(false) | Err(StoreError::Refused(_)) => report.skipped += 1,
                Err(StoreError::Dependency(e)) => return Err(e),
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

async fn handle(
    services: &Services,
    job: SweepJob,
    mut app: Application,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), StoreError<crate::ports::UpdateRefusal>> {
    let id = app.id;
    match job {
        SweepJob::ExpireUnconfirmed => {
            expire(
                services,
                &mut app,
                now,
                "Код не подтверждён за 24 часа; номер освобождён",
            )
            .await?;
            tracing::info!(application_id = %id, metric = "ApplicationsExpired", "expired unconfirmed application");
            report.expired += 1;
        }
        SweepJob::ExpireDocumentsRequest => {
            expire(
                services,
                &mut app,
                now,
                "Документы не представлены за 30 дней; номер освобождён",
            )
            .await?;
            tracing::info!(application_id = %id, metric = "ApplicationsExpired", reason = "documents_required", "expired application awaiting documents");
            report.documents_expired += 1;
        }
        SweepJob::MarkOverdue => {
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
            super::outbox::update(
                services,
                ApplicationUpdate {
                    application: &app,
                    history: &[entry],
                    number: None,
                    replaced: None,
                    charges: &[],
                    now,
                },
            )
            .await?;
            tracing::warn!(application_id = %id, metric = "SlaBreaches", "manual review overdue");
            report.overdue_marked += 1;
        }
        SweepJob::EndSuspension | SweepJob::PublishOutbox => {
            return Err(StoreError::Refused(crate::ports::UpdateRefusal::Stale));
        }
        SweepJob::Requeue => {
            app.review_attempts += 1;
            app.last_queued_at = Some(now);
            app.revision += 1;
            super::outbox::update(
                services,
                ApplicationUpdate {
                    application: &app,
                    history: &[],
                    number: None,
                    replaced: None,
                    charges: &[],
                    now,
                },
            )
            .await?;
            enqueue_review(services, id, app.review_attempts).await;
            tracing::warn!(application_id = %id, metric = "ReviewsRequeued", "stranded review queued again");
            report.requeued += 1;
        }
    }
    Ok(())
}

/// Expires an abandoned application and releases its number, unless the lock has
/// already passed to another application (a lapsed pending lock can be retaken).
async fn expire(
    services: &Services,
    app: &mut Application,
    now: DateTime<Utc>,
    comment: &str,
) -> Result<(), StoreError<crate::ports::UpdateRefusal>> {
    let id = app.id;
    let Ok(entry) = app.transition(ApplicationStatus::Expired, actor(), None, now) else {
        // Not expirable from its stored status: it changed since the index was read.
        return Err(StoreError::Refused(crate::ports::UpdateRefusal::Stale));
    };
    let event = NumberEvent {
        at: now,
        organization_inn: Some(app.organization.inn.clone()),
        from: Some(NumberState::Pending),
        to: NumberState::Pending,
        actor: actor(),
        application_id: Some(id),
        comment: Some(comment.to_owned()),
        act: None,
    };
    app.revision += 1;
    let number = services
        .store
        .number(&app.phone)
        .await?
        .filter(|n| n.lock.application_id == id && n.lock.state == NumberState::Pending)
        .map(|_| NumberChange::Release(event));
    super::outbox::update(
        services,
        ApplicationUpdate {
            application: app,
            history: &[entry],
            number,
            replaced: None,
            charges: &[],
            now,
        },
    )
    .await
}
