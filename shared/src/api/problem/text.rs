//! What each problem says, in Russian and English.

use super::ApiError;
use crate::api::Lang;

impl ApiError {
    /// (title, detail) in the client's language.
    pub(super) fn text(&self, lang: Lang) -> (&'static str, String) {
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
            Self::NumberRestricted { .. } => (
                pick("Номер ограничен", "Number restricted"),
                pick("Номер использовался в личном кабинете или ограничен по другой причине; привязать его можно только после официального обращения в поддержку. Укажите в обращении номер из support.reference.",
                     "The number was used in a personal account or is restricted for another reason; it can be bound only after an official request to support. Quote support.reference in the request.").into(),
            ),
            Self::SuspendedByOperator => (
                pick("Номер приостановлен оператором", "Suspended by an operator"),
                pick("Номер приостановлен оператором из-за нарушения правил; возобновить его может только оператор поддержки.",
                     "An operator suspended the number for a rules violation; only a support operator can resume it.").into(),
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
}
