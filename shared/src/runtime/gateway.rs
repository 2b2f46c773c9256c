//! API Gateway HTTP API events (payload format 2.0) and the answers to them: what an HTTP
//! function is handed by the Lambda runtime, and what it gives back.
//!
//! corpnum reads only the fields it uses, straight into the API layer's [`ApiRequest`].
//! `lambda_http` read the whole event twice (once to tell which service sent it, once into
//! its type), then converted that into an `http::Request` with extensions, which
//! `api_request` converted again: about 76,000 instructions of a status read's 920,000
//! (`make readcost`). The format is AWS's: <https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html>.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize};

use crate::api::{ApiRequest, ApiResponse, Claims};

/// An API Gateway v2 event, the fields corpnum reads (the rest are skipped). A field API
/// Gateway sends as `null` reads as absent.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayEvent {
    /// `GET /v1/applications/{id}`, or `$default` for the catch-all route.
    #[serde(default, deserialize_with = "nullable")]
    pub route_key: String,
    #[serde(default, deserialize_with = "nullable")]
    pub raw_path: String,
    #[serde(default, deserialize_with = "nullable")]
    pub raw_query_string: String,
    /// The `Cookie` header's parts, which API Gateway moves out of `headers`.
    #[serde(default, deserialize_with = "nullable")]
    pub cookies: Vec<String>,
    /// Lower-case names; a repeated header's values joined with commas.
    #[serde(default, deserialize_with = "nullable")]
    pub headers: HashMap<String, String>,
    /// Already percent-decoded by API Gateway.
    #[serde(default, deserialize_with = "nullable")]
    pub path_parameters: HashMap<String, String>,
    #[serde(default, deserialize_with = "nullable")]
    pub request_context: GatewayContext,
    #[serde(default, deserialize_with = "nullable")]
    pub body: String,
    #[serde(default, deserialize_with = "nullable")]
    pub is_base64_encoded: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayContext {
    #[serde(default, deserialize_with = "nullable")]
    pub request_id: String,
    #[serde(default, deserialize_with = "nullable")]
    pub http: GatewayHttp,
    #[serde(default, deserialize_with = "nullable")]
    pub authorizer: GatewayAuthorizer,
}

