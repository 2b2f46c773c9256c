//! One module per deployed function, one handler per route: parse at the edge,
//! call one use case, map the result once.

mod check_status;
mod deactivate;
mod rebind_employee;
mod review_decision;
mod submit_application;
mod verify_otp;

use std::collections::HashMap;

use uuid::Uuid;

use super::{ApiError, ApiRequest, ApiResponse, Ctx, Route};
use crate::app::{Caller, Services};
use crate::domain::{Comment, PhoneNumber};

/// A function's dispatcher: serves one of the function's routes.
pub type Dispatch = for<'a> fn(
    Route,
    &'a Services,
    &'a Ctx,
    &'a ApiRequest,
    &'a Caller,
    &'a HashMap<String, String>,
) -> Pending<'a>;

/// A response on its way.
pub type Pending<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<ApiResponse, ApiError>> + Send + 'a>>;

/// The dispatcher of `function`. A deployed function is built with its own (the name of
/// its module below), so the other functions' handlers, and what only they use (the PDF
/// engine and its fonts), are not linked into it.
pub fn dispatcher(function: super::Function) -> Dispatch {
    use super::Function as F;
    match function {
        F::SubmitApplication => submit_application_routes,
        F::VerifyOtp => verify_otp_routes,
        F::CheckStatus => check_status_routes,
        F::Deactivate => deactivate_routes,
        F::RebindEmployee => rebind_employee_routes,
        F::ReviewDecision => review_decision_routes,
    }
}

/// The `submit-application` function's routes.
pub fn submit_application_routes<'a>(
    route: Route,
    services: &'a Services,
    ctx: &'a Ctx,
    req: &'a ApiRequest,
    caller: &'a Caller,
    params: &'a HashMap<String, String>,
) -> Pending<'a> {
    Box::pin(async move {
        let _ = (ctx, params);
        match route {
            Route::SubmitApplication => {
                submit_application::submit(services, ctx, req, caller).await
            }
            Route::AddDocuments => {
                let id = application_id(params)?;
                submit_application::add_documents(services, ctx, req, caller, id).await
            }
            _ => Err(ApiError::NotFound),
        }
    })
}

/// The `verify-otp` function's routes.
pub fn verify_otp_routes<'a>(
    route: Route,
    services: &'a Services,
    ctx: &'a Ctx,
    req: &'a ApiRequest,
    caller: &'a Caller,
    params: &'a HashMap<String, String>,
) -> Pending<'a> {
    Box::pin(async move {
        let _ = (ctx, params);
        match route {
            Route::VerifyOtp => {
                verify_otp::verify(services, req, caller, application_id(params)?).await
            }
            Route::ResendOtp => {
                verify_otp::resend(services, req, caller, application_id(params)?).await
            }
            _ => Err(ApiError::NotFound),
        }
    })
}

/// The `check-status` function's routes.
pub fn check_status_routes<'a>(
    route: Route,
    services: &'a Services,
    ctx: &'a Ctx,
    req: &'a ApiRequest,
    caller: &'a Caller,
    params: &'a HashMap<String, String>,
) -> Pending<'a> {
    Box::pin(async move {
        let _ = (ctx, params);
        match route {
            Route::GetApplication if super::wants_pdf(req) => {
                check_status::report(services, ctx, caller, application_id(params)?).await
            }
            Route::GetApplication => {
                super::handlers::application_response(
                    services,
                    ctx,
                    application_id(params)?,
                    caller,
                )
                .await
            }
            Route::GetReport => {
                check_status::report(services, ctx, caller, application_id(params)?).await
            }
            Route::GetNumber => check_status::get_number(services, ctx, caller, params).await,
            Route::GetAct => check_status::get_act(services, ctx, req, caller, params).await,
            Route::ListApplications => {
                check_status::list_applications(services, ctx, req, caller).await
            }
            Route::ListNumbers => check_status::list_numbers(services, ctx, req, caller).await,
            _ => Err(ApiError::NotFound),
        }
    })
}

