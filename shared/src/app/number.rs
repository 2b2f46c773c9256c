//! Operations on an active number: deactivation confirmed by SMS code (SPEC 4.6) and
//! rebinding the employee with optimistic concurrency (SPEC 4.7).

use uuid::Uuid;

use super::error::refusals;
use super::verify::phone_charge_for;
use super::{Attempt, Caller, Refusal, Services, deliver_code, optimistically};
use crate::domain::{
    Actor, Comment, DeactivationAct, DeactivationReason, Employee, NumberAction, NumberCodes,
    NumberEvent, NumberLock, NumberRequest, NumberState, OtpCode, OtpPurpose, PhoneNumber,
    RequestLookup, ResendRefusal, Verification,
};
use crate::ports::{StoreError, StoredNumber, UpdateRefusal};

#[derive(Debug, thiserror::Error)]
pub enum DeactivationError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The number changed hands or employee since the request: it no longer applies.
    #[error("the binding changed since the request")]
    BindingChanged,
    #[error("wrong code")]
    Invalid { attempts_left: u32 },
    #[error("attempts exceeded")]
    AttemptsExceeded,
    /// Ten wrong codes today: no codes for this number until the day ends.
    #[error("codes locked")]
    Locked { retry_after: chrono::Duration },
    #[error("code expired")]
    Expired,
    #[error("too early")]
    TooEarly { retry_after: chrono::Duration },
    #[error("rate limited")]
    RateLimited { retry_after: chrono::Duration },
}

refusals!(DeactivationError, RebindError);

/// The caller's own number (held, or deactivated by it and not taken since), or why not.
async fn own_number(
    services: &Services,
    phone: &PhoneNumber,
    caller: &Caller,
) -> Result<(StoredNumber, String), Refusal> {
    let now = services.clock.now();
    let stored = services
        .store
        .number(phone)
        .await?
        .ok_or(Refusal::NotFound)?;
    let visible = stored.lock.holds(now) || stored.lock.state == NumberState::Deactivated;
    let sub = caller
        .acting_for(&stored.lock.organization_inn)
        .filter(|_| visible)
        .ok_or(Refusal::NotFound)?
        .to_owned();
    Ok((stored, sub))
}

/// Starts a deactivation: sends a code to the number itself. The number's code ledger
/// is shared by every request for it, and the write is conditioned on the ledger as read:
/// of concurrent requests one sends a code and the others see the spacing (`TooEarly`).
pub async fn request_deactivation(
    services: &Services,
    phone: &PhoneNumber,
    reason: DeactivationReason,
    comment: Option<Comment>,
    caller: &Caller,
) -> Result<(NumberCodes, NumberRequest), DeactivationError> {
    optimistically(|| request_deactivation_once(services, phone, reason, comment.as_ref(), caller))
        .await
}

/// One try of [`request_deactivation`].
async fn request_deactivation_once(
    services: &Services,
    phone: &PhoneNumber,
    reason: DeactivationReason,
    comment: Option<&Comment>,
    caller: &Caller,
) -> Result<Attempt<(NumberCodes, NumberRequest)>, DeactivationError> {
    let (stored, sub) = own_number(services, phone, caller).await?;
    if stored.lock.state != NumberState::Active {
        return Err(Refusal::InvalidState(stored.lock.state.as_str()).into());
    }
    let now = services.clock.now();
    let mut codes = stored
        .codes
        .unwrap_or_else(|| NumberCodes::new(phone.clone(), now));
    let request = NumberRequest {
        id: services.random.uuid(),
        action: NumberAction::Deactivate {
            reason,
            comment: comment.cloned(),
        },
        organization_inn: stored.lock.organization_inn.clone(),
        requested_by: sub,
        requested_at: now,
        binding_version: stored.lock.version,
    };
    let code = services.random.otp_code();
    let digest = services
        .secret
        .digest(OtpPurpose::Deactivation, &request.id.to_string(), &code);
    codes
        .issue(request.clone(), digest, now, &services.policy)
        .map_err(|refusal| match refusal {
            ResendRefusal::TooEarly { retry_after } => DeactivationError::TooEarly { retry_after },
            ResendRefusal::SendLimit => DeactivationError::RateLimited {
                retry_after: codes.window_ends_at(now) - now,
            },
            ResendRefusal::Locked => DeactivationError::Locked {
                retry_after: codes.window_ends_at(now) - now,
            },
        })?;
    codes.revision += 1;
    let charge = [phone_charge_for(services, phone, now)];
    match services.store.save_codes(&codes, &charge, now).await {
        Ok(()) => {}
        Err(StoreError::Refused(UpdateRefusal::Stale)) => return Ok(Attempt::Retry),
        Err(StoreError::Refused(UpdateRefusal::RateLimited { retry_after, .. })) => {
            tracing::warn!(
                metric = "RateLimited",
                limit = "phone",
                "deactivation code rate limited"
            );
            return Err(DeactivationError::RateLimited { retry_after });
        }
        Err(StoreError::Dependency(e)) => return Err(e.into()),
    }
    deliver_code(
        services,
        phone,
        OtpPurpose::Deactivation,
        &code,
        &mut codes,
        now,
    )
    .await;
    tracing::info!(phone = %phone.masked(), deactivation_id = %request.id, "deactivation requested");
    Ok(Attempt::Done((codes, request)))
}

