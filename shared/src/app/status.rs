use uuid::Uuid;

use super::{Caller, Services};
use crate::domain::PhoneNumber;
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
    Ok(stored.filter(|s| {
        caller.may_read(&s.lock.organization_inn)
            && (s.lock.holds(now) || s.lock.state == crate::domain::NumberState::Deactivated)
    }))
}
