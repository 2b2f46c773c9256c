//! CloudWatch Embedded Metric Format. Use cases log each countable event with a `metric`
//! field (`tracing::info!(metric = "CodesSent", ...)`); [`MetricsLayer`] counts them, and
//! [`flush`] writes one EMF document per invocation to stdout, where CloudWatch turns it
//! into metrics. The layer has no level filter of its own, so a quieter log level never
//! loses metrics. A gauge ([`GAUGES`]) carries its reading in a `value` field; the
//! document keeps the largest reading of the invocation.

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
    "EventsPublished",
    "NoticesSent",
    "NoticesAbandoned",
    "PublishFailures",
    "OutboxOldestAge",
];

/// The metrics of [`METRICS`] that are readings in seconds, not counts.
pub const GAUGES: &[&str] = &["OutboxOldestAge"];

static COUNTS: Mutex<BTreeMap<&'static str, u64>> = Mutex::new(BTreeMap::new());

fn counts() -> std::sync::MutexGuard<'static, BTreeMap<&'static str, u64>> {
    COUNTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Counts events that carry a known `metric` name.
#[derive(Debug, Default, Clone, Copy)]
pub struct MetricsLayer;

#[derive(Default)]
struct MetricName(Option<&'static str>, Option<u64>);

impl Visit for MetricName {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "metric" {
            self.0 = METRICS.iter().copied().find(|m| *m == value);
        }
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "value" {
            self.1 = Some(value);
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "value" {
            self.1 = Some(u64::try_from(value).unwrap_or(0));
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
        let mut name = MetricName::default();
        event.record(&mut name);
        match name {
            MetricName(Some(metric), Some(reading)) if GAUGES.contains(&metric) => {
                let mut counts = counts();
                let slot = counts.entry(metric).or_default();
                *slot = (*slot).max(reading);
            }
            MetricName(Some(metric), _) if !GAUGES.contains(&metric) => {
                *counts().entry(metric).or_default() += 1;
            }
            _ => {}
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
                "Metrics": taken.keys().map(|name| json!({
                    "Name": name,
                    "Unit": if GAUGES.contains(name) { "Seconds" } else { "Count" },
                })).collect::<Vec<_>>(),
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
            tracing::info!(metric = "OutboxOldestAge", value = 120u64, "a reading");
            tracing::info!(metric = "OutboxOldestAge", value = 30u64, "a smaller one");
            tracing::info!(metric = "OutboxOldestAge", "a gauge without a reading");
            tracing::info!("no metric");
        });
        let doc = take_document("corpnum-test", "submit-application", 1_700_000_000_000).unwrap();
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_000i64);
        assert_eq!(directive["Namespace"], "corpnum-test");
        assert_eq!(directive["Dimensions"], json!([[]]));
        assert_eq!(
            directive["Metrics"],
            json!([
                { "Name": "CodesSent", "Unit": "Count" },
                { "Name": "OutboxOldestAge", "Unit": "Seconds" },
                { "Name": "SmsSendFailures", "Unit": "Count" }
            ])
        );
        assert_eq!(doc["OutboxOldestAge"], 120, "the largest reading");
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
