//! Changes an organization makes to its number, confirmed by an SMS code: deactivation
//! (SPEC 4.6), suspension and resumption (SPEC 4.11).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Comment, Inn, OtpLedger, OtpPolicy, PhoneNumber, RateWindow, ResendRefusal};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeactivationReason {
    DivisionClosed,
    OperatorChange,
    PolicyViolation,
    Other,
    /// Replaced by another number of the organization (SPEC 4.12); never asked for.
    Replacement,
}

impl DeactivationReason {
    /// The reasons a client may give.
    pub const REQUESTABLE: [Self; 4] = [
        Self::DivisionClosed,
        Self::OperatorChange,
        Self::PolicyViolation,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DivisionClosed => "division_closed",
            Self::OperatorChange => "operator_change",
            Self::PolicyViolation => "policy_violation",
            Self::Other => "other",
            Self::Replacement => "replacement",
        }
    }

    /// The reason in words, for documents a person reads.
    pub fn label(self, english: bool) -> &'static str {
        match (self, english) {
            (Self::DivisionClosed, false) => "Подразделение закрыто",
            (Self::OperatorChange, false) => "Смена оператора связи",
            (Self::PolicyViolation, false) => "Нарушение правил использования",
            (Self::Other, false) => "Иная причина",
            (Self::Replacement, false) => "Замена номера",
            (Self::DivisionClosed, true) => "Division closed",
            (Self::OperatorChange, true) => "Change of carrier",
            (Self::PolicyViolation, true) => "Rules violation",
            (Self::Other, true) => "Other reason",
            (Self::Replacement, true) => "Number replaced",
        }
    }

    /// A reason a client may give.
    pub fn parse(s: &str) -> Option<Self> {
        Self::REQUESTABLE.into_iter().find(|r| r.as_str() == s)
    }
}

/// The record of a confirmed deactivation, kept in the number's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeactivationAct {
    pub act_number: String,
    pub phone: PhoneNumber,
    pub organization_inn: Inn,
    pub reason: DeactivationReason,
    pub deactivated_at: DateTime<Utc>,
    pub deactivated_by: String,
}

/// A change to a number that its organization confirms with a code sent to the number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum NumberAction {
    Deactivate {
        reason: DeactivationReason,
        comment: Option<Comment>,
    },
    Suspend {
        reason: DeactivationReason,
        comment: Option<Comment>,
    },
    Resume,
}

/// Which kind of change a request is, as its route names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    Deactivate,
    Suspend,
    Resume,
}

impl NumberAction {
    pub fn kind(&self) -> ActionKind {
        match self {
            Self::Deactivate { .. } => ActionKind::Deactivate,
            Self::Suspend { .. } => ActionKind::Suspend,
            Self::Resume => ActionKind::Resume,
        }
    }
}

impl ActionKind {
    /// The code's purpose: its SMS text, and the key its digest is made under.
    pub fn purpose(self) -> super::OtpPurpose {
        match self {
            Self::Deactivate => super::OtpPurpose::Deactivation,
            Self::Suspend => super::OtpPurpose::Suspension,
            Self::Resume => super::OtpPurpose::Resumption,
        }
    }
}

/// A requested change awaiting its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberRequest {
    pub id: Uuid,
    pub action: NumberAction,
    pub organization_inn: Inn,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    /// The number's version when requested: confirming applies only to that binding, so
    /// a request can never act on a later one (after a rebind or a new application).
    pub binding_version: u64,
}

impl NumberRequest {
    /// `ДА-20261122-1A2B3C4D`: date and the start of the request id, unique and readable.
    pub fn act_number(&self, at: DateTime<Utc>) -> String {
        Self::act_number_for(self.id, at)
    }

    /// The act number for a deactivation identified by `id` (a request, or the sweeper's).
    pub fn act_number_for(id: Uuid, at: DateTime<Utc>) -> String {
        let id = id.simple().to_string().to_uppercase();
        format!("ДА-{}-{}", at.format("%Y%m%d"), &id[..8])
    }
}

/// How many replaced request ids are remembered, so confirming one of them is answered
/// "code expired" rather than "not found".
const SUPERSEDED_KEPT: usize = 10;

/// The codes sent to one number for changes its organization confirms by SMS (SPEC 4.6):
/// one ledger per number, whichever request a code was for. So at most one code is live
/// (a new request replaces it), the resend spacing spans requests, and wrong codes add up
/// per number. Its counts (sends, wrong codes) run per UTC day (`window`): ten wrong codes
/// lock the number's codes until the day ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberCodes {
    pub phone: PhoneNumber,
    /// The index of the [`RateWindow`] the ledger's counts belong to.
    pub window: i64,
    pub ledger: OtpLedger,
    /// The request the live code is for; `None` once confirmed.
    pub request: Option<NumberRequest>,
    /// Ids of requests replaced by a later one, newest last.
    pub superseded: Vec<Uuid>,
    /// Stored changes; `0` for a ledger not stored yet.
    pub revision: u64,
}

/// Why a code cannot be checked against a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestLookup {
    /// A later request replaced it: its code no longer works.
    Superseded,
    Unknown,
}

impl NumberCodes {
    /// A number no code was sent to yet.
    pub fn new(phone: PhoneNumber, now: DateTime<Utc>) -> Self {
        Self {
            phone,
            window: RateWindow::containing(now).index,
            ledger: OtpLedger::empty(),
            request: None,
            superseded: Vec::new(),
            revision: 0,
        }
    }

    /// Starts the day's counts afresh once a new UTC day has begun. The time of the last
    /// send is kept, so the spacing between codes still holds across midnight.
    pub fn roll_window(&mut self, now: DateTime<Utc>) {
        let today = RateWindow::containing(now).index;
        if self.window != today {
            self.window = today;
            self.ledger.sends = 0;
            self.ledger.wrong_total = 0;
        }
    }

    /// When the day's counts start afresh.
    pub fn window_ends_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        RateWindow::containing(now).ends_at
    }

    /// Issues a code (its digest) for `request`, replacing any earlier request and code, if
    /// the policy allows another code now.
    pub fn issue(
        &mut self,
        request: NumberRequest,
        digest: String,
        now: DateTime<Utc>,
        policy: &OtpPolicy,
    ) -> Result<(), ResendRefusal> {
        self.roll_window(now);
        self.ledger.check_resend(now, policy)?;
        if let Some(old) = self.request.take() {
            self.superseded.push(old.id);
            let excess = self.superseded.len().saturating_sub(SUPERSEDED_KEPT);
            self.superseded.drain(..excess);
        }
        self.ledger.replace(digest, now, policy);
        self.request = Some(request);
        Ok(())
    }

    /// The live request with this id.
    pub fn request(&self, id: Uuid) -> Result<&NumberRequest, RequestLookup> {
        match &self.request {
            Some(r) if r.id == id => Ok(r),
            _ if self.superseded.contains(&id) => Err(RequestLookup::Superseded),
            _ => Err(RequestLookup::Unknown),
        }
    }
}