/// The `deactivate` function's routes.
pub fn deactivate_routes<'a>(
    route: Route,
    services: &'a Services,
    ctx: &'a Ctx,
    req: &'a ApiRequest,
    caller: &'a Caller,
    params: &'a HashMap<String, String>,
) -> Pending<'a> {
    Box::pin(async move {
        let _ = (ctx, params);
        match route {
            Route::RequestDeactivation | Route::RequestSuspension | Route::RequestResumption => {
                let kind = action_kind(route);
                deactivate::request(services, ctx, req, caller, path_phone(params)?, kind).await
            }
            Route::ConfirmDeactivation | Route::ConfirmSuspension | Route::ConfirmResumption => {
                let kind = action_kind(route);
                deactivate::confirm(services, ctx, req, caller, path_phone(params)?, kind).await
            }
            Route::ReplaceNumber => {
                deactivate::replace(services, req, caller, path_phone(params)?).await
            }
            _ => Err(ApiError::NotFound),
        }
    })
}

/// The `rebind-employee` function's routes.
pub fn rebind_employee_routes<'a>(
    route: Route,
    services: &'a Services,
    ctx: &'a Ctx,
    req: &'a ApiRequest,
    caller: &'a Caller,
    params: &'a HashMap<String, String>,
) -> Pending<'a> {
    Box::pin(async move {
        let _ = (ctx, params);
        match route {
            Route::RebindEmployee => {
                rebind_employee::rebind(services, ctx, req, caller, path_phone(params)?).await
            }
            _ => Err(ApiError::NotFound),
        }
    })
}

/// The `review-decision` function's routes.
pub fn review_decision_routes<'a>(
    route: Route,
    services: &'a Services,
    ctx: &'a Ctx,
    req: &'a ApiRequest,
    caller: &'a Caller,
    params: &'a HashMap<String, String>,
) -> Pending<'a> {
    Box::pin(async move {
        let _ = (ctx, params);
        match route {
            Route::ListReviews => review_decision::list(services, req).await,
            Route::Decide => {
                review_decision::decide(services, ctx, req, caller, application_id(params)?).await
            }
            Route::PutRestriction => {
                review_decision::put_restriction(services, req, caller, path_phone(params)?).await
            }
            Route::DeleteRestriction => {
                review_decision::delete_restriction(services, req, caller, path_phone(params)?)
                    .await
            }
            Route::GetRestriction => {
                review_decision::get_restriction(services, caller, path_phone(params)?).await
            }
            Route::ListRestrictions => review_decision::list_restrictions(services, req).await,
            _ => Err(ApiError::NotFound),
        }
    })
}

/// The kind of number change a route requests or confirms.
fn action_kind(route: Route) -> crate::domain::ActionKind {
    use crate::domain::ActionKind;
    match route {
        Route::RequestSuspension | Route::ConfirmSuspension => ActionKind::Suspend,
        Route::RequestResumption | Route::ConfirmResumption => ActionKind::Resume,
        _ => ActionKind::Deactivate,
    }
}

/// An id that is not a UUID names nothing: 404, like any unknown id.
fn application_id(params: &HashMap<String, String>) -> Result<Uuid, ApiError> {
    let id = params
        .get("id")
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or(ApiError::NotFound)?;
    tracing::Span::current().record("application_id", tracing::field::display(id));
    Ok(id)
}

