//! An OIDC issuer in miniature: signing keys made on the spot, their JWKS, and tokens
//! signed with them. For the tests (unit and integration), which need an issuer whose keys
//! rotate; never used by the server itself.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// One private key and its `kid`.
pub struct SigningKey {
    kid: String,
    pair: Pair,
}

impl SigningKey {
    /// A fresh 2048-bit RSA key (RS256).
    #[allow(clippy::expect_used)] // Key generation fails only if the library is broken.
    pub fn rsa(kid: &str) -> Self {
        Self {
            kid: kid.to_owned(),
            pair: Pair::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key")),
        }
    }

    /// A fresh P-256 key (ES256).
    #[allow(clippy::expect_used)]
    pub fn ec(kid: &str) -> Self {
        Self {
            kid: kid.to_owned(),
            pair: Pair::Ec(
                EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)
                    .expect("EC key"),
            ),
        }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    fn alg(&self) -> &'static str {
        match self.pair {
            Pair::Rsa(_) => "RS256",
            Pair::Ec(_) => "ES256",
        }
    }

    /// The public half as a JWK.
    pub fn jwk(&self) -> Value {
        match &self.pair {
            Pair::Rsa(pair) => {
                let components = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
                json!({
                    "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                    "n": URL_SAFE_NO_PAD.encode(&components.n),
                    "e": URL_SAFE_NO_PAD.encode(&components.e),
                })
            }
            Pair::Ec(pair) => {
                let point = pair.public_key().as_ref();
                json!({
                    "kty": "EC", "use": "sig", "alg": "ES256", "crv": "P-256", "kid": self.kid,
                    "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                    "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
                })
            }
        }
    }

    #[allow(clippy::expect_used)]
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.pair {
            Pair::Rsa(pair) => {
                let mut sig = vec![0; pair.public_modulus_len()];
                pair.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .expect("RSA signature");
                sig
            }
            Pair::Ec(pair) => pair
                .sign(&rng, message)
                .expect("EC signature")
                .as_ref()
                .to_vec(),
        }
    }
}

/// A set of signing keys.
pub struct Issuer {
    keys: Vec<SigningKey>,
}

impl Issuer {
    pub fn new(keys: Vec<SigningKey>) -> Self {
        Self { keys }
    }

    /// The JWKS document publishing every key.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().map(SigningKey::jwk).collect::<Vec<_>>() })
    }

    /// `claims` signed with the key `kid`.
    pub fn sign(&self, kid: &str, claims: &Value) -> String {
        self.sign_as(kid, kid, claims)
    }

    /// `claims` signed with the key `kid`, its header naming `header_kid` (to forge).
    ///
    /// # Panics
    /// If the issuer has no key `kid`.
    #[allow(clippy::panic)]
    pub fn sign_as(&self, kid: &str, header_kid: &str, claims: &Value) -> String {
        let Some(key) = self.keys.iter().find(|k| k.kid == kid) else {
            panic!("the issuer has no key {kid}");
        };
        let header = json!({ "alg": key.alg(), "typ": "JWT", "kid": header_kid });
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = key.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}
