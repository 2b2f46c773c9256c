use chrono::Utc;

use super::{Services, deliver_code};
use crate::domain::{
    Actor, Application, ApplicationStatus, Document, Employee, HistoryEntry, Inn, NumberLock,
    NumberState, NumberUnavailable, Organization, OtpLedger, OtpPurpose, PhoneNumber, RateWindow,
    Signature,
};
use crate::ports::{
    CreateRefusal, DependencyError, IdempotencyClaim, IdempotencyRecord, IdempotencyState,
    NewApplication, NumberEvent, RateCharge, RateCounter, StoreError, StoredResponse,
};

/// A parsed, consistent application (consent already given).
#[derive(Debug, Clone)]
pub struct SubmitApplication {
    pub organization: Organization,
    pub phone: PhoneNumber,
    pub employee: Employee,
    pub documents: Vec<Document>,
    pub signature: Option<Signature>,
    /// For a replacement: the active number the new one replaces (SPEC 4.12).
    pub replaces: Option<PhoneNumber>,
}

/// What an earlier request with the same idempotency key means for this one.
#[derive(Debug)]
pub enum IdempotencyConflict {
    Replay(StoredResponse),
    /// The request with this key created this application, then died before storing its
    /// response (its in-progress mark has lapsed): the retry answers with it.
    Recovered(Box<Application>),
    InProgress,
    KeyReused,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("the organization is not the caller's")]
    Forbidden,
    #[error("number unavailable: {0:?}")]
    NumberUnavailable(NumberUnavailable),
    /// An operator restricted the number (SPEC 4.13); `reference` is what to quote to
    /// support.
    #[error("number restricted")]
    NumberRestricted { reference: String },
    #[error("rate limited")]
    RateLimited { retry_after: chrono::Duration },
    #[error("idempotency: {0:?}")]
    Idempotency(IdempotencyConflict),
    #[error(transparent)]
    Refused(#[from] super::Refusal),
}

super::error::refusals!(SubmitError);

/// Creates the application and takes the number's lock atomically, then sends the code.
///
/// A failed SMS leaves the application in `awaiting_otp` with its delivery marked failed,
/// so the client can resend at once.
pub async fn submit(
    services: &Services,
    command: SubmitApplication,
    sub: &str,
    caller_inn: &Inn,
    idempotency: Option<&IdempotencyClaim>,
) -> Result<Application, SubmitError> {
    if &command.organization.inn != caller_inn {
        return Err(SubmitError::Forbidden);
    }
    let now = services.clock.now();
    let id = services.random.uuid();
    let code = services.random.otp_code();
    let digest = services
        .secret
        .digest(OtpPurpose::Activation, &id.to_string(), &code);
    let actor = Actor::Applicant(sub.to_owned());
    let mut application = Application {
        id,
        organization: command.organization,
        phone: command.phone,
        employee: command.employee,
        documents: command.documents,
        signature: command.signature,
        status: ApplicationStatus::AwaitingOtp,
        submitted_by: sub.to_owned(),
        created_at: now,
        updated_at: now,
        status_since: now,
        otp: OtpLedger::first(digest, now, &services.policy),
        expected_completion_at: None,
        operator: None,
        comment: None,
        rejection_reason: None,
        documents_required: Vec::new(),
        overdue: false,
        review_attempts: 0,
        last_queued_at: None,
        replaces: command.replaces,
        revision: 1,
    };
    let history = HistoryEntry {
        at: now,
        from: None,
        to: ApplicationStatus::AwaitingOtp,
        actor: actor.clone(),
        comment: None,
    };
    let lock = NumberLock {
        phone: application.phone.clone(),
        state: NumberState::Pending,
        organization_inn: application.organization.inn.clone(),
        application_id: id,
        employee: application.employee.clone(),
        hold_until: Some(application.otp_deadline()),
        updated_at: now,
        version: 0,
        binding_base: 0,
        bound_at: Some(now),
        suspension: None,
    };
    let number_event = NumberEvent {
        at: now,
        organization_inn: Some(application.organization.inn.clone()),
        from: None,
        to: NumberState::Pending,
        actor,
        application_id: Some(id),
        comment: None,
        act: None,
    };
    let window = RateWindow::containing(now);
    let charges = [
        RateCharge {
            counter: RateCounter::ApplicationsPerOrganization(application.organization.inn.clone()),
            window,
            limit: services.policy.applications_per_org_per_day,
        },
        RateCharge {
            counter: RateCounter::SmsPerPhone(application.phone.clone()),
            window,
            limit: services.policy.sends_per_phone_per_day,
        },
    ];
    // A refusal from a lock that has lapsed since (the number is free now) is retried.
    let mut tries = 0;
    loop {
        tries += 1;
        let created = super::outbox::create(
            services,
            NewApplication {
                application: &application,
                history: &history,
                lock: &lock,
                number_event: &number_event,
                charges: &charges,
                idempotency,
                now,
            },
        )
        .await;
        let refusal = match created {
            Ok(()) => break,
            Err(StoreError::Dependency(e)) => return Err(e.into()),
            Err(StoreError::Refused(refusal)) => refusal,
        };
        if let CreateRefusal::NumberRestricted = refusal {
            // The reference to quote; a restriction lifted since lets the next try through.
            match services.store.restriction(&application.phone).await?.0 {
                Some(restriction) => {
                    tracing::info!(phone = %application.phone.masked(), metric = "RestrictedRefusals", reference = %restriction.reference, "application for a restricted number refused");
                    return Err(SubmitError::NumberRestricted {
                        reference: restriction.reference,
                    });
                }
                None if tries < MAX_CREATE_TRIES => continue,
                None => return Err(super::Refusal::Contended.into()),
            }
        }
        if let CreateRefusal::IdempotencyKeyTaken(record) = &refusal
            && let Some(earlier) =
                created_under(services, record, idempotency, caller_inn, now).await?
        {
            return Err(SubmitError::Idempotency(IdempotencyConflict::Recovered(
                Box::new(earlier),
            )));
        }
        match refused(refusal, &application, idempotency, now) {
            Refused::Final(error) => return Err(error),
            Refused::Lapsed(_) if tries < MAX_CREATE_TRIES => continue,
            Refused::Lapsed(error) => return Err(error),
        }
    }
    tracing::info!(application_id = %id, phone = %application.phone.masked(), metric = "ApplicationsSubmitted", "application created");

    let phone = application.phone.clone();
    deliver_code(
        services,
        &phone,
        OtpPurpose::Activation,
        &code,
        &mut application,
        now,
    )
    .await;
    Ok(application)
}

