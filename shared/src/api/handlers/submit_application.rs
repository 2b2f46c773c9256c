//! `submit-application`: `POST /v1/applications`, `POST /v1/applications/{id}/documents`.

use chrono::Duration;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::api::fields::{Errors, Obj};
use crate::api::problem::{FieldCode, FieldError};
use crate::api::submission::{parse_documents, parse_submission};
use crate::api::{ApiError, ApiRequest, ApiResponse, Ctx, json_body, json_response, views};
use crate::app::{self, Caller, IdempotencyConflict, Services, SubmitError};
use crate::ports::{IdempotencyClaim, StoredResponse};

/// How long a request may stay "in progress" under its idempotency key before a retry
/// may take over (longer than the function's timeout).
const IDEMPOTENCY_IN_PROGRESS: Duration = Duration::seconds(60);
/// How long idempotency keys are kept (SPEC 4.9).
const IDEMPOTENCY_RETENTION: Duration = Duration::hours(24);

pub(super) async fn submit(
    services: &Services,
    ctx: &Ctx,
    req: &ApiRequest,
    caller: &Caller,
) -> Result<ApiResponse, ApiError> {
    let Caller::Organization { sub, inn } = caller else {
        return Err(ApiError::Forbidden);
    };
    let key = idempotency_key(req)?;
    let body = json_body(req)?;
    let command = parse_submission(&body).map_err(ApiError::Validation)?;
    let now = services.clock.now();
    let claim = key.map(|key| IdempotencyClaim {
        key: hash(&[inn.as_ref().as_bytes(), key.as_bytes()]),
        request_hash: hash(&[canonical_json(&body).as_bytes()]),
        in_progress_until: now + IDEMPOTENCY_IN_PROGRESS,
        expires_at: now + IDEMPOTENCY_RETENTION,
    });
    let (application, recovered) =
        match app::submit(services, command, sub, inn, claim.as_ref()).await {
            Ok(application) => (application, false),
            Err(SubmitError::Idempotency(IdempotencyConflict::Replay(stored))) => {
                return Ok(replay(stored));
            }
            // The first request died after its transaction: answer with what it created.
            Err(SubmitError::Idempotency(IdempotencyConflict::Recovered(application))) => {
                (*application, true)
            }
            Err(e) => return Err(super::submit_error(services, e)),
        };
    tracing::Span::current().record("application_id", tracing::field::display(application.id));
    let location = format!("/v1/applications/{}", application.id);
    let body = serde_json::to_string(&views::submitted(
        &application,
        &services.policy,
        services.clock.now(),
    ))
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(claim) = &claim {
        let stored = StoredResponse {
            status: 201,
            headers: vec![("Location".into(), location.clone())],
            body: body.clone(),
        };
        if let Err(error) = services
            .store
            .complete(&claim.key, &stored, claim.expires_at)
            .await
        {
            tracing::error!(error = %error, "idempotency record not completed; a retry will see request_in_progress until it lapses");
        }
    }
    let _ = ctx;
    let mut response = http::Response::builder()
        .status(201)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::LOCATION, location);
    if recovered {
        response = response.header("Idempotent-Replayed", "true");
    }
    response
        .body(body.into_bytes())
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// `Idempotency-Key`: 1..255 visible ASCII characters.
fn idempotency_key(req: &ApiRequest) -> Result<Option<&str>, ApiError> {
    let Some(raw) = req.headers.get("idempotency-key") else {
        return Ok(None);
    };
    match raw.to_str() {
        Ok(key)
            if (1..=255).contains(&key.len())
                && key.bytes().all(|b| (0x21..=0x7e).contains(&b)) =>
        {
            Ok(Some(key))
        }
        _ => Err(ApiError::Validation(vec![FieldError::new(
            "Idempotency-Key",
            FieldCode::InvalidIdempotencyKey,
            "Idempotency-Key: от 1 до 255 видимых символов ASCII",
            "Idempotency-Key: 1 to 255 visible ASCII characters",
        )])),
    }
}

fn replay(stored: StoredResponse) -> ApiResponse {
    let mut builder = http::Response::builder()
        .status(stored.status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header("Idempotent-Replayed", "true");
    for (name, value) in &stored.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(stored.body.into_bytes())
        .unwrap_or_else(|_| json_response(500, &serde_json::Value::Null))
}

/// Hex SHA-256 over parts separated by a NUL byte.
fn hash(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0u8]);
        }
        h.update(p);
    }
    hex::encode(h.finalize())
}

/// JSON with object keys sorted at every level, so key order and spacing do not change
/// a request's identity.
fn canonical_json(v: &Value) -> String {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::String(k.clone()), canonical_json(&map[k])))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(canonical_json)
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => other.to_string(),
    }
}

pub(super) async fn add_documents(
    services: &Services,
    ctx: &Ctx,
    req: &ApiRequest,
    caller: &Caller,
    id: Uuid,
) -> Result<ApiResponse, ApiError> {
    let body = json_body(req)?;
    let mut errors = Errors::default();
    let documents =
        Obj::new(&body, "", FieldCode::MissingField, &mut errors).and_then(|mut obj| {
            let docs = match obj.value("documents") {
                None => {
                    errors.push(FieldError::missing("documents"));
                    None
                }
                Some(v) => parse_documents(v, &mut errors),
            };
            obj.finish(&mut errors);
            docs
        });
    let documents = match documents {
        Some(d) if errors.is_empty() && !d.is_empty() => d,
        Some(_) if errors.is_empty() => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "documents",
                FieldCode::InvalidDocument,
                "Приложите хотя бы один документ",
                "Attach at least one document",
            )]));
        }
        _ => return Err(ApiError::Validation(errors.0)),
    };
    app::add_documents(services, id, &documents, caller).await?;
    super::application_response(services, ctx, id, caller).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_ignores_key_order_and_spacing() {
        let a: Value =
            serde_json::from_str(r#"{"b": 1, "a": {"y": [1, {"q": 2, "p": 1}], "x": null}}"#)
                .unwrap();
        let b: Value =
            serde_json::from_str(r#"{"a":{"x":null,"y":[1,{"p":1,"q":2}]},"b":1}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
        let c: Value =
            serde_json::from_str(r#"{"a":{"x":null,"y":[{"p":1,"q":2},1]},"b":1}"#).unwrap();
        assert_ne!(canonical_json(&a), canonical_json(&c));
    }
}
