//! One HTTP server hosting every function's handler with the deployment's routes, as API
//! Gateway would: it checks the JWT, builds the API Gateway v2 event, and lets
//! `lambda_http` parse it exactly as it does in Lambda.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body as AxumBody;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::get;
use chrono::Utc;
use corpnum::api::routes::{Resolution, percent_decode, resolve};
use corpnum::api::{Function, MAX_BODY_BYTES};
use corpnum::app::Services;
use http_body_util::BodyExt;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
    ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::request::LambdaRequest;
use serde_json::json;

use crate::jwt;

/// What the host needs besides the use cases: the token secret and what `/health` checks.
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

/// The API Gateway HTTP API (payload 2.0) event for one request, as the typed event
/// `lambda_http` reads from the JSON Lambda hands a function, and then the request
/// `lambda_http` makes of it, by the same conversion it runs in Lambda. What the host
/// skips is writing that JSON and parsing it back: the test below checks that the round
/// trip changes nothing the handlers read.
pub fn gateway_event(
    parts: &http::request::Parts,
    body: &[u8],
    route_key: &str,
    path_params: HashMap<String, String>,
    claims: Option<HashMap<String, String>>,
) -> ApiGatewayV2httpRequest {
    // Repeated headers arrive joined with commas, as API Gateway joins them.
    let mut headers = http::HeaderMap::with_capacity(parts.headers.keys_len());
    for name in parts.headers.keys() {
        let mut values = parts.headers.get_all(name).iter();
        let Some(first) = values.next() else { continue };
        let value = match values.next() {
            None => first.clone(),
            Some(second) => {
                let mut joined = first.as_bytes().to_vec();
                for v in std::iter::once(second).chain(values) {
                    joined.push(b',');
                    joined.extend_from_slice(v.as_bytes());
                }
                match http::HeaderValue::from_bytes(&joined) {
                    Ok(v) => v,
                    Err(_) => continue,
                }
            }
        };
        headers.insert(name.clone(), value);
    }
    let now = Utc::now();
    let (body, base64) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_owned(), false),
        Err(_) => {
            use base64::Engine;
            (base64::engine::general_purpose::STANDARD.encode(body), true)
        }
    };
    let path = parts.uri.path();

    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = parts.method.clone();
    http.path = Some(path.to_owned());
    http.protocol = Some("HTTP/1.1".into());
    http.source_ip = Some("127.0.0.1".into());
    http.user_agent = Some(
        parts
            .headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
    );
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.route_key = Some(route_key.to_owned());
    context.account_id = Some("000000000000".into());
    context.stage = Some("$default".into());
    context.request_id = Some(uuid::Uuid::new_v4().to_string());
    context.apiid = Some("local".into());
    context.domain_name = Some("127.0.0.1".into());
    context.domain_prefix = Some("local".into());
    context.time = Some(now.format("%d/%b/%Y:%H:%M:%S %z").to_string());
    context.time_epoch = now.timestamp_millis();
    context.http = http;
    context.authorizer = claims.map(|claims| {
        let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
        jwt.claims = claims;
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.jwt = Some(jwt);
        authorizer
    });

    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".into());
    event.route_key = Some(route_key.to_owned());
    event.raw_path = Some(path.to_owned());
    event.raw_query_string = Some(parts.uri.query().unwrap_or("").to_owned());
    event.headers = headers;
    event.path_parameters = path_params;
    event.request_context = context;
    event.is_base64_encoded = base64;
    event.body = (!body.is_empty()).then_some(body);
    event
}

/// The request a function's handler receives for `event`, as `lambda_http` builds it.
pub fn lambda_request(event: ApiGatewayV2httpRequest) -> lambda_http::Request {
    LambdaRequest::ApiGatewayV2(event).into()
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
            let event = gateway_event(&parts, &body, "$default", HashMap::new(), None);
            let request = lambda_request(event);
            return to_axum(invoke(Function::CheckStatus, &state.services, request).await).await;
        }
    };
    let path_params = params
        .into_iter()
        .map(|(k, v)| (k, percent_decode(&v)))
        .collect();
    let claims = claims(&parts.headers, &state.tokens).map(Arc::unwrap_or_clone);
    let event = gateway_event(&parts, &body, &spec.key(), path_params, claims);
    to_axum(invoke(spec.function, &state.services, lambda_request(event)).await).await
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What the host hands a handler is what `lambda_http` reads in Lambda: the route,
    /// the verified claims, path and query parameters, repeated headers joined, and a body
    /// that is not UTF-8 carried in base64; and the same as the handler would get from the
    /// event's JSON, which is what Lambda delivers.
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
        let claims: HashMap<String, String> = [
            ("sub", "rep-7707083893"),
            ("org_inn", "7707083893"),
            ("scope", "corpnum/org"),
            // As API Gateway passes them (and `jwt::verify` returns them): every claim a
            // string.
            ("exp", "2000000000"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let path_params = HashMap::from([("id".to_owned(), "a b".to_owned())]);
        let body = [0xff_u8, 0xfe, b'{'];

        let event = gateway_event(
            &parts,
            &body,
            "POST /v1/applications/{id}/otp",
            path_params,
            Some(claims),
        );
        let json = serde_json::to_string(&event).unwrap();
        let request = corpnum::runtime::http::api_request(lambda_request(event));
        let from_json =
            corpnum::runtime::http::api_request(lambda_http::request::from_str(&json).unwrap());

        for request in [&request, &from_json] {
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
            let mut query = request.query.clone();
            query.sort();
            assert_eq!(
                query,
                vec![("lang".into(), "en".into()), ("page".into(), "2".into())]
            );
            assert_eq!(
                request.headers.get("x-forwarded-for").unwrap(),
                "10.0.0.1,10.0.0.2"
            );
            assert_eq!(request.headers.get("user-agent").unwrap(), "probe/1");
            assert_eq!(request.body, body);
            let claims = request.claims.as_ref().unwrap();
            assert_eq!(claims.sub.as_deref(), Some("rep-7707083893"));
            assert_eq!(claims.org_inn.as_deref(), Some("7707083893"));
            assert_eq!(claims.scope.as_deref(), Some("corpnum/org"));
        }
        assert_eq!(request.headers, from_json.headers);
        assert_eq!(request.platform_request_id, from_json.platform_request_id);
        assert!(!request.platform_request_id.is_empty());

        // Without a token and a body: no authorizer, no body.
        let event = gateway_event(&parts, b"", "$default", HashMap::new(), None);
        let json = serde_json::to_string(&event).unwrap();
        for request in [
            lambda_request(event),
            lambda_http::request::from_str(&json).unwrap(),
        ] {
            let request = corpnum::runtime::http::api_request(request);
            assert!(request.claims.is_none());
            assert!(request.body.is_empty());
            assert_eq!(request.route_key, None);
        }
    }
}
