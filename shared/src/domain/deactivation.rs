//! Deactivating an active number, confirmed by an SMS code (SPEC 4.6).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Inn, OtpLedger, PhoneNumber};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeactivationReason {
    DivisionClosed,
    OperatorChange,
    PolicyViolation,
    Other,
}

impl DeactivationReason {
    pub const ALL: [Self; 4] = [
        Self::DivisionClosed,
        Self::OperatorChange,
        Self::PolicyViolation,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DivisionClosed => "division_closed",
            Self::OperatorChange => "operator_change",
            Self::PolicyViolation => "policy_violation",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The record of a confirmed deactivation, kept in the number's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeactivationAct {
    pub act_number: String,
    pub phone: PhoneNumber,
    pub organization_inn: Inn,
    pub reason: DeactivationReason,
    pub deactivated_at: DateTime<Utc>,
    pub deactivated_by: String,
}

/// A requested deactivation awaiting its code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deactivation {
    pub id: Uuid,
    pub phone: PhoneNumber,
    pub organization_inn: Inn,
    pub reason: DeactivationReason,
    pub comment: Option<String>,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub otp: OtpLedger,
    pub act: Option<DeactivationAct>,
    pub revision: u64,
}

impl Deactivation {
    /// `ДА-20261122-1A2B3C4D`: date and the start of the request id, unique and readable.
    pub fn act_number(&self, at: DateTime<Utc>) -> String {
        let id = self.id.simple().to_string().to_uppercase();
        format!("ДА-{}-{}", at.format("%Y%m%d"), &id[..8])
    }
}
