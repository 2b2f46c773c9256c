//! The side effects the use cases need, one small trait per capability. The AWS adapters
//! (`crate::aws`) and the in-memory fakes (`crate::fakes`) implement them.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::domain::NumberEvent;
use crate::domain::{
    Application, ApplicationStatus, Event, HistoryEntry, Inn, NumberCodes, NumberLock, NumberState,
    OtpCode, OutboxEntry, PhoneNumber, RateWindow, Restriction, RestrictionEvent, SweepJob,
};

/// A dependency (database, SMS, queue) failed or could not be reached. The cause is for
/// the log; clients only learn that the service is unavailable.
///
/// Its `Display` and `Debug` scrub the cause of anything that looks like a phone number or
/// a SNILS ([`crate::domain::scrub`]): a dependency's message may echo what it was sent
/// (an SMS service names the destination number), and this error is what gets logged.
pub struct DependencyError {
    pub service: &'static str,
    pub source: Box<dyn std::error::Error + Send + Sync>,
    /// The request surely did nothing: it never reached the service (the connection was
    /// refused), or the service refused it. Otherwise (a timeout, a lost response) it may
    /// have been done: what must happen at most once is then not tried again.
    pub surely_undone: bool,
}

impl DependencyError {
    pub fn new(
        service: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            service,
            source: source.into(),
            surely_undone: false,
        }
    }

    /// A failure that surely did nothing (see [`DependencyError::surely_undone`]).
    pub fn undone(
        service: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            surely_undone: true,
            ..Self::new(service, source)
        }
    }

    /// The cause and the causes behind it, scrubbed.
    fn cause(&self) -> String {
        let mut text = self.source.to_string();
        let mut next = self.source.source();
        while let Some(inner) = next {
            text.push_str(": ");
            text.push_str(&inner.to_string());
            next = inner.source();
        }
        crate::domain::scrub(&text)
    }
}

impl std::fmt::Display for DependencyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.service, self.cause())
    }
}

impl std::fmt::Debug for DependencyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DependencyError")
            .field("service", &self.service)
            .field("cause", &self.cause())
            .finish()
    }
}

impl std::error::Error for DependencyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// Randomness: codes from a CSPRNG in production, scripted values in tests.
pub trait Random: Send + Sync {
    fn otp_code(&self) -> OtpCode;
    fn uuid(&self) -> Uuid;
}

#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Hands one transactional SMS to the SMS service.
    async fn send(&self, to: &PhoneNumber, text: &str) -> Result<(), DependencyError>;
}

/// The events topic the portal subscribes to (SPEC 5.6).
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes one event, with its type as a message attribute for subscribers' filters.
    async fn publish(&self, event: &Event) -> Result<(), DependencyError>;
}

/// A request to review one application; `attempt` counts how often it was queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewTicket {
    pub application_id: Uuid,
    pub attempt: u32,
}

#[async_trait]
pub trait ReviewQueue: Send + Sync {
    async fn enqueue(&self, ticket: &ReviewTicket) -> Result<(), DependencyError>;
}

/// A rate-limited counter, charged inside the same transaction as the write it limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RateCounter {
    ApplicationsPerOrganization(Inn),
    SmsPerPhone(PhoneNumber),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateCharge {
    pub counter: RateCounter,
    pub window: RateWindow,
    pub limit: u32,
}

/// A response kept for replay under an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// The claim a request makes on an idempotency key when it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// Hash of (organization, key): keys are scoped per organization.
    pub key: String,
    /// Hash of the canonical request body.
    pub request_hash: String,
    /// A request still marked in progress after this is taken to have died.
    pub in_progress_until: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyState {
    InProgress { until: DateTime<Utc> },
    Completed(StoredResponse),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub state: IdempotencyState,
    pub expires_at: DateTime<Utc>,
    /// The application the request created, written in the same transaction: a retry
    /// after a crash finds it even though no response was stored.
    pub application_id: Option<Uuid>,
}

/// Everything a submission writes, in one atomic step.
#[derive(Debug)]
pub struct NewApplication<'a> {
    pub application: &'a Application,
    pub history: &'a HistoryEntry,
    pub lock: &'a NumberLock,
    pub number_event: &'a NumberEvent,
    pub charges: &'a [RateCharge],
    pub idempotency: Option<&'a IdempotencyClaim>,
    pub now: DateTime<Utc>,
}

