//! RFC 9457 problem responses (SPEC 4.9): one error type for the HTTP layer, one place
//! that turns it into status, code, localized text and headers.

use chrono::Duration;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::Lang;

mod text;

/// Field-level reasons inside a `validation_failed` problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldCode {
    InvalidPhone,
    InvalidInn,
    InvalidOgrn,
    InvalidKpp,
    InvalidSnils,
    InvalidFullName,
    InvalidOrganizationName,
    InnOgrnMismatch,
    KppNotAllowed,
    MissingField,
    ConsentRequired,
    MissingDocuments,
    InvalidDocument,
    InvalidSignature,
    InvalidCode,
    InvalidIdempotencyKey,
    UnknownField,
    InvalidValue,
    InvalidParameter,
}

impl FieldCode {
    pub const ALL: [Self; 19] = [
        Self::InvalidPhone,
        Self::InvalidInn,
        Self::InvalidOgrn,
        Self::InvalidKpp,
        Self::InvalidSnils,
        Self::InvalidFullName,
        Self::InvalidOrganizationName,
        Self::InnOgrnMismatch,
        Self::KppNotAllowed,
        Self::MissingField,
        Self::ConsentRequired,
        Self::MissingDocuments,
        Self::InvalidDocument,
        Self::InvalidSignature,
        Self::InvalidCode,
        Self::InvalidIdempotencyKey,
        Self::UnknownField,
        Self::InvalidValue,
        Self::InvalidParameter,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidPhone => "invalid_phone",
            Self::InvalidInn => "invalid_inn",
            Self::InvalidOgrn => "invalid_ogrn",
            Self::InvalidKpp => "invalid_kpp",
            Self::InvalidSnils => "invalid_snils",
            Self::InvalidFullName => "invalid_full_name",
            Self::InvalidOrganizationName => "invalid_organization_name",
            Self::InnOgrnMismatch => "inn_ogrn_mismatch",
            Self::KppNotAllowed => "kpp_not_allowed",
            Self::MissingField => "missing_field",
            Self::ConsentRequired => "consent_required",
            Self::MissingDocuments => "missing_documents",
            Self::InvalidDocument => "invalid_document",
            Self::InvalidSignature => "invalid_signature",
            Self::InvalidCode => "invalid_code",
            Self::InvalidIdempotencyKey => "invalid_idempotency_key",
            Self::UnknownField => "unknown_field",
            Self::InvalidValue => "invalid_value",
            Self::InvalidParameter => "invalid_parameter",
        }
    }
}

/// One field's problem, with its message in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: FieldCode,
    pub ru: String,
    pub en: String,
    /// For `missing_documents`: the document types lacking.
    pub missing: Vec<&'static str>,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: FieldCode,
        ru: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code,
            ru: ru.into(),
            en: en.into(),
            missing: Vec::new(),
        }
    }

    pub fn missing(field: impl Into<String>) -> Self {
        Self::new(
            field,
            FieldCode::MissingField,
            "Обязательное поле не заполнено",
            "This field is required",
        )
    }

    fn body(&self, lang: Lang) -> FieldErrorBody {
        FieldErrorBody {
            field: self.field.clone(),
            code: self.code,
            message: if lang.is_english() {
                &self.en
            } else {
                &self.ru
            }
            .clone(),
            missing: self.missing.clone(),
        }
    }
}

impl Serialize for FieldCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl JsonSchema for FieldCode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FieldCode".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let codes: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
        schemars::json_schema!({ "type": "string", "enum": codes })
    }
}

/// One field's problem, as sent.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "FieldError")]
pub struct FieldErrorBody {
    /// JSON path of the field (organization.inn, documents[0].sha256) or the header / query
    /// parameter.
    pub field: String,
    pub code: FieldCode,
    pub message: String,
    /// For `missing_documents`: the document types lacking.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<&'static str>,
}

/// The problem code of a response, one of [`ApiError::CODES`].
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ProblemCode(&'static str);

impl JsonSchema for ProblemCode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ProblemCode".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "enum": ApiError::CODES })
    }
}

/// An RFC 9457 problem document (SPEC 4.9).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(rename = "Problem")]
pub struct ProblemBody {
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: ProblemCode,
    pub request_id: String,
    /// For `validation_failed`: every field error of the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldErrorBody>>,
    /// For `application_in_progress`: the organization's application for the number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_id: Option<Uuid>,
    /// For `otp_invalid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    /// With `Retry-After`: seconds to wait.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub retry_after: Option<i64>,
    /// For `invalid_state`: the status or state that does not allow the action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_status: Option<String>,
    /// For `number_restricted`: whom to ask, and the reference to quote.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support: Option<crate::api::views::SupportView>,
}

