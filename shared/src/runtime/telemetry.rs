//! JSON logs through `tracing`. Log lines carry the span fields (request id, function,
//! route, application id); personal data is never passed to them unmasked.

use tracing_subscriber::filter::{LevelFilter, Targets};

/// Installs the JSON subscriber once; later calls are ignored. Level from `RUST_LOG`,
/// else `AWS_LAMBDA_LOG_LEVEL`, else `info`.
///
/// `RUST_LOG` takes a level and `target=level` pairs (`debug`, `info,corpnum=debug`): the
/// filter is `Targets`, not `EnvFilter`, whose span and field directives need the regex
/// engine and cost a cold start ~0.05 ms to build. A value it cannot read means `info`.
pub fn init() {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let level = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL").map(|l| l.to_lowercase()))
        .unwrap_or_else(|_| "info".into());
    let filter = filter(&level);
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

/// The filter for a `RUST_LOG`-style level, with the SDK's and hyper's chatter at `warn`.
fn filter(level: &str) -> Targets {
    let quiet = Targets::new()
        .with_target("aws_config", LevelFilter::WARN)
        .with_target("aws_smithy_runtime", LevelFilter::WARN)
        .with_target("hyper", LevelFilter::WARN);
    let given: Targets = level
        .parse()
        .unwrap_or_else(|_| Targets::new().with_default(LevelFilter::INFO));
    // What `RUST_LOG` names itself wins over the defaults above.
    quiet
        .with_targets(given.iter().map(|(t, l)| (t.to_owned(), l)))
        .with_default(given.default_level().unwrap_or(LevelFilter::INFO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn the_level_and_targets_come_from_rust_log() {
        let f = filter("debug");
        assert!(f.would_enable("corpnum", &Level::DEBUG));
        assert!(!f.would_enable("aws_smithy_runtime::client", &Level::INFO));
        assert!(f.would_enable("aws_smithy_runtime::client", &Level::WARN));

        let f = filter("info,corpnum::app=trace,hyper=debug");
        assert!(f.would_enable("corpnum::app::submit", &Level::TRACE));
        assert!(!f.would_enable("corpnum::api", &Level::DEBUG));
        assert!(f.would_enable("hyper::proto", &Level::DEBUG));

        // Unreadable: info, and the SDK quiet.
        let f = filter("info,corpnum=loud");
        assert!(f.would_enable("corpnum", &Level::INFO));
        assert!(!f.would_enable("corpnum", &Level::DEBUG));
        assert!(!f.would_enable("aws_config", &Level::INFO));
    }
}
