//! JSON logs through `tracing`. Log lines carry the span fields (request id, function,
//! route, application id); personal data is never passed to them unmasked.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber once; later calls are ignored. Level from `RUST_LOG`,
/// else `AWS_LAMBDA_LOG_LEVEL`, else `info`.
pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL").map(|l| l.to_lowercase()))
        .unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(EnvFilter::new(format!(
            "{filter},aws_config=warn,aws_smithy_runtime=warn,hyper=warn"
        )))
        .with_current_span(true)
        .with_span_list(false)
        .flatten_event(true)
        .with_target(false)
        .without_time()
        .try_init();
}
