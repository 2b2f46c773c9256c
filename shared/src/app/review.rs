//! The review pipeline (SPEC 5): automatic checks for the worker, the operator's queue and
//! decisions, and documents added on request.

use uuid::Uuid;

use super::error::refusals;
use super::{Attempt, Caller, Refusal, Services, optimistically, verify::enqueue_review};
use crate::domain::{
    Actor, Application, ApplicationStatus, AutomaticOutcome, Decision, Document, MAX_DOCUMENTS,
    NumberEvent, NumberState, RejectionReason, automatic_review,
};
use crate::ports::{
    ApplicationUpdate, InvalidCursor, NumberChange, Page, ReviewTicket, StateChange, StoreError,
    UpdateRefusal,
};

/// What the worker did with a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewResult {
    /// Nothing to do: the application is gone or no longer under review (a redelivery).
    Skipped(Option<ApplicationStatus>),
    Decided(ApplicationStatus),
}

/// Whether a decision was written.
enum Saved {
    Done,
    /// The application changed meanwhile: reload and decide again.
    Stale,
}

/// Writes a decision: the transition with its history entry and, in the same transaction,
/// what it means for the number. Approval activates it; rejection releases it.
async fn save_decision(
    services: &Services,
    app: &mut Application,
    to: ApplicationStatus,
    actor: Actor,
    comment: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Saved, Refusal> {
    let event = |to_state: NumberState, text: &str| NumberEvent {
        at: now,
        organization_inn: Some(app.organization.inn.clone()),
        from: Some(NumberState::Pending),
        to: to_state,
        actor: actor.clone(),
        application_id: Some(app.id),
        comment: Some(text.to_owned()),
        act: None,
    };
    let number = match to {
        ApplicationStatus::Approved => Some(NumberChange::Activate(event(
            NumberState::Active,
            "Номер активирован",
        ))),
        ApplicationStatus::Rejected => Some(NumberChange::Release(event(
            NumberState::Pending,
            "Заявка отклонена; номер освобождён",
        ))),
        _ => None,
    };
    // A replacement's approval deactivates the number it replaces, in the same
    // transaction, and binds the new one to that binding's employee.
    let application_id = app.id;
    let replaced = match (to, app.replaces.clone()) {
        (ApplicationStatus::Approved, Some(old)) => {
            Some(super::number::replaced_by(services, app, &old, &actor, now).await?)
        }
        _ => None,
    };
    let entry = app
        .transition(to, actor, comment, now)
        .map_err(|e| Refusal::InvalidState(e.from.as_str()))?;
    app.revision += 1;
    let update = ApplicationUpdate {
        application: app,
        history: &[entry],
        number,
        replaced: replaced.as_ref().map(|(lock, event)| StateChange {
            lock,
            from: NumberState::Active,
            codes: None,
            event,
            discriminator: application_id,
        }),
        charges: &[],
        now,
    };
    match super::outbox::update(services, update).await {
        Ok(()) => Ok(Saved::Done),
        Err(StoreError::Refused(_)) => Ok(Saved::Stale),
        Err(StoreError::Dependency(e)) => Err(e.into()),
    }
}

/// Runs the automatic checks on one queued application and applies their outcome, with
/// the number's activation or release in the same transaction. Idempotent.
pub async fn review_application(
    services: &Services,
    ticket: &ReviewTicket,
) -> Result<ReviewResult, Refusal> {
    optimistically(|| review_application_once(services, ticket)).await
}

/// One try of [`review_application`].
async fn review_application_once(
    services: &Services,
    ticket: &ReviewTicket,
) -> Result<Attempt<ReviewResult>, Refusal> {
    let Some(stored) = services.store.get(ticket.application_id).await? else {
        tracing::warn!(application_id = %ticket.application_id, "review ticket for an unknown application");
        return Ok(Attempt::Done(ReviewResult::Skipped(None)));
    };
    let mut app = stored.application;
    let now = services.clock.now();
    if app.status != ApplicationStatus::UnderReview {
        tracing::info!(application_id = %app.id, status = app.status.as_str(), "already reviewed; ticket ignored");
        return Ok(Attempt::Done(ReviewResult::Skipped(Some(app.status))));
    }
    let history = services
        .store
        .number(&app.phone)
        .await?
        .map(|n| n.history)
        .unwrap_or_default();
    let (to, comment, metric) = match automatic_review(&app, &history, now) {
        AutomaticOutcome::DocumentsRequired(missing) => {
            let names: Vec<&str> = missing.iter().map(|d| d.as_str()).collect();
            let comment = format!("Не хватает документов: {}", names.join(", "));
            app.documents_required = missing;
            (
                ApplicationStatus::DocumentsRequired,
                Some(comment),
                "ReviewsDocumentsRequired",
            )
        }
        AutomaticOutcome::SignatureInvalid => {
            app.rejection_reason = Some(RejectionReason::SignatureInvalid.as_str().to_owned());
            let comment = "Срок действия сертификата электронной подписи истёк".to_owned();
            (
                ApplicationStatus::Rejected,
                Some(comment),
                "ReviewsRejected",
            )
        }
        AutomaticOutcome::ManualReview { reason } => (
            ApplicationStatus::ManualReview,
            Some(reason.comment().to_owned()),
            "ReviewsManual",
        ),
        AutomaticOutcome::Approved => (ApplicationStatus::Approved, None, "ReviewsAutoApproved"),
    };
    let actor = Actor::System("review-worker".into());
    if let Saved::Done = save_decision(services, &mut app, to, actor, comment, now).await? {
        tracing::info!(application_id = %app.id, status = to.as_str(), metric = metric, "automatic review applied");
        return Ok(Attempt::Done(ReviewResult::Decided(to)));
    }
    Ok(Attempt::Retry)
}

/// An operator's decision on an application in manual review; the operator becomes the
/// responsible person. Exactly one of concurrent decisions applies.
pub async fn decide(
    services: &Services,
    id: Uuid,
    decision: &Decision,
    operator: &str,
) -> Result<Application, Refusal> {
    optimistically(|| decide_once(services, id, decision, operator)).await
}

/// One try of [`decide`].
async fn decide_once(
    services: &Services,
    id: Uuid,
    decision: &Decision,
    operator: &str,
) -> Result<Attempt<Application>, Refusal> {
    let mut app = services
        .store
        .get(id)
        .await?
        .ok_or(Refusal::NotFound)?
        .application;
    let now = services.clock.now();
    let status = app.effective_status(now);
    if status != ApplicationStatus::ManualReview {
        return Err(Refusal::InvalidState(status.as_str()));
    }
    app.operator = Some(operator.to_owned());
    let (to, comment, metric) = match decision {
        Decision::Approve { comment } => (ApplicationStatus::Approved, comment, "ReviewsApproved"),
        Decision::Reject { reason, comment } => {
            app.rejection_reason = Some(reason.as_str().to_owned());
            (ApplicationStatus::Rejected, comment, "ReviewsRejected")
        }
        Decision::RequestDocuments { documents, comment } => {
            app.documents_required = documents.clone();
            (
                ApplicationStatus::DocumentsRequired,
                comment,
                "ReviewsDocumentsRequired",
            )
        }
    };
    let comment = comment.clone().map(String::from);
    app.comment = comment.clone();
    let actor = Actor::Operator(operator.to_owned());
    if let Saved::Done = save_decision(services, &mut app, to, actor, comment.clone(), now).await? {
        tracing::info!(application_id = %id, status = to.as_str(), metric = metric, "operator decision applied");
        return Ok(Attempt::Done(app));
    }
    Ok(Attempt::Retry)
}

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("invalid cursor")]
    InvalidCursor,
}

