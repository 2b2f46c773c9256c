//! The local system: the AWS stand-ins (`stack`), the resources the template would create
//! (`setup`), the API Gateway stand-in hosting every function (`host`, `jwt`), and
//! `World`, which wires one complete, isolated instance together for `make run` and tests.

pub mod host;
pub mod jobs;
pub mod jwt;
pub mod procfs;
pub mod setup;
pub mod stack;

use std::sync::Arc;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use corpnum::app::Services;
use corpnum::aws::config::{Clients, Settings};
use corpnum::domain::OtpSecret;

/// Endpoints of the AWS APIs a world talks to.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub dynamodb: String,
    pub sns: String,
    pub sqs: String,
}

/// The SDK clients for local endpoints: fixed region and dummy credentials.
pub async fn local_clients(endpoints: &Endpoints) -> Clients {
    local_clients_recorded(endpoints, None).await
}

/// [`local_clients`], each recording its operations in `recorder` when given.
pub async fn local_clients_recorded(
    endpoints: &Endpoints,
    recorder: Option<&corpnum::aws::calls::CallRecorder>,
) -> Clients {
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "corpnum-local",
        ))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(1))
                .operation_attempt_timeout(Duration::from_secs(3))
                .operation_timeout(Duration::from_secs(6))
                .build(),
        )
        .load()
        .await;
    let dynamodb = aws_sdk_dynamodb::config::Builder::from(&sdk).endpoint_url(&endpoints.dynamodb);
    let sns = aws_sdk_sns::config::Builder::from(&sdk).endpoint_url(&endpoints.sns);
    let sqs = aws_sdk_sqs::config::Builder::from(&sdk).endpoint_url(&endpoints.sqs);
    let (dynamodb, sns, sqs) = match recorder {
        Some(r) => (
            dynamodb.interceptor(r.clone()),
            sns.interceptor(r.clone()),
            sqs.interceptor(r.clone()),
        ),
        None => (dynamodb, sns, sqs),
    };
    Clients {
        dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb.build()),
        sns: aws_sdk_sns::Client::from_conf(sns.build()),
        sqs: aws_sdk_sqs::Client::from_conf(sqs.build()),
    }
}

/// The settings a local world runs with: the deployed functions' parser over the
/// environment, with local defaults for this world's table and queue and for the support
/// contacts; the SPEC's limits unless `CORPNUM_LIMIT_*` say otherwise.
pub fn local_settings(
    table: &str,
    review_queue_url: &str,
    events_topic_arn: &str,
) -> Result<Settings, corpnum::aws::config::ConfigError> {
    let vars = |name: &'static str| -> Option<String> {
        match name {
            // This world's own resources, whatever the environment says.
            "CORPNUM_TABLE" => Some(table.to_owned()),
            "CORPNUM_REVIEW_QUEUE_URL" => Some(review_queue_url.to_owned()),
            "CORPNUM_EVENTS_TOPIC_ARN" => Some(events_topic_arn.to_owned()),
            _ => std::env::var(name)
                .ok()
                .filter(|v| !v.trim().is_empty())
                .or_else(|| match name {
                    "CORPNUM_SUPPORT_PHONE" => Some("8 800 555-35-35".to_owned()),
                    "CORPNUM_SUPPORT_EMAIL" => Some("support@corpnum.example".to_owned()),
                    _ => None,
                }),
        }
    };
    let secret = match vars("CORPNUM_OTP_SECRET") {
        Some(value) => {
            OtpSecret::new(value.into_bytes()).ok_or(corpnum::aws::config::ConfigError::Invalid(
                "CORPNUM_OTP_SECRET",
                "shorter than 16 bytes".into(),
            ))?
        }
        None => Settings::local_secret()?,
    };
    Settings::from_vars(&vars, secret, true)
}

/// One complete local instance: resources provisioned, services wired, ready to serve.
pub struct World {
    pub clients: Clients,
    pub settings: Settings,
    pub services: Services,
    pub review_queue_url: String,
    /// The queue subscribed to the events topic: what the portal would receive (empty
    /// when the resources asked for no subscription).
    pub events_queue_url: String,
}

impl World {
    /// Provisions `resources` at `endpoints` and wires the real adapters to them.
    pub async fn provision(
        endpoints: &Endpoints,
        resources: &setup::Resources,
    ) -> Result<Self, corpnum::ports::DependencyError> {
        let clients = local_clients(endpoints).await;
        let made = setup::provision(&clients, resources).await?;
        let settings = local_settings(
            &resources.table,
            &made.review_queue_url,
            &made.events_topic_arn,
        )
        .map_err(|e| corpnum::ports::DependencyError::new("settings", e))?;
        let services = corpnum::aws::config::services(&settings, &clients);
        Ok(Self {
            clients,
            settings,
            services,
            review_queue_url: made.review_queue_url,
            events_queue_url: made.events_queue_url,
        })
    }

    pub fn host_state(&self, jwt_secret: &str) -> Arc<host::HostState> {
        Arc::new(host::HostState {
            services: self.services.clone(),
            tokens: crate::jwt::Verifier::new(jwt_secret),
            dynamodb: self.clients.dynamodb.clone(),
            sqs: self.clients.sqs.clone(),
            table: self.settings.table.clone(),
            review_queue_url: self.review_queue_url.clone(),
        })
    }
}
