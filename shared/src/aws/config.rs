//! Settings from the environment (documented in README.md, "Configuration"). A missing
//! required setting stops the process at start-up, never at the first request.

use std::sync::Arc;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

use super::dynamo::DynamoStore;
use super::messaging::{SnsEvents, SnsSms, SqsEvents, SqsReviewQueue};
use crate::app::{Services, SupportContacts};
use crate::domain::{OtpPolicy, OtpSecret};
use crate::system::{OsRandom, SystemClock};

/// Used only when `CORPNUM_LOCAL=1` and no secret is configured.
const LOCAL_OTP_SECRET: &str = "corpnum-local-otp-secret-not-for-production";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing setting {0}")]
    Missing(&'static str),
    #[error("invalid setting {0}: {1}")]
    Invalid(&'static str, String),
}

/// Every environment variable the functions read; the template test checks the SAM
/// template against this list.
pub const ENV_VARS: &[&str] = &[
    "CORPNUM_TABLE",
    "CORPNUM_REVIEW_QUEUE_URL",
    "CORPNUM_EVENTS_TOPIC_ARN",
    "CORPNUM_EVENTS_QUEUE_URL",
    "CORPNUM_OTP_SECRET",
    "CORPNUM_OTP_SECRET_ARN",
    "CORPNUM_SUPPORT_PHONE",
    "CORPNUM_SUPPORT_EMAIL",
    "CORPNUM_SMS_SENDER_ID",
    "CORPNUM_LIMIT_SENDS_PER_APPLICATION",
    "CORPNUM_LIMIT_SENDS_PER_PHONE_PER_DAY",
    "CORPNUM_LIMIT_APPLICATIONS_PER_ORG_PER_DAY",
    "CORPNUM_METRICS_NAMESPACE",
    "CORPNUM_STORE_RETURNS_ITEMS",
    "CORPNUM_LOCAL",
    SDK_PARTITIONS,
];

/// The SDK's own variable naming a partition table (the regions of each AWS partition and
/// their DNS suffixes) to use instead of the one compiled into every service crate. Each
/// crate parses its table, eight partitions with a regular expression each, when its first
/// client is built; the deployed functions name a table of the `aws` partition alone,
/// shipped as a layer (`infra/layers/sdk-partitions/partitions.json`), which makes that
/// parse several times cheaper (docs/operations.md, "Cold start"). Its pattern is `^$`: with
/// one partition and no region entries every name resolves to `aws` whether the pattern
/// matches or not (the SDK falls back to `aws`), and compiling the real one cost each crate
/// ~31,000 instructions at init.
pub const SDK_PARTITIONS: &str = "SMITHY_CLIENT_SDK_CUSTOM_PARTITION";

/// The SDK panics on a partition table it cannot read, at the first client built; this
/// turns that into a clear start-up error instead.
pub fn check_sdk_partitions() -> Result<(), ConfigError> {
    match std::env::var_os(SDK_PARTITIONS) {
        Some(path) if !std::path::Path::new(&path).is_file() => Err(ConfigError::Invalid(
            SDK_PARTITIONS,
            format!("no partition table at {}", path.to_string_lossy()),
        )),
        _ => Ok(()),
    }
}

/// Variables every deployed function needs.
pub const REQUIRED_ENV_VARS: &[&str] = &[
    "CORPNUM_TABLE",
    "CORPNUM_REVIEW_QUEUE_URL",
    "CORPNUM_EVENTS_TOPIC_ARN",
    "CORPNUM_SUPPORT_PHONE",
    "CORPNUM_SUPPORT_EMAIL",
];

/// Where the outcome events go (SPEC 5.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventsTarget {
    /// An SNS topic the portal subscribes to (`CORPNUM_EVENTS_TOPIC_ARN`).
    Topic(String),
    /// A queue the portal reads (`CORPNUM_EVENTS_QUEUE_URL`), for clouds whose SNS-compatible
    /// service delivers topics to no queue (Yandex Cloud Notification Service: push and
    /// SMS only). `corpnum-server` and the local host; the Lambda functions publish to a
    /// topic.
    Queue(String),
}