/// The review queue: applications in `status`, oldest first.
pub async fn list_reviews(
    services: &Services,
    status: ApplicationStatus,
    limit: u32,
    cursor: Option<&str>,
) -> Result<Page<Application>, ListError> {
    match services.store.by_status(status, None, limit, cursor).await {
        Ok(page) => Ok(page),
        Err(StoreError::Refused(InvalidCursor)) => Err(ListError::InvalidCursor),
        Err(StoreError::Dependency(e)) => Err(e.into()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentsError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("more than 10 documents in total")]
    TooMany,
}

refusals!(ListError, DocumentsError);

/// Appends documents to an application that awaits them and sends it back to review.
pub async fn add_documents(
    services: &Services,
    id: Uuid,
    documents: &[Document],
    caller: &Caller,
) -> Result<Application, DocumentsError> {
    optimistically(|| add_documents_once(services, id, documents, caller)).await
}

/// One try of [`add_documents`].
async fn add_documents_once(
    services: &Services,
    id: Uuid,
    documents: &[Document],
    caller: &Caller,
) -> Result<Attempt<Application>, DocumentsError> {
    let stored = services.store.get(id).await?.ok_or(Refusal::NotFound)?;
    let mut app = stored.application;
    let sub = caller
        .acting_for(&app.organization.inn)
        .ok_or(Refusal::NotFound)?
        .to_owned();
    let now = services.clock.now();
    let status = app.effective_status(now);
    if status != ApplicationStatus::DocumentsRequired {
        return Err(Refusal::InvalidState(status.as_str()).into());
    }
    if app.documents.len() + documents.len() > MAX_DOCUMENTS {
        return Err(DocumentsError::TooMany);
    }
    app.documents.extend_from_slice(documents);
    app.documents_required.clear();
    let entry = app
        .transition(
            ApplicationStatus::UnderReview,
            Actor::Applicant(sub),
            Some("Документы добавлены".into()),
            now,
        )
        .map_err(|e| Refusal::InvalidState(e.from.as_str()))?;
    app.review_attempts += 1;
    app.last_queued_at = Some(now);
    app.revision += 1;
    let update = ApplicationUpdate {
        application: &app,
        history: &[entry],
        number: None,
        replaced: None,
        charges: &[],
        now,
    };
    match super::outbox::update(services, update).await {
        Ok(()) => {}
        Err(StoreError::Refused(UpdateRefusal::Stale | UpdateRefusal::RateLimited { .. })) => {
            return Ok(Attempt::Retry);
        }
        Err(StoreError::Dependency(e)) => return Err(e.into()),
    }
    enqueue_review(services, id, app.review_attempts).await;
    Ok(Attempt::Done(app))
}