/// A JSON object body read by `read`, which takes the fields it knows; every field error,
/// unknown fields included, is reported at once (422), else the parsed value.
fn object_body<T>(
    req: &ApiRequest,
    read: impl FnOnce(&mut super::fields::Obj<'_>, &mut super::fields::Errors) -> Option<T>,
) -> Result<T, ApiError> {
    use super::fields::{Errors, Obj};
    use super::problem::FieldCode;
    let body = super::json_body(req)?;
    let mut errors = Errors::default();
    let parsed = Obj::new(&body, "", FieldCode::MissingField, &mut errors).and_then(|mut obj| {
        let value = read(&mut obj, &mut errors);
        obj.finish(&mut errors);
        value
    });
    match parsed {
        Some(value) if errors.is_empty() => Ok(value),
        _ => Err(ApiError::Validation(errors.0)),
    }
}

/// A listing's query: one filter `name` (parsed by `parse`), `limit` 1..100 (default 50)
/// and `cursor`; any other parameter is unknown. Every problem is reported at once.
struct ListQuery<F> {
    filter: Option<F>,
    limit: u32,
    cursor: Option<String>,
}

fn list_query<F>(
    req: &ApiRequest,
    name: &str,
    parse: impl Fn(&str) -> Option<F>,
    (ru, en): (&str, &str),
) -> Result<ListQuery<F>, ApiError> {
    use super::problem::{FieldCode, FieldError};
    let mut errors = Vec::new();
    let mut query = ListQuery {
        filter: None,
        limit: 50,
        cursor: None,
    };
    for (key, value) in &req.query {
        match key.as_str() {
            k if k == name => match parse(value) {
                Some(f) => query.filter = Some(f),
                None => errors.push(FieldError::new(name, FieldCode::InvalidParameter, ru, en)),
            },
            "limit" => match value.parse::<u32>() {
                Ok(n) if (1..=100).contains(&n) => query.limit = n,
                _ => errors.push(FieldError::new(
                    "limit",
                    FieldCode::InvalidParameter,
                    "limit: от 1 до 100",
                    "limit: 1 to 100",
                )),
            },
            "cursor" => query.cursor = Some(value.clone()),
            other => errors.push(FieldError::new(
                other,
                FieldCode::UnknownField,
                "Неизвестный параметр",
                "Unknown parameter",
            )),
        }
    }
    if errors.is_empty() {
        Ok(query)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The 6-digit `code` field of a body.
fn code_field(
    obj: &mut super::fields::Obj<'_>,
    errors: &mut super::fields::Errors,
) -> Option<crate::domain::OtpCode> {
    use super::problem::{FieldCode, FieldError};
    let raw = obj.string("code", FieldCode::InvalidCode, errors)?;
    let code = crate::domain::OtpCode::parse(raw);
    if code.is_err() {
        errors.push(FieldError::new(
            "code",
            FieldCode::InvalidCode,
            "Код: ровно 6 цифр",
            "Code: exactly 6 digits",
        ));
    }
    code.ok()
}

/// The application as `caller` may see it now, as a 200 response.
async fn application_response(
    services: &Services,
    ctx: &Ctx,
    id: Uuid,
    caller: &crate::app::Caller,
) -> Result<ApiResponse, ApiError> {
    let stored = crate::app::application_status(services, id, caller)
        .await?
        .ok_or(ApiError::NotFound)?;
    let body = super::views::application(
        &stored,
        services.clock.now(),
        ctx.lang,
        &services.support,
        &services.policy,
    );
    Ok(super::json_response(200, &body))
}

/// The `{phone}` path segment; a malformed one is a validation error on `phone`.
fn path_phone(params: &HashMap<String, String>) -> Result<PhoneNumber, ApiError> {
    let raw = params.get("phone").map(String::as_str).unwrap_or("");
    PhoneNumber::parse_path(raw)
        .map_err(|_| ApiError::Validation(vec![super::submission::phone_error("phone")]))
}

/// An optional free-text `comment` ([`Comment`]'s rule: at most 2000 characters, no
/// control characters but line breaks).
fn comment(
    obj: &mut super::fields::Obj<'_>,
    errors: &mut super::fields::Errors,
) -> Option<Comment> {
    use super::problem::{FieldCode, FieldError};
    let value = obj
        .optional_string("comment", FieldCode::InvalidValue, errors)
        .ok()
        .flatten()?;
    Comment::parse(value)
        .map_err(|_| {
            errors.push(FieldError::new(
                obj.path("comment"),
                FieldCode::InvalidValue,
                "Комментарий: до 2000 символов",
                "Comment: up to 2000 characters",
            ))
        })
        .ok()
        .flatten()
}

/// A refused submission (or replacement) as a problem; a restricted number's carries the
/// support contacts with its reference.
fn submit_error(services: &Services, e: crate::app::SubmitError) -> ApiError {
    match e {
        crate::app::SubmitError::NumberRestricted { reference } => {
            ApiError::NumberRestricted(Box::new(super::views::SupportView {
                reference,
                phone: services.support.phone.clone(),
                email: services.support.email.clone(),
            }))
        }
        e => e.into(),
    }
}
