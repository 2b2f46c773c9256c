//! `deactivate`: `POST /v1/numbers/{phone}/deactivation` and `.../deactivation/confirm`.

use uuid::Uuid;

use super::comment;
use crate::api::fields::{Errors, Obj};
use crate::api::problem::{FieldCode, FieldError};
use crate::api::{ApiError, ApiRequest, ApiResponse, json_body, json_response, views};
use crate::app::{self, Caller, Services};
use crate::domain::{DeactivationReason, PhoneNumber};

pub(super) async fn request(
    services: &Services,
    req: &ApiRequest,
    caller: &Caller,
    phone: PhoneNumber,
) -> Result<ApiResponse, ApiError> {
    let body = json_body(req)?;
    let mut errors = Errors::default();
    let parsed = Obj::new(&body, "", FieldCode::MissingField, &mut errors).and_then(|mut obj| {
        let reason = obj
            .string("reason", FieldCode::InvalidValue, &mut errors)
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
        let comment = comment(&mut obj, &mut errors);
        obj.finish(&mut errors);
        reason.map(|r| (r, comment))
    });
    let (reason, comment) = match parsed {
        Some(p) if errors.is_empty() => p,
        _ => return Err(ApiError::Validation(errors.0)),
    };
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
    let body = json_body(req)?;
    let mut errors = Errors::default();
    let parsed = Obj::new(&body, "", FieldCode::MissingField, &mut errors).and_then(|mut obj| {
        let id = obj
            .string("deactivation_id", FieldCode::InvalidValue, &mut errors)
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
        let code = super::code_field(&mut obj, &mut errors);
        obj.finish(&mut errors);
        Some((id?, code?))
    });
    let (id, code) = match parsed {
        Some(p) if errors.is_empty() => p,
        _ => return Err(ApiError::Validation(errors.0)),
    };
    let act = app::confirm_deactivation(services, &phone, id, &code, caller).await?;
    Ok(json_response(200, &views::act(&act)))
}
