//! `corpnum-server`: corpnum as one long-running HTTP server, for container platforms
//! that do not run Lambda's runtime API (Serverless Containers in an AWS-compatible cloud
//! in Russia, where the data must live: docs/residency.md).
//!
//! It serves every route with the handlers the Lambda functions use (`http`), verifies the
//! portal's tokens against the OIDC issuer's keys (`oidc`), consumes the review queue with
//! the review worker's handler (`reviews`), runs the sweeper on its schedule (`schedule`),
//! or both when Yandex Cloud's triggers call it (`triggers`),
//! and on SIGTERM stops taking connections and finishes what is in flight.

pub mod config;
pub mod http;
pub mod issuer;
pub mod mq;
pub mod net;
pub mod oidc;
pub mod reviews;
pub mod schedule;
pub mod triggers;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::timeout::TimeoutConfig;
use axum::serve::ListenerExt as _;
use corpnum::app::Services;
use corpnum::aws::config::{Clients, Settings};
use tokio::sync::watch;

pub use config::ServerConfig;

/// The use cases and the clients, wired once per process.
pub struct Deps {
    pub settings: Settings,
    pub clients: Clients,
    pub services: Services,
    /// The consumer's and `/health`'s queue client, over the configured protocol (the SDK's
    /// attempts outlast a 20-second long poll).
    pub queue: mq::QueueClient,
}

impl Deps {
    /// The clients for `sdk`; the queue calls over `protocol`. With the Query protocol the
    /// queue's endpoint is `AWS_ENDPOINT_URL_SQS`, else `AWS_ENDPOINT_URL`, else the queue
    /// URL's own origin.
    pub fn new(
        sdk: &SdkConfig,
        settings: Settings,
        protocol: mq::Protocol,
    ) -> Result<Self, String> {
        let clients = Clients::new(sdk);
        let queue = match protocol {
            mq::Protocol::Json => mq::QueueClient::Sdk(aws_sdk_sqs::Client::from_conf(
                aws_sdk_sqs::config::Builder::from(sdk)
                    .timeout_config(
                        TimeoutConfig::builder()
                            .connect_timeout(Duration::from_secs(2))
                            .operation_attempt_timeout(Duration::from_secs(25))
                            .operation_timeout(Duration::from_secs(30))
                            .build(),
                    )
                    .build(),
            )),
            mq::Protocol::Query => {
                let endpoint = ["AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL"]
                    .iter()
                    .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()));
                mq::QueueClient::Query(Arc::new(mq::QueryQueue::new(sdk, endpoint)?))
            }
        };
        let services = match &queue {
            mq::QueueClient::Sdk(_) => corpnum::aws::config::services(&settings, &clients),
            mq::QueueClient::Query(query) => query_services(&settings, &clients, query),
        };
        Ok(Self {
            settings,
            clients,
            services,
            queue,
        })
    }
}

/// The use cases with the review queue and an events queue over the Query protocol.
fn query_services(settings: &Settings, clients: &Clients, query: &Arc<mq::QueryQueue>) -> Services {
    use corpnum::aws::config::EventsTarget;
    use corpnum::aws::messaging::{SnsEvents, SnsSms};
    use corpnum::ports::EventPublisher;
    let events: Arc<dyn EventPublisher> = match &settings.events {
        EventsTarget::Topic(arn) => Arc::new(SnsEvents::new(clients.sns.clone(), arn)),
        EventsTarget::Queue(url) => Arc::new(mq::QueryEvents {
            queue: query.clone(),
            queue_url: url.clone(),
        }),
    };
    corpnum::aws::config::services_with(
        settings,
        corpnum::aws::dynamo::DynamoStore::new(clients.dynamodb.clone(), &settings.table),
        Arc::new(SnsSms::new(
            clients.sns.clone(),
            settings.sms_sender_id.clone(),
        )),
        events,
        Arc::new(mq::QueryReviewQueue {
            queue: query.clone(),
            queue_url: settings.review_queue_url.clone(),
        }),
    )
}

/// How often the metrics counted meanwhile are written out (one EMF line, as a function
/// writes one per invocation).
const METRICS_EVERY: Duration = Duration::from_secs(60);

/// Serves until `shutdown` resolves, then stops taking connections, lets requests in
/// flight, the review batch and a sweep under way finish (within the grace period), and
/// returns.
pub async fn serve(
    config: ServerConfig,
    deps: Deps,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let verifier = Arc::new(oidc::Verifier::new(config.oidc.clone())?);
    // Keys fetched before the first request; an issuer down now is retried on demand.
    if let Err(error) = verifier.refresh().await {
        tracing::warn!(error = %error, "the token issuer's keys could not be fetched at start");
    }
    let listener = tokio::net::TcpListener::bind(config.address).await?;
    tracing::info!(
        address = %listener.local_addr()?,
        review_consumer = config.review_consumer,
        sweep_every_seconds = config.sweep_every.map(|d| d.as_secs()),
        "corpnum-server listening"
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut background = Vec::new();
    if config.review_consumer {
        background.push(tokio::spawn(reviews::consume(
            deps.queue.clone(),
            deps.settings.review_queue_url.clone(),
            deps.services.clone(),
            config.review_wait_seconds,
            stop_rx.clone(),
        )));
    }
    if let Some(every) = config.sweep_every {
        background.push(tokio::spawn(schedule::run(
            deps.services.clone(),
            every,
            stop_rx.clone(),
        )));
    }
    let metrics = tokio::spawn(async {
        let mut ticker = tokio::time::interval(METRICS_EVERY);
        loop {
            ticker.tick().await;
            corpnum::runtime::metrics::flush("corpnum-server");
        }
    });
    let router = http::router(Arc::new(http::AppState {
        services: deps.services.clone(),
        verifier,
        dynamodb: deps.clients.dynamodb.clone(),
        queue: deps.queue.clone(),
        table: deps.settings.table.clone(),
        review_queue_url: deps.settings.review_queue_url.clone(),
        triggers: config.triggers,
    }));
    let signalled = async move {
        shutdown.await;
        tracing::info!("shutting down: no new connections; finishing what is in flight");
        let _ = stop_tx.send(true);
    };
    // Small JSON answers go out at once, not after the client's delayed ACK.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let mut serving = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(signalled)
            .await
    });
    let mut stopped = stop_rx.clone();
    tokio::select! {
        served = &mut serving => {
            // The listener failed before any shutdown was asked for.
            metrics.abort();
            served??;
            return Ok(());
        }
        _ = stopped.wait_for(|s| *s) => {}
    }
    let deadline = tokio::time::Instant::now() + config.shutdown_grace;
    match tokio::time::timeout_at(deadline, &mut serving).await {
        Ok(served) => served??,
        Err(_) => {
            tracing::warn!("requests still in flight at the end of the grace period");
            serving.abort();
        }
    }
    for task in background {
        if tokio::time::timeout_at(deadline, task).await.is_err() {
            tracing::warn!("background work still running at the end of the grace period");
        }
    }
    metrics.abort();
    corpnum::runtime::metrics::flush("corpnum-server");
    tracing::info!("corpnum-server stopped");
    Ok(())
}
