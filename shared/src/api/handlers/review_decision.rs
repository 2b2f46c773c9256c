//! `review-decision` (operator scope): `GET /v1/reviews`, `POST /v1/applications/{id}/decision`.

use uuid::Uuid;

use super::comment;
use crate::api::fields::{Errors, Obj};
use crate::api::problem::{FieldCode, FieldError};
use crate::api::{ApiError, ApiRequest, ApiResponse, Ctx, json_response, views};
use crate::app::{self, Caller, Services};
use crate::domain::{
    ApplicationStatus, Decision, DocumentType, REVIEW_QUEUE_STATUSES, RejectionReason,
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
