//! Applications: created, confirmed, resent, and the full view.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use uuid::Uuid;

use super::{EmployeeView, Nullable, Timestamp, at, at_opt};
use crate::api::Lang;
use crate::app::SupportContacts;
use crate::domain::{
    Application, ApplicationKind, ApplicationStatus, Delivery, Document, DocumentType, OtpLedger,
    OtpPolicy,
};
use crate::ports::StoredApplication;

/// The state of the outstanding code, never the code itself.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "OtpState")]
pub struct OtpState {
    /// When the current code stops working (5 minutes after it was sent).
    pub expires_at: Nullable<Timestamp>,
    /// When another code may be asked for (2 minutes after a delivered one).
    pub resend_available_at: Timestamp,
    #[schemars(range(max = 3))]
    pub attempts_left: u32,
    /// Whether the SMS service took the last SMS; after `failed` a resend is allowed at once.
    pub delivery: DeliveryView,
    pub sends_left: u32,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryView {
    Sent,
    Failed,
}

/// The state of a code ledger, without the code.
pub fn ledger(ledger: &OtpLedger, policy: &OtpPolicy, now: DateTime<Utc>) -> OtpState {
    OtpState {
        expires_at: Nullable(at_opt(ledger.expires_at())),
        resend_available_at: at(ledger.resend_available_at(policy).unwrap_or(now).max(now)),
        attempts_left: ledger.attempts_left(policy),
        delivery: match ledger.delivery {
            Delivery::Sent => DeliveryView::Sent,
            Delivery::Failed => DeliveryView::Failed,
        },
        sends_left: policy.sends_per_subject.saturating_sub(ledger.sends),
    }
}

/// `201` to a submission: the application awaits its code, which was sent to the number.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ApplicationCreated {
    pub id: Uuid,
    #[schemars(extend("const" = "awaiting_otp"))]
    pub status: ApplicationStatus,
    /// The number, canonical.
    #[schemars(regex(pattern = r"^\+7[0-9]{10}$"))]
    pub phone: String,
    /// `replacement` for an application made by `POST /v1/numbers/{phone}/replacement`.
    pub kind: ApplicationKind,
    /// For a replacement: the number it replaces once approved.
    pub replaces: Nullable<String>,
    pub otp: OtpState,
    pub created_at: Timestamp,
}

pub fn submitted(app: &Application, policy: &OtpPolicy, now: DateTime<Utc>) -> ApplicationCreated {
    ApplicationCreated {
        id: app.id,
        status: app.status,
        phone: app.phone.as_ref().to_owned(),
        kind: app.kind(),
        replaces: Nullable(app.replaces.as_ref().map(|p| p.as_ref().to_owned())),
        otp: ledger(&app.otp, policy, now),
        created_at: at(app.created_at),
    }
}

/// `200` to the right code: the application is queued for review.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CodeConfirmed {
    pub id: Uuid,
    #[schemars(extend("const" = "under_review"))]
    pub status: ApplicationStatus,
    /// When the automatic review is expected to be done.
    pub expected_completion_at: Nullable<Timestamp>,
}

pub fn confirmed(app: &Application) -> CodeConfirmed {
    CodeConfirmed {
        id: app.id,
        status: app.status,
        expected_completion_at: Nullable(at_opt(app.expected_completion_at)),
    }
}

/// `202` to a resend: a new code went out; the previous one no longer works.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CodeResent {
    pub id: Uuid,
    pub status: ApplicationStatus,
    pub otp: OtpState,
}

pub fn resent(app: &Application, policy: &OtpPolicy, now: DateTime<Utc>) -> CodeResent {
    CodeResent {
        id: app.id,
        status: app.status,
        otp: ledger(&app.otp, policy, now),
    }
}

/// A document's descriptor (the file itself is uploaded elsewhere).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Document")]
pub struct DocumentBody {
    #[serde(rename = "type")]
    pub doc_type: DocumentType,
    #[schemars(regex(pattern = r"\.[pP][dD][fF]$"), length(min = 5, max = 255))]
    pub file_name: String,
    #[schemars(extend("const" = "application/pdf"))]
    pub media_type: String,
    #[schemars(range(min = 1, max = 10_485_760))]
    pub size_bytes: u64,
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub sha256: String,
}

