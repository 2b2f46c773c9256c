//! The organization's own lists (SPEC 4.10): its applications and its numbers, newest first,
//! one query a page through the index by organization.

use super::{Caller, ListError, Refusal, Services};
use crate::domain::{Application, ApplicationStatus, NumberLock, NumberState};
use crate::ports::{InvalidCursor, Page, StoreError};

fn own_inn(caller: &Caller) -> Result<&crate::domain::Inn, ListError> {
    match caller {
        Caller::Organization { inn, .. } => Ok(inn),
        // Operators have the review queue; an organization's lists need an organization.
        Caller::Operator { .. } => Err(Refusal::NotFound.into()),
    }
}

fn refused<T>(e: StoreError<InvalidCursor>) -> Result<T, ListError> {
    match e {
        StoreError::Refused(InvalidCursor) => Err(ListError::InvalidCursor),
        StoreError::Dependency(e) => Err(e.into()),
    }
}

/// The caller's applications, newest first, in `status` as of now when given. A page may
/// hold fewer than `limit` when filtered; `next` goes on where the index left off.
pub async fn list_applications(
    services: &Services,
    caller: &Caller,
    status: Option<ApplicationStatus>,
    limit: u32,
    cursor: Option<&str>,
) -> Result<Page<Application>, ListError> {
    let inn = own_inn(caller)?;
    let now = services.clock.now();
    let page = match services.store.applications_of(inn, limit, cursor).await {
        Ok(page) => page,
        Err(e) => return refused(e),
    };
    Ok(Page {
        items: page
            .items
            .into_iter()
            .filter(|a| &a.organization.inn == inn)
            .filter(|a| status.is_none_or(|s| a.effective_status(now) == s))
            .collect(),
        next: page.next,
    })
}

/// The numbers the caller holds (or deactivated and no one took since), most recently
/// taken first, in `state` when given.
pub async fn list_numbers(
    services: &Services,
    caller: &Caller,
    state: Option<NumberState>,
    limit: u32,
    cursor: Option<&str>,
) -> Result<Page<NumberLock>, ListError> {
    let inn = own_inn(caller)?;
    let now = services.clock.now();
    let page = match services.store.numbers_of(inn, limit, cursor).await {
        Ok(page) => page,
        Err(e) => return refused(e),
    };
    Ok(Page {
        items: page
            .items
            .into_iter()
            .filter(|l| &l.organization_inn == inn)
            .filter(|l| l.holds(now) || l.state == NumberState::Deactivated)
            .filter(|l| state.is_none_or(|s| l.state == s))
            .collect(),
        next: page.next,
    })
}