/// Everything read from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub table: String,
    pub review_queue_url: String,
    /// Where the outcome events go (SPEC 5.6).
    pub events: EventsTarget,
    pub otp_secret: OtpSecret,
    pub support: SupportContacts,
    pub sms_sender_id: Option<String>,
    pub policy: OtpPolicy,
    /// Whether the store returns the conflicting item with a cancelled transaction
    /// (DynamoDB does; YDB's Document API documents no such return). `false` makes the
    /// adapter read the item instead: `CORPNUM_STORE_RETURNS_ITEMS=false`.
    pub store_returns_items: bool,
    pub local: bool,
}

fn var(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Where settings are read from: the environment, or the local host's defaults over it.
type Vars<'a> = &'a dyn Fn(&'static str) -> Option<String>;

fn required(vars: Vars<'_>, name: &'static str) -> Result<String, ConfigError> {
    vars(name).ok_or(ConfigError::Missing(name))
}

fn number(vars: Vars<'_>, name: &'static str, default: u32) -> Result<u32, ConfigError> {
    match vars(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| ConfigError::Invalid(name, "not a whole number".into())),
    }
}

fn flag(vars: Vars<'_>, name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match vars(name).map(|v| v.to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if v == "true" || v == "1" => Ok(true),
        Some(v) if v == "false" || v == "0" => Ok(false),
        Some(_) => Err(ConfigError::Invalid(name, "not true or false".into())),
    }
}

fn secret(bytes: Vec<u8>, name: &'static str) -> Result<OtpSecret, ConfigError> {
    OtpSecret::new(bytes).ok_or_else(|| ConfigError::Invalid(name, "shorter than 16 bytes".into()))
}

impl Settings {
    /// Reads the settings. The code-hashing key comes from `CORPNUM_OTP_SECRET`, or from
    /// the Secrets Manager secret named by `CORPNUM_OTP_SECRET_ARN`; without either the
    /// process refuses to start, unless it is local (`CORPNUM_LOCAL=1`, a fixed development
    /// key) or never issues or checks codes (`CODES = false`: a random key that
    /// hashes nothing, so those functions need no access to the secret).
    ///
    /// `CODES` is known at compile time, so a function that handles no codes does not link
    /// the Secrets Manager client at all.
    pub async fn load<const CODES: bool>(config: &SdkConfig) -> Result<Self, ConfigError> {
        let local = flag(&var, "CORPNUM_LOCAL", false)?;
        let arn = var("CORPNUM_OTP_SECRET_ARN").filter(|_| CODES);
        let otp_secret = match (var("CORPNUM_OTP_SECRET"), arn) {
            (Some(value), _) => secret(value.into_bytes(), "CORPNUM_OTP_SECRET")?,
            (None, Some(arn)) => {
                secret(fetch_secret(config, &arn).await?, "CORPNUM_OTP_SECRET_ARN")?
            }
            (None, None) if local => Self::local_secret()?,
            (None, None) if !CODES => {
                let mut key = [0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
                secret(key.to_vec(), "CORPNUM_OTP_SECRET")?
            }
            (None, None) => return Err(ConfigError::Missing("CORPNUM_OTP_SECRET_ARN")),
        };
        Self::from_vars(&var, otp_secret, local)
    }

    /// The fixed development key of local runs.
    pub fn local_secret() -> Result<OtpSecret, ConfigError> {
        secret(LOCAL_OTP_SECRET.as_bytes().to_vec(), "CORPNUM_OTP_SECRET")
    }

    /// Everything but the key, from `vars`: the one parser of the settings, for deployed
    /// functions (the environment) and the local host (its defaults over the environment).
    pub fn from_vars(
        vars: Vars<'_>,
        otp_secret: OtpSecret,
        local: bool,
    ) -> Result<Self, ConfigError> {
        let defaults = OtpPolicy::default();
        Ok(Self {
            table: required(vars, "CORPNUM_TABLE")?,
            review_queue_url: required(vars, "CORPNUM_REVIEW_QUEUE_URL")?,
            events: match (
                vars("CORPNUM_EVENTS_TOPIC_ARN"),
                vars("CORPNUM_EVENTS_QUEUE_URL"),
            ) {
                (Some(_), Some(_)) => {
                    return Err(ConfigError::Invalid(
                        "CORPNUM_EVENTS_QUEUE_URL",
                        "set either it or CORPNUM_EVENTS_TOPIC_ARN, not both".into(),
                    ));
                }
                (Some(topic), None) => EventsTarget::Topic(topic),
                (None, Some(queue)) => EventsTarget::Queue(queue),
                (None, None) => return Err(ConfigError::Missing("CORPNUM_EVENTS_TOPIC_ARN")),
            },
            otp_secret,
            support: SupportContacts {
                phone: required(vars, "CORPNUM_SUPPORT_PHONE")?,
                email: required(vars, "CORPNUM_SUPPORT_EMAIL")?,
            },
            sms_sender_id: vars("CORPNUM_SMS_SENDER_ID"),
            policy: OtpPolicy {
                sends_per_subject: number(
                    vars,
                    "CORPNUM_LIMIT_SENDS_PER_APPLICATION",
                    defaults.sends_per_subject,
                )?,
                sends_per_phone_per_day: number(
                    vars,
                    "CORPNUM_LIMIT_SENDS_PER_PHONE_PER_DAY",
                    defaults.sends_per_phone_per_day,
                )?,
                applications_per_org_per_day: number(
                    vars,
                    "CORPNUM_LIMIT_APPLICATIONS_PER_ORG_PER_DAY",
                    defaults.applications_per_org_per_day,
                )?,
                ..defaults
            },
            store_returns_items: flag(vars, "CORPNUM_STORE_RETURNS_ITEMS", true)?,
            local,
        })
    }
}

/// The secret's string value, from Secrets Manager (or a compatible service).
pub async fn fetch_secret(config: &SdkConfig, arn: &str) -> Result<Vec<u8>, ConfigError> {
    let client = aws_sdk_secretsmanager::Client::new(config);
    let out = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| {
            ConfigError::Invalid(
                "CORPNUM_OTP_SECRET_ARN",
                super::sdk_failure("secretsmanager", e).to_string(),
            )
        })?;
    out.secret_string
        .map(String::into_bytes)
        .or_else(|| out.secret_binary.map(|b| b.into_inner()))
        .ok_or_else(|| {
            ConfigError::Invalid("CORPNUM_OTP_SECRET_ARN", "the secret has no value".into())
        })
}