/// Confirms a deactivation with its code: the number becomes `deactivated`, its lock no
/// longer holds, and the act is kept in the number's history. Only the latest request's
/// code works, and only for the binding it was requested for.
pub async fn confirm_deactivation(
    services: &Services,
    phone: &PhoneNumber,
    deactivation_id: Uuid,
    code: &OtpCode,
    caller: &Caller,
) -> Result<DeactivationAct, DeactivationError> {
    optimistically(|| confirm_deactivation_once(services, phone, deactivation_id, code, caller))
        .await
}

/// One try of [`confirm_deactivation`].
async fn confirm_deactivation_once(
    services: &Services,
    phone: &PhoneNumber,
    deactivation_id: Uuid,
    code: &OtpCode,
    caller: &Caller,
) -> Result<Attempt<DeactivationAct>, DeactivationError> {
    let subject = deactivation_id.to_string();
    let (stored, sub) = own_number(services, phone, caller).await?;
    if stored.lock.state != NumberState::Active {
        return Err(Refusal::InvalidState(stored.lock.state.as_str()).into());
    }
    let mut codes = stored.codes.ok_or(Refusal::NotFound)?;
    let request = codes
        .request(deactivation_id)
        .map_err(|lookup| match lookup {
            RequestLookup::Superseded => DeactivationError::Expired,
            RequestLookup::Unknown => Refusal::NotFound.into(),
        })?
        .clone();
    if request.binding_version != stored.lock.version
        || request.organization_inn != stored.lock.organization_inn
    {
        return Err(DeactivationError::BindingChanged);
    }
    let NumberAction::Deactivate { reason, comment } = request.action.clone();
    let now = services.clock.now();
    codes.roll_window(now);
    let before = codes.ledger.clone();
    let outcome = codes.ledger.verify(now, &services.policy, |digest| {
        services
            .secret
            .matches(OtpPurpose::Deactivation, &subject, code, digest)
    });
    codes.revision += 1;
    if outcome != Verification::Correct {
        if codes.ledger != before {
            match services.store.save_codes(&codes, &[], now).await {
                Ok(()) => {}
                Err(StoreError::Refused(_)) => return Ok(Attempt::Retry),
                Err(StoreError::Dependency(e)) => return Err(e.into()),
            }
            tracing::info!(deactivation_id = %deactivation_id, metric = "CodeFailures", outcome = ?outcome, "wrong deactivation code");
        }
        return Err(match outcome {
            Verification::Wrong { attempts_left } => DeactivationError::Invalid { attempts_left },
            Verification::Expired => DeactivationError::Expired,
            Verification::Locked => DeactivationError::Locked {
                retry_after: codes.window_ends_at(now) - now,
            },
            _ => DeactivationError::AttemptsExceeded,
        });
    }
    codes.request = None;
    let act = DeactivationAct {
        act_number: request.act_number(now),
        phone: phone.clone(),
        organization_inn: request.organization_inn.clone(),
        reason,
        deactivated_at: now,
        deactivated_by: sub.clone(),
    };
    let event = NumberEvent {
        at: now,
        organization_inn: Some(request.organization_inn.clone()),
        from: Some(NumberState::Active),
        to: NumberState::Deactivated,
        actor: Actor::Applicant(sub),
        application_id: Some(stored.lock.application_id),
        comment: comment.map(String::from),
        act: Some(act.clone()),
    };
    match services
        .store
        .deactivate(&codes, &request, &event, now)
        .await
    {
        Ok(()) => {
            tracing::info!(phone = %phone.masked(), metric = "Deactivations", act = %act.act_number, "number deactivated");
            Ok(Attempt::Done(act))
        }
        Err(StoreError::Refused(_)) => Ok(Attempt::Retry),
        Err(StoreError::Dependency(e)) => Err(e.into()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RebindError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("the employee is already bound")]
    SameEmployee,
    #[error("the number changed since the version given")]
    PreconditionFailed,
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
    let (mut stored, sub) = own_number(services, phone, caller).await?;
    if stored.lock.state != NumberState::Active {
        return Err(Refusal::InvalidState(stored.lock.state.as_str()).into());
    }
    if expected_version.is_some_and(|v| v != stored.lock.binding_version()) {
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
        organization_inn: Some(lock.organization_inn.clone()),
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
            Ok(super::status::visible_to(stored, caller))
        }
        Err(StoreError::Refused(_)) => Err(RebindError::PreconditionFailed),
        Err(StoreError::Dependency(e)) => Err(e.into()),
    }
}
