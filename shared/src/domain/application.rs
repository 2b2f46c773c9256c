use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Document, DocumentType, Employee, Organization, OtpLedger, PhoneNumber, Signature};

/// How long an application may wait for its code before it expires.
pub const OTP_CONFIRMATION_WINDOW: Duration = Duration::hours(24);
/// Promised time for the automatic review, from the confirmed code.
pub const AUTO_REVIEW_ETA: Duration = Duration::minutes(30);
/// Manual review SLA, from entering `manual_review`.
pub const MANUAL_REVIEW_SLA: Duration = Duration::hours(24);
/// How long requested documents are awaited before the application expires and frees
/// its number (SPEC 3).
pub const DOCUMENTS_WAIT: Duration = Duration::days(30);
/// How long an application may sit in `under_review` since it was last queued before it
/// is queued again (a lost message must not strand it).
pub const REQUEUE_AFTER: Duration = Duration::hours(1);

/// The scheduled sweeper's jobs (SPEC 5.4). Each reads only the applications due for it,
/// with its own budget, so no job's backlog holds up another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SweepJob {
    /// `awaiting_otp` past its confirmation window: expire, release the number.
    ExpireUnconfirmed,
    /// `manual_review` past its SLA: mark overdue, once per stint.
    MarkOverdue,
    /// `under_review` without a decision an hour after it was queued: queue it again.
    Requeue,
    /// `documents_required` unanswered for 30 days: expire, release the number.
    ExpireDocumentsRequest,
    /// A number suspended for 180 days: deactivate it with an act (a number's timer, not
    /// an application's, so not in [`SweepJob::ALL`]).
    EndSuspension,
    /// Outcome notices whose publishing failed (SPEC 5.6): publish them again (an outbox
    /// entry's timer, not an application's).
    PublishOutbox,
}

impl SweepJob {
    /// The applications' jobs.
    pub const ALL: [Self; 4] = [
        Self::ExpireUnconfirmed,
        Self::MarkOverdue,
        Self::Requeue,
        Self::ExpireDocumentsRequest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ExpireUnconfirmed => "expire_unconfirmed",
            Self::MarkOverdue => "mark_overdue",
            Self::Requeue => "requeue",
            Self::ExpireDocumentsRequest => "expire_documents_request",
            Self::EndSuspension => "end_suspension",
            Self::PublishOutbox => "publish_outbox",
        }
    }
}

/// Where an application is in its lifecycle (SPEC 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    AwaitingOtp,
    UnderReview,
    ManualReview,
    DocumentsRequired,
    Approved,
    Rejected,
    Expired,
}

impl ApplicationStatus {
    pub const ALL: [Self; 7] = [
        Self::AwaitingOtp,
        Self::UnderReview,
        Self::ManualReview,
        Self::DocumentsRequired,
        Self::Approved,
        Self::Rejected,
        Self::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingOtp => "awaiting_otp",
            Self::UnderReview => "under_review",
            Self::ManualReview => "manual_review",
            Self::DocumentsRequired => "documents_required",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// The label clients show, in Russian or English.
    pub fn label(self, english: bool) -> &'static str {
        match (self, english) {
            (Self::AwaitingOtp, false) => "Ожидает подтверждения кода",
            (Self::UnderReview, false) => "В обработке",
            (Self::ManualReview, false) => "На ручной проверке",
            (Self::DocumentsRequired, false) => "Требуется дополнение документов",
            (Self::Approved, false) => "Номер активирован",
            (Self::Rejected, false) => "Отклонено",
            (Self::Expired, false) => "Срок подтверждения истёк",
            (Self::AwaitingOtp, true) => "Awaiting code confirmation",
            (Self::UnderReview, true) => "Under review",
            (Self::ManualReview, true) => "Under manual review",
            (Self::DocumentsRequired, true) => "Additional documents required",
            (Self::Approved, true) => "Number activated",
            (Self::Rejected, true) => "Rejected",
            (Self::Expired, true) => "Confirmation period expired",
        }
    }

