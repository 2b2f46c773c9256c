//! Restricted numbers (SPEC 4.13): a number used before in a personal account (or reported
//! for fraud) is not bound to an organization until support, on an official request,
//! lifts the restriction. A restriction is independent of the number's state: it refuses
//! new applications only, and leaves an existing binding as it is.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Comment, PhoneNumber};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestrictionReason {
    /// The number was used in a personal account.
    PersonalAccount,
    FraudReport,
    Other,
}

impl RestrictionReason {
    pub const ALL: [Self; 3] = [Self::PersonalAccount, Self::FraudReport, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PersonalAccount => "personal_account",
            Self::FraudReport => "fraud_report",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A number's restriction in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restriction {
    pub phone: PhoneNumber,
    /// The reference an applicant quotes to support: `ОГР-<8 hex>`, from the id of the
    /// restriction as first set (it stays while the restriction is only amended).
    pub reference: String,
    pub reason: RestrictionReason,
    pub comment: Comment,
    pub restricted_by: String,
    pub restricted_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Stored changes; guards concurrent writes.
    pub revision: u64,
}

impl Restriction {
    pub fn reference_for(id: Uuid) -> String {
        let id = id.simple().to_string().to_uppercase();
        format!("ОГР-{}", &id[..8])
    }
}

/// What happened to a number's restriction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestrictionChange {
    Set,
    Amended,
    Lifted,
}

/// One change of a number's restriction, kept in the number's history for operators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestrictionEvent {
    pub at: DateTime<Utc>,
    pub change: RestrictionChange,
    pub reason: RestrictionReason,
    pub reference: String,
    /// The operator's `sub`.
    pub operator: String,
    pub comment: Option<Comment>,
}
