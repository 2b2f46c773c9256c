//! The HTTP contract (SPEC 4), independent of how requests arrive: Lambda (via
//! `crate::runtime::http`) and the local host both build an [`ApiRequest`] and get an
//! [`ApiResponse`] back from [`handle`].

mod documents;
mod errors;
mod fields;
mod handlers;
pub mod openapi;
mod problem;
pub mod routes;
mod submission;
pub mod views;

use std::collections::HashMap;

use serde_json::Value;

pub use problem::{ApiError, FieldCode, FieldError};
pub use routes::{Function, ROUTES, Route, RouteSpec};

use crate::app::{Caller, Services};
use crate::domain::Inn;

/// The OpenAPI 3.1 document of this API (served locally at `GET /openapi.json`).
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// Largest accepted request body (SPEC 4).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub const SCOPE_ORG: &str = "corpnum/org";
pub const SCOPE_OPERATOR: &str = "corpnum/operator";

/// Verified token claims, as API Gateway's JWT authorizer passes them on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    pub sub: Option<String>,
    pub org_inn: Option<String>,
    pub scope: Option<String>,
}

/// A request as the handlers see it.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: String,
    pub path: String,
    /// API Gateway's route key (`POST /v1/applications`), when it gave one.
    pub route_key: Option<String>,
    pub path_params: HashMap<String, String>,
    pub query: Vec<(String, String)>,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
    /// The platform's request id; a well-formed client `X-Request-Id` takes precedence.
    pub platform_request_id: String,
    /// `None` when no token was verified.
    pub claims: Option<Claims>,
    /// The first invocation of this process (logged, for cold-start analysis).
    pub cold_start: bool,
}

/// A response; its body is JSON text, or a PDF's bytes.
pub type ApiResponse = http::Response<Vec<u8>>;

/// Response language: Russian unless the client prefers English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ru,
    En,
}

impl Lang {
    pub fn is_english(self) -> bool {
        self == Self::En
    }

    /// Picks from `Accept-Language` by q-value among the two languages served.
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let Some(header) = header else {
            return Self::Ru;
        };
        let mut best: Option<(f32, Self)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("en") => Self::En,
                Some("ru") => Self::Ru,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Self::Ru, |(_, l)| l)
    }
}

/// Per-request facts every response needs.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub request_id: String,
    pub lang: Lang,
}

impl Ctx {
    pub fn of(req: &ApiRequest) -> Self {
        let client_id = header(req, "x-request-id").filter(|id| is_well_formed_request_id(id));
        Self {
            request_id: client_id.map_or_else(|| req.platform_request_id.clone(), str::to_owned),
            lang: Lang::from_accept_language(header(req, "accept-language")),
        }
    }
}

/// 1..128 characters of letters, digits and `-_.:`.
fn is_well_formed_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

pub(crate) fn header<'a>(req: &'a ApiRequest, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Serves one request for `function`. Routes of other functions are not found here,
/// just as API Gateway would never send them.
pub async fn handle(function: Function, services: &Services, req: ApiRequest) -> ApiResponse {
    handle_with(function, handlers::dispatcher(function), services, req).await
}

/// Each function's dispatcher. A deployed function (and its crate's handler) uses its own,
/// so the other functions' handlers are not linked into it.
pub mod dispatch {
    pub use super::handlers::{
        Dispatch, check_status_routes as check_status, deactivate_routes as deactivate,
        rebind_employee_routes as rebind_employee, review_decision_routes as review_decision,
        submit_application_routes as submit_application, verify_otp_routes as verify_otp,
    };
}

/// [`handle`] with the function's own dispatcher.
pub async fn handle_with(
    function: Function,
    dispatch: handlers::Dispatch,
    services: &Services,
    req: ApiRequest,
) -> ApiResponse {
    use tracing::Instrument;
    let ctx = Ctx::of(&req);
    let span = tracing::info_span!(
        "request",
        request_id = %ctx.request_id,
        function = function.name(),
        route = tracing::field::Empty,
        application_id = tracing::field::Empty,
        cold_start = req.cold_start,
    );
    async {
        let result = match resolve(&req) {
            Ok((spec, params)) if spec.function == function => {
                tracing::Span::current().record("route", spec.key());
                // The token first, as API Gateway's authorizer does: nothing of the request
                // (path parameters included) is looked at for a caller without one.
                match authorize(&req, spec.route.access()) {
                    Ok(caller) => {
                        dispatch(spec.route, services, &ctx, &req, &caller, &params).await
                    }
                    Err(e) => Err(e),
                }
            }
            Ok(_) => Err(ApiError::NotFound),
            Err(e) => Err(e),
        };
        let response = match result {
            Ok(response) => response,
            Err(error) => problem_response(&error, &ctx),
        };
        tracing::info!(status = response.status().as_u16(), "request served");
        finish(response, &ctx)
    }
    .instrument(span)
    .await
}