impl DocumentBody {
    fn of(d: &Document) -> Self {
        Self {
            doc_type: d.doc_type,
            file_name: d.file_name.clone(),
            media_type: d.media_type.clone(),
            size_bytes: d.size_bytes,
            sha256: d.sha256.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OrganizationView {
    pub inn: String,
    pub ogrn: String,
    pub kpp: Nullable<String>,
    pub name: String,
}

/// One transition of an application.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "HistoryEntry")]
pub struct HistoryEntryView {
    pub at: Timestamp,
    pub from: Nullable<ApplicationStatus>,
    pub to: ApplicationStatus,
    /// `applicant:<sub>`, `operator:<sub>` or `system:<job>`.
    #[schemars(regex(pattern = r"^(applicant|operator|system):"))]
    pub actor: String,
    pub comment: Nullable<String>,
}

/// Whom to ask, and the reference to quote, when the application needs attention.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SupportView {
    pub reference: String,
    pub phone: String,
    pub email: String,
}

/// An application with its history, as its organization (or an operator) sees it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Application")]
pub struct ApplicationView {
    pub id: Uuid,
    /// The reference to quote to support (`ЗКН-` and the id's first 8 hex digits), as the
    /// SMS notices give it.
    pub reference: String,
    /// The status as of now (an unconfirmed application past 24 hours reads `expired`).
    pub status: ApplicationStatus,
    pub status_label: String,
    pub phone: String,
    pub kind: ApplicationKind,
    /// For a replacement: the number it replaces once approved.
    pub replaces: Nullable<String>,
    pub organization: OrganizationView,
    pub employee: EmployeeView,
    pub documents: Vec<DocumentBody>,
    pub submitted_at: Timestamp,
    pub updated_at: Timestamp,
    /// While under review: when the review is expected to be done.
    pub expected_completion_at: Nullable<Timestamp>,
    /// The responsible operator.
    pub operator: Nullable<String>,

    pub comment: Nullable<String>,

    pub rejection_reason: Nullable<String>,
    pub documents_required: Vec<DocumentType>,
    /// While documents are required: until when they are awaited; after it the
    /// application expires and the number is released (30 days).
    pub documents_due_at: Nullable<Timestamp>,
    pub history: Vec<HistoryEntryView>,
    /// While awaiting the code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub otp: Option<OtpState>,
    /// When rejected or documents are required.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support: Option<SupportView>,
}

pub fn application(
    stored: &StoredApplication,
    now: DateTime<Utc>,
    lang: Lang,
    support: &SupportContacts,
    policy: &OtpPolicy,
) -> ApplicationView {
    let app = &stored.application;
    let status = app.effective_status(now);
    let org = &app.organization;
    ApplicationView {
        id: app.id,
        reference: app.reference(),
        status,
        status_label: status.label(lang.is_english()).to_owned(),
        phone: app.phone.as_ref().to_owned(),
        kind: app.kind(),
        replaces: Nullable(app.replaces.as_ref().map(|p| p.as_ref().to_owned())),
        organization: OrganizationView {
            inn: org.inn.as_ref().to_owned(),
            ogrn: org.ogrn.as_ref().to_owned(),
            kpp: Nullable(org.kpp.as_ref().map(|k| k.as_ref().to_owned())),
            name: org.name.as_ref().to_owned(),
        },
        employee: EmployeeView::of(&app.employee),
        documents: app.documents.iter().map(DocumentBody::of).collect(),
        submitted_at: at(app.created_at),
        updated_at: at(app.updated_at),
        expected_completion_at: Nullable(match status {
            ApplicationStatus::UnderReview | ApplicationStatus::ManualReview => {
                at_opt(app.expected_completion_at)
            }
            _ => None,
        }),
        operator: Nullable(app.operator.clone()),
        comment: Nullable(app.comment.clone()),
        rejection_reason: Nullable(app.rejection_reason.clone()),
        documents_required: app.documents_required.clone(),
        documents_due_at: Nullable(at_opt(app.documents_due_at())),
        history: stored
            .history
            .iter()
            .map(|h| HistoryEntryView {
                at: at(h.at),
                from: Nullable(h.from),
                to: h.to,
                actor: h.actor.to_string(),
                comment: Nullable(h.comment.clone()),
            })
            .collect(),
        otp: (status == ApplicationStatus::AwaitingOtp).then(|| ledger(&app.otp, policy, now)),
        support: matches!(
            status,
            ApplicationStatus::Rejected | ApplicationStatus::DocumentsRequired
        )
        .then(|| SupportView {
            reference: app.id.to_string(),
            phone: support.phone.clone(),
            email: support.email.clone(),
        }),
    }
}
