//! `review-decision` (operator scope): `GET /v1/reviews`, `POST /v1/applications/{id}/decision`,
//! and restricted numbers: `PUT`, `DELETE`, `GET /v1/numbers/{phone}/restriction`,
//! `GET /v1/restrictions`.

use uuid::Uuid;

use super::comment;
use crate::api::fields::{Errors, Obj};
use crate::api::problem::{FieldCode, FieldError};
use crate::api::{ApiError, ApiRequest, ApiResponse, Ctx, json_response, views};
use crate::app::{self, Caller, Services};
use crate::domain::{
    ApplicationStatus, Decision, DocumentType, PhoneNumber, REVIEW_QUEUE_STATUSES, RejectionReason,
    RestrictionReason,
};

pub(super) async fn list(services: &Services, req: &ApiRequest) -> Result<ApiResponse, ApiError> {
    let query = super::list_query(
        req,
        "status",
        |v| ApplicationStatus::parse(v).filter(|s| REVIEW_QUEUE_STATUSES.contains(s)),
        (
            "status: manual_review, under_review или documents_required",
            "status: manual_review, under_review or documents_required",
        ),
    )?;
    let status = query.filter.unwrap_or(ApplicationStatus::ManualReview);
    let (limit, cursor) = (query.limit, query.cursor);
    let page = app::list_reviews(services, status, limit, cursor.as_deref()).await?;
    Ok(json_response(
        200,
        &views::reviews(&page, services.clock.now()),
    ))
}

fn parse_decision(obj: &mut Obj<'_>, errors: &mut Errors) -> Option<Decision> {
    let kind = obj.string("decision", FieldCode::InvalidValue, errors);
    let comment = comment(obj, errors);
    let decision = match kind {
        Some("approve") => Some(Decision::Approve { comment }),
        Some("reject") => {
            let reason = obj.string("reason", FieldCode::InvalidValue, errors).and_then(|r| {
                RejectionReason::parse(r)
                    .ok_or_else(|| {
                        errors.push(FieldError::new(
                            "reason",
                            FieldCode::InvalidValue,
                            "Причина: incomplete_documents, requisites_mismatch, signature_invalid, wrong_number_category или other",
                            "Reason: incomplete_documents, requisites_mismatch, signature_invalid, wrong_number_category or other",
                        ))
                    })
                    .ok()
            });
            reason.map(|reason| Decision::Reject { reason, comment })
        }
        Some("request_documents") => {
            let documents = match obj.value("documents").and_then(|v| v.as_array()) {
                Some(list) if !list.is_empty() => {
                    let parsed: Option<Vec<DocumentType>> = list
                        .iter()
                        .map(|v| v.as_str().and_then(DocumentType::parse))
                        .collect();
                    if parsed.is_none() {
                        errors.push(FieldError::new(
                            "documents",
                            FieldCode::InvalidDocument,
                            "Неизвестный тип документа",
                            "Unknown document type",
                        ));
                    }
                    parsed
                }
                _ => {
                    errors.push(FieldError::new(
                        "documents",
                        FieldCode::InvalidDocument,
                        "Перечислите нужные типы документов",
                        "List the document types needed",
                    ));
                    None
                }
            };
            documents.map(|mut documents| {
                documents.sort();
                documents.dedup();
                Decision::RequestDocuments { documents, comment }
            })
        }
        Some(_) => {
            errors.push(FieldError::new(
                "decision",
                FieldCode::InvalidValue,
                "Решение: approve, reject или request_documents",
                "Decision: approve, reject or request_documents",
            ));
            None
        }
        None => None,
    };
    // Fields that belong to another kind of decision were never read, so `finish`
    // reports them as unknown.
    decision
}

pub(super) async fn decide(
    services: &Services,
    ctx: &Ctx,
    req: &ApiRequest,
    caller: &Caller,
    id: Uuid,
) -> Result<ApiResponse, ApiError> {
    let Caller::Operator { sub } = caller else {
        return Err(ApiError::Forbidden);
    };
    let decision = super::object_body(req, parse_decision)?;
    app::decide(services, id, &decision, sub).await?;
    super::application_response(services, ctx, id, caller).await
}

fn operator(caller: &Caller) -> Result<&str, ApiError> {
    match caller {
        Caller::Operator { sub } => Ok(sub),
        Caller::Organization { .. } => Err(ApiError::Forbidden),
    }
}

/// `PUT /v1/numbers/{phone}/restriction` `{reason, comment}`: sets or amends it; 200.
pub(super) async fn put_restriction(
    services: &Services,
    req: &ApiRequest,
    caller: &Caller,
    phone: PhoneNumber,
) -> Result<ApiResponse, ApiError> {
    let sub = operator(caller)?;
    let (reason, comment) = super::object_body(req, |obj, errors| {
        let reason = obj
            .string("reason", FieldCode::InvalidValue, errors)
            .and_then(|r| {
                RestrictionReason::parse(r)
                    .ok_or_else(|| {
                        errors.push(FieldError::new(
                            "reason",
                            FieldCode::InvalidValue,
                            "Причина: personal_account, fraud_report или other",
                            "Reason: personal_account, fraud_report or other",
                        ))
                    })
                    .ok()
            });
        let comment = comment(obj, errors);
        if comment.is_none() && !errors.0.iter().any(|e| e.field == "comment") {
            errors.push(FieldError::missing("comment"));
        }
        Some((reason?, comment?))
    })?;
    let restriction = app::set_restriction(services, &phone, reason, comment, sub).await?;
    Ok(json_response(200, &views::restriction(&restriction)))
}

/// `DELETE /v1/numbers/{phone}/restriction` (optional `{comment}`): lifts it; 200 with the
/// number's restriction record (no restriction in force, the lifting last in its history).
pub(super) async fn delete_restriction(
    services: &Services,
    req: &ApiRequest,
    caller: &Caller,
    phone: PhoneNumber,
) -> Result<ApiResponse, ApiError> {
    let sub = operator(caller)?;
    let comment = if req.body.is_empty() {
        None
    } else {
        super::object_body(req, |obj, errors| Some(comment(obj, errors)))?
    };
    app::lift_restriction(services, &phone, comment, sub).await?;
    get_restriction(services, caller, phone).await
}

/// `GET /v1/numbers/{phone}/restriction`: the restriction in force, if any, and its
/// changes; 404 for a number never restricted.
pub(super) async fn get_restriction(
    services: &Services,
    caller: &Caller,
    phone: PhoneNumber,
) -> Result<ApiResponse, ApiError> {
    operator(caller)?;
    let (current, history) = app::restriction_of(services, &phone).await?;
    Ok(json_response(
        200,
        &views::restriction_record(&phone, current.as_ref(), &history),
    ))
}

/// `GET /v1/restrictions?limit&cursor`: restrictions in force, most recently set first.
pub(super) async fn list_restrictions(
    services: &Services,
    req: &ApiRequest,
) -> Result<ApiResponse, ApiError> {
    let query = super::list_query(req, "", |_| None::<()>, ("", ""))?;
    let page = app::list_restrictions(services, query.limit, query.cursor.as_deref()).await?;
    Ok(json_response(200, &views::restriction_list(&page)))
}