/// A request that arrived as plain HTTP (the container server, `corpnum-server`): the route
/// resolved here, its path parameters and query decoded as API Gateway decodes them, so
/// [`handle`] sees just what a Lambda function is given. Returns the function that owns the
/// route; an unknown path goes to check-status, which answers 404 or 405 as API Gateway's
/// default route would.
pub fn plain_request(
    parts: &http::request::Parts,
    body: Vec<u8>,
    claims: Option<Claims>,
    platform_request_id: String,
) -> (Function, ApiRequest) {
    let path = parts.uri.path().to_owned();
    let (function, route_key, path_params) = match routes::resolve(parts.method.as_str(), &path) {
        routes::Resolution::Found(spec, params) => (
            spec.function,
            Some(spec.key()),
            params
                .into_iter()
                .map(|(k, v)| (k, routes::percent_decode(&v)))
                .collect(),
        ),
        _ => (Function::CheckStatus, None, HashMap::new()),
    };
    let request = ApiRequest {
        method: parts.method.as_str().to_owned(),
        path,
        route_key,
        path_params,
        query: routes::query_pairs(parts.uri.query().unwrap_or("")),
        headers: parts.headers.clone(),
        body,
        platform_request_id,
        claims,
        cold_start: false,
    };
    (function, request)
}

/// The answer to a request that could not be served because a dependency outside the use
/// cases failed (the token issuer's keys, for the container server): a 503 problem, logged
/// with its cause, with the headers every response carries.
pub fn dependency_unavailable(
    req: &ApiRequest,
    cause: crate::ports::DependencyError,
) -> ApiResponse {
    let ctx = Ctx::of(req);
    finish(
        problem_response(&ApiError::ServiceUnavailable(cause), &ctx),
        &ctx,
    )
}

fn resolve(req: &ApiRequest) -> Result<(RouteSpec, HashMap<String, String>), ApiError> {
    if let Some(spec) = req.route_key.as_deref().and_then(routes::by_key) {
        return Ok((spec, req.path_params.clone()));
    }
    match routes::resolve(&req.method, &req.path) {
        routes::Resolution::Found(spec, params) => Ok((spec, params)),
        routes::Resolution::MethodNotAllowed(allowed) => Err(ApiError::MethodNotAllowed(allowed)),
        routes::Resolution::NotFound => Err(ApiError::NotFound),
    }
}

/// Adds the headers every response carries.
fn finish(mut response: ApiResponse, ctx: &Ctx) -> ApiResponse {
    let headers = response.headers_mut();
    if let Ok(v) = http::HeaderValue::from_str(&ctx.request_id) {
        headers.insert("x-request-id", v);
    }
    headers.insert(
        http::header::CONTENT_LANGUAGE,
        http::HeaderValue::from_static(if ctx.lang.is_english() { "en" } else { "ru" }),
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    response
}

pub(crate) fn problem_response(error: &ApiError, ctx: &Ctx) -> ApiResponse {
    match error {
        ApiError::ServiceUnavailable(cause) => {
            tracing::error!(cause = %cause, metric = "ServiceUnavailable", "dependency failure");
        }
        ApiError::Internal(fault) => tracing::error!(fault = %fault, "internal fault"),
        _ => tracing::info!(code = error.code(), "request refused"),
    }
    let (status, headers, body) = error.render(ctx.lang, &ctx.request_id);
    let mut builder = http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/problem+json");
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder
        .body(body.to_string().into_bytes())
        .unwrap_or_else(|_| fallback_500())
}

/// The buffer a JSON body is written into starts this large.
const JSON_BODY_CAPACITY: usize = 2048;

pub(crate) fn json_response(status: u16, body: &impl serde::Serialize) -> ApiResponse {
    // Room for an application's view (about 1.5 KB) from the start: growing from
    // serde_json's 128 bytes took four reallocations a status read (`make readcost`).
    let mut bytes = Vec::with_capacity(JSON_BODY_CAPACITY);
    if serde_json::to_writer(&mut bytes, body).is_err() {
        return fallback_500();
    }
    http::Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(bytes)
        .unwrap_or_else(|_| fallback_500())
}

/// A PDF document, to be saved under `file_name`.
pub(crate) fn pdf_response(bytes: Vec<u8>, file_name: &str) -> ApiResponse {
    http::Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, documents::CONTENT_TYPE)
        .header(
            http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        )
        .body(bytes)
        .unwrap_or_else(|_| fallback_500())
}

