//! `rebind-employee`: `PUT /v1/numbers/{phone}/employee` with `If-Match`.

use super::check_status::number_response;
use crate::api::fields::Errors;
use crate::api::submission::parse_employee;
use crate::api::{ApiError, ApiRequest, ApiResponse, Ctx, header, json_body, views};
use crate::app::{self, Caller, Services};
use crate::domain::PhoneNumber;

/// `If-Match`: `"7"` (or a bare `7`) names a version; `*` accepts the current one. Weak
/// tags never match (RFC 9110 uses strong comparison for If-Match).
fn expected_version(req: &ApiRequest) -> Result<Option<u64>, ApiError> {
    let raw = header(req, "if-match")
        .map(str::trim)
        .ok_or(ApiError::PreconditionRequired)?;
    if raw == "*" {
        return Ok(None);
    }
    let tag = raw
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(raw);
    tag.parse::<u64>()
        .map(Some)
        .map_err(|_| ApiError::PreconditionFailed)
}

pub(super) async fn rebind(
    services: &Services,
    ctx: &Ctx,
    req: &ApiRequest,
    caller: &Caller,
    phone: PhoneNumber,
) -> Result<ApiResponse, ApiError> {
    let expected = expected_version(req)?;
    let body = json_body(req)?;
    let mut errors = Errors::default();
    let employee = parse_employee(&body, "", &mut errors);
    let employee = match employee {
        Some(e) if errors.is_empty() => e,
        _ => return Err(ApiError::Validation(errors.0)),
    };
    match app::rebind_employee(services, &phone, expected, employee, caller).await {
        Ok(stored) => {
            let mut body = views::number(&stored, ctx.lang);
            body.message = Some(
                if ctx.lang.is_english() {
                    "Binding updated"
                } else {
                    "Привязка обновлена"
                }
                .to_owned(),
            );
            Ok(number_response(&stored, body))
        }
        Err(e) => Err(e.into()),
    }
}
