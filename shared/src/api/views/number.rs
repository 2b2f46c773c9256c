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
    OtpPolicy,
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
    pub history: Vec<NumberEventView>,
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

pub fn deactivation_requested(
    codes: &NumberCodes,
    request: &NumberRequest,
    policy: &OtpPolicy,
    now: DateTime<Utc>,
) -> DeactivationRequested {
    let NumberAction::Deactivate { reason, .. } = &request.action;
    DeactivationRequested {
        deactivation_id: request.id,
        phone: codes.phone.as_ref().to_owned(),
        reason: *reason,
        otp: ledger(&codes.ledger, policy, now),
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
