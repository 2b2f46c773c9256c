//! `deactivate`: `POST /v1/numbers/{phone}/deactivation` and `.../deactivation/confirm`.

use uuid::Uuid;

use super::comment;
use crate::api::problem::{FieldCode, FieldError};
use crate::api::{ApiError, ApiRequest, ApiResponse, json_response, views};
use crate::app::{self, Caller, Services};
use crate::domain::{DeactivationReason, PhoneNumber};

pub(super) async fn request(
    services: &Services,
    req: &ApiRequest,
    caller: &Caller,
    phone: PhoneNumber,
) -> Result<ApiResponse, ApiError> {
    let (reason, comment) = super::object_body(req, |obj, errors| {
        let reason = obj
            .string("reason", FieldCode::InvalidValue, errors)
            .and_then(|r| {
                DeactivationReason::parse(r)
                    .ok_or_else(|| {
                        errors.push(FieldError::new(
                            "reason",
                            FieldCode::InvalidValue,
                            "Причина: division_closed, operator_change, policy_violation или other",
                            "Reason: division_closed, operator_change, policy_violation or other",
                        ))
                    })
                    .ok()
            });
        let comment = comment(obj, errors);
        reason.map(|r| (r, comment))
    })?;
    let (codes, request) =
        app::request_deactivation(services, &phone, reason, comment, caller).await?;
    let now = services.clock.now();
    Ok(json_response(
        202,
        &views::deactivation_requested(&codes, &request, &services.policy, now),
    ))
}

pub(super) async fn confirm(
    services: &Services,
    req: &ApiRequest,
    caller: &Caller,
    phone: PhoneNumber,
) -> Result<ApiResponse, ApiError> {
    let (id, code) = super::object_body(req, |obj, errors| {
        let id = obj
            .string("deactivation_id", FieldCode::InvalidValue, errors)
            .and_then(|s| {
                Uuid::parse_str(s)
                    .map_err(|_| {
                        errors.push(FieldError::new(
                            "deactivation_id",
                            FieldCode::InvalidValue,
                            "Ожидается UUID",
                            "Must be a UUID",
                        ))
                    })
                    .ok()
            });
        let code = super::code_field(obj, errors);
        Some((id?, code?))
    })?;
    let act = app::confirm_deactivation(services, &phone, id, &code, caller).await?;
    Ok(json_response(200, &views::act(&act)))
}
