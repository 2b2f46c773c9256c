//! What the document says of each route beyond the route table: summary, parameters,
//! request body with an example, the success response and the problems it can answer.

use serde_json::{Value, json};

use crate::api::Route;

pub struct OperationDoc {
    pub id: &'static str,
    pub summary: &'static str,
    pub params: &'static [Param],
    pub body: Option<Body>,
    /// Status, description, body schema, extra headers.
    pub success: (u16, &'static str, &'static str, &'static [Header]),
    /// Problem statuses, with a description of their own where the common one says too little.
    pub problems: Vec<(u16, Option<&'static str>)>,
}

#[derive(Debug, Clone, Copy)]
pub enum Param {
    Id,
    Phone,
    ActNumber,
    IdempotencyKey,
    IfMatch,
    ReviewStatus,
    ReviewLimit,
    ReviewCursor,
    ApplicationStatusFilter,
    NumberStateFilter,
    AcceptLanguage,
}

impl Param {
    pub fn json(&self) -> Value {
        match self {
            Self::Id => {
                json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } })
            }
            Self::Phone => {
                json!({ "name": "phone", "in": "path", "required": true, "schema": { "type": "string" }, "description": "+79161234567, %2B79161234567 or 79161234567", "example": "+79161234567" })
            }
            Self::ActNumber => {
                json!({ "name": "act_number", "in": "path", "required": true, "schema": { "type": "string" }, "description": "The act's number, as in the confirmation's response (ДА-YYYYMMDD-XXXXXXXX), percent-encoded", "example": "ДА-20261122-1A2B3C4D" })
            }
            Self::IdempotencyKey => {
                json!({ "name": "Idempotency-Key", "in": "header", "required": false, "schema": { "type": "string", "minLength": 1, "maxLength": 255 } })
            }
            Self::IfMatch => {
                json!({ "name": "If-Match", "in": "header", "required": true, "schema": { "type": "string" }, "description": "The number's ETag" })
            }
            Self::ReviewStatus => {
                json!({ "name": "status", "in": "query", "schema": { "type": "string", "enum": crate::domain::REVIEW_QUEUE_STATUSES.iter().map(|s| s.as_str()).collect::<Vec<_>>() } })
            }
            Self::ReviewLimit => {
                json!({ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 100 } })
            }
            Self::ReviewCursor => {
                json!({ "name": "cursor", "in": "query", "schema": { "type": "string" } })
            }
            Self::ApplicationStatusFilter => {
                let statuses: Vec<&str> = crate::domain::ApplicationStatus::ALL
                    .iter()
                    .map(|s| s.as_str())
                    .collect();
                json!({ "name": "status", "in": "query", "schema": { "type": "string", "enum": statuses } })
            }
            Self::NumberStateFilter => {
                let states: Vec<&str> = crate::domain::NumberState::ALL
                    .iter()
                    .map(|s| s.as_str())
                    .collect();
                json!({ "name": "state", "in": "query", "schema": { "type": "string", "enum": states } })
            }
            Self::AcceptLanguage => {
                json!({ "name": "Accept-Language", "in": "header", "required": false, "schema": { "type": "string" }, "description": "en for English; Russian otherwise" })
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Header {
    RequestId,
    Location,
    ETag,
    RetryAfter,
}

impl Header {
    pub fn name(self) -> &'static str {
        match self {
            Self::RequestId => "X-Request-Id",
            Self::Location => "Location",
            Self::ETag => "ETag",
            Self::RetryAfter => "Retry-After",
        }
    }

    pub fn reference(self) -> Value {
        let component = match self {
            Self::RequestId => "RequestId",
            Self::Location => "Location",
            Self::ETag => "ETag",
            Self::RetryAfter => "RetryAfter",
        };
        json!({ "$ref": format!("#/components/headers/{component}") })
    }
}

pub enum Body {
    /// A schema, required, with an example.
    Json(&'static str, Value),
    /// An empty object, or nothing at all.
    Empty,
    /// A schema, or nothing at all.
    Optional(&'static str),
}

impl Body {
    pub fn json(&self) -> Value {
        match self {
            Self::Json(schema, example) => json!({
                "required": true,
                "content": { "application/json": {
                    "schema": { "$ref": format!("#/components/schemas/{schema}") },
                    "example": example,
                } },
            }),
            Self::Optional(schema) => json!({
                "required": false,
                "content": { "application/json": {
                    "schema": { "$ref": format!("#/components/schemas/{schema}") },
                } },
            }),
            Self::Empty => json!({
                "required": false,
                "content": { "application/json": { "schema": { "type": "object", "additionalProperties": false, "maxProperties": 0 } } },
            }),
        }
    }
}

/// What a problem status means on any route.
pub fn problem_description(status: u16) -> &'static str {
    match status {
        400 => "The body is not a JSON object (malformed_json)",
        401 => "No or bad token (unauthorized)",
        403 => "The token lacks the scope, or acts for another organization (forbidden)",
        404 => "Unknown, or another organization's (not_found)",
        409 => "Conflict with the current state (see code)",
        410 => "The code's five minutes are over (otp_expired)",
        412 => "If-Match names a stale version (precondition_failed)",
        413 => "Body over 64 KiB (payload_too_large)",
        415 => "Body not declared application/json (unsupported_media_type)",
        422 => {
            "Validation failed (errors lists every field), a wrong code (otp_invalid), or a reused idempotency key"
        }
        423 => "The code is spent or the application locked (otp_attempts_exceeded)",
        428 => "If-Match is required (precondition_required)",
        429 => "Too early or too many (resend_too_early, rate_limited)",
        503 => "A dependency failed; nothing was changed (service_unavailable)",
        _ => "See code",
    }
}

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn document(t: &str) -> Value {
    json!({ "type": t, "file_name": format!("{t}.pdf"), "media_type": "application/pdf", "size_bytes": 48213, "sha256": SHA })
}

/// The problems every route with a JSON body can answer, plus `extra`.
fn with_body(extra: &[(u16, Option<&'static str>)]) -> Vec<(u16, Option<&'static str>)> {
    let mut all: Vec<(u16, Option<&'static str>)> = [400, 401, 403, 413, 415, 422, 503]
        .iter()
        .map(|s| (*s, None))
        .collect();
    all.extend_from_slice(extra);
    all.sort_by_key(|(s, _)| *s);
    all
}

fn read(extra: &[(u16, Option<&'static str>)]) -> Vec<(u16, Option<&'static str>)> {
    let mut all: Vec<(u16, Option<&'static str>)> =
        [401, 403, 503].iter().map(|s| (*s, None)).collect();
    all.extend_from_slice(extra);
    all.sort_by_key(|(s, _)| *s);
    all
}

/// Success responses a route gives besides its main one: an operator's suspension and
/// resumption are made at once (200 with the number) where an organization gets a code.
pub fn other_successes(route: Route) -> &'static [(u16, &'static str, &'static str)] {
    match route {
        Route::RequestSuspension => &[(
            200,
            "An operator's suspension, made at once: the number",
            "Number",
        )],
        Route::RequestResumption => &[(
            200,
            "An operator's resumption, made at once: the number",
            "Number",
        )],
        _ => &[],
    }
}

/// The media types a route's success response comes in; a PDF where the client asks for it
/// with `Accept: application/pdf` (SPEC 4.5, 4.6).
pub fn success_media(route: Route) -> &'static [&'static str] {
    match route {
        Route::GetApplication | Route::GetAct => &["application/json", "application/pdf"],
        Route::GetReport => &["application/pdf"],
        _ => &["application/json"],
    }
}

const CODE_LOCK_423: &str = "The code is spent, or ten wrong codes for this number today (otp_attempts_exceeded; Retry-After tells when new codes can be had)";
const NEW_CODE_423: &str =
    "Ten wrong codes for this number today: no new code before Retry-After (otp_attempts_exceeded)";
const REPLACED_410: &str = "The code's five minutes are over, or a later request for the number replaced this one (otp_expired)";

pub fn operation(route: Route) -> OperationDoc {
    use Param::*;
    match route {
        Route::SubmitApplication => OperationDoc {
            id: "submitApplication",
            summary: "Apply for a number; an SMS code is sent",
            params: &[IdempotencyKey],
            body: Some(Body::Json(
                "ApplicationSubmission",
                json!({
                    "organization": { "inn": "7707083893", "ogrn": "1027700132195", "kpp": "773601001", "name": "ПАО Пример" },
                    "phone": "+7 916 123-45-67",
                    "employee": { "snils": "112-233-445 95", "full_name": "Иванов Иван Иванович" },
                    "documents": [document("registration_certificate"), document("charter"), document("power_of_attorney")],
                    "signature": null,
                    "consent_personal_data": true,
                }),
            )),
            success: (
                201,
                "Created; a code was sent (or delivery failed: otp.delivery)",
                "ApplicationCreated",
                &[Header::Location],
            ),
            problems: with_body(&[(409, None), (429, None)]),
        },
        Route::AddDocuments => OperationDoc {
            id: "addDocuments",
            summary: "Add the documents an operator asked for",
            params: &[Id],
            body: Some(Body::Json(
                "DocumentsAddition",
                json!({ "documents": [document("charter")] }),
            )),
            success: (200, "Back under review", "Application", &[]),
            problems: with_body(&[(404, None), (409, None)]),
        },
        Route::VerifyOtp => OperationDoc {
            id: "verifyCode",
            summary: "Confirm the SMS code",
            params: &[Id],
            body: Some(Body::Json("CodeSubmission", json!({ "code": "123456" }))),
            success: (200, "Confirmed; queued for review", "CodeConfirmed", &[]),
            problems: with_body(&[(404, None), (409, None), (410, None), (423, None)]),
        },
        Route::ResendOtp => OperationDoc {
            id: "resendCode",
            summary: "Send a new code; the old one stops working",
            params: &[Id],
            body: Some(Body::Empty),
            success: (202, "A new code was sent", "CodeResent", &[]),
            problems: with_body(&[(404, None), (409, None), (423, None), (429, None)]),
        },
        Route::GetApplication => OperationDoc {
            id: "getApplication",
            summary: "An application with its history; with Accept: application/pdf, the report as a PDF (as .../report.pdf)",
            params: &[Id],
            body: None,
            success: (200, "The application", "Application", &[]),
            problems: read(&[(404, None)]),
        },
        Route::GetReport => OperationDoc {
            id: "getApplicationReport",
            summary: "The application report as a PDF («Скачать PDF»): A4, Russian (English with Accept-Language: en), everything the JSON view holds with the history as a table and the support block; same visibility as the JSON view",
            params: &[Id],
            body: None,
            success: (
                200,
                "The report (Content-Disposition: attachment; filename=\"corpnum-<id>.pdf\")",
                "Application",
                &[],
            ),
            problems: read(&[(404, None)]),
        },
        Route::GetNumber => OperationDoc {
            id: "getNumber",
            summary: "A number's state, employee and history",
            params: &[Phone],
            body: None,
            success: (200, "The number", "Number", &[Header::ETag]),
            problems: read(&[(404, None), (422, None)]),
        },
        Route::ListApplications => OperationDoc {
            id: "listApplications",
            summary: "The organization's applications, newest first (status, submitted, operator, comment, expected completion)",
            params: &[ApplicationStatusFilter, ReviewLimit, ReviewCursor],
            body: None,
            success: (
                200,
                "A page of the organization's applications",
                "ApplicationList",
                &[],
            ),
            problems: read(&[(422, None)]),
        },
        Route::ListNumbers => OperationDoc {
            id: "listNumbers",
            summary: "The organization's numbers, most recently taken first",
            params: &[NumberStateFilter, ReviewLimit, ReviewCursor],
            body: None,
            success: (
                200,
                "A page of the organization's numbers",
                "NumberList",
                &[],
            ),
            problems: read(&[(422, None)]),
        },
        Route::GetAct => OperationDoc {
            id: "getDeactivationAct",
            summary: "A deactivation act, for the organization that deactivated the number (even after the number passed to another organization) and for operators; with Accept: application/pdf, as a PDF",
            params: &[Phone, ActNumber],
            body: None,
            success: (200, "The act", "DeactivationAct", &[]),
            problems: read(&[
                (
                    404,
                    Some("No such act of this number, or another organization's (not_found)"),
                ),
                (422, None),
            ]),
        },
        Route::RequestDeactivation => OperationDoc {
            id: "requestDeactivation",
            summary: "Start deactivating an active number; a code is sent to it",
            params: &[Phone],
            body: Some(Body::Json(
                "DeactivationRequest",
                json!({ "reason": "division_closed", "comment": "Отдел закрыт" }),
            )),
            success: (202, "A code was sent", "DeactivationRequested", &[]),
            problems: with_body(&[
                (404, None),
                (409, None),
                (
                    423,
                    Some(
                        "Ten wrong codes for this number today: no new code before Retry-After (otp_attempts_exceeded)",
                    ),
                ),
                (429, None),
            ]),
        },
        Route::ConfirmDeactivation => OperationDoc {
            id: "confirmDeactivation",
            summary: "Confirm with the code; returns the deactivation act",
            params: &[Phone],
            body: Some(Body::Json(
                "DeactivationConfirmation",
                json!({ "deactivation_id": "8d2f4c1a-7e3b-4a5c-9d6e-0f1a2b3c4d5e", "code": "654321" }),
            )),
            success: (200, "Deactivated", "DeactivationAct", &[]),
            problems: with_body(&[
                (404, None),
                (409, None),
                (
                    410,
                    Some(
                        "The code's five minutes are over, or a later request for the number replaced this one (otp_expired)",
                    ),
                ),
                (
                    423,
                    Some(
                        "The code is spent, or ten wrong codes for this number today (otp_attempts_exceeded; Retry-After tells when new codes can be had)",
                    ),
                ),
            ]),
        },
        Route::RebindEmployee => OperationDoc {
            id: "rebindEmployee",
            summary: "Bind another employee to an active number",
            params: &[Phone, IfMatch],
            body: Some(Body::Json(
                "Employee",
                json!({ "snils": "006-996-682 00", "full_name": "Петрова Анна Сергеевна" }),
            )),
            success: (200, "Rebound", "Number", &[Header::ETag]),
            problems: with_body(&[(404, None), (409, None), (412, None), (428, None)]),
        },
        Route::ListReviews => OperationDoc {
            id: "listReviews",
            summary: "The operator's queue, oldest first",
            params: &[ReviewStatus, ReviewLimit, ReviewCursor],
            body: None,
            success: (200, "A page of applications", "ReviewList", &[]),
            problems: read(&[(422, None)]),
        },
        Route::Decide => OperationDoc {
            id: "decide",
            summary: "Approve, reject or request documents (manual review only)",
            params: &[Id],
            body: Some(Body::Json(
                "Decision",
                json!({ "decision": "reject", "reason": "requisites_mismatch", "comment": "ОГРН не совпадает с выпиской" }),
            )),
            success: (200, "Decided", "Application", &[]),
            problems: with_body(&[
                (404, None),
                (
                    409,
                    Some(
                        "Not in manual review, or (approving a replacement) the number it replaces is no longer active: current_status is then that number's state (invalid_state)",
                    ),
                ),
            ]),
        },
        Route::RequestSuspension => OperationDoc {
            id: "requestSuspension",
            summary: "Suspend an active number (temporary deactivation). An organization gets a code sent to the number; an operator suspends at once for policy_violation, with a comment, and only an operator lifts that",
            params: &[Phone],
            body: Some(Body::Json(
                "SuspensionRequest",
                json!({ "reason": "division_closed", "comment": "Отдел на реорганизации" }),
            )),
            success: (
                202,
                "A code was sent (organization)",
                "SuspensionRequested",
                &[],
            ),
            problems: with_body(&[
                (404, None),
                (409, None),
                (423, Some(NEW_CODE_423)),
                (429, None),
            ]),
        },
        Route::ConfirmSuspension => OperationDoc {
            id: "confirmSuspension",
            summary: "Confirm a suspension with the code; the number becomes suspended (still bound, not usable)",
            params: &[Phone],
            body: Some(Body::Json(
                "SuspensionConfirmation",
                json!({ "suspension_id": "8d2f4c1a-7e3b-4a5c-9d6e-0f1a2b3c4d5e", "code": "654321" }),
            )),
            success: (200, "Suspended", "Number", &[Header::ETag]),
            problems: with_body(&[
                (404, None),
                (409, None),
                (410, Some(REPLACED_410)),
                (423, Some(CODE_LOCK_423)),
            ]),
        },
        Route::RequestResumption => OperationDoc {
            id: "requestResumption",
            summary: "Resume a suspended number. An organization gets a code sent to the number (not for an operator's suspension: 409); an operator resumes at once",
            params: &[Phone],
            body: Some(Body::Empty),
            success: (
                202,
                "A code was sent (organization)",
                "ResumptionRequested",
                &[],
            ),
            problems: with_body(&[
                (404, None),
                (409, None),
                (423, Some(NEW_CODE_423)),
                (429, None),
            ]),
        },
        Route::ConfirmResumption => OperationDoc {
            id: "confirmResumption",
            summary: "Confirm a resumption with the code; the number is active again with the same employee",
            params: &[Phone],
            body: Some(Body::Json(
                "ResumptionConfirmation",
                json!({ "resumption_id": "8d2f4c1a-7e3b-4a5c-9d6e-0f1a2b3c4d5e", "code": "654321" }),
            )),
            success: (200, "Active again", "Number", &[Header::ETag]),
            problems: with_body(&[
                (404, None),
                (409, None),
                (410, Some(REPLACED_410)),
                (423, Some(CODE_LOCK_423)),
            ]),
        },
        Route::ReplaceNumber => OperationDoc {
            id: "replaceNumber",
            summary: "Apply to replace an active number with a new one, keeping its employee: an application of kind replacement for the new number (code sent to it, reviewed by an operator). On approval the new number becomes active and this one is deactivated with an act of reason replacement, in one step; until then this one stays active",
            params: &[Phone],
            body: Some(Body::Json(
                "ReplacementRequest",
                json!({ "new_phone": "+7 916 765-43-21", "documents": [document("other")] }),
            )),
            success: (
                201,
                "Created; a code was sent to the new number",
                "ApplicationCreated",
                &[Header::Location],
            ),
            problems: with_body(&[
                (404, None),
                (
                    409,
                    Some(
                        "This number is not active, or the new one is taken or restricted (see code)",
                    ),
                ),
                (429, None),
            ]),
        },
        Route::PutRestriction => OperationDoc {
            id: "putRestriction",
            summary: "Restrict a number (used in a personal account, reported for fraud): applications for it get 409 number_restricted until lifted. Amends the restriction in force",
            params: &[Phone],
            body: Some(Body::Json(
                "RestrictionRequest",
                json!({ "reason": "personal_account", "comment": "Номер использовался в личном кабинете физлица" }),
            )),
            success: (200, "Restricted", "Restriction", &[]),
            problems: with_body(&[]),
        },
        Route::DeleteRestriction => OperationDoc {
            id: "deleteRestriction",
            summary: "Lift a number's restriction (after the official request to support); applications for it go through again",
            params: &[Phone],
            body: Some(Body::Optional("RestrictionLift")),
            success: (
                200,
                "Lifted: the number's restriction record",
                "RestrictionRecord",
                &[],
            ),
            problems: with_body(&[(
                404,
                Some("The number has no restriction in force (not_found)"),
            )]),
        },
        Route::GetRestriction => OperationDoc {
            id: "getRestriction",
            summary: "A number's restriction in force, if any, and every change of it",
            params: &[Phone],
            body: None,
            success: (200, "The restriction record", "RestrictionRecord", &[]),
            problems: read(&[
                (404, Some("The number was never restricted (not_found)")),
                (422, None),
            ]),
        },
        Route::ListRestrictions => OperationDoc {
            id: "listRestrictions",
            summary: "Restrictions in force, most recently set first",
            params: &[ReviewLimit, ReviewCursor],
            body: None,
            success: (200, "A page of restrictions", "RestrictionList", &[]),
            problems: read(&[(422, None)]),
        },
    }
}
