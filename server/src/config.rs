//! The server's own settings (README.md, "corpnum-server"), beside the settings every
//! function reads (`corpnum::aws::config::Settings`) and the SDK's (`AWS_*`).

use std::net::SocketAddr;
use std::time::Duration;

use corpnum::aws::config::ConfigError;

use crate::mq::Protocol;
use crate::oidc::OidcConfig;

/// Every variable the server reads besides the functions' and the SDK's.
pub const SERVER_ENV_VARS: &[&str] = &[
    "CORPNUM_SERVER_ADDR",
    "PORT",
    "CORPNUM_OIDC_ISSUER",
    "CORPNUM_OIDC_AUDIENCE",
    "CORPNUM_OIDC_JWKS_URL",
    "CORPNUM_OIDC_MIN_REFRESH_SECONDS",
    "CORPNUM_OIDC_MAX_AGE_SECONDS",
    "CORPNUM_REVIEW_CONSUMER",
    "CORPNUM_REVIEW_WAIT_SECONDS",
    "CORPNUM_SWEEP_INTERVAL_SECONDS",
    "CORPNUM_SHUTDOWN_GRACE_SECONDS",
    "CORPNUM_TRIGGERS",
    "CORPNUM_SQS_PROTOCOL",
];

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen: `CORPNUM_SERVER_ADDR`, else `0.0.0.0:$PORT` (the port a container
    /// platform gives), else `0.0.0.0:8080`.
    pub address: SocketAddr,
    pub oidc: OidcConfig,
    /// Whether this instance consumes the review queue (off where a queue trigger calls
    /// another instance, or a Lambda function consumes it).
    pub review_consumer: bool,
    /// Long-poll wait of the consumer (SQS allows up to 20 s).
    pub review_wait_seconds: i32,
    /// How often this instance sweeps; `None` (`0`): never.
    pub sweep_every: Option<Duration>,
    /// Whether `POST /` takes Yandex Cloud trigger invocations (review batches, timer ticks).
    pub triggers: bool,
    /// How long requests in flight, the batch under review and a sweep under way may take
    /// to finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// The queue's wire protocol: `json` (the SDK's; Amazon SQS) or `query` (Yandex
    /// Message Queue, which takes only the Query protocol).
    pub sqs_protocol: Protocol,
}

type Vars<'a> = &'a dyn Fn(&'static str) -> Option<String>;

fn seconds(vars: Vars<'_>, name: &'static str, default: u64) -> Result<u64, ConfigError> {
    match vars(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| ConfigError::Invalid(name, "not a whole number of seconds".into())),
    }
}

fn flag(vars: Vars<'_>, name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match vars(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if v == "true" || v == "1" => Ok(true),
        Some(v) if v == "false" || v == "0" => Ok(false),
        Some(_) => Err(ConfigError::Invalid(name, "not true or false".into())),
    }
}