/// Tries of the submission's write when a refusal came from a lock that lapsed meanwhile.
const MAX_CREATE_TRIES: usize = 3;

/// The application an earlier request with the same key and body created, if that request
/// died after its transaction: its record is still in progress, past its lapse time. (The
/// record is written only in the same transaction as the application, so it names one.)
async fn created_under(
    services: &Services,
    record: &IdempotencyRecord,
    claim: Option<&IdempotencyClaim>,
    caller_inn: &Inn,
    now: chrono::DateTime<Utc>,
) -> Result<Option<Application>, DependencyError> {
    let same_request = claim.is_some_and(|c| c.request_hash == record.request_hash);
    let lapsed = matches!(record.state, IdempotencyState::InProgress { until } if until <= now);
    let Some(id) = record.application_id.filter(|_| same_request && lapsed) else {
        return Ok(None);
    };
    Ok(services
        .store
        .get(id)
        .await?
        .map(|stored| stored.application)
        .filter(|app| &app.organization.inn == caller_inn))
}

/// A refusal, final or caused by a lock that no longer holds (worth another try).
enum Refused {
    Final(SubmitError),
    Lapsed(SubmitError),
}

fn refused(
    refusal: CreateRefusal,
    application: &Application,
    claim: Option<&IdempotencyClaim>,
    now: chrono::DateTime<Utc>,
) -> Refused {
    let inn = &application.organization.inn;
    Refused::Final(match refusal {
        CreateRefusal::IdempotencyKeyTaken(record) => {
            let same_request = claim.is_some_and(|c| c.request_hash == record.request_hash);
            SubmitError::Idempotency(match record.state {
                _ if !same_request => IdempotencyConflict::KeyReused,
                IdempotencyState::Completed(response) => IdempotencyConflict::Replay(response),
                IdempotencyState::InProgress { .. } => IdempotencyConflict::InProgress,
            })
        }
        CreateRefusal::NumberRestricted => {
            return Refused::Lapsed(SubmitError::Refused(super::Refusal::Contended));
        }
        CreateRefusal::NumberHeld(lock) => match lock.refusal_for(inn, now) {
            Some(reason) => SubmitError::NumberUnavailable(reason),
            // The lock lapsed between the refused write and now. Never name another
            // organization's application: say only what the lock allows, and try again.
            None => {
                return Refused::Lapsed(SubmitError::NumberUnavailable(
                    if &lock.organization_inn == inn {
                        NumberUnavailable::ApplicationInProgress(lock.application_id)
                    } else {
                        NumberUnavailable::BoundToAnotherOrganization
                    },
                ));
            }
        },
        CreateRefusal::RateLimited {
            counter,
            retry_after,
        } => {
            let metric = match counter {
                RateCounter::ApplicationsPerOrganization(_) => "organization",
                RateCounter::SmsPerPhone(_) => "phone",
            };
            tracing::warn!(
                limit = metric,
                metric = "RateLimited",
                "submission rate limited"
            );
            SubmitError::RateLimited { retry_after }
        }
    })
}
