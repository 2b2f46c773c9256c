//! Settings from the environment (documented in README.md, "Configuration"). A missing
//! required setting stops the process at start-up, never at the first request.

use std::sync::Arc;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};

use super::dynamo::DynamoStore;
use super::messaging::{SnsSms, SqsReviewQueue};
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

/// Everything read from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub table: String,
    pub review_queue_url: String,
    pub otp_secret: OtpSecret,
    pub support: SupportContacts,
    pub sms_sender_id: Option<String>,
    pub policy: OtpPolicy,
    pub local: bool,
}

fn var(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn required(name: &'static str) -> Result<String, ConfigError> {
    var(name).ok_or(ConfigError::Missing(name))
}

fn number(name: &'static str, default: u32) -> Result<u32, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| ConfigError::Invalid(name, "not a whole number".into())),
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let local = var("CORPNUM_LOCAL").is_some_and(|v| v == "1" || v == "true");
        let secret = match (var("CORPNUM_OTP_SECRET"), local) {
            (Some(s), _) => s,
            (None, true) => LOCAL_OTP_SECRET.to_owned(),
            (None, false) => return Err(ConfigError::Missing("CORPNUM_OTP_SECRET")),
        };
        let otp_secret = OtpSecret::new(secret.into_bytes()).ok_or_else(|| {
            ConfigError::Invalid("CORPNUM_OTP_SECRET", "shorter than 16 bytes".into())
        })?;
        let defaults = OtpPolicy::default();
        Ok(Self {
            table: required("CORPNUM_TABLE")?,
            review_queue_url: required("CORPNUM_REVIEW_QUEUE_URL")?,
            otp_secret,
            support: SupportContacts {
                phone: required("CORPNUM_SUPPORT_PHONE")?,
                email: required("CORPNUM_SUPPORT_EMAIL")?,
            },
            sms_sender_id: var("CORPNUM_SMS_SENDER_ID"),
            policy: OtpPolicy {
                sends_per_subject: number(
                    "CORPNUM_LIMIT_SENDS_PER_APPLICATION",
                    defaults.sends_per_subject,
                )?,
                sends_per_phone_per_day: number(
                    "CORPNUM_LIMIT_SENDS_PER_PHONE_PER_DAY",
                    defaults.sends_per_phone_per_day,
                )?,
                applications_per_org_per_day: number(
                    "CORPNUM_LIMIT_APPLICATIONS_PER_ORG_PER_DAY",
                    defaults.applications_per_org_per_day,
                )?,
                ..defaults
            },
            local,
        })
    }
}

/// The SDK configuration: region, credentials and endpoints from the standard AWS
/// settings (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`, `..._SNS`, `..._SQS`), with
/// short timeouts so that a dead dependency becomes a prompt 503.
pub async fn sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(3))
                .operation_timeout(Duration::from_secs(8))
                .build(),
        )
        .load()
        .await
}

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

/// Wires the use cases to the real adapters.
pub fn services(settings: &Settings, clients: &Clients) -> Services {
    Services {
        store: Arc::new(DynamoStore::new(clients.dynamodb.clone(), &settings.table)),
        sms: Arc::new(SnsSms::new(
            clients.sns.clone(),
            settings.sms_sender_id.clone(),
        )),
        queue: Arc::new(SqsReviewQueue::new(
            clients.sqs.clone(),
            &settings.review_queue_url,
        )),
        clock: Arc::new(SystemClock),
        random: Arc::new(OsRandom),
        secret: settings.otp_secret.clone(),
        policy: settings.policy.clone(),
        support: settings.support.clone(),
    }
}