#[derive(Debug, Default, Deserialize)]
pub struct GatewayHttp {
    #[serde(default, deserialize_with = "nullable")]
    pub method: String,
    #[serde(default, deserialize_with = "nullable")]
    pub path: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct GatewayAuthorizer {
    /// Set by a JWT authorizer that verified the caller's token; absent without one.
    #[serde(default)]
    pub jwt: Option<GatewayJwt>,
}

#[derive(Debug, Default, Deserialize)]
pub struct GatewayJwt {
    /// The token's claims corpnum reads (API Gateway passes every claim as a string).
    #[serde(default, deserialize_with = "nullable")]
    pub claims: GatewayClaims,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct GatewayClaims {
    #[serde(default)]
    pub sub: Option<String>,
    #[serde(default)]
    pub org_inn: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
}

/// `null` as the type's empty value, as API Gateway sends `"pathParameters": null` and the
/// like.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

impl GatewayEvent {
    /// Reads an event from the JSON text the Lambda runtime hands a function. Kept out of
    /// line so that profiles (`make readcost`) name it.
    #[inline(never)]
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The request as the API layer sees it. Headers whose name or value HTTP does not
    /// allow are left out (API Gateway passes none); a body marked base64 that does not
    /// decode is kept as it came, so that reading it fails as malformed.
    pub fn into_api_request(self) -> ApiRequest {
        let mut headers = http::HeaderMap::with_capacity(self.headers.len() + 1);
        append_headers(&mut headers, &self.headers);
        if !self.cookies.is_empty()
            && let Ok(value) = http::HeaderValue::from_str(&self.cookies.join("; "))
        {
            headers.insert(http::header::COOKIE, value);
        }
        let body = if self.is_base64_encoded {
            base64::engine::general_purpose::STANDARD
                .decode(&self.body)
                .unwrap_or_else(|_| self.body.into_bytes())
        } else {
            self.body.into_bytes()
        };
        let context = self.request_context;
        let claims = context.authorizer.jwt.map(|jwt| Claims {
            sub: jwt.claims.sub,
            org_inn: jwt.claims.org_inn,
            scope: jwt.claims.scope.or_else(|| jwt.scopes.map(|s| s.join(" "))),
        });
        ApiRequest {
            method: context.http.method,
            path: if self.raw_path.is_empty() {
                context.http.path
            } else {
                self.raw_path
            },
            route_key: Some(self.route_key).filter(|k| !k.is_empty() && k != "$default"),
            path_params: self.path_parameters,
            query: crate::api::routes::query_pairs(&self.raw_query_string),
            headers,
            body,
            platform_request_id: if context.request_id.is_empty() {
                uuid::Uuid::new_v4().to_string()
            } else {
                context.request_id
            },
            claims,
            cold_start: false,
        }
    }
}

/// API Gateway's name → value pairs as HTTP headers; a pair HTTP does not allow is left out.
fn append_headers<'a>(
    headers: &mut http::HeaderMap,
    pairs: impl IntoIterator<Item = (&'a String, &'a String)>,
) {
    for (name, value) in pairs {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
}

/// The answer to API Gateway (payload format 2.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayResponse {
    pub status_code: u16,
    /// A repeated header's values joined with commas, as API Gateway expects them.
    pub headers: BTreeMap<String, String>,
    /// `Set-Cookie` headers, which API Gateway takes here and not among `headers`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cookies: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub body: String,
    /// A document (PDF) goes back base64-encoded, and API Gateway returns it to the client
    /// as bytes; JSON goes back as text.
    pub is_base64_encoded: bool,
}

impl GatewayResponse {
    pub fn from_api(response: ApiResponse) -> Self {
        let (parts, body) = response.into_parts();
        let mut headers = BTreeMap::new();
        let mut cookies = Vec::new();
        for (name, value) in &parts.headers {
            let value = String::from_utf8_lossy(value.as_bytes());
            if name == http::header::SET_COOKIE {
                cookies.push(value.into_owned());
                continue;
            }
            headers
                .entry(name.as_str().to_owned())
                .and_modify(|joined: &mut String| {
                    joined.push(',');
                    joined.push_str(&value);
                })
                .or_insert_with(|| value.into_owned());
        }
        let binary = headers
            .get(http::header::CONTENT_TYPE.as_str())
            .is_some_and(|t| t.starts_with("application/pdf"));
        let (body, is_base64_encoded) = if binary {
            (
                base64::engine::general_purpose::STANDARD.encode(&body),
                true,
            )
        } else {
            match String::from_utf8(body) {
                Ok(text) => (text, false),
                Err(e) => (
                    base64::engine::general_purpose::STANDARD.encode(e.into_bytes()),
                    true,
                ),
            }
        };
        Self {
            status_code: parts.status.as_u16(),
            headers,
            cookies,
            body,
            is_base64_encoded,
        }
    }

