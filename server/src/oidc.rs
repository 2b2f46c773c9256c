//! The portal's bearer tokens, verified as API Gateway's JWT authorizer verifies them, but
//! against the OIDC issuer's published keys (JWKS): RS256 or ES256 only (never `none`, never
//! a shared-secret HMAC), the issuer, the audience, `exp` and `nbf`. Keys are cached; a
//! token naming a key not seen yet makes one fetch, at most once per `min_refresh`, so a
//! rotation at the issuer is picked up at once and a flood of made-up `kid`s is not passed
//! on to it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use corpnum::api::Claims;
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

/// Who issues the tokens and how its keys are used.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    /// The `iss` every token must carry, and where discovery starts.
    pub issuer: String,
    /// One of the token's `aud` values.
    pub audience: String,
    /// The JWKS address; `None`: the `jwks_uri` of the issuer's discovery document
    /// (`<issuer>/.well-known/openid-configuration`).
    pub jwks_url: Option<String>,
    /// How long fetched keys are trusted before they are fetched again.
    pub max_age: Duration,
    /// The least time between two fetches.
    pub min_refresh: Duration,
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    pub leeway_seconds: i64,
}

impl OidcConfig {
    /// Ten minutes of key caching, a fetch at most every 30 s, a minute of clock skew.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            jwks_url: None,
            max_age: Duration::from_secs(600),
            min_refresh: Duration::from_secs(30),
            leeway_seconds: 60,
        }
    }
}

/// Why a token was refused. Only [`TokenError::KeysUnavailable`] is the server's fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not a JWT")]
    Malformed,
    #[error("algorithm not accepted (RS256 and ES256 only)")]
    Algorithm,
    #[error("no key of the issuer has this kid")]
    UnknownKey,
    #[error("bad signature")]
    Signature,
    #[error("wrong issuer")]
    Issuer,
    #[error("wrong audience")]
    Audience,
    #[error("expired, or no exp")]
    Expired,
    #[error("not valid yet")]
    NotYetValid,
    #[error("the issuer's keys could not be fetched")]
    KeysUnavailable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alg {
    Rs256,
    Es256,
}

impl Alg {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::Rs256),
            "ES256" => Some(Self::Es256),
            _ => None,
        }
    }
}

/// One of the issuer's public keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    alg: Alg,
    material: Material,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Material {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// The uncompressed point: `04 || x || y`.
    P256(Vec<u8>),
}

impl PublicKey {
    fn verifies(&self, message: &[u8], sig: &[u8]) -> bool {
        match &self.material {
            // 2048 bits at least: shorter RSA keys are refused here.
            Material::Rsa { n, e } => RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
                .is_ok(),
            // JWS carries ES256 signatures as r || s, which is aws-lc's "fixed" form.
            Material::P256(point) => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, sig)
                    .is_ok()
            }
        }
    }
}

fn b64(value: Option<&Value>) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(value?.as_str()?).ok()
}

/// The signing keys of a JWKS document, by `kid`. Keys without a `kid`, for encryption,
/// of another type or curve, or whose `alg` is not RS256/ES256 are left out.
pub fn parse_jwks(document: &Value) -> HashMap<String, PublicKey> {
    let mut keys = HashMap::new();
    for jwk in document["keys"].as_array().into_iter().flatten() {
        let Some(kid) = jwk["kid"].as_str() else {
            continue;
        };
        if jwk.get("use").is_some_and(|u| u != "sig") {
            continue;
        }
        let key = match jwk["kty"].as_str() {
            Some("RSA") => match (b64(jwk.get("n")), b64(jwk.get("e"))) {
                (Some(n), Some(e)) => Some(PublicKey {
                    alg: Alg::Rs256,
                    material: Material::Rsa { n, e },
                }),
                _ => None,
            },
            Some("EC") if jwk["crv"] == "P-256" => match (b64(jwk.get("x")), b64(jwk.get("y"))) {
                (Some(x), Some(y)) if x.len() == 32 && y.len() == 32 => {
                    let mut point = Vec::with_capacity(65);
                    point.push(4);
                    point.extend_from_slice(&x);
                    point.extend_from_slice(&y);
                    Some(PublicKey {
                        alg: Alg::Es256,
                        material: Material::P256(point),
                    })
                }
                _ => None,
            },
            _ => None,
        };
        let Some(key) = key else {
            continue;
        };
        if let Some(alg) = jwk.get("alg").and_then(Value::as_str)
            && Alg::parse(alg) != Some(key.alg)
        {
            continue;
        }
        keys.insert(kid.to_owned(), key);
    }
    keys
}

fn decode_json(part: &str) -> Result<Value, TokenError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

/// A token split into its parts, with its header read.
struct Parsed<'a> {
    alg: Alg,
    kid: String,
    signing_input: &'a str,
    payload: &'a str,
    signature: Vec<u8>,
}

