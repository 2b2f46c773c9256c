//! One HTTP server hosting every function's handler with the deployment's routes, as API
//! Gateway would: it checks the JWT, builds the API Gateway v2 event, and lets
//! `lambda_http` parse it exactly as it does in Lambda.

use std::sync::Arc;

use axum::Router;
use axum::body::Body as AxumBody;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use corpnum::api::routes::{Resolution, percent_decode, query_pairs, resolve};
use corpnum::api::{Function, MAX_BODY_BYTES};
use corpnum::app::Services;
use http_body_util::BodyExt;
use serde_json::{Map, Value, json};

use crate::jwt;

/// What the host needs besides the use cases: the token secret and what `/health` checks.
pub struct HostState {
    pub services: Services,
    pub jwt_secret: String,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub table: String,
    pub review_queue_url: String,
}

pub fn router(state: Arc<HostState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .fallback(api)
        .with_state(state)
}

async fn openapi() -> Response {
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("x-request-id", uuid::Uuid::new_v4().to_string())
        .body(AxumBody::from(corpnum::api::OPENAPI))
        .unwrap_or_default()
}

async fn health(State(state): State<Arc<HostState>>) -> Response {
    let dynamodb = state
        .dynamodb
        .describe_table()
        .table_name(&state.table)
        .send()
        .await
        .is_ok();
    let sqs = state
        .sqs
        .get_queue_attributes()
        .queue_url(&state.review_queue_url)
        .send()
        .await
        .is_ok();
    let ok = dynamodb && sqs;
    let body = json!({
        "status": if ok { "ok" } else { "unavailable" },
        "dependencies": { "dynamodb": dynamodb, "sqs_sns": sqs },
    });
    Response::builder()
        .status(if ok { 200 } else { 503 })
        .header("content-type", "application/json")
        .header("x-request-id", uuid::Uuid::new_v4().to_string())
        .body(AxumBody::from(body.to_string()))
        .unwrap_or_default()
}

/// Claims of a valid bearer token; `None` lets the function answer 401 itself.
fn claims(headers: &http::HeaderMap, secret: &str) -> Option<Map<String, Value>> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    jwt::verify(token.trim(), secret, Utc::now().timestamp()).ok()
}

/// The API Gateway HTTP API (payload 2.0) event for one request.
pub fn gateway_event(
    parts: &http::request::Parts,
    body: &[u8],
    route_key: &str,
    path_params: &Map<String, Value>,
    claims: Option<Map<String, Value>>,
) -> Value {
    let mut headers = Map::new();
    for (name, value) in &parts.headers {
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|e| {
                if let Value::String(s) = e {
                    s.push(',');
                    s.push_str(&v);
                }
            })
            .or_insert(Value::String(v));
    }
    let query = parts.uri.query().unwrap_or("");
    let query_params: Map<String, Value> = query_pairs(query)
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let now = Utc::now();
    let (body, base64) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => {
            use base64::Engine;
            (base64::engine::general_purpose::STANDARD.encode(body), true)
        }
    };
    let mut context = json!({
        "accountId": "000000000000",
        "apiId": "local",
        "domainName": "127.0.0.1",
        "domainPrefix": "local",
        "http": {
            "method": parts.method.as_str(),
            "path": parts.uri.path(),
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": parts.headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or(""),
        },
        "requestId": uuid::Uuid::new_v4().to_string(),
        "routeKey": route_key,
        "stage": "$default",
        "time": now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        "timeEpoch": now.timestamp_millis(),
    });
    if let Some(claims) = claims {
        context["authorizer"] = json!({ "jwt": { "claims": claims, "scopes": null } });
    }
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": parts.uri.path(),
        "rawQueryString": query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": base64,
    });
    if !body.is_empty() {
        event["body"] = Value::String(body);
    }
    if !query_params.is_empty() {
        event["queryStringParameters"] = Value::Object(query_params);
    }
    if !path_params.is_empty() {
        event["pathParameters"] = Value::Object(path_params.clone());
    }
    event
}

/// Calls the handler of the function that owns the route.
pub async fn invoke(
    function: Function,
    services: &Services,
    event: lambda_http::Request,
) -> lambda_http::Response<lambda_http::Body> {
    let result = match function {
        Function::SubmitApplication => submit_application::handler(services, event).await,
        Function::VerifyOtp => verify_otp::handler(services, event).await,
        Function::CheckStatus => check_status::handler(services, event).await,
        Function::Deactivate => deactivate::handler(services, event).await,
        Function::RebindEmployee => rebind_employee::handler(services, event).await,
        Function::ReviewDecision => review_decision::handler(services, event).await,
    };
    result.unwrap_or_else(|error| {
        tracing::error!(error = %error, "handler failed");
        let mut r = lambda_http::Response::new(lambda_http::Body::Text(
            r#"{"message":"Internal Server Error"}"#.into(),
        ));
        *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

async fn api(State(state): State<Arc<HostState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // API Gateway takes up to 10 MB; the functions refuse more than 64 KiB themselves.
    let body = match http_body_util::Limited::new(body, 16 * MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return plain(413, r#"{"message":"Request Entity Too Large"}"#),
    };
    let (spec, params) = match resolve(parts.method.as_str(), parts.uri.path()) {
        Resolution::Found(spec, params) => (spec, params),
        // Unrouted requests never reach a function; answer in the API's problem format.
        Resolution::MethodNotAllowed(_) | Resolution::NotFound => {
            let event = gateway_event(&parts, &body, "$default", &Map::new(), None);
            return match lambda_http::request::from_str(&event.to_string()) {
                Ok(req) => to_axum(invoke(Function::CheckStatus, &state.services, req).await).await,
                Err(_) => plain(404, r#"{"message":"Not Found"}"#),
            };
        }
    };
    let path_params: Map<String, Value> = params
        .into_iter()
        .map(|(k, v)| (k, Value::String(percent_decode(&v))))
        .collect();
    let event = gateway_event(
        &parts,
        &body,
        &spec.key(),
        &path_params,
        claims(&parts.headers, &state.jwt_secret),
    );
    let request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "could not build the gateway event");
            return plain(500, r#"{"message":"Internal Server Error"}"#);
        }
    };
    to_axum(invoke(spec.function, &state.services, request).await).await
}

fn plain(status: u16, body: &'static str) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(AxumBody::from(body))
        .unwrap_or_default()
}

async fn to_axum(response: lambda_http::Response<lambda_http::Body>) -> Response {
    let (parts, body) = response.into_parts();
    let bytes: Vec<u8> = match body {
        lambda_http::Body::Empty => Vec::new(),
        lambda_http::Body::Text(t) => t.into_bytes(),
        lambda_http::Body::Binary(b) => b,
        _ => Vec::new(),
    };
    Response::from_parts(parts, AxumBody::from(bytes))
}
