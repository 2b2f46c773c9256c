//! Every route of the API on one listener, served by the functions' own handlers: the
//! request becomes the [`corpnum::api::ApiRequest`] a Lambda function is given (route
//! resolved, path parameters decoded, the bearer token's claims verified here instead of
//! by API Gateway), and [`corpnum::api::handle`] answers it.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use corpnum::api::{self, MAX_BODY_BYTES};
use corpnum::app::Services;
use corpnum::ports::DependencyError;
use http_body_util::BodyExt;
use serde_json::json;

use crate::oidc::{TokenError, Verifier};

/// What the routes need: the use cases, the token verifier, and what `/health` checks.
pub struct AppState {
    pub services: Services,
    pub verifier: Arc<Verifier>,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub queue: crate::mq::QueueClient,
    pub table: String,
    pub review_queue_url: String,
    /// Whether `POST /` takes Yandex Cloud trigger invocations (`crate::triggers`).
    pub triggers: bool,
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .fallback(serve_api)
        .with_state(state)
}

fn json_response(status: u16, body: String) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .header("x-request-id", uuid::Uuid::new_v4().to_string())
        .body(Body::from(body))
        .unwrap_or_default()
}

/// Ready to serve: the table and the review queue answer. The issuer's keys are reported
/// but do not make the instance unready (requests without a token, and `/health`, still
/// work; restarting would not bring the issuer back).
async fn health(State(state): State<Arc<AppState>>) -> Response {
    let (store, queue) = tokio::join!(
        state
            .dynamodb
            .describe_table()
            .table_name(&state.table)
            .send(),
        state.queue.answers(&state.review_queue_url),
    );
    let store = store.is_ok();
    let keys = state.verifier.key_count().await > 0;
    let ok = store && queue;
    let body = json!({
        "status": if ok { "ok" } else { "unavailable" },
        "dependencies": { "store": store, "review_queue": queue, "issuer_keys": keys },
    });
    json_response(if ok { 200 } else { 503 }, body.to_string())
}

/// The bearer token of a request, if it has one.
fn bearer(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
}

async fn serve_api(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let trigger = state.triggers && parts.method == http::Method::POST && parts.uri.path() == "/";
    // As API Gateway, the transport takes more than the API does (the handlers refuse
    // bodies over 64 KiB with their own problem); beyond that the connection is refused.
    let body = match http_body_util::Limited::new(body, 16 * MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => return json_response(413, r#"{"message":"Request Entity Too Large"}"#.into()),
    };
    if trigger {
        let (status, answer) = crate::triggers::handle(&state.services, &body).await;
        return json_response(status, answer.to_string());
    }
    let (function, mut request) =
        api::plain_request(&parts, body, None, uuid::Uuid::new_v4().to_string());
    request.cold_start = corpnum::runtime::invocation::cold_start();
    if let Some(token) = bearer(&parts.headers) {
        match state
            .verifier
            .verify(token, chrono::Utc::now().timestamp())
            .await
        {
            Ok(claims) => request.claims = Some(claims),
            // Not the caller's fault: a 503 to retry, not a 401 to sign in again.
            Err(TokenError::KeysUnavailable) => {
                let cause = DependencyError::new("oidc", TokenError::KeysUnavailable);
                return to_axum(api::dependency_unavailable(&request, cause));
            }
            // The handler answers 401 for a request without verified claims, as it does
            // behind API Gateway.
            Err(reason) => tracing::info!(reason = %reason, "bearer token refused"),
        }
    }
    to_axum(api::handle(function, &state.services, request).await)
}

fn to_axum(response: api::ApiResponse) -> Response {
    let (parts, body) = response.into_parts();
    Response::from_parts(parts, Body::from(body))
}
