//! Key formats: partition and sort keys of every item, and the index names.

use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

use crate::domain::{PhoneNumber, SweepJob};
use crate::ports::{RateCharge, RateCounter};

/// Name of the status-and-age index.
pub const STATUS_INDEX: &str = "gsi1";
/// Name of the sweeper's timer index.
pub const TIMER_INDEX: &str = "gsi2";
/// Name of the index by organization (its own lists, SPEC 4.10).
pub const ORG_INDEX: &str = "gsi3";

/// An organization's applications in the index by organization.
pub fn org_applications_pk(inn: &crate::domain::Inn) -> String {
    format!("ORG#{inn}#APP")
}

/// The numbers an organization last took, in the index by organization.
pub fn org_numbers_pk(inn: &crate::domain::Inn) -> String {
    format!("ORG#{inn}#NUM")
}

/// Times as key text: fixed width, so text order is time order.
pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn application_pk(id: Uuid) -> String {
    format!("APP#{id}")
}

/// An application's history entry: the revision that wrote it, then its place.
pub fn application_history_sk(revision: u64, n: usize) -> String {
    format!("H#{revision:012}#{n:03}")
}

pub fn number_pk(phone: &PhoneNumber) -> String {
    format!("NUM#{phone}")
}

pub const LOCK_SK: &str = "L";
pub const CODES_SK: &str = "C";
pub const APPLICATION_SK: &str = "A";
pub const IDEMPOTENCY_SK: &str = "I";
/// A number's restriction in force (SPEC 4.13).
pub const RESTRICTION_SK: &str = "R";

/// A change of a number's restriction, in the number's partition.
pub fn restriction_history_sk(at: DateTime<Utc>, discriminator: Uuid) -> String {
    format!("RH#{}#{discriminator}", time(at))
}

/// Restrictions in force, in the status-and-age index.
pub const RESTRICTIONS_PK: &str = "RESTRICTIONS";

/// Suspended numbers by the end of their suspension, in the timer index.
pub fn suspension_timer_pk() -> String {
    timer_pk(SweepJob::EndSuspension)
}

/// A number's history entry: its time, then what it came from (application or request).
pub fn number_history_sk(at: DateTime<Utc>, discriminator: Uuid) -> String {
    format!("H#{}#{discriminator}", time(at))
}

pub fn status_pk(status: crate::domain::ApplicationStatus) -> String {
    format!("STATUS#{}", status.as_str())
}

pub fn timer_pk(job: SweepJob) -> String {
    format!("TIMER#{}", job.as_str())
}

/// The sort key of both indexes: a time, then the application.
pub fn index_sk(at: DateTime<Utc>, id: Uuid) -> String {
    format!("{}#{id}", time(at))
}

/// An outbox entry (SPEC 5.6).
pub fn outbox_pk(id: Uuid) -> String {
    format!("OUTBOX#{id}")
}

pub const OUTBOX_SK: &str = "O";

pub fn idempotency_pk(key: &str) -> String {
    format!("IDEM#{key}")
}

pub fn counter_key(c: &RateCharge) -> (String, String) {
    let pk = match &c.counter {
        RateCounter::ApplicationsPerOrganization(inn) => format!("RATE#ORG#{inn}"),
        RateCounter::SmsPerPhone(phone) => format!("RATE#PHONE#{phone}"),
    };
    (pk, format!("W#{}", c.window.index))
}
