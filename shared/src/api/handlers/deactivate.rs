//! `deactivate`: deactivation (`POST /v1/numbers/{phone}/deactivation`, `.../confirm`),
//! suspension and resumption (`.../suspension`, `.../resumption`, each with `/confirm`).
//! An organization confirms each by code; an operator suspends and resumes at once.
//! And replacement (`.../replacement`): an application for the new number.

use uuid::Uuid;

use super::comment;
use crate::api::fields::{Errors, Obj};
use crate::api::problem::{FieldCode, FieldError};
use crate::api::{ApiError, ApiRequest, ApiResponse, Ctx, json_response, views};
use crate::app::{self, Caller, Confirmed, Services};
use crate::domain::{ActionKind, DeactivationReason, NumberAction, PhoneNumber};

fn reason(obj: &mut Obj<'_>, errors: &mut Errors) -> Option<DeactivationReason> {
    obj.string("reason", FieldCode::InvalidValue, errors)
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
        })
}

/// The action an organization's request body asks for.
fn action(req: &ApiRequest, kind: ActionKind) -> Result<NumberAction, ApiError> {
    super::object_body(req, |obj, errors| match kind {
        ActionKind::Deactivate | ActionKind::Suspend => {
            let reason = reason(obj, errors);
            let comment = comment(obj, errors);
            reason.map(|reason| match kind {
                ActionKind::Deactivate => NumberAction::Deactivate { reason, comment },
                _ => NumberAction::Suspend { reason, comment },
            })
        }
        ActionKind::Resume => Some(NumberAction::Resume),
    })
}

pub(super) async fn request(
    services: &Services,
    ctx: &Ctx,
    req: &ApiRequest,
    caller: &Caller,
    phone: PhoneNumber,
    kind: ActionKind,
) -> Result<ApiResponse, ApiError> {
    if let Caller::Operator { sub } = caller {
        return by_operator(services, ctx, req, caller, sub, phone, kind).await;
    }
    let action = action(req, kind)?;
    let (codes, request) = app::request_change(services, &phone, action, caller).await?;
    let now = services.clock.now();
    Ok(json_response(
        202,
        &views::change_requested(&codes, &request, &services.policy, now),
    ))
}

/// An operator's suspension (`policy_violation`, a comment required) or resumption, made
/// at once: 200 with the number.
async fn by_operator(
    services: &Services,
    ctx: &Ctx,
    req: &ApiRequest,
    caller: &Caller,
    sub: &str,
    phone: PhoneNumber,
    kind: ActionKind,
) -> Result<ApiResponse, ApiError> {
    let number = match kind {
        ActionKind::Suspend => {
            let comment = super::object_body(req, |obj, errors| {
                let reason = reason(obj, errors);
                if reason.is_some_and(|r| r != DeactivationReason::PolicyViolation) {
                    errors.push(FieldError::new(
                        "reason",
                        FieldCode::InvalidValue,
                        "Оператор приостанавливает номер только за нарушение правил: policy_violation",
                        "An operator suspends a number only for a rules violation: policy_violation",
                    ));
                }
                let comment = comment(obj, errors);
                if comment.is_none() && !errors.0.iter().any(|e| e.field == "comment") {
                    errors.push(FieldError::missing("comment"));
                }
                reason.and(comment)
            })?;
            app::operator_suspend(services, &phone, comment, sub).await?
        }
        ActionKind::Resume => {
            super::object_body(req, |_, _| Some(()))?;
            app::operator_resume(services, &phone, sub).await?
        }
        ActionKind::Deactivate => return Err(ApiError::Forbidden),
    };
    let number = app::visible_to(number, caller);
    Ok(super::check_status::number_response(
        &number,
        views::number(&number, ctx.lang),
    ))
}

pub(super) async fn confirm(
    services: &Services,
    ctx: &Ctx,
    req: &ApiRequest,
    caller: &Caller,
    phone: PhoneNumber,
    kind: ActionKind,
) -> Result<ApiResponse, ApiError> {
    let field = match kind {
        ActionKind::Deactivate => "deactivation_id",
        ActionKind::Suspend => "suspension_id",
        ActionKind::Resume => "resumption_id",
    };
    let (id, code) = super::object_body(req, |obj, errors| {
        let id = obj
            .string(field, FieldCode::InvalidValue, errors)
            .and_then(|s| {
                Uuid::parse_str(s)
                    .map_err(|_| {
                        errors.push(FieldError::new(
                            field,
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
    match app::confirm_change(services, &phone, kind, id, &code, caller).await? {
        Confirmed::Deactivated(act) => Ok(json_response(200, &views::act(&act))),
        Confirmed::Changed(number) => Ok(super::check_status::number_response(
            &number,
            views::number(&number, ctx.lang),
        )),
    }
}

/// `POST /v1/numbers/{phone}/replacement` `{new_phone, documents}`: 201 with the new
/// application, of kind `replacement`; its code goes to the new number.
pub(super) async fn replace(
    services: &Services,
    req: &ApiRequest,
    caller: &Caller,
    phone: PhoneNumber,
) -> Result<ApiResponse, ApiError> {
    use crate::api::submission::{parse_documents, phone_error};
    let (new_phone, documents) = super::object_body(req, |obj, errors| {
        let new_phone = obj
            .string("new_phone", FieldCode::InvalidPhone, errors)
            .and_then(|raw| {
                PhoneNumber::parse(raw)
                    .map_err(|_| errors.push(phone_error("new_phone")))
                    .ok()
            });
        if new_phone.as_ref() == Some(&phone) {
            errors.push(FieldError::new(
                "new_phone",
                FieldCode::InvalidPhone,
                "Новый номер совпадает с заменяемым",
                "The new number is the number being replaced",
            ));
        }
        let documents = match obj.value("documents") {
            None => {
                errors.push(FieldError::missing("documents"));
                None
            }
            Some(v) => parse_documents(v, errors),
        };
        if documents.as_ref().is_some_and(Vec::is_empty) {
            errors.push(FieldError::new(
                "documents",
                FieldCode::MissingDocuments,
                "Приложите документ, подтверждающий право на новый номер",
                "Attach a document proving the right to the new number",
            ));
        }
        Some((new_phone?, documents?))
    })?;
    match app::replace_number(services, &phone, new_phone, documents, caller).await {
        Ok(application) => {
            let now = services.clock.now();
            let body = views::submitted(&application, &services.policy, now);
            let mut response = json_response(201, &body);
            if let Ok(location) =
                http::HeaderValue::from_str(&format!("/v1/applications/{}", application.id))
            {
                response
                    .headers_mut()
                    .insert(http::header::LOCATION, location);
            }
            Ok(response)
        }
        Err(e) => Err(super::submit_error(services, e)),
    }
}