/// The SDK configuration: region, credentials and endpoints from the standard AWS
/// settings (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`, `..._SNS`, `..._SQS`), with
/// short timeouts so that a dead dependency becomes a prompt 503.
///
/// Built for a short init (SPEC 10): one HTTPS client (rustls with aws-lc, the system's
/// root certificates, verification on) shared by every service client, instead of one
/// each; in Lambda (no custom endpoint, and the keys and region Lambda sets), the
/// configuration built straight from those variables ([`from_lambda_environment`]),
/// without the default loader. Otherwise the default loader, with the credentials and
/// region from the environment when they are there.
///
/// Talking to AWS's own endpoints (no `AWS_ENDPOINT_URL*` set), it trusts only the roots
/// AWS's certificates chain to (`shared/assets/tls/aws-roots.pem`) instead of reading and
/// parsing the whole system store; verification stays on. With a custom endpoint (the local
/// stack, an AWS-compatible cloud whose certificates chain elsewhere) the system store is
/// used.
pub async fn sdk_config() -> SdkConfig {
    use aws_smithy_http_client::tls;
    let custom_endpoint =
        std::env::vars_os().any(|(name, _)| name.to_string_lossy().starts_with("AWS_ENDPOINT_URL"));
    let trust = if custom_endpoint {
        tls::TrustStore::default()
    } else {
        tls::TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(AWS_ROOTS)
    };
    let mut http = aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(
        tls::rustls_provider::CryptoMode::AwsLc,
    ));
    if let Ok(context) = tls::TlsContext::builder().with_trust_store(trust).build() {
        http = http.tls_context(context);
    }
    let http = ConnectorOnFirstCall::share(http.build_https());
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(3))
        .operation_timeout(Duration::from_secs(8))
        .build();
    if !custom_endpoint && let Some(config) = from_lambda_environment(&var, &http, &timeouts) {
        return config;
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .timeout_config(timeouts);
    if var("AWS_ACCESS_KEY_ID").is_some() && var("AWS_SECRET_ACCESS_KEY").is_some() {
        loader = loader.credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        );
    }
    if let Some(region) = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")) {
        loader = loader.region(aws_config::Region::new(region));
    }
    loader.load().await
}

