//! One HTTP server hosting every function's handler with the deployment's routes, as API
//! Gateway would: it checks the JWT, writes the API Gateway v2 event as JSON, and hands the
//! text to the function's handler, which reads it exactly as it does in Lambda.

use std::borrow::Cow;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};
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
use corpnum::runtime::gateway::{GatewayEvent, GatewayResponse};
use http_body_util::BodyExt;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::jwt;

/// What the host needs besides the use cases: the token verifier and what `/health` checks.
pub struct HostState {
    pub services: Services,
    pub tokens: jwt::Verifier,
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
fn claims(headers: &http::HeaderMap, tokens: &jwt::Verifier) -> Option<jwt::Claims> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    tokens.verify(token.trim(), Utc::now().timestamp()).ok()
}

/// The API Gateway HTTP API (payload 2.0) event for one request, as the JSON text Lambda
/// hands a function. Written straight from borrowed fields (no `Value` tree): this is the
/// gateway's work, which in a deployment is not on the functions' CPU.
pub fn gateway_event(
    parts: &http::request::Parts,
    body: &[u8],
    route_key: &str,
    path_params: &Map<String, Value>,
    claims: Option<&HashMap<String, String>>,
) -> String {
    // Repeated headers arrive joined with commas, as API Gateway joins them.
    let mut headers: BTreeMap<&str, Cow<'_, str>> = BTreeMap::new();
    for (name, value) in &parts.headers {
        let v = String::from_utf8_lossy(value.as_bytes());
        match headers.entry(name.as_str()) {
            Entry::Vacant(e) => {
                e.insert(v);
            }
            Entry::Occupied(mut e) => {
                let joined = e.get_mut().to_mut();
                joined.push(',');
                joined.push_str(&v);
            }
        }
    }
    let query = parts.uri.query().unwrap_or("");
    let query_params: BTreeMap<String, String> = query_pairs(query).into_iter().collect();
    let now = Utc::now();
    let (body, base64) = match std::str::from_utf8(body) {
        Ok(text) => (Cow::Borrowed(text), false),
        Err(_) => {
            use base64::Engine;
            (
                Cow::Owned(base64::engine::general_purpose::STANDARD.encode(body)),
                true,
            )
        }
    };
    let path = parts.uri.path();
    let event = Event {
        version: "2.0",
        route_key,
        raw_path: path,
        raw_query_string: query,
        headers,
        request_context: Context {
            account_id: "000000000000",
            api_id: "local",
            domain_name: "127.0.0.1",
            domain_prefix: "local",
            http: EventHttp {
                method: parts.method.as_str(),
                path,
                protocol: "HTTP/1.1",
                source_ip: "127.0.0.1",
                user_agent: parts
                    .headers
                    .get("user-agent")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            },
            request_id: uuid::Uuid::new_v4(),
            route_key,
            stage: "$default",
            time: now.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
            time_epoch: now.timestamp_millis(),
            authorizer: claims.map(|claims| Authorizer {
                jwt: Jwt {
                    claims,
                    scopes: None,
                },
            }),
        },
        is_base64_encoded: base64,
        body: (!body.is_empty()).then_some(body),
        query_string_parameters: query_params,
        path_parameters: path_params,
    };
    // Strings, numbers and maps of them only: serialising cannot fail.
    serde_json::to_string(&event).unwrap_or_default()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    version: &'static str,
    route_key: &'a str,
    raw_path: &'a str,
    raw_query_string: &'a str,
    headers: BTreeMap<&'a str, Cow<'a, str>>,
    request_context: Context<'a>,
    is_base64_encoded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    query_string_parameters: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    path_parameters: &'a Map<String, Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Context<'a> {
    account_id: &'static str,
    api_id: &'static str,
    domain_name: &'static str,
    domain_prefix: &'static str,
    http: EventHttp<'a>,
    request_id: uuid::Uuid,
    route_key: &'a str,
    stage: &'static str,
    time: String,
    time_epoch: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    authorizer: Option<Authorizer<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventHttp<'a> {
    method: &'a str,
    path: &'a str,
    protocol: &'static str,
    source_ip: &'static str,
    user_agent: &'a str,
}

#[derive(Serialize)]
struct Authorizer<'a> {
    jwt: Jwt<'a>,
}

#[derive(Serialize)]
struct Jwt<'a> {
    claims: &'a HashMap<String, String>,
    scopes: Option<Vec<String>>,
}

