//! The local stand-in for API Gateway's JWT authorizer: HS256 tokens signed with
//! `LOCAL_JWT_SECRET`, issuer `corpnum-local`, audience `corpnum`, `exp` required.
//!
//! A [`Verifier`] remembers the tokens whose signature it has checked, so a client that
//! sends the same token on every request pays for the HMAC and the JSON parse once: a
//! token's bytes are what was signed, so the same bytes verify the same way; only the
//! time checks (`exp`, `nbf`) depend on when, and those run on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;

pub const ISSUER: &str = "corpnum-local";
pub const AUDIENCE: &str = "corpnum";
pub const DEFAULT_SECRET: &str = "corpnum-local-secret";

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("not a JWT")]
    Malformed,
    #[error("unsupported algorithm")]
    Algorithm,
    #[error("bad signature")]
    Signature,
    #[error("wrong issuer or audience")]
    Audience,
    #[error("expired or missing exp")]
    Expired,
}

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    #[allow(clippy::expect_used)] // HMAC takes keys of any length.
    Hmac::<Sha256>::new_from_slice(secret).expect("any key length")
}

/// Signs `claims` (adding `iss`, `aud`).
pub fn issue(mut claims: Map<String, Value>, secret: &str) -> String {
    claims.insert("iss".into(), json!(ISSUER));
    claims.insert("aud".into(), json!(AUDIENCE));
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string());
    let signing_input = format!("{header}.{payload}");
    let mut m = mac(secret.as_bytes());
    m.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(m.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// Claims of verified tokens, as API Gateway passes them on: every value a string.
pub type Claims = Arc<HashMap<String, String>>;

/// How many verified tokens a [`Verifier`] keeps; past that it forgets them all and starts
/// again (a local host sees a handful of clients, so this bounds memory, not hit rate).
const CACHE_TOKENS: usize = 4096;

/// Checks tokens against one secret, remembering the ones it has verified.
pub struct Verifier {
    key: Hmac<Sha256>,
    verified: Mutex<HashMap<Box<str>, Verified>>,
}

#[derive(Clone)]
struct Verified {
    exp: i64,
    nbf: Option<i64>,
    claims: Claims,
}

impl Verified {
    fn in_time(&self, now_epoch: i64) -> Result<(), JwtError> {
        if self.exp <= now_epoch || self.nbf.is_some_and(|nbf| nbf > now_epoch) {
            return Err(JwtError::Expired);
        }
        Ok(())
    }
}

impl Verifier {
    pub fn new(secret: &str) -> Self {
        Self {
            key: mac(secret.as_bytes()),
            verified: Mutex::new(HashMap::new()),
        }
    }

    /// The token's claims, as API Gateway passes them on (every value a string), if it is
    /// valid at `now_epoch`.
    pub fn verify(&self, token: &str, now_epoch: i64) -> Result<Claims, JwtError> {
        let cached = self
            .verified
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned();
        let verified = match cached {
            Some(verified) => verified,
            None => {
                let verified = check(token, self.key.clone())?;
                let mut cache = self.verified.lock().unwrap_or_else(PoisonError::into_inner);
                if cache.len() >= CACHE_TOKENS {
                    cache.clear();
                }
                cache.insert(token.into(), verified.clone());
                verified
            }
        };
        verified.in_time(now_epoch)?;
        Ok(verified.claims)
    }
}

/// Everything about a token that does not depend on the time: its form, signature,
/// issuer and audience, and that it has an `exp`.
fn check(token: &str, mut m: Hmac<Sha256>) -> Result<Verified, JwtError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header: Value = decode(h)?;
    if header.get("alg").and_then(Value::as_str) != Some("HS256") {
        return Err(JwtError::Algorithm);
    }
    let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Malformed)?;
    // The signing input is the token up to its second dot.
    m.update(&token.as_bytes()[..h.len() + 1 + p.len()]);
    m.verify_slice(&signature)
        .map_err(|_| JwtError::Signature)?;
    let Value::Object(claims) = decode(p)? else {
        return Err(JwtError::Malformed);
    };
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == AUDIENCE,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(AUDIENCE)),
        _ => false,
    };
    if claims.get("iss").and_then(Value::as_str) != Some(ISSUER) || !aud_ok {
        return Err(JwtError::Audience);
    }
    let Some(exp) = claims.get("exp").and_then(Value::as_i64) else {
        return Err(JwtError::Expired);
    };
    let nbf = claims.get("nbf").and_then(Value::as_i64);
    let claims = claims
        .into_iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, s)
        })
        .collect();
    Ok(Verified {
        exp,
        nbf,
        claims: Arc::new(claims),
    })
}

fn decode(part: &str) -> Result<Value, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("sub".into(), json!("u1"));
        m.insert("exp".into(), json!(exp));
        m
    }

    #[test]
    fn round_trip_and_refusals() {
        let verify = |token: &str, secret: &str, now: i64| Verifier::new(secret).verify(token, now);
        let token = issue(claims(2_000), "s3cret");
        let verified = verify(&token, "s3cret", 1_000).unwrap();
        assert_eq!(verified["sub"], "u1");
        assert_eq!(verified["exp"], "2000");
        assert_eq!(verify(&token, "other", 1_000), Err(JwtError::Signature));
        assert_eq!(verify(&token, "s3cret", 2_000), Err(JwtError::Expired));
        assert_eq!(verify("a.b", "s3cret", 0), Err(JwtError::Malformed));
        let mut tampered = token.clone();
        tampered.insert(token.find('.').unwrap() + 2, 'x');
        assert!(verify(&tampered, "s3cret", 1_000).is_err());
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            token.split('.').nth(1).unwrap()
        );
        assert_eq!(verify(&none, "s3cret", 1_000), Err(JwtError::Algorithm));
    }

    /// A remembered token is still checked against the clock on every request, and what
    /// is remembered is the whole token: its claims with another signature do not pass.
    #[test]
    fn the_verifier_remembers_signatures_not_times() {
        let verifier = Verifier::new("s3cret");
        let mut c = claims(2_000);
        c.insert("nbf".into(), json!(500));
        let token = issue(c, "s3cret");
        assert_eq!(verifier.verify(&token, 400), Err(JwtError::Expired));
        assert_eq!(verifier.verify(&token, 1_000).unwrap()["sub"], "u1");
        assert_eq!(verifier.verify(&token, 1_000).unwrap()["nbf"], "500");
        assert_eq!(verifier.verify(&token, 400), Err(JwtError::Expired));
        assert_eq!(verifier.verify(&token, 2_000), Err(JwtError::Expired));

        let signing_input = &token[..token.rfind('.').unwrap()];
        let forged = issue(claims(2_000), "other");
        let resigned = format!(
            "{signing_input}.{}",
            &forged[forged.rfind('.').unwrap() + 1..]
        );
        assert_eq!(verifier.verify(&resigned, 1_000), Err(JwtError::Signature));
        assert_eq!(verifier.verify(&forged, 1_000), Err(JwtError::Signature));
        assert_eq!(
            Verifier::new("other").verify(&token, 1_000),
            Err(JwtError::Signature)
        );
    }
}
