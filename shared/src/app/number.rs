//! Operations on a bound number: deactivation (SPEC 4.6), suspension and resumption
//! (SPEC 4.11), each confirmed by SMS code or made by an operator, and rebinding the
//! employee with optimistic concurrency (SPEC 4.7).

use uuid::Uuid;

use super::error::refusals;
use super::verify::phone_charge_for;
use super::{Attempt, Caller, Refusal, Services, deliver_code, optimistically};
use crate::domain::{
    ActionKind, Actor, Comment, DeactivationAct, DeactivationReason, Employee, NumberAction,
    NumberCodes, NumberEvent, NumberLock, NumberRequest, NumberState, OtpCode, PhoneNumber,
    RequestLookup, ResendRefusal, Suspension, Verification,
};
use crate::ports::{StateChange, StoreError, StoredNumber, UpdateRefusal};

#[derive(Debug, thiserror::Error)]
pub enum NumberChangeError {
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
    /// An operator suspended the number: only an operator resumes it.
    #[error("suspended by an operator")]
    SuspendedByOperator,
}

refusals!(NumberChangeError, RebindError);

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

/// Starts a change its organization confirms by code (deactivation, suspension,
/// resumption): sends a code to the number itself. The number's code ledger is shared by
/// every request for it, and the write is conditioned on the ledger as read: of concurrent
/// requests one sends a code and the others see the spacing (`TooEarly`).
pub async fn request_change(
    services: &Services,
    phone: &PhoneNumber,
    action: NumberAction,
    caller: &Caller,
) -> Result<(NumberCodes, NumberRequest), NumberChangeError> {
    optimistically(|| request_change_once(services, phone, &action, caller)).await
}

/// The state a bound number must be in for `kind`, and why it is refused otherwise.
fn check_state(lock: &NumberLock, kind: ActionKind) -> Result<(), NumberChangeError> {
    match (kind, lock.state) {
        (ActionKind::Deactivate | ActionKind::Suspend, NumberState::Active) => Ok(()),
        (ActionKind::Resume, NumberState::Suspended) => match &lock.suspension {
            Some(s) if s.by_operator => Err(NumberChangeError::SuspendedByOperator),
            _ => Ok(()),
        },
        (_, state) => Err(Refusal::InvalidState(state.as_str()).into()),
    }
}

/// One try of [`request_change`].
async fn request_change_once(
    services: &Services,
    phone: &PhoneNumber,
    action: &NumberAction,
    caller: &Caller,
) -> Result<Attempt<(NumberCodes, NumberRequest)>, NumberChangeError> {
    let (stored, sub) = own_number(services, phone, caller).await?;
    let kind = action.kind();
    check_state(&stored.lock, kind)?;
    let now = services.clock.now();
    let mut codes = stored
        .codes
        .unwrap_or_else(|| NumberCodes::new(phone.clone(), now));
    let request = NumberRequest {
        id: services.random.uuid(),
        action: action.clone(),
        organization_inn: stored.lock.organization_inn.clone(),
        requested_by: sub,
        requested_at: now,
        binding_version: stored.lock.version,
    };
    let code = services.random.otp_code();
    let digest = services
        .secret
        .digest(kind.purpose(), &request.id.to_string(), &code);
    codes
        .issue(request.clone(), digest, now, &services.policy)
        .map_err(|refusal| match refusal {
            ResendRefusal::TooEarly { retry_after } => NumberChangeError::TooEarly { retry_after },
            ResendRefusal::SendLimit => NumberChangeError::RateLimited {
                retry_after: codes.window_ends_at(now) - now,
            },
            ResendRefusal::Locked => NumberChangeError::Locked {
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
                "number change code rate limited"
            );
            return Err(NumberChangeError::RateLimited { retry_after });
        }
        Err(StoreError::Dependency(e)) => return Err(e.into()),
    }
    deliver_code(services, phone, kind.purpose(), &code, &mut codes, now).await;
    tracing::info!(phone = %phone.masked(), request_id = %request.id, action = ?kind, "number change requested");
    Ok(Attempt::Done((codes, request)))
}

/// What a confirmed change produced.
#[derive(Debug)]
pub enum Confirmed {
    /// The number is deactivated; the act is kept in its history.
    Deactivated(DeactivationAct),
    /// The number as the caller sees it after a suspension or resumption.
    Changed(Box<StoredNumber>),
}

