//! RFC 9457 problem responses (SPEC 4.9): one error type for the HTTP layer, one place
//! that turns it into status, code, localized text and headers.

use chrono::Duration;
use serde_json::{Value, json};
use uuid::Uuid;

use super::Lang;

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

    fn to_json(&self, lang: Lang) -> Value {
        let mut v = json!({
            "field": self.field,
            "code": self.code.as_str(),
            "message": if lang.is_english() { &self.en } else { &self.ru },
        });
        if !self.missing.is_empty() {
            v["missing"] = json!(self.missing);
        }
        v
    }
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
    InvalidState(&'static str),
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
            Self::InvalidState(_) | Self::BindingChanged => "invalid_state",
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

    /// (title, detail) in the client's language.
    fn text(&self, lang: Lang) -> (&'static str, String) {
        let en = lang.is_english();
        let pick = |ru: &'static str, e: &'static str| if en { e } else { ru };
        match self {
            Self::MalformedJson(_) => (
                pick("Некорректный JSON", "Malformed JSON"),
                pick("Тело запроса не является корректным JSON-объектом.", "The request body is not a valid JSON object.").into(),
            ),
            Self::Unauthorized => (
                pick("Требуется авторизация", "Unauthorized"),
                pick("Токен доступа отсутствует или недействителен.", "The access token is missing or invalid.").into(),
            ),
            Self::Forbidden => (
                pick("Доступ запрещён", "Forbidden"),
                pick("У вас нет прав на это действие.", "You are not allowed to do this.").into(),
            ),
            Self::NotFound => (
                pick("Не найдено", "Not found"),
                pick("Запрошенный ресурс не найден.", "The requested resource does not exist.").into(),
            ),
            Self::MethodNotAllowed(_) => (
                pick("Метод не поддерживается", "Method not allowed"),
                pick("Этот метод не поддерживается для данного адреса.", "This method is not supported for this path.").into(),
            ),
            Self::PayloadTooLarge => (
                pick("Слишком большой запрос", "Payload too large"),
                pick("Тело запроса превышает 64 КиБ.", "The request body exceeds 64 KiB.").into(),
            ),
            Self::UnsupportedMediaType => (
                pick("Неподдерживаемый формат", "Unsupported media type"),
                pick("Тело запроса должно быть в формате application/json.", "The request body must be application/json.").into(),
            ),
            Self::Validation(_) => (
                pick("Ошибка в данных заявки", "Validation failed"),
                pick("Исправьте поля, указанные в errors.", "Correct the fields listed in errors.").into(),
            ),
            Self::NumberBoundToAnotherOrganization => (
                pick("Номер привязан к другой организации", "Number bound to another organization"),
                pick("Этот номер уже используется другой организацией.", "This number is in use by another organization.").into(),
            ),
            Self::ApplicationInProgress(_) => (
                pick("Заявка уже подана", "Application in progress"),
                pick("По этому номеру уже есть заявка вашей организации; её идентификатор в application_id.",
                     "Your organization already has an application for this number; see application_id.").into(),
            ),
            Self::NumberAlreadyActive => (
                pick("Номер уже активирован", "Number already active"),
                pick("Этот номер уже активирован для вашей организации.", "This number is already active for your organization.").into(),
            ),
            Self::InvalidState(status) => (
                pick("Действие недоступно в текущем статусе", "Invalid state"),
                if en {
                    format!("This action is not available while the status is {status}.")
                } else {
                    format!("Действие недоступно в статусе {status}.")
                },
            ),
            Self::RequestInProgress => (
                pick("Запрос уже обрабатывается", "Request in progress"),
                pick("Такой же запрос ещё выполняется; повторите позже.", "The same request is still being processed; retry later.").into(),
            ),
            Self::OtpExpired => (
                pick("Срок действия кода истёк", "Code expired"),
                pick("Запросите новый код.", "Request a new code.").into(),
            ),
            Self::OtpInvalid { .. } => (
                pick("Неверный код", "Wrong code"),
                pick("Код не подходит; число оставшихся попыток в attempts_left.", "The code is wrong; attempts_left tells how many tries remain.").into(),
            ),
            Self::OtpAttemptsExceeded => (
                pick("Попытки исчерпаны", "Attempts exceeded"),
                pick("Код больше не действует. Запросите новый код, если это ещё возможно.",
                     "The code no longer works. Request a new one if that is still possible.").into(),
            ),
            Self::CodesLocked { .. } => (
                pick("Попытки исчерпаны", "Attempts exceeded"),
                pick("Слишком много неверных кодов для этого номера. Новый код можно запросить после времени из Retry-After.",
                     "Too many wrong codes for this number. A new code can be requested after Retry-After.").into(),
            ),
            Self::BindingChanged => (
                pick("Привязка номера изменилась", "Binding changed"),
                pick("После запроса номер был перепривязан; запрос больше не действует. Отправьте новый запрос.",
                     "The number was rebound after the request, so the request no longer applies. Send a new one.").into(),
            ),
            Self::ResendTooEarly { .. } => (
                pick("Слишком рано для повторной отправки", "Too early to resend"),
                pick("Повторно отправить код можно через 2 минуты после предыдущей отправки (см. Retry-After).",
                     "A code can be resent 2 minutes after the previous one (see Retry-After).").into(),
            ),
            Self::RateLimited { .. } => (
                pick("Слишком много запросов", "Too many requests"),
                pick("Превышен лимит; повторите после времени из Retry-After.", "A limit was reached; retry after Retry-After.").into(),
            ),
            Self::IdempotencyKeyReused => (
                pick("Ключ идемпотентности уже использован", "Idempotency key reused"),
                pick("Этот Idempotency-Key уже использован с другим телом запроса.",
                     "This Idempotency-Key was already used with a different request body.").into(),
            ),
            Self::PreconditionFailed => (
                pick("Данные изменились", "Precondition failed"),
                pick("Номер изменился с версии из If-Match; получите его заново и повторите.",
                     "The number changed since the version in If-Match; fetch it again and retry.").into(),
            ),
            Self::PreconditionRequired => (
                pick("Требуется If-Match", "Precondition required"),
                pick("Укажите заголовок If-Match с версией номера (его ETag).",
                     "Send an If-Match header with the number's version (its ETag).").into(),
            ),
            Self::ServiceUnavailable(_) => (
                pick("Сервис временно недоступен", "Service unavailable"),
                pick("Повторите запрос позже. Данные не изменены.", "Please retry later. Nothing was changed.").into(),
            ),
            Self::Internal(_) => (
                pick("Внутренняя ошибка", "Internal error"),
                pick("Сбой сервиса; он записан. Повторите запрос позже.", "The service failed; this was logged. Please retry later.").into(),
            ),
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
        let mut body = json!({
            "type": format!("https://corpnum.example/problems/{}", self.code()),
            "title": title,
            "status": status,
            "detail": detail,
            "code": self.code(),
            "request_id": request_id,
        });
        let mut headers = Vec::new();
        match self {
            Self::Validation(errors) => {
                body["errors"] = errors.iter().map(|e| e.to_json(lang)).collect();
            }
            Self::ApplicationInProgress(id) => body["application_id"] = json!(id),
            Self::OtpInvalid { attempts_left } => body["attempts_left"] = json!(attempts_left),
            Self::InvalidState(status) => body["current_status"] = json!(status),
            Self::BindingChanged => body["current_status"] = json!("active"),
            Self::ResendTooEarly { retry_after }
            | Self::RateLimited { retry_after }
            | Self::CodesLocked { retry_after } => {
                let seconds = retry_after_seconds(*retry_after);
                body["retry_after"] = json!(seconds);
                headers.push(("Retry-After", seconds.to_string()));
            }
            Self::MethodNotAllowed(allowed) => headers.push(("Allow", allowed.join(", "))),
            _ => {}
        }
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

    #[test]
    fn english_on_request() {
        let (_, _, body) = ApiError::NotFound.render(Lang::En, "r");
        assert_eq!(body["title"], "Not found");
        let (_, _, body) = ApiError::NotFound.render(Lang::Ru, "r");
        assert_eq!(body["title"], "Не найдено");
    }
}