    /// The transitions of SPEC 3; everything else is illegal.
    pub fn can_become(self, to: Self) -> bool {
        use ApplicationStatus::*;
        matches!(
            (self, to),
            (AwaitingOtp, UnderReview | Expired)
                | (
                    UnderReview,
                    Approved | ManualReview | Rejected | DocumentsRequired
                )
                | (ManualReview, Approved | Rejected | DocumentsRequired)
                | (DocumentsRequired, UnderReview | Expired)
        )
    }

    /// Whether an application in this status keeps its number locked.
    pub fn holds_number(self) -> bool {
        !matches!(self, Self::Rejected | Self::Expired)
    }
}

/// Who caused a transition: `applicant:<sub>`, `operator:<sub>` or `system:<job>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Actor {
    Applicant(String),
    Operator(String),
    System(String),
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Applicant(s) => write!(f, "applicant:{s}"),
            Self::Operator(s) => write!(f, "operator:{s}"),
            Self::System(s) => write!(f, "system:{s}"),
        }
    }
}

impl TryFrom<String> for Actor {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.split_once(':') {
            Some(("applicant", s)) => Ok(Self::Applicant(s.to_owned())),
            Some(("operator", s)) => Ok(Self::Operator(s.to_owned())),
            Some(("system", s)) => Ok(Self::System(s.to_owned())),
            _ => Err(format!("not an actor: {value}")),
        }
    }
}

impl From<Actor> for String {
    fn from(value: Actor) -> Self {
        value.to_string()
    }
}

/// One recorded transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub from: Option<ApplicationStatus>,
    pub to: ApplicationStatus,
    pub actor: Actor,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an application cannot go from {from:?} to {to:?}")]
pub struct IllegalTransition {
    pub from: ApplicationStatus,
    pub to: ApplicationStatus,
}

/// An application to bind `phone` to an organization and one employee.
///
/// `revision` increases with every stored change and guards concurrent updates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub id: Uuid,
    pub organization: Organization,
    pub phone: PhoneNumber,
    pub employee: Employee,
    pub documents: Vec<Document>,
    pub signature: Option<Signature>,
    pub status: ApplicationStatus,
    pub submitted_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the application entered its current status.
    pub status_since: DateTime<Utc>,
    pub otp: OtpLedger,
    pub expected_completion_at: Option<DateTime<Utc>>,
    pub operator: Option<String>,
    pub comment: Option<String>,
    pub rejection_reason: Option<String>,
    pub documents_required: Vec<DocumentType>,
    /// Marked once when the current stint in manual review passes its SLA; cleared on
    /// entering manual review again.
    #[serde(default)]
    pub overdue: bool,
    /// How many times the application was put on the review queue, and when last.
    #[serde(default)]
    pub review_attempts: u32,
    #[serde(default)]
    pub last_queued_at: Option<DateTime<Utc>>,
    /// For a replacement (SPEC 4.12): the organization's active number this application's
    /// number replaces once approved.
    #[serde(default)]
    pub replaces: Option<PhoneNumber>,
    pub revision: u64,
}

/// What an application is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationKind {
    /// Binding a number (SPEC 4.2).
    Activation,
    /// Swapping an active number for this one, keeping its employee (SPEC 4.12).
    Replacement,
}

impl Application {
    /// The reference an applicant quotes to support: `ЗКН-<8 hex>`, from the id.
    pub fn reference_for(id: Uuid) -> String {
        let id = id.simple().to_string().to_uppercase();
        format!("ЗКН-{}", &id[..8])
    }

    pub fn reference(&self) -> String {
        Self::reference_for(self.id)
    }

    pub fn kind(&self) -> ApplicationKind {
        if self.replaces.is_some() {
            ApplicationKind::Replacement
        } else {
            ApplicationKind::Activation
        }
    }

    /// The status as of `now`: an application still awaiting its code after the
    /// confirmation window is expired even before the sweeper has written it down.
    pub fn effective_status(&self, now: DateTime<Utc>) -> ApplicationStatus {
        if self.status == ApplicationStatus::AwaitingOtp && now >= self.otp_deadline() {
            ApplicationStatus::Expired
        } else {
            self.status
        }
    }

    /// The end of the window for confirming the code.
    pub fn otp_deadline(&self) -> DateTime<Utc> {
        self.created_at + OTP_CONFIRMATION_WINDOW
    }

