//! Numbers: the view, deactivation requested, and the deactivation act.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use uuid::Uuid;

use super::application::ledger;
use super::{EmployeeView, Nullable, OtpState, Timestamp, at};
use crate::api::Lang;
use crate::domain::{
    DeactivationAct, DeactivationReason, NumberAction, NumberCodes, NumberRequest, NumberState,
    OtpPolicy, Restriction, RestrictionChange, RestrictionEvent, RestrictionReason, Suspension,
};
use crate::ports::StoredNumber;

/// One entry of a number's history: a change of state or of the bound employee.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "NumberEvent")]
pub struct NumberEventView {
    pub at: Timestamp,
    pub from: Nullable<NumberState>,
    pub to: NumberState,
    pub actor: String,
    pub application_id: Nullable<Uuid>,

    pub comment: Nullable<String>,
    /// On the entry that deactivated the number.
    pub act: Nullable<DeactivationActView>,
}

/// A number, as the organization it belongs to (or an operator) sees it: an organization
/// sees only the history of its own applications and bindings.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Number")]
pub struct NumberView {
    #[schemars(regex(pattern = r"^\+7[0-9]{10}$"))]
    pub phone: String,
    pub state: NumberState,
    pub state_label: String,
    pub organization_inn: String,
    pub employee: EmployeeView,
    pub application_id: Uuid,
    pub updated_at: Timestamp,
    /// Changes since the current binding's application took the number, from 1; the
    /// `ETag`, and what `If-Match` must carry to rebind.
    #[schemars(range(min = 1))]
    pub version: u64,
    /// While `suspended`: why, by whom, and when the sweeper will deactivate it.
    pub suspension: Nullable<SuspensionView>,
    pub history: Vec<NumberEventView>,
    /// Operators only, for a number ever restricted: the restriction in force and its
    /// changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restriction: Option<RestrictionRecord>,
    /// After a rebind: «Привязка обновлена».
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

pub fn number(stored: &StoredNumber, lang: Lang) -> NumberView {
    let lock = &stored.lock;
    NumberView {
        phone: lock.phone.as_ref().to_owned(),
        state: lock.state,
        state_label: lock.state.label(lang.is_english()).to_owned(),
        organization_inn: lock.organization_inn.as_ref().to_owned(),
        employee: EmployeeView::of(&lock.employee),
        application_id: lock.application_id,
        updated_at: at(lock.updated_at),
        version: lock.binding_version(),
        suspension: Nullable(lock.suspension.as_ref().map(suspension)),
        restriction: (stored.restriction.is_some() || !stored.restriction_history.is_empty()).then(
            || {
                restriction_record(
                    &lock.phone,
                    stored.restriction.as_ref(),
                    &stored.restriction_history,
                )
            },
        ),
        history: stored
            .history
            .iter()
            .map(|e| NumberEventView {
                at: at(e.at),
                from: Nullable(e.from),
                to: e.to,
                actor: e.actor.to_string(),
                application_id: Nullable(e.application_id),
                comment: Nullable(e.comment.clone()),
                act: Nullable(e.act.as_ref().map(act)),
            })
            .collect(),
        message: None,
    }
}

/// `202` to a deactivation request: a code went to the number.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DeactivationRequested {
    /// What to confirm with the code; a later request replaces this one.
    pub deactivation_id: Uuid,
    pub phone: String,
    pub reason: DeactivationReason,
    pub otp: OtpState,
}

/// `202` to a suspension request: a code went to the number.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SuspensionRequested {
    /// What to confirm with the code; a later request (of any kind) replaces this one.
    pub suspension_id: Uuid,
    pub phone: String,
    pub reason: DeactivationReason,
    pub otp: OtpState,
}

/// `202` to a resumption request: a code went to the number.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ResumptionRequested {
    /// What to confirm with the code; a later request (of any kind) replaces this one.
    pub resumption_id: Uuid,
    pub phone: String,
    pub otp: OtpState,
}

/// The `202` body of a request for a change confirmed by code.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum ChangeRequested {
    Deactivation(DeactivationRequested),
    Suspension(SuspensionRequested),
    Resumption(ResumptionRequested),
}

pub fn change_requested(
    codes: &NumberCodes,
    request: &NumberRequest,
    policy: &OtpPolicy,
    now: DateTime<Utc>,
) -> ChangeRequested {
    let phone = codes.phone.as_ref().to_owned();
    let otp = ledger(&codes.ledger, policy, now);
    match &request.action {
        NumberAction::Deactivate { reason, .. } => {
            ChangeRequested::Deactivation(DeactivationRequested {
                deactivation_id: request.id,
                phone,
                reason: *reason,
                otp,
            })
        }
        NumberAction::Suspend { reason, .. } => ChangeRequested::Suspension(SuspensionRequested {
            suspension_id: request.id,
            phone,
            reason: *reason,
            otp,
        }),
        NumberAction::Resume => ChangeRequested::Resumption(ResumptionRequested {
            resumption_id: request.id,
            phone,
            otp,
        }),
    }
}