/// Confirms a change with its code. Only the latest request's code works, only on the
/// route of its kind (another kind's id is unknown there), and only for the binding it was
/// requested for.
pub async fn confirm_change(
    services: &Services,
    phone: &PhoneNumber,
    kind: ActionKind,
    request_id: Uuid,
    code: &OtpCode,
    caller: &Caller,
) -> Result<Confirmed, NumberChangeError> {
    optimistically(|| confirm_change_once(services, phone, kind, request_id, code, caller)).await
}

/// One try of [`confirm_change`].
async fn confirm_change_once(
    services: &Services,
    phone: &PhoneNumber,
    kind: ActionKind,
    request_id: Uuid,
    code: &OtpCode,
    caller: &Caller,
) -> Result<Attempt<Confirmed>, NumberChangeError> {
    let subject = request_id.to_string();
    let (stored, sub) = own_number(services, phone, caller).await?;
    let mut codes = stored.codes.clone().ok_or(Refusal::NotFound)?;
    let request = codes
        .request(request_id)
        .map_err(|lookup| match lookup {
            RequestLookup::Superseded => NumberChangeError::Expired,
            RequestLookup::Unknown => Refusal::NotFound.into(),
        })?
        .clone();
    if request.action.kind() != kind {
        return Err(Refusal::NotFound.into());
    }
    check_state(&stored.lock, kind)?;
    if request.binding_version != stored.lock.version
        || request.organization_inn != stored.lock.organization_inn
    {
        return Err(NumberChangeError::BindingChanged);
    }
    let now = services.clock.now();
    codes.roll_window(now);
    let before = codes.ledger.clone();
    let outcome = codes.ledger.verify(now, &services.policy, |digest| {
        services
            .secret
            .matches(kind.purpose(), &subject, code, digest)
    });
    codes.revision += 1;
    if outcome != Verification::Correct {
        if codes.ledger != before {
            match services.store.save_codes(&codes, &[], now).await {
                Ok(()) => {}
                Err(StoreError::Refused(_)) => return Ok(Attempt::Retry),
                Err(StoreError::Dependency(e)) => return Err(e.into()),
            }
            tracing::info!(request_id = %request_id, metric = "CodeFailures", outcome = ?outcome, "wrong number change code");
        }
        return Err(match outcome {
            Verification::Wrong { attempts_left } => NumberChangeError::Invalid { attempts_left },
            Verification::Expired => NumberChangeError::Expired,
            Verification::Locked => NumberChangeError::Locked {
                retry_after: codes.window_ends_at(now) - now,
            },
            _ => NumberChangeError::AttemptsExceeded,
        });
    }
    codes.request = None;
    let actor = Actor::Applicant(sub.clone());
    let (change, comment, act) = match &request.action {
        NumberAction::Deactivate { reason, comment } => {
            let act = DeactivationAct {
                act_number: request.act_number(now),
                phone: phone.clone(),
                organization_inn: request.organization_inn.clone(),
                reason: *reason,
                deactivated_at: now,
                deactivated_by: sub.clone(),
            };
            (
                Change::Deactivate,
                comment.clone().map(String::from),
                Some(act),
            )
        }
        NumberAction::Suspend { reason, comment } => (
            Change::Suspend(Suspension {
                reason: *reason,
                comment: comment.clone(),
                by_operator: false,
                suspended_by: sub.clone(),
                suspended_at: now,
            }),
            comment.clone().map(String::from),
            None,
        ),
        NumberAction::Resume => (Change::Resume, None, None),
    };
    let applied = apply(
        services,
        stored,
        change,
        Some(&codes),
        actor,
        comment,
        act.clone(),
        request.id,
        now,
    )
    .await;
    match applied {
        Ok(number) => Ok(Attempt::Done(match act {
            Some(act) => Confirmed::Deactivated(act),
            None => Confirmed::Changed(Box::new(super::status::visible_to(number, caller))),
        })),
        Err(StoreError::Refused(_)) => Ok(Attempt::Retry),
        Err(StoreError::Dependency(e)) => Err(e.into()),
    }
}

/// A change of a bound number's state.
enum Change {
    Deactivate,
    Suspend(Suspension),
    Resume,
}