/// Whether the client asks for a PDF rather than JSON (`Accept`, by q-value; JSON wins
/// ties and is the default).
pub(crate) fn wants_pdf(req: &ApiRequest) -> bool {
    let Some(accept) = header(req, "accept") else {
        return false;
    };
    let (mut pdf, mut json) = (0.0_f32, 0.0_f32);
    for part in accept.split(',') {
        let mut pieces = part.trim().split(';');
        let range = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = pieces
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        match range.as_str() {
            "application/pdf" => pdf = pdf.max(q),
            "application/json" | "application/*" | "*/*" => json = json.max(q),
            _ => {}
        }
    }
    pdf > json
}

fn fallback_500() -> ApiResponse {
    let mut r = http::Response::new(b"{\"code\":\"internal_error\",\"status\":500}".to_vec());
    *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    r
}

/// What a route requires of the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Organization scope: submit, confirm, rebind, deactivate.
    Organization,
    /// Organization or operator scope: the status reads; suspension and resumption, which
    /// an organization confirms by code and an operator makes at once.
    Either,
    /// Operator scope: the review queue and decisions.
    Operator,
}

/// The caller, from verified claims: 401 without a token, 403 without the scope.
pub(crate) fn authorize(req: &ApiRequest, access: Access) -> Result<Caller, ApiError> {
    let claims = req.claims.as_ref().ok_or(ApiError::Unauthorized)?;
    let sub = claims
        .sub
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(ApiError::Unauthorized)?;
    let scopes: Vec<&str> = claims
        .scope
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    if matches!(access, Access::Either | Access::Operator) && scopes.contains(&SCOPE_OPERATOR) {
        return Ok(Caller::Operator {
            sub: sub.to_owned(),
        });
    }
    if access == Access::Operator {
        return Err(ApiError::Forbidden);
    }
    if scopes.contains(&SCOPE_ORG) {
        let inn = claims
            .org_inn
            .as_deref()
            .and_then(|s| Inn::parse(s).ok())
            .ok_or(ApiError::Forbidden)?;
        return Ok(Caller::Organization {
            sub: sub.to_owned(),
            inn,
        });
    }
    Err(ApiError::Forbidden)
}

/// The JSON body: 413 over 64 KiB, 415 if not declared JSON, 400 if not a JSON object.
pub(crate) fn json_body(req: &ApiRequest) -> Result<Value, ApiError> {
    if req.body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    let declared_json = header(req, "content-type").is_some_and(|ct| {
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json"))
    });
    if !declared_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let value: Value =
        serde_json::from_slice(&req.body).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    if !value.is_object() {
        return Err(ApiError::MalformedJson("not an object".into()));
    }
    Ok(value)
}

/// Like [`json_body`], but an empty body (with or without a content type) reads as `{}`.
pub(crate) fn optional_json_body(req: &ApiRequest) -> Result<Value, ApiError> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    json_body(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        assert_eq!(Lang::from_accept_language(None), Lang::Ru);
        assert_eq!(Lang::from_accept_language(Some("en")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::from_accept_language(Some("ru-RU,ru;q=0.9,en;q=0.8")),
            Lang::Ru
        );
        assert_eq!(Lang::from_accept_language(Some("de, en;q=0.5")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("fr")), Lang::Ru);
        assert_eq!(Lang::from_accept_language(Some("en;q=0")), Lang::Ru);
    }

    #[test]
    fn request_ids() {
        assert!(is_well_formed_request_id("abc-123_x.y:z"));
        assert!(!is_well_formed_request_id(""));
        assert!(!is_well_formed_request_id("has space"));
        assert!(!is_well_formed_request_id(&"a".repeat(129)));
    }

    #[test]
    fn a_pdf_only_when_preferred_to_json() {
        let with = |accept: Option<&str>| {
            let mut headers = http::HeaderMap::new();
            if let Some(a) = accept {
                headers.insert("accept", http::HeaderValue::from_str(a).unwrap());
            }
            wants_pdf(&ApiRequest {
                method: "GET".into(),
                path: "/".into(),
                route_key: None,
                path_params: HashMap::new(),
                query: vec![],
                headers,
                body: vec![],
                platform_request_id: "r".into(),
                claims: None,
                cold_start: false,
            })
        };
        assert!(!with(None));
        assert!(!with(Some("*/*")));
        assert!(!with(Some("application/json")));
        assert!(with(Some("application/pdf")));
        assert!(with(Some("application/pdf, */*;q=0.5")));
        assert!(!with(Some("application/json, application/pdf;q=0.9")));
        assert!(
            !with(Some("application/pdf, application/json")),
            "JSON wins a tie"
        );
        assert!(!with(Some("application/pdf;q=0")));
    }
}