/// The configuration straight from what Lambda's environment gives every function (keys,
/// session token, region), without the default loader, which also reads the shared config
/// and credentials files and looks up a dozen per-service settings in them and in the
/// environment: about 0.15 ms of init (measured with the init-steps example). `None` when
/// any of those variables is missing; then the default loader applies.
fn from_lambda_environment(
    var: Vars<'_>,
    http: &aws_smithy_runtime_api::client::http::SharedHttpClient,
    timeouts: &TimeoutConfig,
) -> Option<SdkConfig> {
    use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};
    let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION"))?;
    let credentials = Credentials::new(
        var("AWS_ACCESS_KEY_ID")?,
        var("AWS_SECRET_ACCESS_KEY")?,
        var("AWS_SESSION_TOKEN"),
        None,
        "LambdaEnvironment",
    );
    Some(
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_config::Region::new(region))
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .identity_cache(aws_config::identity::IdentityCache::lazy().build())
            .http_client(http.clone())
            .timeout_config(timeouts.clone())
            .retry_config(aws_config::retry::RetryConfig::standard())
            .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
            .time_source(aws_smithy_async::time::SystemTimeSource::new())
            .build(),
    )
}

/// The shared HTTPS client, minus the TLS connector every service client's construction
/// builds and drops: the SDK validates a client's HTTP client by building a connector
/// (root certificates parsed, rustls configured), once per service client, at init, and
/// keeps none of them. Here validating does nothing; the connector is built at the first
/// call, once for all service clients (the inner client caches it per timeout settings,
/// which they share), as it was before.
#[derive(Debug)]
struct ConnectorOnFirstCall(aws_smithy_runtime_api::client::http::SharedHttpClient);

impl ConnectorOnFirstCall {
    fn share(
        inner: aws_smithy_runtime_api::client::http::SharedHttpClient,
    ) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
        aws_smithy_runtime_api::client::http::SharedHttpClient::new(Self(inner))
    }
}

impl aws_smithy_runtime_api::client::http::HttpClient for ConnectorOnFirstCall {
    fn http_connector(
        &self,
        settings: &aws_smithy_runtime_api::client::http::HttpConnectorSettings,
        components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
    ) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// The roots AWS endpoints' certificates chain to (Amazon Trust Services).
const AWS_ROOTS: &[u8] = include_bytes!("../../assets/tls/aws-roots.pem");

/// The AWS clients one process uses, built once.
#[derive(Clone, Debug)]
pub struct Clients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
}

impl Clients {
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            sns: aws_sdk_sns::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
        }
    }
}

/// Wires the use cases to the real adapters (the local host and the tests, which use every
/// client).
pub fn services(settings: &Settings, clients: &Clients) -> Services {
    services_with(
        settings,
        DynamoStore::new(clients.dynamodb.clone(), &settings.table),
        Arc::new(SnsSms::new(
            clients.sns.clone(),
            settings.sms_sender_id.clone(),
        )),
        match &settings.events {
            EventsTarget::Topic(arn) => Arc::new(SnsEvents::new(clients.sns.clone(), arn)),
            EventsTarget::Queue(url) => Arc::new(SqsEvents::new(clients.sqs.clone(), url)),
        },
        Arc::new(SqsReviewQueue::new(
            clients.sqs.clone(),
            &settings.review_queue_url,
        )),
    )
}

