use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::error::refusals;
use super::{Attempt, Caller, Refusal, Services, deliver_code, optimistically};
use crate::domain::{
    Actor, Application, ApplicationStatus, OtpCode, OtpPurpose, RateWindow, ResendRefusal,
    Verification,
};
use crate::ports::{
    ApplicationUpdate, DependencyError, NumberChange, RateCharge, RateCounter, ReviewTicket,
    StoreError, UpdateRefusal,
};

/// Why a code was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum OtpError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("wrong code")]
    Invalid { attempts_left: u32 },
    #[error("attempts exceeded")]
    AttemptsExceeded,
    #[error("code expired")]
    Expired,
}

#[derive(Debug, thiserror::Error)]
pub enum ResendError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("locked after too many wrong codes")]
    Locked,
    #[error("too early")]
    TooEarly { retry_after: Duration },
    #[error("rate limited")]
    RateLimited { retry_after: Duration },
}

refusals!(OtpError, ResendError);

/// Loads an application the caller's organization owns and may act on.
async fn owned(
    services: &Services,
    id: Uuid,
    caller: &Caller,
) -> Result<Option<(Application, String)>, DependencyError> {
    let Some(stored) = services.store.get(id).await? else {
        return Ok(None);
    };
    let app = stored.application;
    Ok(caller
        .acting_for(&app.organization.inn)
        .map(str::to_owned)
        .map(|sub| (app, sub)))
}

/// Checks a code. The right one moves the application to `under_review` and queues it.
pub async fn verify_code(
    services: &Services,
    id: Uuid,
    code: &OtpCode,
    caller: &Caller,
) -> Result<Application, OtpError> {
    optimistically(|| verify_code_once(services, id, code, caller)).await
}

/// One try of [`verify_code`].
async fn verify_code_once(
    services: &Services,
    id: Uuid,
    code: &OtpCode,
    caller: &Caller,
) -> Result<Attempt<Application>, OtpError> {
    let subject = id.to_string();
    {
        let Some((mut app, sub)) = owned(services, id, caller).await? else {
            return Err(Refusal::NotFound.into());
        };
        let now = services.clock.now();
        let status = app.effective_status(now);
        if status != ApplicationStatus::AwaitingOtp {
            return Err(Refusal::InvalidState(status.as_str()).into());
        }
        let before = app.otp.clone();
        let outcome = app.otp.verify(now, &services.policy, |digest| {
            services
                .secret
                .matches(OtpPurpose::Activation, &subject, code, digest)
        });
        let history = match outcome {
            Verification::Correct => {
                let entry = app
                    .transition(
                        ApplicationStatus::UnderReview,
                        Actor::Applicant(sub),
                        None,
                        now,
                    )
                    .map_err(|e| Refusal::InvalidState(e.from.as_str()))?;
                vec![entry]
            }
            _ if app.otp == before => return Err(rejection(outcome)),
            _ => Vec::new(),
        };
        if outcome == Verification::Correct {
            app.review_attempts = 1;
            app.last_queued_at = Some(now);
        }
        app.revision += 1;
        app.updated_at = now;
        let number = (outcome == Verification::Correct).then_some(NumberChange::KeepHeld);
        let update = ApplicationUpdate {
            application: &app,
            history: &history,
            number,
            replaced: None,
            charges: &[],
            now,
        };
        match super::outbox::update(services, update).await {
            Ok(()) => {}
            Err(StoreError::Refused(UpdateRefusal::Stale)) => return Ok(Attempt::Retry),
            Err(StoreError::Refused(UpdateRefusal::RateLimited { .. })) => {
                return Err(Refusal::Contended.into());
            }
            Err(StoreError::Dependency(e)) => return Err(e.into()),
        }
        if outcome != Verification::Correct {
            tracing::info!(application_id = %id, metric = "CodeFailures", outcome = ?outcome, "wrong code");
            return Err(rejection(outcome));
        }
        tracing::info!(application_id = %id, metric = "CodesVerified", "code confirmed");
        enqueue_review(services, id, app.review_attempts).await;
        Ok(Attempt::Done(app))
    }
}

