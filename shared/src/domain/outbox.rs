//! Outcome notices (SPEC 5.6): the events the portal's other systems subscribe to, and the
//! SMS notices an applicant gets when the review ends.
//!
//! Both are written to an outbox entry in the same transaction as the change that causes
//! them, and published right after it; the sweeper publishes again what failed. Events go
//! out at least once (subscribers dedupe on `event_id`); a notice at most once: only the
//! holder of its lease sends it, a lease is taken by a conditional write, and a lease that
//! lapsed without its outcome recorded is never taken again (its sender may have sent it).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ApplicationStatus, NumberState, PhoneNumber};

/// What an event says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub enum EventType {
    /// Submitted; a code was sent to the number.
    #[serde(rename = "application.submitted")]
    ApplicationSubmitted,
    /// The code was confirmed; the application went to review.
    #[serde(rename = "application.confirmed")]
    ApplicationConfirmed,
    #[serde(rename = "application.approved")]
    ApplicationApproved,
    /// Rejected; `reason` is the rejection reason.
    #[serde(rename = "application.rejected")]
    ApplicationRejected,
    /// The review asks for documents; `documents_required` lists them.
    #[serde(rename = "application.documents_required")]
    ApplicationDocumentsRequired,
    /// Unconfirmed, or the requested documents never came; the number is free again.
    #[serde(rename = "application.expired")]
    ApplicationExpired,
    /// The number is bound to the organization and active.
    #[serde(rename = "number.activated")]
    NumberActivated,
    /// The number is released; `act_number` names the deactivation act, `reason` its reason.
    #[serde(rename = "number.deactivated")]
    NumberDeactivated,
    /// Another employee of the organization is bound to the number.
    #[serde(rename = "number.employee_changed")]
    NumberEmployeeChanged,
    /// The number is suspended (still bound, not in use).
    #[serde(rename = "number.suspended")]
    NumberSuspended,
    /// A suspended number is active again.
    #[serde(rename = "number.resumed")]
    NumberResumed,
}

impl EventType {
    pub const ALL: [Self; 11] = [
        Self::ApplicationSubmitted,
        Self::ApplicationConfirmed,
        Self::ApplicationApproved,
        Self::ApplicationRejected,
        Self::ApplicationDocumentsRequired,
        Self::ApplicationExpired,
        Self::NumberActivated,
        Self::NumberDeactivated,
        Self::NumberEmployeeChanged,
        Self::NumberSuspended,
        Self::NumberResumed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApplicationSubmitted => "application.submitted",
            Self::ApplicationConfirmed => "application.confirmed",
            Self::ApplicationApproved => "application.approved",
            Self::ApplicationRejected => "application.rejected",
            Self::ApplicationDocumentsRequired => "application.documents_required",
            Self::ApplicationExpired => "application.expired",
            Self::NumberActivated => "number.activated",
            Self::NumberDeactivated => "number.deactivated",
            Self::NumberEmployeeChanged => "number.employee_changed",
            Self::NumberSuspended => "number.suspended",
            Self::NumberResumed => "number.resumed",
        }
    }

    /// The event for an application entering `to` from `from`, if that is one.
    pub fn for_application(from: Option<ApplicationStatus>, to: ApplicationStatus) -> Option<Self> {
        use ApplicationStatus as S;
        match (from, to) {
            (None, S::AwaitingOtp) => Some(Self::ApplicationSubmitted),
            (Some(S::AwaitingOtp), S::UnderReview) => Some(Self::ApplicationConfirmed),
            (_, S::Approved) => Some(Self::ApplicationApproved),
            (_, S::Rejected) => Some(Self::ApplicationRejected),
            (_, S::DocumentsRequired) => Some(Self::ApplicationDocumentsRequired),
            (_, S::Expired) => Some(Self::ApplicationExpired),
            _ => None,
        }
    }

    /// The event for a number going from `from` to `to`, if that is one. A release by a
    /// rejected or expired application is told by the application's event.
    pub fn for_number(from: Option<NumberState>, to: NumberState) -> Option<Self> {
        use NumberState as N;
        match (from, to) {
            (Some(N::Pending), N::Active) => Some(Self::NumberActivated),
            (Some(N::Active), N::Active) => Some(Self::NumberEmployeeChanged),
            (Some(N::Suspended), N::Active) => Some(Self::NumberResumed),
            (_, N::Suspended) => Some(Self::NumberSuspended),
            (_, N::Deactivated) => Some(Self::NumberDeactivated),
            _ => None,
        }
    }
}