/// Why a submission's atomic write was refused.
#[derive(Debug)]
pub enum CreateRefusal {
    /// The number's lock holds; the current lock is attached.
    NumberHeld(NumberLock),
    /// The idempotency key is taken; its record is attached.
    IdempotencyKeyTaken(IdempotencyRecord),
    /// An operator restricted the number (SPEC 4.13).
    NumberRestricted,
    RateLimited {
        counter: RateCounter,
        retry_after: Duration,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError<R> {
    #[error("refused: {0:?}")]
    Refused(R),
    #[error(transparent)]
    Dependency(#[from] DependencyError),
}

/// What a change to an application does to its number, in the same transaction. Each
/// applies only while the number's lock is still this application's pending lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberChange {
    /// The code is confirmed: the lock stops expiring with the confirmation window.
    KeepHeld,
    /// Approved: the number becomes active.
    Activate(NumberEvent),
    /// Rejected or expired: the lock lapses now, freeing the number.
    Release(NumberEvent),
}

/// A change to a stored application, applied only if nobody changed it meanwhile.
#[derive(Debug)]
pub struct ApplicationUpdate<'a> {
    /// The new state; its `revision` is the stored one plus one.
    pub application: &'a Application,
    pub history: &'a [HistoryEntry],
    pub number: Option<NumberChange>,
    /// A replacement's approval: the number it replaces is deactivated in the same
    /// transaction, if it has not changed since read.
    pub replaced: Option<StateChange<'a>>,
    pub charges: &'a [RateCharge],
    pub now: DateTime<Utc>,
}

#[derive(Debug)]
pub enum UpdateRefusal {
    /// Someone else changed the application (or its number) first: reload and decide again.
    Stale,
    RateLimited {
        counter: RateCounter,
        retry_after: Duration,
    },
}

/// An application as stored, with its history oldest first.
#[derive(Debug, Clone)]
pub struct StoredApplication {
    pub application: Application,
    pub history: Vec<HistoryEntry>,
}

/// A number's lock with its history oldest first, the codes sent to it for changes its
/// organization confirms by SMS, and its restriction with the restriction's changes
/// (for operators only).
#[derive(Debug, Clone)]
pub struct StoredNumber {
    pub lock: NumberLock,
    pub history: Vec<NumberEvent>,
    pub codes: Option<NumberCodes>,
    pub restriction: Option<Restriction>,
    pub restriction_history: Vec<RestrictionEvent>,
}

/// A change of a bound number's state (deactivation, suspension, resumption), applied
/// only if the stored lock is still in `from`, for the same organization, at the version
/// just below `lock.version`.
#[derive(Debug)]
pub struct StateChange<'a> {
    /// The lock after the change: its new state, suspension and version.
    pub lock: &'a NumberLock,
    pub from: NumberState,
    /// The number's code ledger, its request done, when the change was confirmed by code.
    pub codes: Option<&'a NumberCodes>,
    pub event: &'a NumberEvent,
    /// Makes the history entry's key unique (the request or the act it came from).
    pub discriminator: Uuid,
}

/// One page of a listing; `next` is an opaque cursor for the following page.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// The cursor did not come from a previous page of the same listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidCursor;

#[async_trait]
pub trait ApplicationRepository: Send + Sync {
    /// Writes a submission, with the outbox entry it causes (SPEC 5.6), in one transaction.
    async fn create(
        &self,
        new: NewApplication<'_>,
        outbox: Option<&OutboxEntry>,
    ) -> Result<(), StoreError<CreateRefusal>>;
    async fn get(&self, id: Uuid) -> Result<Option<StoredApplication>, DependencyError>;
    /// Applies a change, with the outbox entry it causes, in one transaction.
    async fn update(
        &self,
        update: ApplicationUpdate<'_>,
        outbox: Option<&OutboxEntry>,
    ) -> Result<(), StoreError<UpdateRefusal>>;
}