fn rejection(outcome: Verification) -> OtpError {
    match outcome {
        Verification::Wrong { attempts_left } => OtpError::Invalid { attempts_left },
        Verification::Expired => OtpError::Expired,
        Verification::AttemptsExceeded | Verification::Locked | Verification::Correct => {
            OtpError::AttemptsExceeded
        }
    }
}

/// Queues an application for review. A lost message is not fatal: the sweeper re-queues
/// applications left in `under_review` (SPEC 5.4), so the confirmation still succeeds.
pub(crate) async fn enqueue_review(services: &Services, id: Uuid, attempt: u32) {
    let ticket = ReviewTicket {
        application_id: id,
        attempt,
    };
    if let Err(error) = services.queue.enqueue(&ticket).await {
        tracing::error!(application_id = %id, error = %error, "review not queued; the sweeper will re-queue it");
    }
}

/// Sends a new code; the previous one stops working.
pub async fn resend_code(
    services: &Services,
    id: Uuid,
    caller: &Caller,
) -> Result<Application, ResendError> {
    optimistically(|| resend_code_once(services, id, caller)).await
}

/// One try of [`resend_code`].
async fn resend_code_once(
    services: &Services,
    id: Uuid,
    caller: &Caller,
) -> Result<Attempt<Application>, ResendError> {
    let Some((mut app, _sub)) = owned(services, id, caller).await? else {
        return Err(Refusal::NotFound.into());
    };
    let now = services.clock.now();
    let status = app.effective_status(now);
    if status != ApplicationStatus::AwaitingOtp {
        return Err(Refusal::InvalidState(status.as_str()).into());
    }
    app.otp
        .check_resend(now, &services.policy)
        .map_err(|refusal| match refusal {
            ResendRefusal::Locked => ResendError::Locked,
            ResendRefusal::TooEarly { retry_after } => ResendError::TooEarly { retry_after },
            // The application's own send budget is spent; it cannot be renewed before the
            // application expires, after which a new one can be filed.
            ResendRefusal::SendLimit => ResendError::RateLimited {
                retry_after: app.otp_deadline() - now,
            },
        })?;
    let code = services.random.otp_code();
    let digest = services
        .secret
        .digest(OtpPurpose::Activation, &id.to_string(), &code);
    app.otp.replace(digest, now, &services.policy);
    app.revision += 1;
    app.updated_at = now;
    let charge = [phone_charge(services, &app, now)];
    let update = ApplicationUpdate {
        application: &app,
        history: &[],
        number: None,
        replaced: None,
        charges: &charge,
        now,
    };
    match super::outbox::update(services, update).await {
        Ok(()) => {}
        Err(StoreError::Refused(UpdateRefusal::Stale)) => return Ok(Attempt::Retry),
        Err(StoreError::Refused(UpdateRefusal::RateLimited { retry_after, .. })) => {
            tracing::warn!(application_id = %id, metric = "RateLimited", limit = "phone", "resend rate limited");
            return Err(ResendError::RateLimited { retry_after });
        }
        Err(StoreError::Dependency(e)) => return Err(e.into()),
    }
    tracing::info!(application_id = %id, metric = "Resends", "code resent");
    let phone = app.phone.clone();
    deliver_code(
        services,
        &phone,
        OtpPurpose::Activation,
        &code,
        &mut app,
        now,
    )
    .await;
    Ok(Attempt::Done(app))
}

fn phone_charge(services: &Services, app: &Application, now: DateTime<Utc>) -> RateCharge {
    phone_charge_for(services, &app.phone, now)
}

/// One more SMS to `phone` today, within the daily limit.
pub(crate) fn phone_charge_for(
    services: &Services,
    phone: &crate::domain::PhoneNumber,
    now: DateTime<Utc>,
) -> RateCharge {
    RateCharge {
        counter: RateCounter::SmsPerPhone(phone.clone()),
        window: RateWindow::containing(now),
        limit: services.policy.sends_per_phone_per_day,
    }
}