/// A number's state or an application's status, as an event gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum EventStatus {
    Application(ApplicationStatus),
    Number(NumberState),
}

/// One fact, as published to the events topic. Personal data: the masked number only; no
/// SNILS, no name, never a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "corpnum event")]
pub struct Event {
    /// Unique per fact and stable across redeliveries: subscribers dedupe on it.
    pub event_id: Uuid,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub occurred_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<Uuid>,
    /// The number, masked: `+7******4567`.
    #[schemars(regex(pattern = r"^\+7\*{6}[0-9]{4}$"))]
    pub phone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^([0-9]{10}|[0-9]{12})$"))]
    pub organization_inn: Option<String>,
    /// The application's new status, or the number's new state.
    pub status: EventStatus,
    /// Why: the rejection reason, or the deactivation reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The deactivation act, on `number.deactivated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act_number: Option<String>,
    /// The documents the review asks for, on `application.documents_required`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents_required: Vec<String>,
    /// A replacement's application: the number it replaces, masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^\+7\*{6}[0-9]{4}$"))]
    pub replaces: Option<String>,
}

/// The JSON Schema (draft 2020-12) of a published event, as committed in
/// `shared/events.schema.json` for subscribers (`make openapi` writes both documents).
pub fn event_schema_text() -> String {
    let schema = schemars::schema_for!(Event);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// What an SMS notice tells the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Approved,
    Rejected,
    DocumentsRequired,
}

impl NoticeKind {
    /// The notice an application entering `to` sends, if any.
    pub fn for_status(to: ApplicationStatus) -> Option<Self> {
        match to {
            ApplicationStatus::Approved => Some(Self::Approved),
            ApplicationStatus::Rejected => Some(Self::Rejected),
            ApplicationStatus::DocumentsRequired => Some(Self::DocumentsRequired),
            _ => None,
        }
    }
}

/// How far a notice got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum NoticeState {
    /// Not sent yet: whoever leases it first sends it.
    Pending,
    /// Only `token`'s holder may send it, before `until`.
    Leased {
        token: Uuid,
        until: DateTime<Utc>,
    },
    Sent {
        at: DateTime<Utc>,
    },
    /// Its lease lapsed with no outcome recorded (its sender died, or could not tell
    /// whether the SMS service took it): never sent again, so never twice.
    Abandoned {
        at: DateTime<Utc>,
    },
}

/// An SMS to the application's number when its review ends.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub to: PhoneNumber,
    /// May name the number in full (an approval does): masked in `Debug`.
    pub text: String,
    pub state: NoticeState,
}

impl std::fmt::Debug for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notice")
            .field("kind", &self.kind)
            .field("to", &self.to)
            .field("text", &super::scrub(&self.text))
            .field("state", &self.state)
            .finish()
    }
}

/// What became of one try at sending a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    Sent,
    /// Surely not sent (the service was unreachable or refused it): it may be tried again.
    NotSent,
    /// It may or may not have gone out: it is not tried again.
    Unknown,
}

/// How long a notice's lease lasts: far longer than one SMS call may take (the SDK's
/// timeouts), so a holder that checks its lease before sending never overlaps another.
pub const NOTICE_LEASE: Duration = Duration::minutes(5);
/// A holder does not start sending with less than this left on its lease.
pub const LEASE_MARGIN: Duration = Duration::minutes(1);
/// The sweeper takes an entry up this long after it was written: its writer publishes it
/// right away, and a lease it took lapses by then.
pub const OUTBOX_RETRY_AFTER: Duration = NOTICE_LEASE;
/// A settled entry is kept this long (then TTL removes it), for audit.
pub const OUTBOX_KEEP: Duration = Duration::days(7);

