//! The bodies of successful responses (SPEC 4.2–4.8), one typed struct each. Their doc
//! comments and `schemars` attributes are the OpenAPI document's schemas (`api::openapi`),
//! so code and document cannot drift apart.

mod application;
mod lists;
mod number;
mod reviews;

use chrono::{DateTime, SecondsFormat, Utc};
use schemars::JsonSchema;
use serde::{Serialize, Serializer};

pub use application::{
    ApplicationCreated, ApplicationView, CodeConfirmed, CodeResent, DocumentBody, OtpState,
    SupportView, application, confirmed, resent, submitted,
};
pub use lists::{ApplicationList, NumberList, application_list, number_list};
pub use number::{
    ChangeRequested, DeactivationActView, DeactivationRequested, NumberView, RestrictionList,
    RestrictionRecord, RestrictionView, ResumptionRequested, SuspensionRequested, act,
    change_requested, number, restriction, restriction_list, restriction_record,
};
pub use reviews::{ReviewList, reviews};

/// A field that is always present and may be `null`: required in the schema, and
/// nullable, unlike a plain `Option` (which the schema would make optional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nullable<T>(pub Option<T>);

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<T: JsonSchema> JsonSchema for Nullable<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Nullable_{}", T::schema_name()).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let inner = generator.subschema_for::<T>();
        schemars::json_schema!({ "anyOf": [inner, { "type": "null" }] })
    }
}

impl<T> From<Option<T>> for Nullable<T> {
    fn from(value: Option<T>) -> Self {
        Self(value)
    }
}

/// A point in time, as RFC 3339 UTC to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp(pub DateTime<Utc>);

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match rfc3339_secs(self.0) {
            Some(text) => s.serialize_str(text.as_str()),
            None => s.serialize_str(&self.0.to_rfc3339_opts(SecondsFormat::Secs, true)),
        }
    }
}

/// `2026-12-04T10:11:12Z` written on the stack, the same text as chrono's
/// `to_rfc3339_opts(SecondsFormat::Secs, true)` without its formatting machinery and
/// allocation (a view carries several; `make readcost`). `None` for a year outside
/// 0..=9999, which chrono writes with a sign.
fn rfc3339_secs(t: DateTime<Utc>) -> Option<Rfc3339Secs> {
    use chrono::{Datelike, Timelike};
    // Each accessor of a `DateTime` converts it to local time again; UTC's is the naive one.
    let t = t.naive_utc();
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let mut out = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, value: u32, width: usize| {
        let mut v = value;
        for i in (at..at + width).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year, 4);
    put(5, t.month(), 2);
    put(8, t.day(), 2);
    put(11, t.hour(), 2);
    put(14, t.minute(), 2);
    // A leap second (chrono's second 59 with nanoseconds past 1e9) reads as 60, as
    // chrono writes it.
    put(
        17,
        t.second() + u32::from(t.nanosecond() >= 1_000_000_000),
        2,
    );
    Some(Rfc3339Secs(out))
}

struct Rfc3339Secs([u8; 20]);

impl Rfc3339Secs {
    fn as_str(&self) -> &str {
        // Only ASCII digits and separators were written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "date-time" })
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Self(t)
    }
}

fn at(t: DateTime<Utc>) -> Timestamp {
    Timestamp(t)
}

fn at_opt(t: Option<DateTime<Utc>>) -> Option<Timestamp> {
    t.map(Timestamp)
}

/// An employee as shown: the SNILS masked.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EmployeeView {
    /// `***-***-445 95`: only the last digits and the check number.
    #[schemars(regex(pattern = r"^\*\*\*-\*\*\*-[0-9]{3} [0-9]{2}$"))]
    pub snils_masked: String,
    pub full_name: String,
}

impl EmployeeView {
    fn of(e: &crate::domain::Employee) -> Self {
        Self {
            snils_masked: e.snils.masked(),
            full_name: e.full_name.as_ref().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
    use proptest::prelude::*;

    use super::{Timestamp, rfc3339_secs};

    proptest! {
        /// The stack-written text is chrono's, for any instant of years 0..=9999, leap
        /// seconds included.
        #[test]
        fn timestamps_read_as_chrono_writes_them(
            days in 0i64..3_652_059,
            secs in 0u32..86_400,
            nanos in 0u32..2_000_000_000,
        ) {
            let date = NaiveDate::from_ymd_opt(0, 1, 1).unwrap() + chrono::Days::new(days as u64);
            // chrono takes nanoseconds past 1e9 only in a minute's last second.
            let nanos = if secs % 60 == 59 { nanos } else { nanos % 1_000_000_000 };
            let t = date
                .and_hms_nano_opt(secs / 3600, secs / 60 % 60, secs % 60, nanos)
                .unwrap()
                .and_utc();
            let ours = rfc3339_secs(t).unwrap();
            prop_assert_eq!(ours.as_str(), t.to_rfc3339_opts(SecondsFormat::Secs, true));
        }
    }

    #[test]
    fn a_year_past_9999_falls_back_to_chrono() {
        let t: DateTime<Utc> = NaiveDate::from_ymd_opt(10_000, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap()
            .and_utc();
        assert!(rfc3339_secs(t).is_none());
        assert_eq!(
            serde_json::to_string(&Timestamp(t)).unwrap(),
            format!("\"{}\"", t.to_rfc3339_opts(SecondsFormat::Secs, true))
        );
        let t = "2026-12-04T10:11:12.999Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            serde_json::to_string(&Timestamp(t)).unwrap(),
            "\"2026-12-04T10:11:12Z\""
        );
    }
}
