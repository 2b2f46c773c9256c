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
        s.serialize_str(&self.0.to_rfc3339_opts(SecondsFormat::Secs, true))
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