/// The events and the notice one change causes, with how far their publishing got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub events: Vec<Event>,
    pub events_published: bool,
    pub notice: Option<Notice>,
    /// One up on every save; a save applies only over the revision below it.
    pub revision: u64,
}

impl OutboxEntry {
    /// A new entry, nothing published yet. Its writer takes the notice right after its
    /// transaction, before sending it: a writer that dies before that leaves it pending
    /// for the sweeper.
    pub fn new(
        id: Uuid,
        now: DateTime<Utc>,
        events: Vec<Event>,
        notice: Option<(NoticeKind, PhoneNumber, String)>,
    ) -> Self {
        Self {
            id,
            created_at: now,
            events,
            events_published: false,
            notice: notice.map(|(kind, to, text)| Notice {
                kind,
                to,
                text,
                state: NoticeState::Pending,
            }),
            revision: 1,
        }
    }

    /// Nothing is left to do: the events are out and the notice is sent or given up.
    pub fn settled(&self) -> bool {
        self.events_published
            && self.notice.as_ref().is_none_or(|n| {
                matches!(
                    n.state,
                    NoticeState::Sent { .. } | NoticeState::Abandoned { .. }
                )
            })
    }

    /// When the sweeper takes it up, while it is not settled.
    pub fn due_at(&self) -> DateTime<Utc> {
        self.created_at + OUTBOX_RETRY_AFTER
    }

    /// Whether `token` may start sending the notice now.
    pub fn may_send(&self, token: Uuid, now: DateTime<Utc>) -> bool {
        matches!(
            self.notice.as_ref().map(|n| &n.state),
            Some(NoticeState::Leased { token: t, until }) if *t == token && now + LEASE_MARGIN <= *until
        )
    }

    /// Gives up a notice whose lease lapsed; true if it did.
    pub fn abandon_lapsed(&mut self, now: DateTime<Utc>) -> bool {
        match self.notice.as_mut() {
            Some(n) if matches!(n.state, NoticeState::Leased { until, .. } if until <= now) => {
                n.state = NoticeState::Abandoned { at: now };
                true
            }
            _ => false,
        }
    }

    /// Leases a pending notice to `token`; true if it did.
    pub fn lease(&mut self, token: Uuid, now: DateTime<Utc>) -> bool {
        match self.notice.as_mut() {
            Some(n) if n.state == NoticeState::Pending => {
                n.state = NoticeState::Leased {
                    token,
                    until: now + NOTICE_LEASE,
                };
                true
            }
            _ => false,
        }
    }

