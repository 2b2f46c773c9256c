//! The request bodies, as the document describes them. Parsing stays in `submission` and
//! the handlers (every field error at once, with its own code); these types only describe
//! what a valid body looks like.

#![allow(dead_code)] // Described, never built.

use schemars::JsonSchema;
use uuid::Uuid;

use crate::api::views::DocumentBody;
use crate::domain::{DocumentType, RejectionReason, RestrictionReason};

/// The applying organization.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Organization")]
pub struct OrganizationBody {
    /// 10 digits (legal entity) or 12 (entrepreneur), check digits verified.
    #[schemars(regex(pattern = r"^([0-9]{10}|[0-9]{12})$"))]
    inn: String,
    /// OGRN (13) or OGRNIP (15); may also be sent as ogrnip.
    #[schemars(regex(pattern = r"^([0-9]{13}|[0-9]{15})$"))]
    ogrn: String,
    #[schemars(regex(pattern = r"^[0-9]{15}$"))]
    ogrnip: Option<String>,
    /// Required for a legal entity, absent for an entrepreneur.
    #[schemars(regex(pattern = r"^[0-9]{4}[0-9A-Z]{2}[0-9]{3}$"))]
    kpp: Option<String>,
    #[schemars(length(min = 1, max = 500))]
    name: String,
}

/// The employee the number is bound to.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Employee")]
pub struct EmployeeBody {
    /// 11 digits, spaces and dashes allowed: 112-233-445 95.
    snils: String,
    #[schemars(length(min = 2, max = 150))]
    full_name: String,
}

/// A qualified electronic signature offered with the application.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Signature")]
pub struct SignatureBody {
    #[schemars(regex(pattern = r"^[0-9a-fA-F]{40}$"))]
    certificate_thumbprint: String,
    #[schemars(length(min = 1, max = 500))]
    issuer: String,
    /// RFC 3339 date or date-time.
    valid_until: String,
}

/// An application to bind a number to the organization and one employee.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationSubmission {
    organization: OrganizationBody,
    /// Russian number: +7 916 123-45-67, 8 (916) 123-45-67, 79161234567.
    phone: String,
    employee: EmployeeBody,
    #[schemars(length(max = 10))]
    documents: Vec<DocumentBody>,
    signature: Option<SignatureBody>,
    #[schemars(extend("const" = true))]
    consent_personal_data: bool,
}

/// Documents an operator asked for.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentsAddition {
    #[schemars(length(min = 1, max = 10))]
    documents: Vec<DocumentBody>,
}

/// The code the SMS carried.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeSubmission {
    #[schemars(regex(pattern = r"^[0-9]{6}$"))]
    code: String,
}

/// The reasons a client may give for a deactivation or suspension (an act may also say
/// `replacement`, which only a replacement's approval gives).
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestedReason {
    DivisionClosed,
    OperatorChange,
    PolicyViolation,
    Other,
}

/// Why the number is to be deactivated.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeactivationRequest {
    reason: RequestedReason,
    #[schemars(length(max = 2000))]
    comment: Option<String>,
}

/// The deactivation to confirm, with its code.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeactivationConfirmation {
    deactivation_id: Uuid,
    #[schemars(regex(pattern = r"^[0-9]{6}$"))]
    code: String,
}

#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Approve,
    Reject,
    RequestDocuments,
}

/// An operator's decision on an application in manual review.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    decision: DecisionKind,
    /// Required to reject.
    reason: Option<RejectionReason>,
    /// Required to request documents.
    #[schemars(length(min = 1))]
    documents: Option<Vec<DocumentType>>,
    #[schemars(length(max = 2000))]
    comment: Option<String>,
}

/// Why the number is to be suspended. An operator (who suspends at once, without a code)
/// must give `policy_violation` and a comment.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspensionRequest {
    reason: RequestedReason,
    #[schemars(length(max = 2000))]
    comment: Option<String>,
}

/// The suspension to confirm, with its code.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuspensionConfirmation {
    suspension_id: Uuid,
    #[schemars(regex(pattern = r"^[0-9]{6}$"))]
    code: String,
}

/// The resumption to confirm, with its code.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumptionConfirmation {
    resumption_id: Uuid,
    #[schemars(regex(pattern = r"^[0-9]{6}$"))]
    code: String,
}

/// A restriction to put on a number, or the amended one.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestrictionRequest {
    reason: RestrictionReason,
    /// Why, for the support team (the official request, the account concerned).
    #[schemars(length(min = 1, max = 2000))]
    comment: String,
}

/// Lifting a restriction, optionally saying why (the support request that allows it).
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestrictionLift {
    #[schemars(length(max = 2000))]
    comment: Option<String>,
}

/// A replacement: the new number, and documents proving the right to it.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplacementRequest {
    /// The new number, in any form a submission accepts.
    new_phone: String,
    #[schemars(length(min = 1, max = 10))]
    documents: Vec<DocumentBody>,
}