    /// When the current manual review is due (SLA) or the automatic review expected.
    pub fn sla_due_at(&self) -> Option<DateTime<Utc>> {
        match self.status {
            ApplicationStatus::ManualReview => Some(self.status_since + MANUAL_REVIEW_SLA),
            ApplicationStatus::UnderReview => Some(self.status_since + AUTO_REVIEW_ETA),
            _ => None,
        }
    }

    /// Whether the current stint is past its due time at `now` (or was marked so).
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.overdue || self.sla_due_at().is_some_and(|due| now > due)
    }

    /// Until when requested documents are awaited; after it the application expires.
    pub fn documents_due_at(&self) -> Option<DateTime<Utc>> {
        (self.status == ApplicationStatus::DocumentsRequired)
            .then(|| self.status_since + DOCUMENTS_WAIT)
    }

    /// The sweeper's next job for this application and when it falls due. `None` when
    /// nothing is scheduled: a final status, or a manual review already marked overdue.
    /// The store indexes applications by it, so each job reads only what is due.
    pub fn timer(&self) -> Option<(SweepJob, DateTime<Utc>)> {
        match self.status {
            ApplicationStatus::AwaitingOtp => {
                Some((SweepJob::ExpireUnconfirmed, self.otp_deadline()))
            }
            ApplicationStatus::ManualReview if !self.overdue => {
                Some((SweepJob::MarkOverdue, self.status_since + MANUAL_REVIEW_SLA))
            }
            ApplicationStatus::UnderReview => {
                let queued = self
                    .last_queued_at
                    .map_or(self.status_since, |at| at.max(self.status_since));
                Some((
                    SweepJob::Requeue,
                    queued + REQUEUE_AFTER.max(AUTO_REVIEW_ETA),
                ))
            }
            ApplicationStatus::DocumentsRequired => Some((
                SweepJob::ExpireDocumentsRequest,
                self.status_since + DOCUMENTS_WAIT,
            )),
            _ => None,
        }
    }

    /// Moves to `to`, recording who did it. Refuses transitions SPEC 3 does not allow.
    pub fn transition(
        &mut self,
        to: ApplicationStatus,
        actor: Actor,
        comment: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<HistoryEntry, IllegalTransition> {
        // From the stored status: the sweeper writes down an expiry that reads already.
        // Callers acting for users check the effective status first.
        let from = self.status;
        if !from.can_become(to) {
            return Err(IllegalTransition { from, to });
        }
        self.status = to;
        self.status_since = now;
        self.updated_at = now;
        if to == ApplicationStatus::ManualReview {
            // Each stint in manual review has its own SLA.
            self.overdue = false;
        }
        self.expected_completion_at = match to {
            ApplicationStatus::UnderReview => Some(now + AUTO_REVIEW_ETA),
            ApplicationStatus::ManualReview => Some(now + MANUAL_REVIEW_SLA),
            _ => None,
        };
        Ok(HistoryEntry {
            at: now,
            from: Some(from),
            to,
            actor,
            comment,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::ApplicationStatus::*;
    use super::*;

    #[test]
    fn transition_table_matches_the_spec() {
        let allowed = [
            (AwaitingOtp, UnderReview),
            (AwaitingOtp, Expired),
            (UnderReview, Approved),
            (UnderReview, ManualReview),
            (UnderReview, Rejected),
            (UnderReview, DocumentsRequired),
            (ManualReview, Approved),
            (ManualReview, Rejected),
            (ManualReview, DocumentsRequired),
            (DocumentsRequired, UnderReview),
            (DocumentsRequired, Expired),
        ];
        for from in ApplicationStatus::ALL {
            for to in ApplicationStatus::ALL {
                assert_eq!(
                    from.can_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in ApplicationStatus::ALL {
            assert_eq!(ApplicationStatus::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }

    #[test]
    fn actors_round_trip() {
        for a in ["applicant:u1", "operator:op-7", "system:review-sweeper"] {
            assert_eq!(Actor::try_from(a.to_owned()).unwrap().to_string(), a);
        }
        assert!(Actor::try_from("nobody".to_owned()).is_err());
    }
}
