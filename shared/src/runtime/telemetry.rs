//! JSON logs through `tracing`. Log lines carry the span fields (request id, function,
//! route, application id); personal data is never passed to them unmasked.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber once; later calls are ignored. Level from `RUST_LOG`,
/// else `AWS_LAMBDA_LOG_LEVEL`, else `info`.
pub fn init() {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let level = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL").map(|l| l.to_lowercase()))
        .unwrap_or_else(|_| "info".into());
    let filter = EnvFilter::new(format!(
        "{level},aws_config=warn,aws_smithy_runtime=warn,hyper=warn"
    ));
    let logs = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .without_time()
        .with_filter(filter);
    let _ = tracing_subscriber::registry()
        .with(logs)
        .with(super::metrics::MetricsLayer)
        .try_init();
}
