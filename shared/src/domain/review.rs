//! Review (SPEC 5): the automatic checks and the operator's decisions.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{Application, DeactivationReason, DocumentType, NumberEvent, missing_documents};

/// How far back a deactivation for a policy violation sends a new application to manual review.
pub const POLICY_VIOLATION_LOOKBACK: Duration = Duration::days(90);

/// What the automatic checks decide, in SPEC 5.3's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutomaticOutcome {
    DocumentsRequired(Vec<DocumentType>),
    SignatureInvalid,
    ManualReview { reason: ManualReason },
    Approved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualReason {
    NoSignature,
    RecentPolicyViolation,
}

impl ManualReason {
    pub fn comment(self) -> &'static str {
        match self {
            Self::NoSignature => "Электронная подпись не приложена",
            Self::RecentPolicyViolation => {
                "Номер отключался за нарушение правил в последние 90 дней"
            }
        }
    }
}

/// Runs the automatic checks on an application, given its number's history.
pub fn automatic_review(
    app: &Application,
    number_history: &[NumberEvent],
    now: DateTime<Utc>,
) -> AutomaticOutcome {
    let missing = missing_documents(app.organization.kind(), &app.documents);
    if !missing.is_empty() {
        return AutomaticOutcome::DocumentsRequired(missing);
    }
    if app.signature.as_ref().is_some_and(|s| s.is_expired(now)) {
        return AutomaticOutcome::SignatureInvalid;
    }
    if app.signature.is_none() {
        return AutomaticOutcome::ManualReview {
            reason: ManualReason::NoSignature,
        };
    }
    let recent_violation = number_history.iter().any(|e| {
        e.act.as_ref().is_some_and(|act| {
            act.reason == DeactivationReason::PolicyViolation
                && now - act.deactivated_at <= POLICY_VIOLATION_LOOKBACK
        })
    });
    if recent_violation {
        return AutomaticOutcome::ManualReview {
            reason: ManualReason::RecentPolicyViolation,
        };
    }
    AutomaticOutcome::Approved
}

/// Why an application was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionReason {
    IncompleteDocuments,
    RequisitesMismatch,
    SignatureInvalid,
    WrongNumberCategory,
    Other,
}

impl RejectionReason {
    pub const ALL: [Self; 5] = [
        Self::IncompleteDocuments,
        Self::RequisitesMismatch,
        Self::SignatureInvalid,
        Self::WrongNumberCategory,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::IncompleteDocuments => "incomplete_documents",
            Self::RequisitesMismatch => "requisites_mismatch",
            Self::SignatureInvalid => "signature_invalid",
            Self::WrongNumberCategory => "wrong_number_category",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// An operator's decision on an application in manual review (SPEC 4.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve {
        comment: Option<String>,
    },
    Reject {
        reason: RejectionReason,
        comment: Option<String>,
    },
    RequestDocuments {
        documents: Vec<DocumentType>,
        comment: Option<String>,
    },
}
