//! Fixed daily windows for the rate limits (SPEC 4.4).

use chrono::{DateTime, Utc};

/// A fixed 24-hour window for a rate-limit counter: counters are keyed by the window's
/// index and refuse the request that would exceed the limit within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    pub index: i64,
    pub ends_at: DateTime<Utc>,
}

impl RateWindow {
    pub const LENGTH_SECONDS: i64 = 24 * 60 * 60;

    pub fn containing(now: DateTime<Utc>) -> Self {
        let index = now.timestamp().div_euclid(Self::LENGTH_SECONDS);
        let ends_at =
            DateTime::from_timestamp((index + 1) * Self::LENGTH_SECONDS, 0).unwrap_or(now);
        Self { index, ends_at }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_windows_are_whole_utc_days() {
        let w = RateWindow::containing(
            DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        );
        assert_eq!(w.ends_at.to_rfc3339(), "2026-11-23T00:00:00+00:00");
        assert_eq!(RateWindow::containing(w.ends_at).index, w.index + 1);
    }
}