/// Wires the use cases to the store and the messaging given.
pub fn services_with(
    settings: &Settings,
    store: DynamoStore,
    sms: Arc<dyn crate::ports::SmsSender>,
    events: Arc<dyn crate::ports::EventPublisher>,
    queue: Arc<dyn crate::ports::ReviewQueue>,
) -> Services {
    Services {
        store: Arc::new(if settings.store_returns_items {
            store
        } else {
            store.without_returned_items()
        }),
        sms,
        events,
        queue,
        clock: Arc::new(SystemClock),
        random: Arc::new(OsRandom),
        secret: settings.otp_secret.clone(),
        policy: settings.policy.clone(),
        support: settings.support.clone(),
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    /// The bundled roots are five well-formed certificates (DER sequences once decoded).
    #[test]
    fn the_aws_roots_are_five_certificates() {
        let text = std::str::from_utf8(super::AWS_ROOTS).unwrap();
        let blocks: Vec<&str> = text
            .split("-----BEGIN CERTIFICATE-----")
            .skip(1)
            .map(|b| b.split("-----END CERTIFICATE-----").next().unwrap())
            .collect();
        assert_eq!(blocks.len(), 5);
        for block in blocks {
            let b64: String = block.split_whitespace().collect();
            let der = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            assert_eq!(der[0], 0x30, "a DER SEQUENCE");
            assert!(der.len() > 400);
        }
    }

    fn settings(extra: &[(&'static str, &str)]) -> Result<super::Settings, super::ConfigError> {
        let mut pairs = vec![
            ("CORPNUM_TABLE", "t"),
            ("CORPNUM_REVIEW_QUEUE_URL", "q"),
            ("CORPNUM_SUPPORT_PHONE", "8 800"),
            ("CORPNUM_SUPPORT_EMAIL", "s@e"),
        ];
        pairs.extend_from_slice(extra);
        let pairs: Vec<(&'static str, String)> =
            pairs.into_iter().map(|(k, v)| (k, v.to_owned())).collect();
        super::Settings::from_vars(
            &move |name| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.clone())
            },
            super::Settings::local_secret()?,
            false,
        )
    }

    /// Events go to a topic or to a queue: exactly one of the two settings.
    #[test]
    fn events_go_to_a_topic_or_a_queue() {
        use super::{ConfigError, EventsTarget};
        let topic = settings(&[("CORPNUM_EVENTS_TOPIC_ARN", "arn:t")]).unwrap();
        assert_eq!(topic.events, EventsTarget::Topic("arn:t".into()));
        let queue = settings(&[("CORPNUM_EVENTS_QUEUE_URL", "https://mq/e")]).unwrap();
        assert_eq!(queue.events, EventsTarget::Queue("https://mq/e".into()));
        assert!(matches!(
            settings(&[]),
            Err(ConfigError::Missing("CORPNUM_EVENTS_TOPIC_ARN"))
        ));
        assert!(matches!(
            settings(&[
                ("CORPNUM_EVENTS_TOPIC_ARN", "arn:t"),
                ("CORPNUM_EVENTS_QUEUE_URL", "https://mq/e"),
            ]),
            Err(ConfigError::Invalid("CORPNUM_EVENTS_QUEUE_URL", _))
        ));
    }

    /// In Lambda the configuration comes straight from its variables; without them, no.
    #[tokio::test]
    async fn lambda_environment_gives_the_whole_configuration() {
        use aws_sdk_dynamodb::config::ProvideCredentials;
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
                aws_smithy_http_client::tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .build_https();
        let timeouts = super::TimeoutConfig::builder().build();
        let lambda = |name: &'static str| -> Option<String> {
            match name {
                "AWS_REGION" => Some("eu-central-1".into()),
                "AWS_ACCESS_KEY_ID" => Some("AKIDEXAMPLE".into()),
                "AWS_SECRET_ACCESS_KEY" => Some("secret".into()),
                "AWS_SESSION_TOKEN" => Some("session".into()),
                _ => None,
            }
        };
        let config = super::from_lambda_environment(&lambda, &http, &timeouts).unwrap();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-central-1"));
        let credentials = config
            .credentials_provider()
            .unwrap()
            .provide_credentials()
            .await
            .unwrap();
        assert_eq!(credentials.access_key_id(), "AKIDEXAMPLE");
        assert_eq!(credentials.session_token(), Some("session"));
        assert!(config.http_client().is_some() && config.sleep_impl().is_some());
        let no_secret =
            |name: &'static str| lambda(name).filter(|_| name != "AWS_SECRET_ACCESS_KEY");
        assert!(super::from_lambda_environment(&no_secret, &http, &timeouts).is_none());
    }
}
