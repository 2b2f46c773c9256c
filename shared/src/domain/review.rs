//! Review (SPEC 5): the automatic checks and the operator's decisions.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Application, ApplicationStatus, Comment, DeactivationReason, DocumentType, NumberEvent,
    missing_documents,
};

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
    /// A replacement: an operator checks the documents proving the right to the new number.
    Replacement,
}

impl ManualReason {
    /// The comment on the application's history entry, which its applicant reads. The
    /// policy-violation rule is about the number's earlier holder, whose history is not
    /// the applicant's to see (operators find the act in the number's history), so its
    /// comment says only that the number needs checking.
    pub fn comment(self) -> &'static str {
        match self {
            Self::NoSignature => "Электронная подпись не приложена",
            Self::RecentPolicyViolation => "Номер требует дополнительной проверки оператором",
            Self::Replacement => "Замена номера: оператор проверит документы на новый номер",
        }
    }
}

/// Runs the automatic checks on an application, given its number's history.
pub fn automatic_review(
    app: &Application,
    number_history: &[NumberEvent],
    now: DateTime<Utc>,
) -> AutomaticOutcome {
    // The organization's documents were checked when it bound the number it replaces;
    // the right to the new number is for an operator to judge.
    if app.replaces.is_some() {
        return AutomaticOutcome::ManualReview {
            reason: ManualReason::Replacement,
        };
    }
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
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

    /// The reason in few words, for an SMS notice (one segment with the rest of it).
    pub fn sms_label(self) -> &'static str {
        match self {
            Self::IncompleteDocuments => "неполный комплект документов",
            Self::RequisitesMismatch => "реквизиты не совпадают",
            Self::SignatureInvalid => "подпись недействительна",
            Self::WrongNumberCategory => "номер не корпоративный",
            Self::Other => "подробности на портале",
        }
    }

    /// The reason in words, for documents a person reads.
    pub fn label(self, english: bool) -> &'static str {
        match (self, english) {
            (Self::IncompleteDocuments, false) => "Неполный комплект документов",
            (Self::RequisitesMismatch, false) => "Реквизиты не совпадают с данными реестра",
            (Self::SignatureInvalid, false) => "Электронная подпись недействительна",
            (Self::WrongNumberCategory, false) => "Номер не относится к корпоративным",
            (Self::Other, false) => "Иная причина",
            (Self::IncompleteDocuments, true) => "Incomplete documents",
            (Self::RequisitesMismatch, true) => "Requisites do not match the register",
            (Self::SignatureInvalid, true) => "Electronic signature invalid",
            (Self::WrongNumberCategory, true) => "Not a corporate number",
            (Self::Other, true) => "Other reason",
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
        comment: Option<Comment>,
    },
    Reject {
        reason: RejectionReason,
        comment: Option<Comment>,
    },
    RequestDocuments {
        documents: Vec<DocumentType>,
        comment: Option<Comment>,
    },
}

/// The statuses of the operators' review queue (SPEC 4.8): what is being, or waits to be,
/// reviewed. Final statuses and unconfirmed applications are not theirs to list.
pub const REVIEW_QUEUE_STATUSES: [ApplicationStatus; 3] = [
    ApplicationStatus::ManualReview,
    ApplicationStatus::UnderReview,
    ApplicationStatus::DocumentsRequired,
];

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};

    use super::*;
    use crate::domain::{
        Actor, ApplicationStatus, Document, Employee, FullName, Inn, Kpp, NumberState, Ogrn,
        Organization, OrganizationName, OtpLedger, OtpPolicy, PhoneNumber, Signature, Snils,
    };
    use crate::domain::{DeactivationAct, DeactivationReason};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn app(docs: &[&str], signature_until: Option<&str>) -> Application {
        let doc =
            |t: &str| Document::parse(t, "a.pdf", "application/pdf", 1, &"a".repeat(64)).unwrap();
        Application {
            id: uuid::Uuid::nil(),
            organization: Organization::new(
                Inn::parse("7707083893").unwrap(),
                Ogrn::parse("1027700132195").unwrap(),
                Some(Kpp::parse("773601001").unwrap()),
                OrganizationName::parse("ООО").unwrap(),
            )
            .unwrap(),
            phone: PhoneNumber::parse("+79161234567").unwrap(),
            employee: Employee {
                snils: Snils::parse("11223344595").unwrap(),
                full_name: FullName::parse("А Б").unwrap(),
            },
            documents: docs.iter().map(|d| doc(d)).collect(),
            signature: signature_until.map(|u| Signature::parse(&"a".repeat(40), "УЦ", u).unwrap()),
            status: ApplicationStatus::UnderReview,
            submitted_by: "u".into(),
            created_at: now(),
            updated_at: now(),
            status_since: now(),
            otp: OtpLedger::first("d".into(), now(), &OtpPolicy::default()),
            expected_completion_at: None,
            operator: None,
            comment: None,
            rejection_reason: None,
            documents_required: vec![],
            overdue: false,
            review_attempts: 1,
            last_queued_at: None,
            replaces: None,
            revision: 1,
        }
    }

    const FULL: [&str; 3] = ["registration_certificate", "charter", "power_of_attorney"];

    fn violation(days_ago: i64, reason: DeactivationReason) -> NumberEvent {
        let at = now() - Duration::days(days_ago);
        NumberEvent {
            at,
            organization_inn: None,
            from: Some(NumberState::Active),
            to: NumberState::Deactivated,
            actor: Actor::Applicant("x".into()),
            application_id: None,
            comment: None,
            act: Some(DeactivationAct {
                act_number: "ДА-1".into(),
                phone: PhoneNumber::parse("+79161234567").unwrap(),
                organization_inn: Inn::parse("7707083893").unwrap(),
                reason,
                deactivated_at: at,
                deactivated_by: "x".into(),
            }),
        }
    }

    #[test]
    fn checks_run_in_the_spec_order() {
        assert_eq!(
            automatic_review(&app(&["charter"], Some("2000-01-01")), &[], now()),
            AutomaticOutcome::DocumentsRequired(vec![
                DocumentType::RegistrationCertificate,
                DocumentType::PowerOfAttorney,
                DocumentType::AppointmentOrder
            ]),
            "missing documents come before an expired signature"
        );
        assert_eq!(
            automatic_review(&app(&FULL, Some("2000-01-01")), &[], now()),
            AutomaticOutcome::SignatureInvalid
        );
        assert_eq!(
            automatic_review(&app(&FULL, None), &[], now()),
            AutomaticOutcome::ManualReview {
                reason: ManualReason::NoSignature
            }
        );
        assert_eq!(
            automatic_review(&app(&FULL, Some("2030-01-01")), &[], now()),
            AutomaticOutcome::Approved
        );
    }

    #[test]
    fn a_policy_violation_within_90_days_needs_an_operator() {
        let signed = app(&FULL, Some("2030-01-01"));
        let manual = AutomaticOutcome::ManualReview {
            reason: ManualReason::RecentPolicyViolation,
        };
        assert_eq!(
            automatic_review(
                &signed,
                &[violation(90, DeactivationReason::PolicyViolation)],
                now()
            ),
            manual
        );
        assert_eq!(
            automatic_review(
                &signed,
                &[violation(91, DeactivationReason::PolicyViolation)],
                now()
            ),
            AutomaticOutcome::Approved
        );
        assert_eq!(
            automatic_review(
                &signed,
                &[violation(1, DeactivationReason::DivisionClosed)],
                now()
            ),
            AutomaticOutcome::Approved
        );
    }
}
