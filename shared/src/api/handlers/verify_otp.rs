//! `verify-otp`: `POST /v1/applications/{id}/otp`, `POST /v1/applications/{id}/otp/resend`.

use uuid::Uuid;

use super::unavailable;
use crate::api::fields::{Errors, Obj};
use crate::api::problem::FieldCode;
use crate::api::{
    ApiError, ApiRequest, ApiResponse, json_body, json_response, optional_json_body, views,
};
use crate::app::{self, Caller, OtpError, ResendError, Services};

pub(super) async fn verify(
    services: &Services,
    req: &ApiRequest,
    caller: &Caller,
    id: Uuid,
) -> Result<ApiResponse, ApiError> {
    let body = json_body(req)?;
    let mut errors = Errors::default();
    let code = Obj::new(&body, "", FieldCode::MissingField, &mut errors).and_then(|mut obj| {
        let code = super::code_field(&mut obj, &mut errors);
        obj.finish(&mut errors);
        code
    });
    let code = match code {
        Some(code) if errors.is_empty() => code,
        _ => return Err(ApiError::Validation(errors.0)),
    };
    match app::verify_code(services, id, &code, caller).await {
        Ok(app) => Ok(json_response(200, &views::confirmed(&app))),
        Err(e) => Err(match e {
            OtpError::NotFound => ApiError::NotFound,
            OtpError::InvalidState(s) => ApiError::InvalidState(s.as_str()),
            OtpError::Invalid { attempts_left } => ApiError::OtpInvalid { attempts_left },
            OtpError::AttemptsExceeded => ApiError::OtpAttemptsExceeded,
            OtpError::Expired => ApiError::OtpExpired,
            OtpError::Contended => ApiError::RequestInProgress,
            OtpError::Dependency(e) => unavailable(e),
        }),
    }
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
    match app::resend_code(services, id, caller).await {
        Ok(app) => Ok(json_response(
            202,
            &views::resent(&app, &services.policy, services.clock.now()),
        )),
        Err(e) => Err(match e {
            ResendError::NotFound => ApiError::NotFound,
            ResendError::InvalidState(s) => ApiError::InvalidState(s.as_str()),
            ResendError::Locked => ApiError::OtpAttemptsExceeded,
            ResendError::TooEarly { retry_after } => ApiError::ResendTooEarly { retry_after },
            ResendError::RateLimited { retry_after } => ApiError::RateLimited { retry_after },
            ResendError::Contended => ApiError::RequestInProgress,
            ResendError::Dependency(e) => unavailable(e),
        }),
    }
}