/// Every way a request can fail, as clients see it.
#[derive(Debug)]
pub enum ApiError {
    MalformedJson(String),
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed(Vec<&'static str>),
    PayloadTooLarge,
    UnsupportedMediaType,
    Validation(Vec<FieldError>),
    NumberBoundToAnotherOrganization,
    ApplicationInProgress(Uuid),
    NumberAlreadyActive,
    /// An operator restricted the number (SPEC 4.13): support contacts and the reference.
    NumberRestricted(Box<crate::api::views::SupportView>),
    InvalidState(&'static str),
    /// Only an operator resumes a number an operator suspended.
    SuspendedByOperator,
    RequestInProgress,
    OtpExpired,
    OtpInvalid {
        attempts_left: u32,
    },
    OtpAttemptsExceeded,
    /// Too many wrong codes for a number today: no more codes for it until `retry_after`.
    CodesLocked {
        retry_after: Duration,
    },
    /// The number's binding changed (rebound, or bound anew) since the request.
    BindingChanged,
    ResendTooEarly {
        retry_after: Duration,
    },
    RateLimited {
        retry_after: Duration,
    },
    IdempotencyKeyReused,
    PreconditionFailed,
    PreconditionRequired,
    /// A dependency failed; the cause (scrubbed, with its chain) is logged, never shown.
    ServiceUnavailable(crate::ports::DependencyError),
    /// A fault of the service itself (a bug); logged, never shown.
    Internal(String),
}

impl ApiError {
    /// Every problem code a response can carry.
    pub const CODES: &'static [&'static str] = &[
        "malformed_json",
        "unauthorized",
        "forbidden",
        "not_found",
        "method_not_allowed",
        "payload_too_large",
        "unsupported_media_type",
        "validation_failed",
        "number_bound_to_another_organization",
        "application_in_progress",
        "number_already_active",
        "invalid_state",
        "request_in_progress",
        "number_restricted",
        "otp_expired",
        "otp_invalid",
        "otp_attempts_exceeded",
        "resend_too_early",
        "rate_limited",
        "idempotency_key_reused",
        "precondition_failed",
        "precondition_required",
        "service_unavailable",
        "internal_error",
    ];

    pub fn status(&self) -> u16 {
        match self {
            Self::MalformedJson(_) => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed(_) => 405,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::Validation(_) | Self::OtpInvalid { .. } | Self::IdempotencyKeyReused => 422,
            Self::NumberBoundToAnotherOrganization
            | Self::ApplicationInProgress(_)
            | Self::NumberAlreadyActive
            | Self::NumberRestricted(_)
            | Self::SuspendedByOperator
            | Self::InvalidState(_)
            | Self::BindingChanged
            | Self::RequestInProgress => 409,
            Self::OtpExpired => 410,
            Self::PreconditionFailed => 412,
            Self::PreconditionRequired => 428,
            Self::OtpAttemptsExceeded | Self::CodesLocked { .. } => 423,
            Self::ResendTooEarly { .. } | Self::RateLimited { .. } => 429,
            Self::ServiceUnavailable(_) => 503,
            Self::Internal(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "malformed_json",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Validation(_) => "validation_failed",
            Self::NumberBoundToAnotherOrganization => "number_bound_to_another_organization",
            Self::ApplicationInProgress(_) => "application_in_progress",
            Self::NumberAlreadyActive => "number_already_active",
            Self::NumberRestricted(_) => "number_restricted",
            Self::InvalidState(_) | Self::BindingChanged | Self::SuspendedByOperator => {
                "invalid_state"
            }
            Self::RequestInProgress => "request_in_progress",
            Self::OtpExpired => "otp_expired",
            Self::OtpInvalid { .. } => "otp_invalid",
            Self::OtpAttemptsExceeded | Self::CodesLocked { .. } => "otp_attempts_exceeded",
            Self::ResendTooEarly { .. } => "resend_too_early",
            Self::RateLimited { .. } => "rate_limited",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::PreconditionFailed => "precondition_failed",
            Self::PreconditionRequired => "precondition_required",
            Self::ServiceUnavailable(_) => "service_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    /// The problem body plus the headers it needs, for this request.
    pub fn render(
        &self,
        lang: Lang,
        request_id: &str,
    ) -> (u16, Vec<(&'static str, String)>, Value) {
        let (title, detail) = self.text(lang);
        let status = self.status();
        let mut body = ProblemBody {
            problem_type: format!("https://corpnum.example/problems/{}", self.code()),
            title: title.to_owned(),
            status,
            detail,
            code: ProblemCode(self.code()),
            request_id: request_id.to_owned(),
            errors: None,
            application_id: None,
            attempts_left: None,
            retry_after: None,
            current_status: None,
            support: None,
        };
        let mut headers = Vec::new();
        match self {
            Self::Validation(errors) => {
                body.errors = Some(errors.iter().map(|e| e.body(lang)).collect());
            }
            Self::ApplicationInProgress(id) => body.application_id = Some(*id),
            Self::OtpInvalid { attempts_left } => body.attempts_left = Some(*attempts_left),
            Self::InvalidState(status) => body.current_status = Some((*status).to_owned()),
            Self::BindingChanged => body.current_status = Some("active".to_owned()),
            Self::SuspendedByOperator => body.current_status = Some("suspended".to_owned()),
            Self::NumberRestricted(support) => body.support = Some((**support).clone()),
            Self::ResendTooEarly { retry_after }
            | Self::RateLimited { retry_after }
            | Self::CodesLocked { retry_after } => {
                let seconds = retry_after_seconds(*retry_after);
                body.retry_after = Some(seconds);
                headers.push(("Retry-After", seconds.to_string()));
            }
            Self::MethodNotAllowed(allowed) => headers.push(("Allow", allowed.join(", "))),
            _ => {}
        }
        let body = serde_json::to_value(&body).unwrap_or(Value::Null);
        (status, headers, body)
    }
}

/// Whole seconds, rounded up, at least one.
pub fn retry_after_seconds(d: Duration) -> i64 {
    let ms = d.num_milliseconds().max(1);
    (ms + 999) / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::milliseconds(1)), 1);
        assert_eq!(retry_after_seconds(Duration::seconds(90)), 90);
        assert_eq!(retry_after_seconds(Duration::milliseconds(90_001)), 91);
        assert_eq!(retry_after_seconds(Duration::zero()), 1);
    }

    #[test]
    fn service_unavailable_never_shows_its_cause() {
        let (status, _, body) = ApiError::ServiceUnavailable(crate::ports::DependencyError::new(
            "dynamodb",
            "connection refused at 10.0.0.1",
        ))
        .render(Lang::Ru, "req-1");
        assert_eq!(status, 503);
        assert!(!body.to_string().contains("dynamodb"));
        assert_eq!(body["request_id"], "req-1");
    }

    /// Every variant's code is listed in `CODES` (the document's enum is made from it).
    #[test]
    fn every_code_is_listed() {
        let d = Duration::seconds(1);
        let all = [
            ApiError::MalformedJson(String::new()),
            ApiError::Unauthorized,
            ApiError::Forbidden,
            ApiError::NotFound,
            ApiError::MethodNotAllowed(vec![]),
            ApiError::PayloadTooLarge,
            ApiError::UnsupportedMediaType,
            ApiError::Validation(vec![]),
            ApiError::NumberBoundToAnotherOrganization,
            ApiError::ApplicationInProgress(Uuid::nil()),
            ApiError::NumberAlreadyActive,
            ApiError::NumberRestricted(Box::new(crate::api::views::SupportView {
                reference: "r".into(),
                phone: "p".into(),
                email: "e".into(),
            })),
            ApiError::SuspendedByOperator,
            ApiError::InvalidState("x"),
            ApiError::RequestInProgress,
            ApiError::OtpExpired,
            ApiError::OtpInvalid { attempts_left: 1 },
            ApiError::OtpAttemptsExceeded,
            ApiError::CodesLocked { retry_after: d },
            ApiError::BindingChanged,
            ApiError::ResendTooEarly { retry_after: d },
            ApiError::RateLimited { retry_after: d },
            ApiError::IdempotencyKeyReused,
            ApiError::PreconditionFailed,
            ApiError::PreconditionRequired,
            ApiError::ServiceUnavailable(crate::ports::DependencyError::new("x", "y")),
            ApiError::Internal(String::new()),
        ];
        for e in &all {
            assert!(ApiError::CODES.contains(&e.code()), "{}", e.code());
        }
        let mut used: Vec<&str> = all.iter().map(ApiError::code).collect();
        used.sort_unstable();
        used.dedup();
        assert_eq!(
            used.len(),
            ApiError::CODES.len(),
            "no code listed that is never used"
        );
    }

    #[test]
    fn english_on_request() {
        let (_, _, body) = ApiError::NotFound.render(Lang::En, "r");
        assert_eq!(body["title"], "Not found");
        let (_, _, body) = ApiError::NotFound.render(Lang::Ru, "r");
        assert_eq!(body["title"], "Не найдено");
    }
}