/// Calls the handler of the function that owns the route.
pub async fn invoke(
    function: Function,
    services: &Services,
    event: GatewayEvent,
) -> GatewayResponse {
    match function {
        Function::SubmitApplication => submit_application::handler(services, event).await,
        Function::VerifyOtp => verify_otp::handler(services, event).await,
        Function::CheckStatus => check_status::handler(services, event).await,
        Function::Deactivate => deactivate::handler(services, event).await,
        Function::RebindEmployee => rebind_employee::handler(services, event).await,
        Function::ReviewDecision => review_decision::handler(services, event).await,
    }
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
            return match GatewayEvent::from_json(&event) {
                Ok(event) => to_axum(invoke(Function::CheckStatus, &state.services, event).await),
                Err(_) => plain(404, r#"{"message":"Not Found"}"#),
            };
        }
    };
    let path_params: Map<String, Value> = params
        .into_iter()
        .map(|(k, v)| (k, Value::String(percent_decode(&v))))
        .collect();
    let claims = claims(&parts.headers, &state.tokens);
    let event = gateway_event(&parts, &body, &spec.key(), &path_params, claims.as_deref());
    // The text, read as the Lambda runtime reads it in a deployment.
    let event = match GatewayEvent::from_json(&event) {
        Ok(event) => event,
        Err(e) => {
            tracing::error!(error = %e, "could not read the gateway event");
            return plain(500, r#"{"message":"Internal Server Error"}"#);
        }
    };
    to_axum(invoke(spec.function, &state.services, event).await)
}

fn plain(status: u16, body: &'static str) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(AxumBody::from(body))
        .unwrap_or_default()
}

/// What API Gateway makes of a function's answer: base64 bodies decoded, cookies set.
fn to_axum(response: GatewayResponse) -> Response {
    response.into_http().map(AxumBody::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the host writes is what a function reads in Lambda: the route, the verified
    /// claims, path and query parameters, repeated headers joined, and a body that is not
    /// UTF-8 carried in base64.
    #[test]
    fn the_gateway_event_reaches_the_handler_whole() {
        let request = http::Request::builder()
            .method("POST")
            .uri("/v1/applications/a%20b/otp?lang=en&page=2")
            .header("accept", "application/json")
            .header("x-forwarded-for", "10.0.0.1")
            .header("x-forwarded-for", "10.0.0.2")
            .header("user-agent", "probe/1")
            .body(())
            .unwrap();
        let (parts, ()) = request.into_parts();
        // As API Gateway passes them (and `jwt::verify` returns them): every claim a string.
        let claims: HashMap<String, String> = [
            ("sub", "rep-7707083893"),
            ("org_inn", "7707083893"),
            ("scope", "corpnum/org"),
            ("exp", "2000000000"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let mut path_params = Map::new();
        path_params.insert("id".into(), json!("a b"));
        let body = [0xff_u8, 0xfe, b'{'];

        let event = gateway_event(
            &parts,
            &body,
            "POST /v1/applications/{id}/otp",
            &path_params,
            Some(&claims),
        );
        let request = GatewayEvent::from_json(&event).unwrap().into_api_request();

        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/v1/applications/a%20b/otp");
        assert_eq!(
            request.route_key.as_deref(),
            Some("POST /v1/applications/{id}/otp")
        );
        assert_eq!(
            request.path_params.get("id").map(String::as_str),
            Some("a b")
        );
        assert_eq!(
            request.query,
            vec![("lang".into(), "en".into()), ("page".into(), "2".into())]
        );
        assert_eq!(
            request.headers.get("x-forwarded-for").unwrap(),
            "10.0.0.1,10.0.0.2"
        );
        assert_eq!(request.body, body);
        let claims = request.claims.unwrap();
        assert_eq!(claims.sub.as_deref(), Some("rep-7707083893"));
        assert_eq!(claims.org_inn.as_deref(), Some("7707083893"));
        assert_eq!(claims.scope.as_deref(), Some("corpnum/org"));
        assert!(!request.platform_request_id.is_empty());

        // Without a token and a body: no authorizer, no body.
        let event = gateway_event(&parts, b"", "$default", &Map::new(), None);
        let request = GatewayEvent::from_json(&event).unwrap().into_api_request();
        assert!(request.claims.is_none());
        assert!(request.body.is_empty());
        assert_eq!(request.route_key, None);
    }
}