impl ServerConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    pub fn from_vars(vars: Vars<'_>) -> Result<Self, ConfigError> {
        let address = match (vars("CORPNUM_SERVER_ADDR"), vars("PORT")) {
            (Some(addr), _) => addr.trim().parse().map_err(|_| {
                ConfigError::Invalid("CORPNUM_SERVER_ADDR", "not an address:port".into())
            })?,
            (None, Some(port)) => {
                let port: u16 = port
                    .trim()
                    .parse()
                    .map_err(|_| ConfigError::Invalid("PORT", "not a port number".into()))?;
                SocketAddr::from(([0, 0, 0, 0], port))
            }
            (None, None) => SocketAddr::from(([0, 0, 0, 0], 8080)),
        };
        let issuer =
            vars("CORPNUM_OIDC_ISSUER").ok_or(ConfigError::Missing("CORPNUM_OIDC_ISSUER"))?;
        let audience =
            vars("CORPNUM_OIDC_AUDIENCE").ok_or(ConfigError::Missing("CORPNUM_OIDC_AUDIENCE"))?;
        let mut oidc = OidcConfig::new(issuer, audience);
        oidc.jwks_url = vars("CORPNUM_OIDC_JWKS_URL");
        for (name, url) in [
            ("CORPNUM_OIDC_ISSUER", Some(&oidc.issuer)),
            ("CORPNUM_OIDC_JWKS_URL", oidc.jwks_url.as_ref()),
        ] {
            if let Some(url) = url
                && !crate::oidc::acceptable_url(url)
            {
                return Err(ConfigError::Invalid(
                    name,
                    "must be https:// (plain http on loopback only)".into(),
                ));
            }
        }
        oidc.min_refresh = Duration::from_secs(seconds(
            vars,
            "CORPNUM_OIDC_MIN_REFRESH_SECONDS",
            oidc.min_refresh.as_secs(),
        )?);
        oidc.max_age = Duration::from_secs(seconds(
            vars,
            "CORPNUM_OIDC_MAX_AGE_SECONDS",
            oidc.max_age.as_secs(),
        )?);
        let review_consumer = flag(vars, "CORPNUM_REVIEW_CONSUMER", true)?;
        let triggers = flag(vars, "CORPNUM_TRIGGERS", false)?;
        let review_wait_seconds = seconds(vars, "CORPNUM_REVIEW_WAIT_SECONDS", 20)?;
        if review_wait_seconds > 20 {
            return Err(ConfigError::Invalid(
                "CORPNUM_REVIEW_WAIT_SECONDS",
                "at most 20".into(),
            ));
        }
        let sweep = seconds(vars, "CORPNUM_SWEEP_INTERVAL_SECONDS", 900)?;
        let sqs_protocol = match vars("CORPNUM_SQS_PROTOCOL")
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("json") => Protocol::Json,
            Some("query") => Protocol::Query,
            Some(_) => {
                return Err(ConfigError::Invalid(
                    "CORPNUM_SQS_PROTOCOL",
                    "json or query".into(),
                ));
            }
        };
        Ok(Self {
            sqs_protocol,
            address,
            oidc,
            review_consumer,
            triggers,
            review_wait_seconds: review_wait_seconds as i32,
            sweep_every: (sweep > 0).then(|| Duration::from_secs(sweep)),
            shutdown_grace: Duration::from_secs(seconds(
                vars,
                "CORPNUM_SHUTDOWN_GRACE_SECONDS",
                25,
            )?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&'static str, &str)]) -> Result<ServerConfig, ConfigError> {
        let pairs: Vec<(&'static str, String)> =
            pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        ServerConfig::from_vars(&move |name| {
            pairs
                .iter()
                .rfind(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
    }

    const OIDC: [(&str, &str); 2] = [
        ("CORPNUM_OIDC_ISSUER", "https://id.example"),
        ("CORPNUM_OIDC_AUDIENCE", "corpnum"),
    ];

    #[test]
    fn defaults_suit_a_container() {
        let c = config(&OIDC).unwrap();
        assert_eq!(c.address.to_string(), "0.0.0.0:8080");
        assert!(c.review_consumer);
        assert!(!c.triggers);
        assert_eq!(c.review_wait_seconds, 20);
        assert_eq!(c.sweep_every, Some(Duration::from_secs(900)));
        assert_eq!(c.shutdown_grace, Duration::from_secs(25));
        assert_eq!(c.oidc.jwks_url, None);
        assert_eq!(c.sqs_protocol, Protocol::Json);
        let yandex = config(&[OIDC[0], OIDC[1], ("CORPNUM_SQS_PROTOCOL", "query")]).unwrap();
        assert_eq!(yandex.sqs_protocol, Protocol::Query);
        let on_port = config(&[OIDC[0], OIDC[1], ("PORT", "9090")]).unwrap();
        assert_eq!(on_port.address.to_string(), "0.0.0.0:9090");
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        assert!(matches!(
            config(&OIDC[..1]),
            Err(ConfigError::Missing("CORPNUM_OIDC_AUDIENCE"))
        ));
        for (name, value) in [
            ("CORPNUM_SERVER_ADDR", "localhost"),
            ("PORT", "http"),
            ("CORPNUM_REVIEW_CONSUMER", "sometimes"),
            ("CORPNUM_TRIGGERS", "yes"),
            ("CORPNUM_REVIEW_WAIT_SECONDS", "30"),
            ("CORPNUM_SWEEP_INTERVAL_SECONDS", "-1"),
            ("CORPNUM_OIDC_ISSUER", "http://id.example"),
            ("CORPNUM_OIDC_JWKS_URL", "http://id.example/keys"),
            ("CORPNUM_SQS_PROTOCOL", "xml"),
        ] {
            match config(&[OIDC[0], OIDC[1], (name, value)]) {
                Err(ConfigError::Invalid(n, _)) => assert_eq!(n, name),
                other => panic!("{name}={value}: {other:?}"),
            }
        }
        let off = config(&[OIDC[0], OIDC[1], ("CORPNUM_SWEEP_INTERVAL_SECONDS", "0")]).unwrap();
        assert_eq!(off.sweep_every, None);
    }

    /// Every setting the server reads is documented in the README.
    #[test]
    fn every_setting_is_documented() {
        let readme = include_str!("../../README.md");
        for name in SERVER_ENV_VARS {
            assert!(
                readme.contains(&format!("`{name}`")),
                "{name} is not in README.md"
            );
        }
    }
}
