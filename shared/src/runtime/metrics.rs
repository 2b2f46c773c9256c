//! CloudWatch Embedded Metric Format. Use cases log each countable event with a `metric`
//! field (`tracing::info!(metric = "CodesSent", ...)`); [`MetricsLayer`] counts them, and
//! [`flush`] writes one EMF document per invocation to stdout, where CloudWatch turns it
//! into metrics. The layer has no level filter of its own, so a quieter log level never
//! loses metrics.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Map, Value, json};
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;

/// Every metric corpnum emits (SPEC 8); the dashboard and alarms read these names.
pub const METRICS: &[&str] = &[
    "ApplicationsSubmitted",
    "CodesSent",
    "CodesVerified",
    "CodeFailures",
    "Resends",
    "RateLimited",
    "ReviewsAutoApproved",
    "ReviewsManual",
    "ReviewsApproved",
    "ReviewsRejected",
    "ReviewsDocumentsRequired",
    "SlaBreaches",
    "ApplicationsExpired",
    "ReviewsRequeued",
    "Deactivations",
    "Rebinds",
    "Suspensions",
    "Resumptions",
    "Replacements",
    "RestrictedRefusals",
    "SmsSendFailures",
    "ServiceUnavailable",
];

static COUNTS: Mutex<BTreeMap<&'static str, u64>> = Mutex::new(BTreeMap::new());

fn counts() -> std::sync::MutexGuard<'static, BTreeMap<&'static str, u64>> {
    COUNTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Counts events that carry a known `metric` name.
#[derive(Debug, Default, Clone, Copy)]
pub struct MetricsLayer;

struct MetricName(Option<&'static str>);

impl Visit for MetricName {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "metric" {
            self.0 = METRICS.iter().copied().find(|m| *m == value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "metric" {
            let text = format!("{value:?}");
            self.0 = METRICS
                .iter()
                .copied()
                .find(|m| *m == text.trim_matches('"'));
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for MetricsLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut name = MetricName(None);
        event.record(&mut name);
        if let Some(metric) = name.0 {
            *counts().entry(metric).or_default() += 1;
        }
    }
}

/// The EMF document for what was counted since the last flush, and resets the counts.
/// `None` if nothing was counted.
pub fn take_document(namespace: &str, function: &str, timestamp_ms: i64) -> Option<Value> {
    let taken = std::mem::take(&mut *counts());
    if taken.is_empty() {
        return None;
    }
    let mut doc = Map::new();
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [[]],
                "Metrics": taken.keys().map(|name| json!({ "Name": name, "Unit": "Count" })).collect::<Vec<_>>(),
            }],
        }),
    );
    doc.insert("function".into(), json!(function));
    for (name, count) in taken {
        doc.insert(name.into(), json!(count));
    }
    Some(Value::Object(doc))
}

/// Writes the invocation's metrics to stdout as one EMF line.
pub fn flush(function: &str) {
    let namespace = std::env::var("CORPNUM_METRICS_NAMESPACE").unwrap_or_else(|_| "corpnum".into());
    if let Some(doc) = take_document(&namespace, function, chrono::Utc::now().timestamp_millis()) {
        println!("{doc}");
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[test]
    fn counted_events_become_one_emf_document() {
        let subscriber = tracing_subscriber::registry().with(MetricsLayer);
        tracing::subscriber::with_default(subscriber, || {
            let _ = take_document("x", "x", 0);
            tracing::info!(metric = "CodesSent", "code sent");
            tracing::info!(metric = "CodesSent", "code sent");
            tracing::debug!(metric = "SmsSendFailures", "at any level");
            tracing::info!(metric = "NotAMetric", "unknown names are not emitted");
            tracing::info!("no metric");
        });
        let doc = take_document("corpnum-test", "submit-application", 1_700_000_000_000).unwrap();
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_000i64);
        assert_eq!(directive["Namespace"], "corpnum-test");
        assert_eq!(directive["Dimensions"], json!([[]]));
        assert_eq!(
            directive["Metrics"],
            json!([{ "Name": "CodesSent", "Unit": "Count" }, { "Name": "SmsSendFailures", "Unit": "Count" }])
        );
        assert_eq!(doc["CodesSent"], 2);
        assert_eq!(doc["SmsSendFailures"], 1);
        assert_eq!(doc["function"], "submit-application");
        assert!(doc.get("NotAMetric").is_none());
        // Every metric named in the directive has a value at the top level (EMF's rule).
        for m in directive["Metrics"].as_array().unwrap() {
            assert!(doc[m["Name"].as_str().unwrap()].is_number());
        }
        assert!(
            take_document("corpnum-test", "f", 0).is_none(),
            "flushing resets the counts"
        );
    }
}
