//! The local system: the AWS stand-ins (`stack`), the resources the template would create
//! (`setup`), the API Gateway stand-in hosting every function (`host`, `jwt`), and
//! `World`, which wires one complete, isolated instance together for `make run` and tests.

pub mod host;
pub mod jobs;
pub mod jwt;
pub mod setup;
pub mod stack;

use std::sync::Arc;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use corpnum::app::{Services, SupportContacts};
use corpnum::aws::config::{Clients, Settings};
use corpnum::domain::{OtpPolicy, OtpSecret};

/// Endpoints of the AWS APIs a world talks to.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub dynamodb: String,
    pub sns: String,
    pub sqs: String,
}

/// The SDK clients for local endpoints: fixed region and dummy credentials.
pub async fn local_clients(endpoints: &Endpoints) -> Clients {
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
    Clients {
        dynamodb: aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .endpoint_url(&endpoints.dynamodb)
                .build(),
        ),
        sns: aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::config::Builder::from(&sdk)
                .endpoint_url(&endpoints.sns)
                .build(),
        ),
        sqs: aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&sdk)
                .endpoint_url(&endpoints.sqs)
                .build(),
        ),
    }
}

/// The settings a local world runs with: the SPEC's limits, configured support contacts.
pub fn local_settings(table: &str, review_queue_url: &str) -> Settings {
    let env =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    Settings {
        table: table.to_owned(),
        review_queue_url: review_queue_url.to_owned(),
        otp_secret: OtpSecret::new(
            env(
                "CORPNUM_OTP_SECRET",
                "corpnum-local-otp-secret-not-for-production",
            )
            .into_bytes(),
        )
        .unwrap_or_else(|| {
            OtpSecret::new(b"corpnum-local-otp-secret-not-for-production".to_vec())
                .unwrap_or_else(|| unreachable!())
        }),
        support: SupportContacts {
            phone: env("CORPNUM_SUPPORT_PHONE", "8 800 555-35-35"),
            email: env("CORPNUM_SUPPORT_EMAIL", "support@corpnum.example"),
        },
        sms_sender_id: None,
        policy: OtpPolicy::default(),
        store_returns_items: std::env::var("CORPNUM_STORE_RETURNS_ITEMS")
            .map(|v| !matches!(v.to_ascii_lowercase().as_str(), "false" | "0"))
            .unwrap_or(true),
        local: true,
    }
}

/// One complete local instance: resources provisioned, services wired, ready to serve.
pub struct World {
    pub clients: Clients,
    pub settings: Settings,
    pub services: Services,
    pub review_queue_url: String,
}

impl World {
    /// Provisions `resources` at `endpoints` and wires the real adapters to them.
    pub async fn provision(
        endpoints: &Endpoints,
        resources: &setup::Resources,
    ) -> Result<Self, corpnum::ports::DependencyError> {
        let clients = local_clients(endpoints).await;
        let review_queue_url = setup::provision(&clients.dynamodb, &clients.sqs, resources).await?;
        let settings = local_settings(&resources.table, &review_queue_url);
        let services = corpnum::aws::config::services(&settings, &clients);
        Ok(Self {
            clients,
            settings,
            services,
            review_queue_url,
        })
    }

    pub fn host_state(&self, jwt_secret: &str) -> Arc<host::HostState> {
        Arc::new(host::HostState {
            services: self.services.clone(),
            jwt_secret: jwt_secret.to_owned(),
            dynamodb: self.clients.dynamodb.clone(),
            sqs: self.clients.sqs.clone(),
            table: self.settings.table.clone(),
            review_queue_url: self.review_queue_url.clone(),
        })
    }
}
