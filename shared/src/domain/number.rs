use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Actor, Comment, DeactivationAct, DeactivationReason, Employee, Inn, PhoneNumber};

/// How long a number may stay suspended before the sweeper deactivates it (SPEC 4.11).
pub const SUSPENSION_LIMIT: chrono::Duration = chrono::Duration::days(180);

/// The lifecycle of a number (SPEC 3): held by an application in flight, active,
/// temporarily suspended (still bound), or released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum NumberState {
    Pending,
    Active,
    Suspended,
    Deactivated,
}

impl NumberState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Deactivated => "deactivated",
        }
    }

    pub const ALL: [Self; 4] = [
        Self::Pending,
        Self::Active,
        Self::Suspended,
        Self::Deactivated,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == s)
    }

    pub fn label(self, english: bool) -> &'static str {
        match (self, english) {
            (Self::Pending, false) => "Заявка в обработке",
            (Self::Active, false) => "Номер активирован",
            (Self::Suspended, false) => "Номер временно отключён",
            (Self::Deactivated, false) => "Номер деактивирован",
            (Self::Pending, true) => "Application in progress",
            (Self::Active, true) => "Number active",
            (Self::Suspended, true) => "Number suspended",
            (Self::Deactivated, true) => "Number deactivated",
        }
    }
}

/// The record that makes a number belong to at most one organization.
///
/// A `pending` lock taken by an application still awaiting its code carries `hold_until`;
/// past it the lock no longer holds, whether or not the sweeper has released it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberLock {
    pub phone: PhoneNumber,
    pub state: NumberState,
    pub organization_inn: Inn,
    pub application_id: Uuid,
    pub employee: Employee,
    pub hold_until: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// Increases with every change of the lock, across bindings; guards concurrent writes.
    pub version: u64,
    /// `version` just before the current binding's application took the lock.
    #[serde(default)]
    pub binding_base: u64,
    /// When the current binding's application took the number (its submission).
    #[serde(default)]
    pub bound_at: Option<DateTime<Utc>>,
    /// While `suspended`: why, by whom, since when.
    #[serde(default)]
    pub suspension: Option<Suspension>,
}

/// A temporary deactivation (SPEC 4.11): the number stays bound to its organization and
/// out of others' reach, but is not usable until resumed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    pub reason: DeactivationReason,
    pub comment: Option<Comment>,
    /// An operator's suspension (for a rules violation) is lifted only by an operator.
    pub by_operator: bool,
    pub suspended_by: String,
    pub suspended_at: DateTime<Utc>,
}

impl Suspension {
    /// When the sweeper turns the suspension into a deactivation.
    pub fn ends_at(&self) -> DateTime<Utc> {
        self.suspended_at + SUSPENSION_LIMIT
    }
}

/// Why a number cannot be applied for by an organization right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberUnavailable {
    BoundToAnotherOrganization,
    ApplicationInProgress(Uuid),
    AlreadyActive,
    /// The organization's own number, temporarily deactivated: resume it instead.
    Suspended,
}

impl NumberLock {
    /// The version clients see (`ETag`, `If-Match`): changes since the current binding's
    /// application took the number, from 1. Counting from the binding keeps a number's
    /// earlier holders' activity out of what a later one sees.
    pub fn binding_version(&self) -> u64 {
        self.version.saturating_sub(self.binding_base)
    }

    /// Whether the lock keeps other applications out at `now`.
    pub fn holds(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            NumberState::Active | NumberState::Suspended => true,
            NumberState::Pending => self.hold_until.is_none_or(|until| now < until),
            NumberState::Deactivated => false,
        }
    }

    /// The refusal an application by `inn` gets while this lock holds.
    pub fn refusal_for(&self, inn: &Inn, now: DateTime<Utc>) -> Option<NumberUnavailable> {
        if !self.holds(now) {
            return None;
        }
        Some(if &self.organization_inn != inn {
            NumberUnavailable::BoundToAnotherOrganization
        } else if self.state == NumberState::Active {
            NumberUnavailable::AlreadyActive
        } else if self.state == NumberState::Suspended {
            NumberUnavailable::Suspended
        } else {
            NumberUnavailable::ApplicationInProgress(self.application_id)
        })
    }
}

/// One entry in a number's history: a change of state or of the bound employee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberEvent {
    pub at: DateTime<Utc>,
    /// The organization whose application or binding the entry belongs to: only it (and
    /// operators) may see the entry. Entries without one are shown to operators only.
    #[serde(default)]
    pub organization_inn: Option<Inn>,
    pub from: Option<NumberState>,
    pub to: NumberState,
    pub actor: Actor,
    pub application_id: Option<Uuid>,
    pub comment: Option<String>,
    /// The deactivation act, on the entry that deactivated the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<DeactivationAct>,
}

impl NumberEvent {
    /// Whether the entry belongs to organization `inn`'s applications and bindings.
    pub fn belongs_to(&self, inn: &Inn) -> bool {
        self.organization_inn.as_ref() == Some(inn)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;
    use crate::domain::{FullName, Snils};

    fn lock(state: NumberState) -> NumberLock {
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
        NumberLock {
            phone: PhoneNumber::parse("+79161234567").unwrap(),
            state,
            organization_inn: Inn::parse("7707083893").unwrap(),
            application_id: uuid::Uuid::nil(),
            employee: Employee {
                snils: Snils::parse("112-233-445 95").unwrap(),
                full_name: FullName::parse("Иванов Иван").unwrap(),
            },
            hold_until: None,
            updated_at: at,
            version: 4,
            binding_base: 1,
            bound_at: Some(at),
            suspension: Some(Suspension {
                reason: DeactivationReason::Other,
                comment: None,
                by_operator: false,
                suspended_by: "u".into(),
                suspended_at: at,
            }),
        }
    }

    /// A suspended number stays bound: its organization is told so, others that it is taken.
    #[test]
    fn a_suspended_number_is_held() {
        let l = lock(NumberState::Suspended);
        let now = l.updated_at + Duration::days(365);
        assert!(l.holds(now), "however long it has been suspended");
        assert_eq!(
            l.refusal_for(&l.organization_inn, now),
            Some(NumberUnavailable::Suspended)
        );
        let other = Inn::parse("7701234560").unwrap();
        assert_eq!(
            l.refusal_for(&other, now),
            Some(NumberUnavailable::BoundToAnotherOrganization)
        );
        assert!(!lock(NumberState::Deactivated).holds(now));
    }

    #[test]
    fn a_suspension_ends_after_180_days() {
        let l = lock(NumberState::Suspended);
        let s = l.suspension.unwrap();
        assert_eq!(s.ends_at() - s.suspended_at, Duration::days(180));
    }

    #[test]
    fn every_state_has_a_name_that_parses_and_labels() {
        for state in NumberState::ALL {
            assert_eq!(NumberState::parse(state.as_str()), Some(state));
            assert_ne!(state.label(false), state.label(true));
        }
    }
}