/// Applications by status and age (the status-and-age index).
#[async_trait]
pub trait ReviewIndex: Send + Sync {
    /// Applications whose stored status is `status`, oldest in it first, that entered it
    /// before `entered_before` when given.
    async fn by_status(
        &self,
        status: ApplicationStatus,
        entered_before: Option<DateTime<Utc>>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Application>, StoreError<InvalidCursor>>;

    /// Applications whose timer ([`Application::timer`]) is for `job` and fell due before
    /// `before`, earliest first. Handling one moves its timer on or removes it, so it
    /// leaves this range: what a job has done never costs it again.
    async fn due(
        &self,
        job: SweepJob,
        before: DateTime<Utc>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Application>, StoreError<InvalidCursor>>;
}

#[async_trait]
pub trait NumberRegistry: Send + Sync {
    async fn number(&self, phone: &PhoneNumber) -> Result<Option<StoredNumber>, DependencyError>;

    /// Saves a number's code ledger: new (`revision` 1) or changed (revision one up).
    /// Charges count SMS sent for it.
    async fn save_codes(
        &self,
        codes: &NumberCodes,
        charges: &[RateCharge],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError<UpdateRefusal>>;

    /// Changes the number's state, atomically with the ledger (when given), the history
    /// entry and the outbox entry; `Stale` if the lock or the ledger changed since read.
    async fn change_state(
        &self,
        change: StateChange<'_>,
        outbox: Option<&OutboxEntry>,
    ) -> Result<(), StoreError<UpdateRefusal>>;

    /// Suspended numbers whose suspension ends (SPEC 4.11) before `before`, earliest first.
    async fn suspensions_due(
        &self,
        before: DateTime<Utc>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<NumberLock>, StoreError<InvalidCursor>>;

    /// Replaces the lock's employee if its version is still `lock.version - 1` and it is
    /// active, with a history entry and the outbox entry.
    async fn rebind(
        &self,
        lock: &NumberLock,
        event: &NumberEvent,
        outbox: Option<&OutboxEntry>,
    ) -> Result<(), StoreError<UpdateRefusal>>;
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    async fn record(&self, key: &str) -> Result<Option<IdempotencyRecord>, DependencyError>;
    async fn complete(
        &self,
        key: &str,
        response: &StoredResponse,
        expires_at: DateTime<Utc>,
    ) -> Result<(), DependencyError>;
}

/// An organization's own applications and numbers (the index by organization, SPEC 4.10):
/// one query a page, newest first, never another organization's rows.
#[async_trait]
pub trait OrganizationIndex: Send + Sync {
    /// The organization's applications, newest first. A cursor from another listing or
    /// organization is refused.
    async fn applications_of(
        &self,
        inn: &Inn,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Application>, StoreError<InvalidCursor>>;

    /// The locks of numbers last taken by the organization, most recently taken first
    /// (with the number's history, filtered by the caller).
    async fn numbers_of(
        &self,
        inn: &Inn,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<NumberLock>, StoreError<InvalidCursor>>;
}

/// Numbers' restrictions (SPEC 4.13), set and lifted by operators.
#[async_trait]
pub trait RestrictionRegistry: Send + Sync {
    /// The number's restriction in force, if any, and every change of it, oldest first.
    async fn restriction(
        &self,
        phone: &PhoneNumber,
    ) -> Result<(Option<Restriction>, Vec<RestrictionEvent>), DependencyError>;

    /// Sets or amends a restriction (`revision` 1 for a new one, else one above the stored
    /// one), with its history entry; `Stale` if it changed meanwhile.
    async fn save_restriction(
        &self,
        restriction: &Restriction,
        event: &RestrictionEvent,
    ) -> Result<(), StoreError<UpdateRefusal>>;

    /// Lifts the restriction as read (same revision), with its history entry.
    async fn lift_restriction(
        &self,
        restriction: &Restriction,
        event: &RestrictionEvent,
    ) -> Result<(), StoreError<UpdateRefusal>>;

    /// Restrictions in force, most recently set first.
    async fn restrictions(
        &self,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Restriction>, StoreError<InvalidCursor>>;
}

/// Outbox entries (SPEC 5.6), written with the changes that cause them; these are their
/// later steps.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    async fn outbox_entry(&self, id: Uuid) -> Result<Option<OutboxEntry>, DependencyError>;

    /// Saves the entry if the stored one is at the revision below its own; `Stale` if not.
    /// A settled entry leaves the due range and expires after [`crate::domain::OUTBOX_KEEP`].
    async fn save_outbox(&self, entry: &OutboxEntry) -> Result<(), StoreError<UpdateRefusal>>;

    /// Unsettled entries that fell due ([`OutboxEntry::due_at`]) before `before`, oldest
    /// first.
    async fn outbox_due(
        &self,
        before: DateTime<Utc>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<OutboxEntry>, StoreError<InvalidCursor>>;
}

/// The whole store, as one adapter implements it.
pub trait Store:
    ApplicationRepository
    + NumberRegistry
    + IdempotencyStore
    + ReviewIndex
    + OrganizationIndex
    + RestrictionRegistry
    + OutboxStore
{
}
impl<T> Store for T where
    T: ApplicationRepository
        + NumberRegistry
        + IdempotencyStore
        + ReviewIndex
        + OrganizationIndex
        + RestrictionRegistry
        + OutboxStore
{
}
