//! Reads: an application, a number, and a number's deactivation acts, each as the caller
//! may see it.

use uuid::Uuid;

use super::{Caller, Services};
use crate::domain::{DeactivationAct, NumberEvent, NumberState, PhoneNumber};
use crate::ports::{DependencyError, StoredApplication, StoredNumber};

/// An application with its history, if the caller may see it. Another organization's
/// application is reported as absent, not forbidden, so its existence is not revealed.
pub async fn application_status(
    services: &Services,
    id: Uuid,
    caller: &Caller,
) -> Result<Option<StoredApplication>, DependencyError> {
    let stored = services.store.get(id).await?;
    Ok(stored.filter(|s| caller.may_read(&s.application.organization.inn)))
}

/// A number's lock and history, if it is held or was deactivated and the caller may see it.
/// A pending lock whose confirmation window has passed no longer binds the number.
pub async fn number_status(
    services: &Services,
    phone: &PhoneNumber,
    caller: &Caller,
) -> Result<Option<StoredNumber>, DependencyError> {
    let now = services.clock.now();
    let stored = services.store.number(phone).await?;
    Ok(stored
        .filter(|s| {
            caller.may_read(&s.lock.organization_inn)
                && (s.lock.holds(now) || s.lock.state == NumberState::Deactivated)
        })
        .map(|s| visible_to(s, caller)))
}

/// The number as `caller` may see it: an organization sees only the history of its own
/// applications and bindings, never what earlier (or other) holders did with the number;
/// operators see everything. The code ledger is never shown; a restriction, only to
/// operators (SPEC 4.13).
pub fn visible_to(mut stored: StoredNumber, caller: &Caller) -> StoredNumber {
    if let Caller::Organization { inn, .. } = caller {
        stored.history.retain(|e| e.belongs_to(inn));
        stored.restriction = None;
        stored.restriction_history.clear();
    }
    stored.codes = None;
    stored
}

/// A deactivation act of a number, for the organization that deactivated it (and for
/// operators), whoever holds the number now; with the history entry it is on (its comment
/// and the binding's application).
pub async fn deactivation_act(
    services: &Services,
    phone: &PhoneNumber,
    act_number: &str,
    caller: &Caller,
) -> Result<Option<(DeactivationAct, NumberEvent)>, DependencyError> {
    let Some(stored) = services.store.number(phone).await? else {
        return Ok(None);
    };
    Ok(stored.history.into_iter().find_map(|e| {
        let act = e.act.clone()?;
        (act.act_number == act_number && caller.may_read(&act.organization_inn)).then_some((act, e))
    }))
}

/// The name of the organization an act's binding came from, from that application.
pub async fn organization_name(
    services: &Services,
    application_id: Option<Uuid>,
) -> Result<Option<String>, DependencyError> {
    let Some(id) = application_id else {
        return Ok(None);
    };
    Ok(services
        .store
        .get(id)
        .await?
        .map(|s| s.application.organization.name.as_ref().to_owned()))
}