    /// Records what `token`'s holder did: the events published (if `events_published`),
    /// and the outcome of its send, if it still holds the lease. Publishing events never
    /// undoes another's publishing.
    pub fn record(
        &mut self,
        events_published: bool,
        token: Uuid,
        sent: Option<SendOutcome>,
        now: DateTime<Utc>,
    ) {
        self.events_published |= events_published;
        if let (Some(n), Some(outcome)) = (self.notice.as_mut(), sent)
            && matches!(n.state, NoticeState::Leased { token: t, .. } if t == token)
        {
            n.state = match outcome {
                SendOutcome::Sent => NoticeState::Sent { at: now },
                SendOutcome::NotSent => NoticeState::Pending,
                SendOutcome::Unknown => NoticeState::Abandoned { at: now },
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone() -> PhoneNumber {
        PhoneNumber::parse("+79161234567").unwrap()
    }

    fn entry(now: DateTime<Utc>, token: Uuid) -> OutboxEntry {
        let mut entry = OutboxEntry::new(
            Uuid::from_u128(1),
            now,
            Vec::new(),
            Some((NoticeKind::Approved, phone(), "text".into())),
        );
        assert_eq!(entry.notice.as_ref().unwrap().state, NoticeState::Pending);
        assert!(entry.lease(token, now));
        entry
    }

    #[test]
    fn only_the_lease_holder_sends_and_a_lapsed_lease_is_never_taken_again() {
        let now = Utc::now();
        let writer = Uuid::from_u128(7);
        let other = Uuid::from_u128(8);
        let mut e = entry(now, writer);
        assert!(e.may_send(writer, now));
        assert!(!e.may_send(other, now));
        assert!(!e.lease(other, now), "a leased notice cannot be leased");
        assert!(
            !e.may_send(
                writer,
                now + NOTICE_LEASE - LEASE_MARGIN + Duration::seconds(1)
            ),
            "too little lease left to start sending"
        );
        assert!(!e.abandon_lapsed(now + NOTICE_LEASE - Duration::seconds(1)));
        assert!(e.abandon_lapsed(now + NOTICE_LEASE));
        assert!(
            !e.lease(other, now + NOTICE_LEASE),
            "abandoned stays abandoned"
        );
        e.record(true, writer, Some(SendOutcome::Sent), now);
        assert!(
            matches!(
                e.notice.as_ref().unwrap().state,
                NoticeState::Abandoned { .. }
            ),
            "a holder whose lease lapsed records nothing"
        );
        assert!(e.settled());
    }

    #[test]
    fn a_notice_surely_not_sent_goes_back_to_pending() {
        let now = Utc::now();
        let writer = Uuid::from_u128(7);
        let mut e = entry(now, writer);
        e.record(false, writer, Some(SendOutcome::NotSent), now);
        assert_eq!(e.notice.as_ref().unwrap().state, NoticeState::Pending);
        assert!(!e.settled());
        let sweeper = Uuid::from_u128(9);
        assert!(e.lease(sweeper, now));
        e.record(true, sweeper, Some(SendOutcome::Unknown), now);
        assert!(matches!(
            e.notice.as_ref().unwrap().state,
            NoticeState::Abandoned { .. }
        ));
        assert!(e.settled());
    }

    #[test]
    fn a_notice_debugs_without_the_number() {
        let mut e = entry(Utc::now(), Uuid::from_u128(7));
        e.notice.as_mut().unwrap().text = "Госуслуги: корп. номер +79161234567 активирован".into();
        let debug = format!("{e:?}");
        assert!(!debug.contains("9161234567"), "{debug}");
        assert!(debug.contains("4567"));
    }

    #[test]
    fn events_published_once_stay_published() {
        let now = Utc::now();
        let mut e = OutboxEntry::new(Uuid::from_u128(1), now, Vec::new(), None);
        assert!(!e.settled());
        e.record(true, Uuid::nil(), None, now);
        e.record(false, Uuid::nil(), None, now);
        assert!(e.events_published);
        assert!(e.settled());
    }

    #[test]
    fn the_committed_event_schema_is_the_generated_one() {
        assert!(
            include_str!("../../events.schema.json") == event_schema_text(),
            "shared/events.schema.json differs from what the code generates: run `make openapi`"
        );
    }

    #[test]
    fn event_types_follow_transitions() {
        use ApplicationStatus as S;
        assert_eq!(
            EventType::for_application(None, S::AwaitingOtp),
            Some(EventType::ApplicationSubmitted)
        );
        assert_eq!(
            EventType::for_application(Some(S::AwaitingOtp), S::UnderReview),
            Some(EventType::ApplicationConfirmed)
        );
        assert_eq!(
            EventType::for_application(Some(S::DocumentsRequired), S::UnderReview),
            None,
            "documents added are not an outcome"
        );
        assert_eq!(
            EventType::for_application(Some(S::UnderReview), S::ManualReview),
            None
        );
        use NumberState as N;
        assert_eq!(
            EventType::for_number(Some(N::Active), N::Active),
            Some(EventType::NumberEmployeeChanged)
        );
        assert_eq!(
            EventType::for_number(Some(N::Pending), N::Pending),
            None,
            "a release is told by the application's event"
        );
        for t in EventType::ALL {
            let json = serde_json::to_value(t).unwrap();
            assert_eq!(json, t.as_str());
        }
    }
}
