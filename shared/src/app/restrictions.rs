//! Restricted numbers (SPEC 4.13), operator scope: set, amend, lift, read and list.
//! A submission for a restricted number is refused inside the submission's own
//! transaction (see `submit`), so a restriction set meanwhile is never missed.

use super::{Attempt, ListError, Refusal, Services, optimistically};
use crate::domain::{
    Comment, PhoneNumber, Restriction, RestrictionChange, RestrictionEvent, RestrictionReason,
};
use crate::ports::{InvalidCursor, Page, StoreError, UpdateRefusal};

/// Puts a restriction on a number, or amends the one in force (reason, comment); its
/// reference stays. Every change goes to the number's history.
pub async fn set_restriction(
    services: &Services,
    phone: &PhoneNumber,
    reason: RestrictionReason,
    comment: Comment,
    operator: &str,
) -> Result<Restriction, Refusal> {
    optimistically(|| async {
        let now = services.clock.now();
        let (current, _) = services.store.restriction(phone).await?;
        let (restriction, change) = match current {
            Some(r) => (
                Restriction {
                    reason,
                    comment: comment.clone(),
                    updated_at: now,
                    revision: r.revision + 1,
                    ..r
                },
                RestrictionChange::Amended,
            ),
            None => (
                Restriction {
                    phone: phone.clone(),
                    reference: Restriction::reference_for(services.random.uuid()),
                    reason,
                    comment: comment.clone(),
                    restricted_by: operator.to_owned(),
                    restricted_at: now,
                    updated_at: now,
                    revision: 1,
                },
                RestrictionChange::Set,
            ),
        };
        let event = RestrictionEvent {
            at: now,
            change,
            reason,
            reference: restriction.reference.clone(),
            operator: operator.to_owned(),
            comment: Some(comment.clone()),
        };
        match services.store.save_restriction(&restriction, &event).await {
            Ok(()) => {
                tracing::info!(phone = %phone.masked(), reference = %restriction.reference, change = ?change, "number restricted");
                Ok(Attempt::Done(restriction))
            }
            Err(StoreError::Refused(UpdateRefusal::Stale)) => Ok(Attempt::Retry),
            Err(StoreError::Refused(UpdateRefusal::RateLimited { .. })) => Ok(Attempt::Retry),
            Err(StoreError::Dependency(e)) => Err(e.into()),
        }
    })
    .await
}

/// Lifts the number's restriction (after the official request to support): applications
/// for it go through again. Returns the restriction as it was and the lifting entry.
pub async fn lift_restriction(
    services: &Services,
    phone: &PhoneNumber,
    comment: Option<Comment>,
    operator: &str,
) -> Result<(Restriction, RestrictionEvent), Refusal> {
    optimistically(|| async {
        let now = services.clock.now();
        let (current, _) = services.store.restriction(phone).await?;
        let restriction = current.ok_or(Refusal::NotFound)?;
        let event = RestrictionEvent {
            at: now,
            change: RestrictionChange::Lifted,
            reason: restriction.reason,
            reference: restriction.reference.clone(),
            operator: operator.to_owned(),
            comment: comment.clone(),
        };
        match services.store.lift_restriction(&restriction, &event).await {
            Ok(()) => {
                tracing::info!(phone = %phone.masked(), reference = %restriction.reference, "number restriction lifted");
                Ok(Attempt::Done((restriction, event)))
            }
            Err(StoreError::Refused(_)) => Ok(Attempt::Retry),
            Err(StoreError::Dependency(e)) => Err(e.into()),
        }
    })
    .await
}

/// The number's restriction in force and its changes; absent if it was never restricted.
pub async fn restriction_of(
    services: &Services,
    phone: &PhoneNumber,
) -> Result<(Option<Restriction>, Vec<RestrictionEvent>), Refusal> {
    let (current, history) = services.store.restriction(phone).await?;
    if current.is_none() && history.is_empty() {
        return Err(Refusal::NotFound);
    }
    Ok((current, history))
}

/// Restrictions in force, most recently set first.
pub async fn list_restrictions(
    services: &Services,
    limit: u32,
    cursor: Option<&str>,
) -> Result<Page<Restriction>, ListError> {
    match services.store.restrictions(limit, cursor).await {
        Ok(page) => Ok(page),
        Err(StoreError::Refused(InvalidCursor)) => Err(ListError::InvalidCursor),
        Err(StoreError::Dependency(e)) => Err(e.into()),
    }
}
