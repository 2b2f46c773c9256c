//! `check-status`: `GET /v1/applications/{id}` (served by `application_response`),
//! `GET /v1/numbers/{phone}`, `GET /v1/numbers/{phone}/acts/{act_number}`, and the
//! organization's lists `GET /v1/applications`, `GET /v1/numbers`.

use std::collections::HashMap;

use super::path_phone;
use crate::api::{ApiError, ApiRequest, ApiResponse, Ctx, documents, json_response, views};
use crate::app::{self, Caller, Services};
use crate::domain::{ApplicationStatus, NumberState};

pub(super) async fn get_number(
    services: &Services,
    ctx: &Ctx,
    caller: &Caller,
    params: &HashMap<String, String>,
) -> Result<ApiResponse, ApiError> {
    let phone = path_phone(params)?;
    let stored = app::number_status(services, &phone, caller).await?;
    let stored = stored.ok_or(ApiError::NotFound)?;
    Ok(number_response(&stored, views::number(&stored, ctx.lang)))
}

/// `GET /v1/applications`: the caller's applications, newest first (SPEC 4.10).
pub(super) async fn list_applications(
    services: &Services,
    ctx: &Ctx,
    req: &ApiRequest,
    caller: &Caller,
) -> Result<ApiResponse, ApiError> {
    let query = super::list_query(
        req,
        "status",
        ApplicationStatus::parse,
        (
            "status: awaiting_otp, under_review, manual_review, documents_required, approved, rejected или expired",
            "status: awaiting_otp, under_review, manual_review, documents_required, approved, rejected or expired",
        ),
    )?;
    let page = app::list_applications(
        services,
        caller,
        query.filter,
        query.limit,
        query.cursor.as_deref(),
    )
    .await?;
    Ok(json_response(
        200,
        &views::application_list(&page, services.clock.now(), ctx.lang),
    ))
}

/// `GET /v1/numbers`: the numbers the caller holds, most recently taken first (SPEC 4.10).
pub(super) async fn list_numbers(
    services: &Services,
    ctx: &Ctx,
    req: &ApiRequest,
    caller: &Caller,
) -> Result<ApiResponse, ApiError> {
    let query = super::list_query(
        req,
        "state",
        NumberState::parse,
        (
            "state: pending, active, suspended или deactivated",
            "state: pending, active, suspended or deactivated",
        ),
    )?;
    let page = app::list_numbers(
        services,
        caller,
        query.filter,
        query.limit,
        query.cursor.as_deref(),
    )
    .await?;
    Ok(json_response(200, &views::number_list(&page, ctx.lang)))
}

/// A deactivation act, for the organization that deactivated the number (or an operator),
/// even after the number has passed to another organization.
/// In JSON, or as a PDF with `Accept: application/pdf`.
pub(super) async fn get_act(
    services: &Services,
    ctx: &Ctx,
    req: &ApiRequest,
    caller: &Caller,
    params: &HashMap<String, String>,
) -> Result<ApiResponse, ApiError> {
    let phone = path_phone(params)?;
    let act_number = params
        .get("act_number")
        .map(|raw| percent_decode(raw))
        .ok_or(ApiError::NotFound)?;
    let (act, entry) = app::deactivation_act(services, &phone, &act_number, caller)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !crate::api::wants_pdf(req) {
        return Ok(json_response(200, &views::act(&act)));
    }
    let details = documents::ActDetails {
        organization_name: app::organization_name(services, entry.application_id).await?,
        comment: entry.comment.clone(),
        application_id: entry.application_id,
    };
    let pdf = documents::deactivation_act(&act, &details, services.clock.now(), ctx.lang);
    let file = format!("corpnum-act-{}.pdf", ascii_act_number(&act.act_number));
    Ok(crate::api::pdf_response(pdf, &file))
}

/// `ДА-20261122-1A2B3C4D` as `DA-20261122-1A2B3C4D`, for a file name any client keeps.
fn ascii_act_number(n: &str) -> String {
    n.replace("ДА", "DA")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// The application report as a PDF (`GET /v1/applications/{id}` with
/// `Accept: application/pdf`, or `.../report.pdf`), under the JSON view's visibility.
pub(super) async fn report(
    services: &Services,
    ctx: &Ctx,
    caller: &Caller,
    id: uuid::Uuid,
) -> Result<ApiResponse, ApiError> {
    let stored = app::application_status(services, id, caller)
        .await?
        .ok_or(ApiError::NotFound)?;
    let pdf =
        documents::application_report(&stored, services.clock.now(), ctx.lang, &services.support);
    Ok(crate::api::pdf_response(pdf, &format!("corpnum-{id}.pdf")))
}

/// A path segment with its `%XX` escapes decoded (act numbers carry Cyrillic letters);
/// an ill-formed escape is kept as it is and so matches no act.
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| raw.to_owned())
}

/// A number view with its binding's version as a strong `ETag`.
pub(super) fn number_response(
    stored: &crate::ports::StoredNumber,
    body: crate::api::views::NumberView,
) -> ApiResponse {
    let mut response = json_response(200, &body);
    if let Ok(etag) = http::HeaderValue::from_str(&format!("\"{}\"", stored.lock.binding_version()))
    {
        response.headers_mut().insert(http::header::ETAG, etag);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn act_numbers_decode_from_the_path() {
        assert_eq!(
            percent_decode("%D0%94%D0%90-20261201-1A2B3C4D"),
            "ДА-20261201-1A2B3C4D"
        );
        assert_eq!(percent_decode("ДА-1"), "ДА-1");
        assert_eq!(percent_decode("%zz%D0"), "%zz%D0");
    }
}