/// Writes `change` to the number as read (`stored`), with its history entry, conditioned
/// on the lock not having changed since; returns the number after it.
#[allow(clippy::too_many_arguments)]
async fn apply(
    services: &Services,
    mut stored: StoredNumber,
    change: Change,
    codes: Option<&NumberCodes>,
    actor: Actor,
    comment: Option<String>,
    act: Option<DeactivationAct>,
    discriminator: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<StoredNumber, StoreError<UpdateRefusal>> {
    let from = stored.lock.state;
    let (to, suspension, metric) = match change {
        Change::Deactivate => (NumberState::Deactivated, None, "Deactivations"),
        Change::Suspend(s) => (NumberState::Suspended, Some(s), "Suspensions"),
        Change::Resume => (NumberState::Active, None, "Resumptions"),
    };
    let lock = NumberLock {
        state: to,
        suspension,
        updated_at: now,
        version: stored.lock.version + 1,
        ..stored.lock.clone()
    };
    let event = NumberEvent {
        at: now,
        organization_inn: Some(lock.organization_inn.clone()),
        from: Some(from),
        to,
        actor,
        application_id: Some(lock.application_id),
        comment,
        act,
    };
    super::outbox::change_state(
        services,
        StateChange {
            lock: &lock,
            from,
            codes,
            event: &event,
            discriminator,
        },
    )
    .await?;
    let phone = lock.phone.masked();
    match &event.act {
        Some(act) => {
            tracing::info!(phone = %phone, metric, act = %act.act_number, "number deactivated");
        }
        None => tracing::info!(phone = %phone, metric, state = to.as_str(), "number state changed"),
    }
    stored.lock = lock;
    stored.history.push(event);
    if let Some(codes) = codes {
        stored.codes = Some(codes.clone());
    }
    Ok(stored)
}

/// An operator suspends a number for a rules violation (SPEC 4.11): no code, a comment
/// required; only an operator lifts it. A number its organization suspended becomes an
/// operator's suspension.
pub async fn operator_suspend(
    services: &Services,
    phone: &PhoneNumber,
    comment: Comment,
    operator: &str,
) -> Result<StoredNumber, NumberChangeError> {
    optimistically(|| async {
        let stored = bound_number(services, phone).await?;
        match (&stored.lock.state, &stored.lock.suspension) {
            (NumberState::Active, _) => {}
            (NumberState::Suspended, Some(s)) if !s.by_operator => {}
            (state, _) => return Err(Refusal::InvalidState(state.as_str()).into()),
        }
        let now = services.clock.now();
        let suspension = Suspension {
            reason: DeactivationReason::PolicyViolation,
            comment: Some(comment.clone()),
            by_operator: true,
            suspended_by: operator.to_owned(),
            suspended_at: now,
        };
        let applied = apply(
            services,
            stored,
            Change::Suspend(suspension),
            None,
            Actor::Operator(operator.to_owned()),
            Some(comment.to_string()),
            None,
            services.random.uuid(),
            now,
        )
        .await;
        operator_outcome(applied)
    })
    .await
}

/// An operator resumes a suspended number, whoever suspended it.
pub async fn operator_resume(
    services: &Services,
    phone: &PhoneNumber,
    operator: &str,
) -> Result<StoredNumber, NumberChangeError> {
    optimistically(|| async {
        let stored = bound_number(services, phone).await?;
        if stored.lock.state != NumberState::Suspended {
            return Err(Refusal::InvalidState(stored.lock.state.as_str()).into());
        }
        let now = services.clock.now();
        let applied = apply(
            services,
            stored,
            Change::Resume,
            None,
            Actor::Operator(operator.to_owned()),
            None,
            None,
            services.random.uuid(),
            now,
        )
        .await;
        operator_outcome(applied)
    })
    .await
}

fn operator_outcome(
    applied: Result<StoredNumber, StoreError<UpdateRefusal>>,
) -> Result<Attempt<StoredNumber>, NumberChangeError> {
    match applied {
        Ok(number) => Ok(Attempt::Done(number)),
        Err(StoreError::Refused(_)) => Ok(Attempt::Retry),
        Err(StoreError::Dependency(e)) => Err(e.into()),
    }
}

/// A number bound to an organization now (pending, active or suspended), for operators.
async fn bound_number(
    services: &Services,
    phone: &PhoneNumber,
) -> Result<StoredNumber, NumberChangeError> {
    let now = services.clock.now();
    let stored = services
        .store
        .number(phone)
        .await?
        .filter(|s| s.lock.holds(now) || s.lock.state == NumberState::Deactivated)
        .ok_or(Refusal::NotFound)?;
    Ok(stored)
}

/// Ends a suspension older than [`crate::domain::SUSPENSION_LIMIT`]: the number is
/// deactivated with an act (the suspension's reason), its lock released. `Stale` if the
/// number changed since `lock` was read.
pub(super) async fn end_suspension(
    services: &Services,
    lock: NumberLock,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, StoreError<UpdateRefusal>> {
    let Some(stored) = services.store.number(&lock.phone).await? else {
        return Ok(false);
    };
    let due = stored.lock.version == lock.version
        && stored.lock.state == NumberState::Suspended
        && stored
            .lock
            .suspension
            .as_ref()
            .is_some_and(|s| s.ends_at() <= now);
    if !due {
        return Ok(false);
    }
    let Some(suspension) = stored.lock.suspension.clone() else {
        return Ok(false);
    };
    let id = services.random.uuid();
    let act = DeactivationAct {
        act_number: NumberRequest::act_number_for(id, now),
        phone: lock.phone.clone(),
        organization_inn: lock.organization_inn.clone(),
        reason: suspension.reason,
        deactivated_at: now,
        deactivated_by: "system:review-sweeper".into(),
    };
    apply(
        services,
        stored,
        Change::Deactivate,
        None,
        Actor::System("review-sweeper".into()),
        Some("Приостановка длилась 180 дней; номер деактивирован".into()),
        Some(act),
        id,
        now,
    )
    .await?;
    Ok(true)
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
    match super::outbox::rebind(services, &lock, &event).await {
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

/// The number a replacement (`app`, being approved) replaces, deactivated: the lock after
/// the change and its history entry with the act (reason `replacement`). The number must
/// still be active for the application's organization; else the approval is refused with
/// its state. Sets the application's employee to that binding's, which the new number
/// takes over.
pub(super) async fn replaced_by(
    services: &Services,
    app: &mut crate::domain::Application,
    old: &PhoneNumber,
    actor: &Actor,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(NumberLock, NumberEvent), Refusal> {
    let stored = services
        .store
        .number(old)
        .await?
        .filter(|s| s.lock.organization_inn == app.organization.inn)
        .ok_or(Refusal::InvalidState(NumberState::Deactivated.as_str()))?;
    if stored.lock.state != NumberState::Active {
        return Err(Refusal::InvalidState(stored.lock.state.as_str()));
    }
    app.employee = stored.lock.employee.clone();
    let act = DeactivationAct {
        act_number: NumberRequest::act_number_for(app.id, now),
        phone: old.clone(),
        organization_inn: app.organization.inn.clone(),
        reason: DeactivationReason::Replacement,
        deactivated_at: now,
        deactivated_by: actor.to_string(),
    };
    let lock = NumberLock {
        state: NumberState::Deactivated,
        suspension: None,
        updated_at: now,
        version: stored.lock.version + 1,
        ..stored.lock.clone()
    };
    let event = NumberEvent {
        at: now,
        organization_inn: Some(app.organization.inn.clone()),
        from: Some(NumberState::Active),
        to: NumberState::Deactivated,
        actor: actor.clone(),
        application_id: Some(stored.lock.application_id),
        comment: Some(format!("Номер заменён на {}", app.phone)),
        act: Some(act),
    };
    Ok((lock, event))
}

/// Applies to replace the caller's active number with `new_phone` (SPEC 4.12): an
/// application of kind `replacement` for the new number, with the organization of the
/// current binding and its employee, checked and reviewed like any application (the code
/// goes to the new number). The old number stays active until the approval.
pub async fn replace_number(
    services: &Services,
    old: &PhoneNumber,
    new_phone: PhoneNumber,
    documents: Vec<crate::domain::Document>,
    caller: &Caller,
) -> Result<crate::domain::Application, super::SubmitError> {
    let (stored, sub) = own_number(services, old, caller).await?;
    if stored.lock.state != NumberState::Active {
        return Err(Refusal::InvalidState(stored.lock.state.as_str()).into());
    }
    let binding = services
        .store
        .get(stored.lock.application_id)
        .await?
        .ok_or(Refusal::NotFound)?
        .application;
    let command = super::SubmitApplication {
        organization: binding.organization,
        phone: new_phone,
        employee: stored.lock.employee.clone(),
        documents,
        signature: None,
        replaces: Some(old.clone()),
    };
    let inn = stored.lock.organization_inn.clone();
    let app = super::submit(services, command, &sub, &inn, None).await?;
    tracing::info!(application_id = %app.id, phone = %app.phone.masked(), replaces = %old.masked(), metric = "Replacements", "replacement applied for");
    Ok(app)
}