    /// The HTTP response API Gateway makes of it (for a host standing in for API Gateway).
    pub fn into_http(self) -> http::Response<Vec<u8>> {
        let mut response = http::Response::new(if self.is_base64_encoded {
            base64::engine::general_purpose::STANDARD
                .decode(&self.body)
                .unwrap_or_default()
        } else {
            self.body.into_bytes()
        });
        *response.status_mut() =
            http::StatusCode::from_u16(self.status_code).unwrap_or(http::StatusCode::BAD_GATEWAY);
        let headers = response.headers_mut();
        append_headers(headers, &self.headers);
        for cookie in &self.cookies {
            if let Ok(value) = http::HeaderValue::from_str(cookie) {
                headers.append(http::header::SET_COOKIE, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An event as API Gateway writes it, with fields corpnum skips and others `null`.
    const EVENT: &str = r#"{
        "version": "2.0",
        "routeKey": "POST /v1/applications/{id}/otp",
        "rawPath": "/v1/applications/a%20b/otp",
        "rawQueryString": "lang=en&page=2&q=%D0%B0",
        "cookies": ["a=1", "b=2"],
        "headers": {"accept": "application/json", "x-forwarded-for": "10.0.0.1,10.0.0.2",
                    "bad header": "dropped"},
        "queryStringParameters": {"lang": "en", "page": "2"},
        "pathParameters": {"id": "a b"},
        "stageVariables": null,
        "requestContext": {
            "accountId": "000000000000", "apiId": "api", "domainName": "x.example",
            "http": {"method": "POST", "path": "/v1/applications/a%20b/otp",
                     "protocol": "HTTP/1.1", "sourceIp": "203.0.113.1", "userAgent": "probe/1"},
            "requestId": "req-1", "routeKey": "POST /v1/applications/{id}/otp",
            "stage": "$default", "time": "04/Dec/2026:10:11:12 +0000", "timeEpoch": 1796379072000,
            "authorizer": {"jwt": {"claims": {"sub": "rep-7707083893", "org_inn": "7707083893",
                                              "scope": "corpnum/org", "exp": "2000000000"},
                                   "scopes": null}}
        },
        "body": "//57",
        "isBase64Encoded": true
    }"#;

    #[test]
    fn an_event_reaches_the_api_layer_whole() {
        let request = GatewayEvent::from_json(EVENT).unwrap().into_api_request();
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
            vec![
                ("lang".into(), "en".into()),
                ("page".into(), "2".into()),
                ("q".into(), "а".into())
            ]
        );
        assert_eq!(request.headers["x-forwarded-for"], "10.0.0.1,10.0.0.2");
        assert_eq!(request.headers["cookie"], "a=1; b=2");
        assert_eq!(request.headers.len(), 3, "{:?}", request.headers);
        assert_eq!(request.body, [0xff, 0xfe, b'{']);
        assert_eq!(request.platform_request_id, "req-1");
        let claims = request.claims.unwrap();
        assert_eq!(claims.sub.as_deref(), Some("rep-7707083893"));
        assert_eq!(claims.org_inn.as_deref(), Some("7707083893"));
        assert_eq!(claims.scope.as_deref(), Some("corpnum/org"));
    }

    #[test]
    fn a_bare_event_has_no_caller_route_or_body() {
        let event = r#"{"routeKey": "$default", "rawPath": null, "headers": null,
            "pathParameters": null, "body": null, "isBase64Encoded": false,
            "requestContext": {"http": {"method": "GET", "path": "/v1/nowhere"}}}"#;
        let request = GatewayEvent::from_json(event).unwrap().into_api_request();
        assert_eq!(request.path, "/v1/nowhere");
        assert_eq!(request.route_key, None);
        assert!(request.claims.is_none());
        assert!(request.body.is_empty());
        assert!(request.headers.is_empty());
        assert!(!request.platform_request_id.is_empty());
    }

    /// API Gateway never sends it; if it did, reading the body fails as malformed JSON
    /// (lambda_http panicked).
    #[test]
    fn a_body_marked_base64_that_does_not_decode_is_kept_as_it_came() {
        let event = r#"{"body": "{\"code\": 1}", "isBase64Encoded": true,
            "requestContext": {"http": {"method": "POST"}}}"#;
        let request = GatewayEvent::from_json(event).unwrap().into_api_request();
        assert_eq!(request.body, br#"{"code": 1}"#);
    }

    #[test]
    fn scopes_stand_in_for_a_missing_scope_claim() {
        let event = r#"{"requestContext": {"http": {"method": "GET"},
            "authorizer": {"jwt": {"claims": {"sub": "op"}, "scopes": ["corpnum/operator", "x"]}}}}"#;
        let claims = GatewayEvent::from_json(event)
            .unwrap()
            .into_api_request()
            .claims
            .unwrap();
        assert_eq!(claims.scope.as_deref(), Some("corpnum/operator x"));
    }

    #[test]
    fn documents_go_back_in_base64_and_json_as_text() {
        let pdf = http::Response::builder()
            .status(200)
            .header(http::header::CONTENT_TYPE, "application/pdf")
            .body(b"%PDF-1.7\n\xff\xfe".to_vec())
            .unwrap();
        let answer = GatewayResponse::from_api(pdf);
        assert!(answer.is_base64_encoded);
        assert_eq!(answer.body, "JVBERi0xLjcK//4=");
        assert_eq!(answer.into_http().body(), b"%PDF-1.7\n\xff\xfe");

        let json = http::Response::builder()
            .status(422)
            .header(http::header::CONTENT_TYPE, "application/problem+json")
            .header("vary", "accept")
            .header("vary", "accept-language")
            .header(http::header::SET_COOKIE, "a=1")
            .body(r#"{"a":"б"}"#.as_bytes().to_vec())
            .unwrap();
        let answer = GatewayResponse::from_api(json);
        assert_eq!(
            serde_json::to_value(&answer).unwrap(),
            serde_json::json!({
                "statusCode": 422,
                "headers": {"content-type": "application/problem+json",
                            "vary": "accept,accept-language"},
                "cookies": ["a=1"],
                "body": r#"{"a":"б"}"#,
                "isBase64Encoded": false,
            })
        );
        let back = answer.into_http();
        assert_eq!(back.status(), 422);
        assert_eq!(back.headers()["set-cookie"], "a=1");
        assert_eq!(back.body(), r#"{"a":"б"}"#.as_bytes());
    }
}
