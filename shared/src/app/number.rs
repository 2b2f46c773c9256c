//! Operations on an active number: deactivation confirmed by SMS code (SPEC 4.6) and
//! rebinding the employee with optimistic concurrency (SPEC 4.7).

use uuid::Uuid;

use super::verify::phone_charge_for;
use super::{Caller, MAX_OPTIMISTIC_TRIES, Services, send_code};
use crate::domain::{
    Actor, Deactivation, DeactivationAct, DeactivationReason, Employee, NumberEvent, NumberLock,
    NumberState, OtpCode, OtpLedger, OtpPurpose, PhoneNumber, ResendRefusal, Verification,
};
use crate::ports::{DependencyError, StoreError, StoredNumber, UpdateRefusal};

#[derive(Debug, thiserror::Error)]
pub enum DeactivationError {
    #[error("number or request not found")]
    NotFound,
    #[error("the number is {0:?}, not active")]
    InvalidState(NumberState),
    #[error("wrong code")]
    Invalid { attempts_left: u32 },
    #[error("attempts exceeded")]
    AttemptsExceeded,
    #[error("code expired")]
    Expired,
    #[error("too early")]
    TooEarly { retry_after: chrono::Duration },
    #[error("rate limited")]
    RateLimited { retry_after: chrono::Duration },
    #[error("too many concurrent changes")]
    Contended,
    #[error(transparent)]
    Dependency(#[from] DependencyError),
}

/// The caller's own active number, or why not.
async fn own_number(
    services: &Services,
    phone: &PhoneNumber,
    caller: &Caller,
) -> Result<(StoredNumber, String), DeactivationError> {
    let now = services.clock.now();
    let stored = services
        .store
        .number(phone)
        .await?
        .ok_or(DeactivationError::NotFound)?;
    let visible = stored.lock.holds(now) || stored.lock.state == NumberState::Deactivated;
    let sub = caller
        .acting_for(&stored.lock.organization_inn)
        .filter(|_| visible)
        .ok_or(DeactivationError::NotFound)?
        .to_owned();
    Ok((stored, sub))
}

/// Starts a deactivation: sends a code to the number itself.
pub async fn request_deactivation(
    services: &Services,
    phone: &PhoneNumber,
    reason: DeactivationReason,
    comment: Option<String>,
    caller: &Caller,
) -> Result<Deactivation, DeactivationError> {
    let (stored, sub) = own_number(services, phone, caller).await?;
    if stored.lock.state != NumberState::Active {
        return Err(DeactivationError::InvalidState(stored.lock.state));
    }
    let now = services.clock.now();
    // The resend cooldown holds across requests for one number, so a new request cannot
    // be used to bypass it.
    for open in stored.deactivations.iter().filter(|d| d.act.is_none()) {
        if let Err(ResendRefusal::TooEarly { retry_after }) =
            open.otp.check_resend(now, &services.policy)
        {
            return Err(DeactivationError::TooEarly { retry_after });
        }
    }
    let id = services.random.uuid();
    let code = services.random.otp_code();
    let digest = services
        .secret
        .digest(OtpPurpose::Deactivation, &id.to_string(), &code);
    let mut deactivation = Deactivation {
        id,
        phone: phone.clone(),
        organization_inn: stored.lock.organization_inn.clone(),
        reason,
        comment,
        requested_by: sub,
        requested_at: now,
        otp: OtpLedger::first(digest, now, &services.policy),
        act: None,
        revision: 1,
    };
    let charge = [phone_charge_for(services, phone, now)];
    match services
        .store
        .save_deactivation(&deactivation, &charge, now)
        .await
    {
        Ok(()) => {}
        Err(StoreError::Refused(UpdateRefusal::RateLimited { retry_after, .. })) => {
            return Err(DeactivationError::RateLimited { retry_after });
        }
        Err(StoreError::Refused(UpdateRefusal::Stale)) => return Err(DeactivationError::Contended),
        Err(StoreError::Dependency(e)) => return Err(e.into()),
    }
    if !send_code(services, phone, OtpPurpose::Deactivation, &code).await {
        deactivation.otp.mark_delivery_failed();
        deactivation.revision += 1;
        if let Err(error) = services
            .store
            .save_deactivation(&deactivation, &[], now)
            .await
        {
            tracing::error!(error = ?error, "could not record the failed SMS");
            deactivation.revision -= 1;
        }
    }
    tracing::info!(phone = %phone.masked(), deactivation_id = %id, "deactivation requested");
    Ok(deactivation)
}

/// Confirms a deactivation with its code: the number becomes `deactivated`, its lock no
/// longer holds, and the act is kept in the number's history.
pub async fn confirm_deactivation(
    services: &Services,
    phone: &PhoneNumber,
    deactivation_id: Uuid,
    code: &OtpCode,
    caller: &Caller,
) -> Result<DeactivationAct, DeactivationError> {
    let subject = deactivation_id.to_string();
    for _ in 0..MAX_OPTIMISTIC_TRIES {
        let (stored, sub) = own_number(services, phone, caller).await?;
        let mut request = stored
            .deactivations
            .into_iter()
            .find(|d| d.id == deactivation_id)
            .ok_or(DeactivationError::NotFound)?;
        if stored.lock.state != NumberState::Active || request.act.is_some() {
            return Err(DeactivationError::InvalidState(stored.lock.state));
        }
        let now = services.clock.now();
        let before = request.otp.clone();
        let outcome = request.otp.verify(now, &services.policy, |digest| {
            services
                .secret
                .matches(OtpPurpose::Deactivation, &subject, code, digest)
        });
        request.revision += 1;
        if outcome != Verification::Correct {
            if request.otp != before {
                match services.store.save_deactivation(&request, &[], now).await {
                    Ok(()) => {}
                    Err(StoreError::Refused(_)) => continue,
                    Err(StoreError::Dependency(e)) => return Err(e.into()),
                }
                tracing::info!(deactivation_id = %deactivation_id, metric = "CodeFailures", "wrong deactivation code");
            }
            return Err(match outcome {
                Verification::Wrong { attempts_left } => {
                    DeactivationError::Invalid { attempts_left }
                }
                Verification::Expired => DeactivationError::Expired,
                _ => DeactivationError::AttemptsExceeded,
            });
        }
        let act = DeactivationAct {
            act_number: request.act_number(now),
            phone: phone.clone(),
            organization_inn: request.organization_inn.clone(),
            reason: request.reason,
            deactivated_at: now,
            deactivated_by: sub.clone(),
        };
        request.act = Some(act.clone());
        let event = NumberEvent {
            at: now,
            from: Some(NumberState::Active),
            to: NumberState::Deactivated,
            actor: Actor::Applicant(sub),
            application_id: Some(stored.lock.application_id),
            comment: request.comment.clone(),
            act: Some(act.clone()),
        };
        match services.store.deactivate(&request, &event, now).await {
            Ok(()) => {
                tracing::info!(phone = %phone.masked(), metric = "Deactivations", act = %act.act_number, "number deactivated");
                return Ok(act);
            }
            Err(StoreError::Refused(_)) => continue,
            Err(StoreError::Dependency(e)) => return Err(e.into()),
        }
    }
    Err(DeactivationError::Contended)
}

#[derive(Debug, thiserror::Error)]
pub enum RebindError {
    #[error("number not found")]
    NotFound,
    #[error("the number is {0:?}, not active")]
    InvalidState(NumberState),
    #[error("the employee is already bound")]
    SameEmployee,
    #[error("the number changed since the version given")]
    PreconditionFailed,
    #[error(transparent)]
    Dependency(#[from] DependencyError),
}

/// Binds another employee to an active number if `expected_version` is still current.
/// `None` (`If-Match: *`) accepts any current version.
pub async fn rebind_employee(
    services: &Services,
    phone: &PhoneNumber,
    expected_version: Option<u64>,
    employee: Employee,
    caller: &Caller,
) -> Result<StoredNumber, RebindError> {
    let (mut stored, sub) = own_number(services, phone, caller)
        .await
        .map_err(|e| match e {
            DeactivationError::Dependency(d) => RebindError::Dependency(d),
            _ => RebindError::NotFound,
        })?;
    if stored.lock.state != NumberState::Active {
        return Err(RebindError::InvalidState(stored.lock.state));
    }
    if expected_version.is_some_and(|v| v != stored.lock.version) {
        return Err(RebindError::PreconditionFailed);
    }
    if stored.lock.employee.snils == employee.snils {
        return Err(RebindError::SameEmployee);
    }
    let now = services.clock.now();
    let lock = NumberLock {
        employee,
        updated_at: now,
        version: stored.lock.version + 1,
        ..stored.lock.clone()
    };
    let event = NumberEvent {
        at: now,
        from: Some(NumberState::Active),
        to: NumberState::Active,
        actor: Actor::Applicant(sub),
        application_id: Some(lock.application_id),
        comment: Some("Привязка обновлена: сменён сотрудник".into()),
        act: None,
    };
    match services.store.rebind(&lock, &event).await {
        Ok(()) => {
            tracing::info!(phone = %phone.masked(), metric = "Rebinds", version = lock.version, "employee rebound");
            stored.lock = lock;
            stored.history.push(event);
            Ok(stored)
        }
        Err(StoreError::Refused(_)) => Err(RebindError::PreconditionFailed),
        Err(StoreError::Dependency(e)) => Err(e.into()),
    }
}
