//! `check-status`: `GET /v1/applications/{id}`, `GET /v1/numbers/{phone}`.

use std::collections::HashMap;

use uuid::Uuid;

use super::{path_phone, unavailable};
use crate::api::{Access, ApiError, ApiRequest, ApiResponse, Ctx, authorize, json_response, views};
use crate::app::{self, Services};

pub(super) async fn get_application(
    services: &Services,
    ctx: &Ctx,
    req: &ApiRequest,
    id: Uuid,
) -> Result<ApiResponse, ApiError> {
    let caller = authorize(req, Access::Read)?;
    super::application_response(services, ctx, id, &caller).await
}

pub(super) async fn get_number(
    services: &Services,
    ctx: &Ctx,
    req: &ApiRequest,
    params: &HashMap<String, String>,
) -> Result<ApiResponse, ApiError> {
    let caller = authorize(req, Access::Read)?;
    let phone = path_phone(params)?;
    let stored = app::number_status(services, &phone, &caller)
        .await
        .map_err(unavailable)?;
    let stored = stored.ok_or(ApiError::NotFound)?;
    Ok(number_response(&stored, views::number(&stored, ctx.lang)))
}

/// A number view with its version as a strong `ETag`.
pub(super) fn number_response(
    stored: &crate::ports::StoredNumber,
    body: serde_json::Value,
) -> ApiResponse {
    let mut response = json_response(200, &body);
    if let Ok(etag) = http::HeaderValue::from_str(&format!("\"{}\"", stored.lock.version)) {
        response.headers_mut().insert(http::header::ETAG, etag);
    }
    response
}