/// A temporary deactivation in force.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Suspension")]
pub struct SuspensionView {
    pub reason: DeactivationReason,
    pub comment: Nullable<String>,
    /// `operator`: suspended for a rules violation, resumed only by an operator.
    pub suspended_by: SuspendedBy,
    pub suspended_at: Timestamp,
    /// When, still suspended, the number is deactivated (180 days on).
    pub ends_at: Timestamp,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuspendedBy {
    Organization,
    Operator,
}

fn suspension(s: &Suspension) -> SuspensionView {
    SuspensionView {
        reason: s.reason,
        comment: Nullable(s.comment.as_ref().map(|c| c.as_ref().to_owned())),
        suspended_by: if s.by_operator {
            SuspendedBy::Operator
        } else {
            SuspendedBy::Organization
        },
        suspended_at: at(s.suspended_at),
        ends_at: at(s.ends_at()),
    }
}

/// A number's restriction in force (SPEC 4.13).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Restriction")]
pub struct RestrictionView {
    #[schemars(regex(pattern = r"^\+7[0-9]{10}$"))]
    pub phone: String,
    /// What an applicant quotes to support: `ОГР-<8 hex>`.
    pub reference: String,
    pub reason: RestrictionReason,
    pub comment: String,
    /// The operator who set it.
    pub restricted_by: String,
    pub restricted_at: Timestamp,
    pub updated_at: Timestamp,
}

pub fn restriction(r: &Restriction) -> RestrictionView {
    RestrictionView {
        phone: r.phone.as_ref().to_owned(),
        reference: r.reference.clone(),
        reason: r.reason,
        comment: r.comment.as_ref().to_owned(),
        restricted_by: r.restricted_by.clone(),
        restricted_at: at(r.restricted_at),
        updated_at: at(r.updated_at),
    }
}

/// One change of a number's restriction.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "RestrictionEvent")]
pub struct RestrictionEventView {
    pub at: Timestamp,
    pub change: RestrictionChange,
    pub reason: RestrictionReason,
    pub reference: String,
    /// `operator:<sub>`.
    pub actor: String,
    pub comment: Nullable<String>,
}

fn restriction_event(e: &RestrictionEvent) -> RestrictionEventView {
    RestrictionEventView {
        at: at(e.at),
        change: e.change,
        reason: e.reason,
        reference: e.reference.clone(),
        actor: format!("operator:{}", e.operator),
        comment: Nullable(e.comment.as_ref().map(|c| c.as_ref().to_owned())),
    }
}

/// A number's restriction, if one is in force, and every change of it, oldest first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RestrictionRecord {
    #[schemars(regex(pattern = r"^\+7[0-9]{10}$"))]
    pub phone: String,
    /// `null` once lifted.
    pub restriction: Nullable<RestrictionView>,
    pub history: Vec<RestrictionEventView>,
}

pub fn restriction_record(
    phone: &crate::domain::PhoneNumber,
    current: Option<&Restriction>,
    history: &[RestrictionEvent],
) -> RestrictionRecord {
    RestrictionRecord {
        phone: phone.as_ref().to_owned(),
        restriction: Nullable(current.map(restriction)),
        history: history.iter().map(restriction_event).collect(),
    }
}

/// Restrictions in force, most recently set first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RestrictionList {
    pub items: Vec<RestrictionView>,
    /// For the next page; `null` on the last.
    pub next_cursor: Nullable<String>,
}

pub fn restriction_list(page: &crate::ports::Page<Restriction>) -> RestrictionList {
    RestrictionList {
        items: page.items.iter().map(restriction).collect(),
        next_cursor: Nullable(page.next.clone()),
    }
}

/// The record of a confirmed deactivation.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "DeactivationAct")]
pub struct DeactivationActView {
    /// `ДА-<YYYYMMDD>-<8 hex>`.
    pub act_number: String,
    pub phone: String,
    pub organization_inn: String,
    pub reason: DeactivationReason,
    pub deactivated_at: Timestamp,
    pub deactivated_by: String,
}

pub fn act(a: &DeactivationAct) -> DeactivationActView {
    DeactivationActView {
        act_number: a.act_number.clone(),
        phone: a.phone.as_ref().to_owned(),
        organization_inn: a.organization_inn.as_ref().to_owned(),
        reason: a.reason,
        deactivated_at: at(a.deactivated_at),
        deactivated_by: a.deactivated_by.clone(),
    }
}
