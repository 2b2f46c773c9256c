//! `verify-otp`: `POST /v1/applications/{id}/otp`, `POST /v1/applications/{id}/otp/resend`.

use uuid::Uuid;

use crate::api::fields::{Errors, Obj};
use crate::api::problem::FieldCode;
use crate::api::{ApiError, ApiRequest, ApiResponse, json_response, optional_json_body, views};
use crate::app::{self, Caller, Services};

pub(super) async fn verify(
    services: &Services,
    req: &ApiRequest,
    caller: &Caller,
    id: Uuid,
) -> Result<ApiResponse, ApiError> {
    let code = super::object_body(req, super::code_field)?;
    let app = app::verify_code(services, id, &code, caller).await?;
    Ok(json_response(200, &views::confirmed(&app)))
}

pub(super) async fn resend(
    services: &Services,
    req: &ApiRequest,
    caller: &Caller,
    id: Uuid,
) -> Result<ApiResponse, ApiError> {
    let body = optional_json_body(req)?;
    let mut errors = Errors::default();
    if let Some(obj) = Obj::new(&body, "", FieldCode::MissingField, &mut errors) {
        obj.finish(&mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors.0));
    }
    let app = app::resend_code(services, id, caller).await?;
    Ok(json_response(
        202,
        &views::resent(&app, &services.policy, services.clock.now()),
    ))
}