fn parse(token: &str) -> Result<Parsed<'_>, TokenError> {
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let header_json = decode_json(header)?;
    let alg = header_json["alg"]
        .as_str()
        .and_then(Alg::parse)
        .ok_or(TokenError::Algorithm)?;
    // Every key the issuer publishes has a kid, so a token must name one.
    let kid = header_json["kid"]
        .as_str()
        .ok_or(TokenError::UnknownKey)?
        .to_owned();
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    Ok(Parsed {
        alg,
        kid,
        signing_input: &token[..header.len() + 1 + payload.len()],
        payload,
        signature,
    })
}

/// A claim as API Gateway passes claims on: text (numbers written out).
fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The claims of `token` if one of `keys` signed it and it is valid for `config` at `now`
/// (seconds since the epoch).
pub fn verify_with(
    keys: &HashMap<String, PublicKey>,
    token: &str,
    config: &OidcConfig,
    now: i64,
) -> Result<Claims, TokenError> {
    let parsed = parse(token)?;
    let key = keys.get(&parsed.kid).ok_or(TokenError::UnknownKey)?;
    // The key decides the algorithm: a token cannot ask for another one.
    if key.alg != parsed.alg {
        return Err(TokenError::Algorithm);
    }
    if !key.verifies(parsed.signing_input.as_bytes(), &parsed.signature) {
        return Err(TokenError::Signature);
    }
    let claims = decode_json(parsed.payload)?;
    if !claims.is_object() {
        return Err(TokenError::Malformed);
    }
    if claims["iss"].as_str() != Some(config.issuer.as_str()) {
        return Err(TokenError::Issuer);
    }
    let audience_ok = match &claims["aud"] {
        Value::String(a) => *a == config.audience,
        Value::Array(list) => list.iter().any(|a| *a == config.audience.as_str()),
        _ => false,
    };
    if !audience_ok {
        return Err(TokenError::Audience);
    }
    match claims["exp"].as_i64() {
        Some(exp) if exp + config.leeway_seconds > now => {}
        _ => return Err(TokenError::Expired),
    }
    if claims["nbf"]
        .as_i64()
        .is_some_and(|nbf| nbf - config.leeway_seconds > now)
    {
        return Err(TokenError::NotYetValid);
    }
    let scope = text(&claims["scope"]).or_else(|| match &claims["scp"] {
        Value::Array(list) => Some(
            list.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        other => text(other),
    });
    Ok(Claims {
        sub: text(&claims["sub"]),
        org_inn: text(&claims["org_inn"]),
        scope,
    })
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, PublicKey>,
    fetched_at: Option<Instant>,
    attempted_at: Option<Instant>,
    jwks_url: Option<String>,
}

type HttpClient = crate::net::HttpClient<http_body_util::Empty<bytes::Bytes>>;

/// Largest key document read.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// Whether `url` may be fetched over plain HTTP: loopback only (tests, a sidecar).
fn loopback(url: &str) -> bool {
    let rest = url.strip_prefix("http://").unwrap_or("");
    ["127.0.0.1", "localhost", "[::1]"].iter().any(|host| {
        rest.strip_prefix(host)
            .is_some_and(|after| after.is_empty() || after.starts_with([':', '/']))
    })
}

/// An address the keys may be fetched from: HTTPS, or HTTP on loopback.
pub fn acceptable_url(url: &str) -> bool {
    url.starts_with("https://") || loopback(url)
}

/// Verifies tokens with the issuer's keys, fetching them as needed.
pub struct Verifier {
    config: OidcConfig,
    http: HttpClient,
    cache: RwLock<Cache>,
    /// One fetch at a time; requests waiting for it use what it fetched.
    fetching: Mutex<()>,
    fetches: AtomicU64,
}

impl Verifier {
    /// A verifier for `config`, trusting the system's root certificates.
    pub fn new(config: OidcConfig) -> Result<Self, String> {
        let http = crate::net::https_client()?;
        Ok(Self {
            cache: RwLock::new(Cache {
                jwks_url: config.jwks_url.clone(),
                ..Cache::default()
            }),
            config,
            http,
            fetching: Mutex::new(()),
            fetches: AtomicU64::new(0),
        })
    }

    /// How many times the keys were fetched (or tried).
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// How many keys are cached.
    pub async fn key_count(&self) -> usize {
        self.cache.read().await.keys.len()
    }

    /// The claims of a valid token.
    pub async fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        // Garbage is refused before it can make a fetch.
        let kid = parse(token)?.kid;
        {
            let cache = self.cache.read().await;
            let fresh = cache
                .fetched_at
                .is_some_and(|at| at.elapsed() < self.config.max_age);
            if fresh && cache.keys.contains_key(&kid) {
                return verify_with(&cache.keys, token, &self.config, now);
            }
        }
        self.refresh_if_due().await;
        let cache = self.cache.read().await;
        if cache.keys.is_empty() {
            return Err(TokenError::KeysUnavailable);
        }
        verify_with(&cache.keys, token, &self.config, now)
    }

    /// Fetches the keys unless a fetch was made less than `min_refresh` ago. A failed
    /// fetch keeps the keys fetched before (the issuer being down does not lock everyone
    /// out at once).
    async fn refresh_if_due(&self) {
        let _one_at_a_time = self.fetching.lock().await;
        if self
            .cache
            .read()
            .await
            .attempted_at
            .is_some_and(|at| at.elapsed() < self.config.min_refresh)
        {
            return;
        }
        if let Err(error) = self.refresh().await {
            tracing::warn!(error = %error, "the token issuer's keys could not be fetched");
        }
    }

    /// Fetches the keys now; returns how many signing keys the issuer publishes.
    pub async fn refresh(&self) -> Result<usize, String> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        self.cache.write().await.attempted_at = Some(Instant::now());
        // The read guard must be gone before the write below.
        let known = self.cache.read().await.jwks_url.clone();
        let url = match known {
            Some(url) => url,
            None => {
                let url = self.discover().await?;
                self.cache.write().await.jwks_url = Some(url.clone());
                url
            }
        };
        let document = self.get_json(&url).await?;
        let keys = parse_jwks(&document);
        let count = keys.len();
        let mut cache = self.cache.write().await;
        cache.keys = keys;
        cache.fetched_at = Some(Instant::now());
        tracing::info!(keys = count, "token issuer's keys fetched");
        Ok(count)
    }

    /// The `jwks_uri` of the issuer's discovery document, which must name the same issuer.
    async fn discover(&self) -> Result<String, String> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.config.issuer.trim_end_matches('/')
        );
        let document = self.get_json(&url).await?;
        if document["issuer"].as_str() != Some(self.config.issuer.as_str()) {
            return Err(format!("{url} names another issuer"));
        }
        document["jwks_uri"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{url} has no jwks_uri"))
    }

    async fn get_json(&self, url: &str) -> Result<Value, String> {
        use http_body_util::BodyExt;
        if !acceptable_url(url) {
            return Err(format!("{url}: HTTPS only (plain HTTP on loopback alone)"));
        }
        let uri: http::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        let fetch = async {
            let response = self.http.get(uri).await.map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(response.status().to_string());
            }
            let body = http_body_util::Limited::new(response.into_body(), MAX_DOCUMENT_BYTES)
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            serde_json::from_slice(&body).map_err(|e| e.to_string())
        };
        match tokio::time::timeout(Duration::from_secs(3), fetch).await {
            Ok(result) => result.map_err(|e| format!("{url}: {e}")),
            Err(_) => Err(format!("{url}: no answer within 3 s")),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::issuer::{Issuer, SigningKey};

    fn config() -> OidcConfig {
        OidcConfig::new("https://id.example", "corpnum")
    }

    fn claims(exp_in: i64) -> Value {
        json!({
            "iss": "https://id.example",
            "aud": ["other", "corpnum"],
            "sub": "rep-1",
            "org_inn": "7707083893",
            "scope": "corpnum/org",
            "exp": 1_000 + exp_in,
        })
    }

    #[test]
    fn accepts_rs256_and_es256_from_the_published_keys() {
        let issuer = Issuer::new(vec![SigningKey::rsa("r1"), SigningKey::ec("e1")]);
        let keys = parse_jwks(&issuer.jwks());
        assert_eq!(keys.len(), 2);
        for kid in ["r1", "e1"] {
            let token = issuer.sign(kid, &claims(300));
            let got = verify_with(&keys, &token, &config(), 1_000).unwrap();
            assert_eq!(
                got,
                Claims {
                    sub: Some("rep-1".into()),
                    org_inn: Some("7707083893".into()),
                    scope: Some("corpnum/org".into()),
                }
            );
        }
    }

    #[test]
    fn refuses_what_the_authorizer_refuses() {
        let issuer = Issuer::new(vec![SigningKey::rsa("r1"), SigningKey::ec("e1")]);
        let keys = parse_jwks(&issuer.jwks());
        let check = |token: &str| verify_with(&keys, token, &config(), 1_000);
        let mut wrong_iss = claims(300);
        wrong_iss["iss"] = json!("https://evil.example");
        assert_eq!(
            check(&issuer.sign("r1", &wrong_iss)),
            Err(TokenError::Issuer)
        );
        let mut wrong_aud = claims(300);
        wrong_aud["aud"] = json!("other");
        assert_eq!(
            check(&issuer.sign("r1", &wrong_aud)),
            Err(TokenError::Audience)
        );
        // Expired beyond the minute of skew; within it still accepted.
        assert_eq!(
            check(&issuer.sign("e1", &claims(-61))),
            Err(TokenError::Expired)
        );
        assert!(check(&issuer.sign("e1", &claims(-59))).is_ok());
        let mut no_exp = claims(0);
        no_exp.as_object_mut().unwrap().remove("exp");
        assert_eq!(check(&issuer.sign("e1", &no_exp)), Err(TokenError::Expired));
        let mut later = claims(300);
        later["nbf"] = json!(1_000 + 120);
        assert_eq!(
            check(&issuer.sign("e1", &later)),
            Err(TokenError::NotYetValid)
        );
        // A key of another issuer under a known kid, and an unknown kid.
        let stranger = Issuer::new(vec![SigningKey::rsa("r1"), SigningKey::ec("x9")]);
        assert_eq!(
            check(&stranger.sign("r1", &claims(300))),
            Err(TokenError::Signature)
        );
        assert_eq!(
            check(&stranger.sign("x9", &claims(300))),
            Err(TokenError::UnknownKey)
        );
        // A token may not pick its algorithm: `none`, HS256 keyed with the public modulus,
        // or ES256 under an RSA key's kid.
        let good = issuer.sign("r1", &claims(300));
        let payload = good.split('.').nth(1).unwrap();
        let header = |h: &str| URL_SAFE_NO_PAD.encode(h);
        let none = format!("{}.{payload}.", header(r#"{"alg":"none","kid":"r1"}"#));
        assert_eq!(check(&none), Err(TokenError::Algorithm));
        let hs = format!("{}.{payload}.AAAA", header(r#"{"alg":"HS256","kid":"r1"}"#));
        assert_eq!(check(&hs), Err(TokenError::Algorithm));
        let es_under_rsa = issuer.sign_as("e1", "r1", &claims(300));
        assert_eq!(check(&es_under_rsa), Err(TokenError::Algorithm));
        // Tampered payload, no kid, not a JWT.
        let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
        let mut tampered = claims(300);
        tampered["org_inn"] = json!("500100732259");
        parts[1] = URL_SAFE_NO_PAD.encode(tampered.to_string());
        assert_eq!(check(&parts.join(".")), Err(TokenError::Signature));
        let no_kid = format!("{}.{payload}.AAAA", header(r#"{"alg":"RS256"}"#));
        assert_eq!(check(&no_kid), Err(TokenError::UnknownKey));
        assert_eq!(check("a.b"), Err(TokenError::Malformed));
        assert_eq!(check("не.токен.вовсе"), Err(TokenError::Malformed));
    }

    #[test]
    fn keys_not_for_signing_or_of_other_kinds_are_left_out() {
        let issuer = Issuer::new(vec![SigningKey::rsa("r1"), SigningKey::ec("e1")]);
        let mut jwks = issuer.jwks();
        let list = jwks["keys"].as_array_mut().unwrap();
        let mut enc = list[0].clone();
        enc["kid"] = json!("enc");
        enc["use"] = json!("enc");
        let mut wrong_alg = list[1].clone();
        wrong_alg["kid"] = json!("mislabelled");
        wrong_alg["alg"] = json!("RS256");
        let mut no_kid = list[1].clone();
        no_kid.as_object_mut().unwrap().remove("kid");
        list.extend([
            enc,
            wrong_alg,
            no_kid,
            json!({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}),
            json!({"kty": "EC", "crv": "P-384", "kid": "p384", "x": "AA", "y": "AA"}),
        ]);
        let mut kids: Vec<String> = parse_jwks(&jwks).into_keys().collect();
        kids.sort();
        assert_eq!(kids, ["e1", "r1"]);
    }

    #[test]
    fn keys_come_over_https_or_from_loopback() {
        assert!(acceptable_url("https://id.example/keys"));
        assert!(acceptable_url("http://127.0.0.1:8080/keys"));
        assert!(acceptable_url("http://localhost/keys"));
        assert!(!acceptable_url("http://id.example/keys"));
        assert!(!acceptable_url("http://127.0.0.1.evil.example/keys"));
        assert!(!acceptable_url("http://localhost.evil.example/keys"));
        assert!(!acceptable_url("ftp://id.example/keys"));
    }

    #[test]
    fn scopes_may_come_as_a_list() {
        let issuer = Issuer::new(vec![SigningKey::ec("e1")]);
        let keys = parse_jwks(&issuer.jwks());
        let mut c = claims(300);
        c.as_object_mut().unwrap().remove("scope");
        c["scp"] = json!(["corpnum/operator", "openid"]);
        c["sub"] = json!(42);
        let got = verify_with(&keys, &issuer.sign("e1", &c), &config(), 1_000).unwrap();
        assert_eq!(got.scope.as_deref(), Some("corpnum/operator openid"));
        assert_eq!(got.sub.as_deref(), Some("42"));
    }
}
