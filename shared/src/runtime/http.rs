//! Glue between `lambda_http` and the framework-neutral API: the same conversion serves
//! the deployed functions and the local host.

use lambda_http::request::RequestContext;
use lambda_http::{Body, Error, Request, RequestExt, Response};

use crate::api::{self, ApiRequest, Claims, Function};
use crate::app::Services;

/// Converts an API Gateway v2 request (as lambda_http parsed it) for the API layer.
pub fn api_request(event: Request) -> ApiRequest {
    let (route_key, request_id, claims) = match event.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => {
            let claims = ctx
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .map(|jwt| Claims {
                    sub: jwt.claims.get("sub").cloned(),
                    org_inn: jwt.claims.get("org_inn").cloned(),
                    scope: jwt
                        .claims
                        .get("scope")
                        .cloned()
                        .or_else(|| jwt.scopes.as_ref().map(|s| s.join(" "))),
                });
            (ctx.route_key.clone(), ctx.request_id.clone(), claims)
        }
        _ => (None, None, None),
    };
    let path_params = event
        .path_parameters_ref()
        .map(|p| {
            p.iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let query = event
        .query_string_parameters_ref()
        .map(|q| {
            q.iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let path = event.raw_http_path().to_owned();
    let path = if path.is_empty() {
        event.uri().path().to_owned()
    } else {
        path
    };
    let (parts, body) = event.into_parts();
    let body = match body {
        Body::Empty => Vec::new(),
        Body::Text(t) => t.into_bytes(),
        Body::Binary(b) => b,
        _ => Vec::new(),
    };
    ApiRequest {
        method: parts.method.as_str().to_owned(),
        path,
        route_key: route_key.filter(|k| k != "$default"),
        path_params,
        query,
        headers: parts.headers,
        body,
        platform_request_id: request_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        claims,
        cold_start: false,
    }
}

/// JSON goes back as text; a document (PDF) as binary, which API Gateway receives base64
/// encoded (`isBase64Encoded`) and returns to the client as bytes.
pub fn lambda_response(response: api::ApiResponse) -> Response<Body> {
    let (parts, body) = response.into_parts();
    let binary = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/pdf"));
    let body = if binary {
        Body::Binary(body)
    } else {
        match String::from_utf8(body) {
            Ok(text) => Body::Text(text),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    };
    Response::from_parts(parts, body)
}

/// One HTTP function's handler, with the function's own dispatcher
/// (`corpnum::api::dispatch::<function>`): the request, then the invocation's metrics.
pub async fn handle(
    function: Function,
    dispatch: api::dispatch::Dispatch,
    services: &Services,
    event: Request,
) -> Result<Response<Body>, Error> {
    let mut request = api_request(event);
    request.cold_start = super::invocation::cold_start();
    let response = api::handle_with(function, dispatch, services, request).await;
    super::metrics::flush(function.name());
    Ok(lambda_response(response))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PDF goes back to API Gateway as binary (base64 on the wire, `isBase64Encoded`),
    /// JSON as text.
    #[test]
    fn documents_are_binary_and_json_is_text() {
        let pdf = http::Response::builder()
            .header(http::header::CONTENT_TYPE, "application/pdf")
            .body(b"%PDF-1.7\n\xff\xfe".to_vec())
            .unwrap();
        match lambda_response(pdf).into_body() {
            Body::Binary(bytes) => assert!(bytes.starts_with(b"%PDF-")),
            other => panic!("not binary: {other:?}"),
        }
        let json = http::Response::builder()
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(br#"{"a":1}"#.to_vec())
            .unwrap();
        match lambda_response(json).into_body() {
            Body::Text(text) => assert_eq!(text, r#"{"a":1}"#),
            other => panic!("not text: {other:?}"),
        }
    }
}
