//! In-memory implementations of the ports, for unit tests and benchmarks (feature
//! `test-support`). The store applies the same conditions as the DynamoDB adapter, under one
//! mutex; `contract` proves it against both.

pub mod contract;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::domain::{
    Application, ApplicationStatus, Event, Inn, NumberCodes, NumberEvent, NumberLock, NumberState,
    OtpCode, OutboxEntry, PhoneNumber, Restriction, RestrictionEvent, SweepJob,
};
use crate::ports::{
    ApplicationRepository, ApplicationUpdate, Clock, CreateRefusal, DependencyError,
    EventPublisher, IdempotencyRecord, IdempotencyState, IdempotencyStore, InvalidCursor,
    NewApplication, NumberChange, NumberRegistry, OrganizationIndex, OutboxStore, Page, Random,
    RateCharge, RateCounter, RestrictionRegistry, ReviewIndex, ReviewQueue, ReviewTicket,
    SmsSender, StateChange, StoreError, StoredApplication, StoredNumber, StoredResponse,
    UpdateRefusal,
};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }
    pub fn advance(&self, by: Duration) {
        *lock(&self.0) += by;
    }
    pub fn set(&self, at: DateTime<Utc>) {
        *lock(&self.0) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}

/// Codes and ids from a counter: predictable, distinct.
#[derive(Debug, Default)]
pub struct SequenceRandom(AtomicU64);

impl Random for SequenceRandom {
    fn otp_code(&self) -> OtpCode {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        OtpCode::from_random((n * 7919 + 100_003) as u32)
    }
    fn uuid(&self) -> Uuid {
        Uuid::from_u128(u128::from(self.0.fetch_add(1, Ordering::SeqCst)) + 1)
    }
}

/// Remembers every SMS; can be told to fail.
#[derive(Debug, Default)]
pub struct RecordingSms {
    pub sent: Mutex<Vec<(PhoneNumber, String)>>,
    pub failing: AtomicBool,
}

impl RecordingSms {
    pub fn messages(&self) -> Vec<(PhoneNumber, String)> {
        lock(&self.sent).clone()
    }
    /// The code in the last SMS to `phone`.
    pub fn last_code(&self, phone: &PhoneNumber) -> Option<String> {
        lock(&self.sent)
            .iter()
            .rev()
            .find(|(p, _)| p == phone)
            .and_then(|(_, text)| crate::domain::code_in_sms(text))
    }
}

#[async_trait]
impl SmsSender for RecordingSms {
    async fn send(&self, to: &PhoneNumber, text: &str) -> Result<(), DependencyError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(DependencyError::undone("sms", "fake SMS outage"));
        }
        lock(&self.sent).push((to.clone(), text.to_owned()));
        Ok(())
    }
}

/// Remembers every event published; can be told to fail.
#[derive(Debug, Default)]
pub struct RecordingEvents {
    pub published: Mutex<Vec<Event>>,
    pub failing: AtomicBool,
}

impl RecordingEvents {
    pub fn events(&self) -> Vec<Event> {
        lock(&self.published).clone()
    }
}

#[async_trait]
impl EventPublisher for RecordingEvents {
    async fn publish(&self, event: &Event) -> Result<(), DependencyError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(DependencyError::undone("events", "fake topic outage"));
        }
        lock(&self.published).push(event.clone());
        Ok(())
    }
}

#[derive(Debug, Default)]
pub struct RecordingQueue {
    pub tickets: Mutex<Vec<ReviewTicket>>,
    pub failing: AtomicBool,
}

impl RecordingQueue {
    pub fn tickets(&self) -> Vec<ReviewTicket> {
        lock(&self.tickets).clone()
    }
}

#[async_trait]
impl ReviewQueue for RecordingQueue {
    async fn enqueue(&self, ticket: &ReviewTicket) -> Result<(), DependencyError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(DependencyError::new("queue", "fake queue outage"));
        }
        lock(&self.tickets).push(ticket.clone());
        Ok(())
    }
}

#[derive(Debug, Default)]
struct Tables {
    applications: HashMap<Uuid, StoredApplication>,
    numbers: HashMap<String, StoredNumber>,
    idempotency: HashMap<String, IdempotencyRecord>,
    counters: HashMap<(String, i64), u32>,
    /// By phone: the restriction in force and every change of it.
    restrictions: HashMap<String, (Option<Restriction>, Vec<RestrictionEvent>)>,
    outbox: HashMap<Uuid, OutboxEntry>,
}

impl Tables {
    fn add_outbox(&mut self, entry: Option<&OutboxEntry>) {
        if let Some(entry) = entry {
            self.outbox.insert(entry.id, entry.clone());
        }
    }
}

/// The store in memory. `failing` makes every call a dependency failure.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tables: Mutex<Tables>,
    pub failing: AtomicBool,
}

impl MemoryStore {
    fn check(&self) -> Result<(), DependencyError> {
        if self.failing.load(Ordering::SeqCst) {
            Err(DependencyError::new("store", "fake store outage"))
        } else {
            Ok(())
        }
    }
}

fn counter_key(c: &RateCharge) -> (String, i64) {
    let name = match &c.counter {
        RateCounter::ApplicationsPerOrganization(inn) => format!("org:{inn}"),
        RateCounter::SmsPerPhone(phone) => format!("phone:{phone}"),
    };
    (name, c.window.index)
}

/// Checks every charge, then applies them all, or none.
fn charge(
    tables: &mut Tables,
    charges: &[RateCharge],
    now: DateTime<Utc>,
) -> Result<(), (RateCounter, Duration)> {
    for c in charges {
        if tables.counters.get(&counter_key(c)).copied().unwrap_or(0) >= c.limit {
            return Err((c.counter.clone(), c.window.ends_at - now));
        }
    }
    for c in charges {
        *tables.counters.entry(counter_key(c)).or_default() += 1;
    }
    Ok(())
}

#[async_trait]
impl ApplicationRepository for MemoryStore {
    async fn create(
        &self,
        new: NewApplication<'_>,
        outbox: Option<&OutboxEntry>,
    ) -> Result<(), StoreError<CreateRefusal>> {
        self.check()?;
        let mut t = lock(&self.tables);
        if let Some(claim) = new.idempotency
            && let Some(record) = t.idempotency.get(&claim.key)
        {
            // A record is only ever written with its application, so even one whose
            // request died (in progress, lapsed) keeps the key: the retry recovers it.
            if record.expires_at > new.now {
                return Err(StoreError::Refused(CreateRefusal::IdempotencyKeyTaken(
                    record.clone(),
                )));
            }
        }
        let phone = new.application.phone.as_ref().to_owned();
        let previous = t.numbers.get(&phone).cloned();
        if let Some(existing) = &previous
            && existing.lock.holds(new.now)
        {
            return Err(StoreError::Refused(CreateRefusal::NumberHeld(
                existing.lock.clone(),
            )));
        }
        if t.restrictions.get(&phone).is_some_and(|(r, _)| r.is_some()) {
            return Err(StoreError::Refused(CreateRefusal::NumberRestricted));
        }
        charge(&mut t, new.charges, new.now).map_err(|(counter, retry_after)| {
            StoreError::Refused(CreateRefusal::RateLimited {
                counter,
                retry_after,
            })
        })?;
        let mut lock = new.lock.clone();
        let (base, mut history, codes) = match previous {
            Some(prev) => (prev.lock.version, prev.history, prev.codes),
            None => (0, Vec::new(), None),
        };
        lock.binding_base = base;
        lock.version = base + 1;
        history.push(new.number_event.clone());
        t.numbers.insert(
            phone,
            StoredNumber {
                lock,
                history,
                codes,
                restriction: None,
                restriction_history: Vec::new(),
            },
        );
        t.applications.insert(
            new.application.id,
            StoredApplication {
                application: new.application.clone(),
                history: vec![new.history.clone()],
            },
        );
        if let Some(claim) = new.idempotency {
            t.idempotency.insert(
                claim.key.clone(),
                IdempotencyRecord {
                    request_hash: claim.request_hash.clone(),
                    state: IdempotencyState::InProgress {
                        until: claim.in_progress_until,
                    },
                    expires_at: claim.expires_at,
                    application_id: Some(new.application.id),
                },
            );
        }
        t.add_outbox(outbox);
        Ok(())
    }

    async fn get(&self, id: Uuid) -> Result<Option<StoredApplication>, DependencyError> {
        self.check()?;
        Ok(lock(&self.tables).applications.get(&id).cloned())
    }

    async fn update(
        &self,
        update: ApplicationUpdate<'_>,
        outbox: Option<&OutboxEntry>,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        self.check()?;
        let mut t = lock(&self.tables);
        let app = update.application;
        let stale = t
            .applications
            .get(&app.id)
            .is_none_or(|s| s.application.revision + 1 != app.revision);
        if stale {
            return Err(StoreError::Refused(UpdateRefusal::Stale));
        }
        let phone = app.phone.as_ref().to_owned();
        if update.number.is_some() {
            let ours = t.numbers.get(&phone).is_some_and(|n| {
                n.lock.application_id == app.id && n.lock.state == NumberState::Pending
            });
            if !ours {
                return Err(StoreError::Refused(UpdateRefusal::Stale));
            }
        }
        if let Some(replaced) = &update.replaced
            && !state_change_applies(&t, replaced)
        {
            return Err(StoreError::Refused(UpdateRefusal::Stale));
        }
        charge(&mut t, update.charges, update.now).map_err(|(counter, retry_after)| {
            StoreError::Refused(UpdateRefusal::RateLimited {
                counter,
                retry_after,
            })
        })?;
        if let (Some(change), Some(n)) = (&update.number, t.numbers.get_mut(&phone)) {
            match change {
                NumberChange::KeepHeld => n.lock.hold_until = None,
                NumberChange::Activate(event) => {
                    n.lock.state = NumberState::Active;
                    n.lock.hold_until = None;
                    n.lock.employee = app.employee.clone();
                    n.history.push(event.clone());
                }
                NumberChange::Release(event) => {
                    n.lock.hold_until = Some(update.now);
                    n.history.push(event.clone());
                }
            }
            n.lock.updated_at = update.now;
            n.lock.version += 1;
        }
        if let Some(replaced) = &update.replaced {
            apply_state_change(&mut t, replaced);
        }
        if let Some(stored) = t.applications.get_mut(&app.id) {
            stored.application = app.clone();
            stored.history.extend(update.history.iter().cloned());
        }
        t.add_outbox(outbox);
        Ok(())
    }
}

#[async_trait]
impl NumberRegistry for MemoryStore {
    async fn number(&self, phone: &PhoneNumber) -> Result<Option<StoredNumber>, DependencyError> {
        self.check()?;
        let t = lock(&self.tables);
        Ok(t.numbers.get(phone.as_ref()).cloned().map(|mut n| {
            if let Some((current, history)) = t.restrictions.get(phone.as_ref()) {
                n.restriction = current.clone();
                n.restriction_history = history.clone();
            }
            n
        }))
    }

    async fn save_codes(
        &self,
        codes: &NumberCodes,
        charges: &[RateCharge],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        self.check()?;
        let mut t = lock(&self.tables);
        let key = codes.phone.as_ref().to_owned();
        let stored = t
            .numbers
            .get(&key)
            .ok_or(StoreError::Refused(UpdateRefusal::Stale))?
            .codes
            .as_ref()
            .map_or(0, |c| c.revision);
        if stored + 1 != codes.revision {
            return Err(StoreError::Refused(UpdateRefusal::Stale));
        }
        charge(&mut t, charges, now).map_err(|(counter, retry_after)| {
            StoreError::Refused(UpdateRefusal::RateLimited {
                counter,
                retry_after,
            })
        })?;
        if let Some(n) = t.numbers.get_mut(&key) {
            n.codes = Some(codes.clone());
        }
        Ok(())
    }

    async fn change_state(
        &self,
        change: StateChange<'_>,
        outbox: Option<&OutboxEntry>,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        self.check()?;
        let mut t = lock(&self.tables);
        let ledger_current = change.codes.is_none_or(|c| {
            t.numbers
                .get(change.lock.phone.as_ref())
                .and_then(|n| n.codes.as_ref())
                .map_or(0, |s| s.revision)
                + 1
                == c.revision
        });
        if !ledger_current || !state_change_applies(&t, &change) {
            return Err(StoreError::Refused(UpdateRefusal::Stale));
        }
        apply_state_change(&mut t, &change);
        if let (Some(codes), Some(n)) =
            (change.codes, t.numbers.get_mut(change.lock.phone.as_ref()))
        {
            n.codes = Some(codes.clone());
        }
        t.add_outbox(outbox);
        Ok(())
    }

    async fn suspensions_due(
        &self,
        before: DateTime<Utc>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<NumberLock>, StoreError<InvalidCursor>> {
        self.check()?;
        let locks = lock(&self.tables)
            .numbers
            .values()
            .filter(|n| n.lock.state == NumberState::Suspended)
            .filter_map(|n| {
                let ends = n.lock.suspension.as_ref()?.ends_at();
                (ends < before).then(|| {
                    (
                        format!("{}#{}", sortable(ends), n.lock.phone),
                        n.lock.clone(),
                    )
                })
            })
            .collect();
        page_of(locks, "due:end_suspension", false, limit, cursor)
    }

    async fn rebind(
        &self,
        new: &NumberLock,
        event: &NumberEvent,
        outbox: Option<&OutboxEntry>,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        self.check()?;
        let mut t = lock(&self.tables);
        let n = t
            .numbers
            .get_mut(new.phone.as_ref())
            .ok_or(StoreError::Refused(UpdateRefusal::Stale))?;
        if n.lock.version + 1 != new.version || n.lock.state != NumberState::Active {
            return Err(StoreError::Refused(UpdateRefusal::Stale));
        }
        n.lock = new.clone();
        n.history.push(event.clone());
        t.add_outbox(outbox);
        Ok(())
    }
}

/// Whether the stored lock is still as `change` read it: its state, organization, version.
fn state_change_applies(t: &Tables, change: &StateChange<'_>) -> bool {
    let new = change.lock;
    t.numbers.get(new.phone.as_ref()).is_some_and(|n| {
        n.lock.organization_inn == new.organization_inn
            && n.lock.state == change.from
            && n.lock.version + 1 == new.version
    })
}

fn apply_state_change(t: &mut Tables, change: &StateChange<'_>) {
    let new = change.lock;
    if let Some(n) = t.numbers.get_mut(new.phone.as_ref()) {
        n.lock.state = new.state;
        n.lock.suspension = new.suspension.clone();
        n.lock.version = new.version;
        n.lock.updated_at = new.updated_at;
        n.history.push(change.event.clone());
    }
}

/// A time whose text sorts like the time, as the DynamoDB adapter writes it.
fn sortable(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The ordering key of the status index: time entered, then id.
fn index_key(app: &Application) -> String {
    format!("{}#{}", sortable(app.status_since), app.id)
}

/// One page of `items` in `key` order (newest first when `descending`) after the cursor,
/// with the cursor for the next. A cursor names its listing (`scope`): one from another
/// listing is refused, as the DynamoDB adapter refuses it.
fn page_of<T>(
    mut items: Vec<(String, T)>,
    scope: &str,
    descending: bool,
    limit: u32,
    cursor: Option<&str>,
) -> Result<Page<T>, StoreError<InvalidCursor>> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    if descending {
        items.reverse();
    }
    let after = match cursor {
        None => None,
        Some(c) => Some(
            c.strip_prefix("mem:")
                .and_then(|c| c.strip_prefix(scope))
                .and_then(|c| c.strip_prefix('|'))
                .ok_or(StoreError::Refused(InvalidCursor))?
                .to_owned(),
        ),
    };
    let mut page: Vec<(String, T)> = items
        .into_iter()
        .filter(|(k, _)| {
            after
                .as_ref()
                .is_none_or(|a| if descending { k < a } else { k > a })
        })
        .take(limit as usize + 1)
        .collect();
    let more = page.len() > limit as usize;
    page.truncate(limit as usize);
    let next = if more {
        page.last().map(|(k, _)| format!("mem:{scope}|{k}"))
    } else {
        None
    };
    Ok(Page {
        items: page.into_iter().map(|(_, a)| a).collect(),
        next,
    })
}

#[async_trait]
impl ReviewIndex for MemoryStore {
    async fn by_status(
        &self,
        status: ApplicationStatus,
        entered_before: Option<DateTime<Utc>>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Application>, StoreError<InvalidCursor>> {
        self.check()?;
        let apps = lock(&self.tables)
            .applications
            .values()
            .map(|s| &s.application)
            .filter(|a| a.status == status && entered_before.is_none_or(|b| a.status_since < b))
            .map(|a| (index_key(a), a.clone()))
            .collect();
        page_of(
            apps,
            &format!("status:{}", status.as_str()),
            false,
            limit,
            cursor,
        )
    }

    async fn due(
        &self,
        job: SweepJob,
        before: DateTime<Utc>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Application>, StoreError<InvalidCursor>> {
        self.check()?;
        let apps = lock(&self.tables)
            .applications
            .values()
            .map(|s| &s.application)
            .filter_map(|a| match a.timer() {
                Some((j, due)) if j == job && due < before => {
                    Some((format!("{}#{}", sortable(due), a.id), a.clone()))
                }
                _ => None,
            })
            .collect();
        page_of(apps, &format!("due:{}", job.as_str()), false, limit, cursor)
    }
}

#[async_trait]
impl OrganizationIndex for MemoryStore {
    async fn applications_of(
        &self,
        inn: &Inn,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Application>, StoreError<InvalidCursor>> {
        self.check()?;
        let apps = lock(&self.tables)
            .applications
            .values()
            .map(|s| &s.application)
            .filter(|a| &a.organization.inn == inn)
            .map(|a| (format!("{}#{}", sortable(a.created_at), a.id), a.clone()))
            .collect();
        page_of(apps, &format!("apps:{inn}"), true, limit, cursor)
    }

    async fn numbers_of(
        &self,
        inn: &Inn,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<NumberLock>, StoreError<InvalidCursor>> {
        self.check()?;
        let locks = lock(&self.tables)
            .numbers
            .values()
            .map(|n| &n.lock)
            .filter(|l| &l.organization_inn == inn)
            .map(|l| {
                let at = l.bound_at.unwrap_or(l.updated_at);
                (format!("{}#{}", sortable(at), l.phone), l.clone())
            })
            .collect();
        page_of(locks, &format!("numbers:{inn}"), true, limit, cursor)
    }
}

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn record(&self, key: &str) -> Result<Option<IdempotencyRecord>, DependencyError> {
        self.check()?;
        Ok(lock(&self.tables).idempotency.get(key).cloned())
    }

    async fn complete(
        &self,
        key: &str,
        response: &StoredResponse,
        expires_at: DateTime<Utc>,
    ) -> Result<(), DependencyError> {
        self.check()?;
        if let Some(r) = lock(&self.tables).idempotency.get_mut(key) {
            r.state = IdempotencyState::Completed(response.clone());
            r.expires_at = expires_at;
        }
        Ok(())
    }
}

#[async_trait]
impl RestrictionRegistry for MemoryStore {
    async fn restriction(
        &self,
        phone: &PhoneNumber,
    ) -> Result<(Option<Restriction>, Vec<RestrictionEvent>), DependencyError> {
        self.check()?;
        Ok(lock(&self.tables)
            .restrictions
            .get(phone.as_ref())
            .cloned()
            .unwrap_or_default())
    }

    async fn save_restriction(
        &self,
        r: &Restriction,
        event: &RestrictionEvent,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        self.check()?;
        let mut t = lock(&self.tables);
        let entry = t
            .restrictions
            .entry(r.phone.as_ref().to_owned())
            .or_default();
        let stored = entry.0.as_ref().map_or(0, |s| s.revision);
        if stored + 1 != r.revision {
            return Err(StoreError::Refused(UpdateRefusal::Stale));
        }
        entry.0 = Some(r.clone());
        entry.1.push(event.clone());
        Ok(())
    }

    async fn lift_restriction(
        &self,
        r: &Restriction,
        event: &RestrictionEvent,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        self.check()?;
        let mut t = lock(&self.tables);
        let entry = t
            .restrictions
            .entry(r.phone.as_ref().to_owned())
            .or_default();
        if entry.0.as_ref().map(|s| s.revision) != Some(r.revision) {
            return Err(StoreError::Refused(UpdateRefusal::Stale));
        }
        entry.0 = None;
        entry.1.push(event.clone());
        Ok(())
    }

    async fn restrictions(
        &self,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Restriction>, StoreError<InvalidCursor>> {
        self.check()?;
        let items = lock(&self.tables)
            .restrictions
            .values()
            .filter_map(|(r, _)| r.clone())
            .map(|r| (format!("{}#{}", sortable(r.restricted_at), r.phone), r))
            .collect();
        page_of(items, "restrictions", true, limit, cursor)
    }
}

#[async_trait]
impl OutboxStore for MemoryStore {
    async fn outbox_entry(&self, id: Uuid) -> Result<Option<OutboxEntry>, DependencyError> {
        self.check()?;
        Ok(lock(&self.tables).outbox.get(&id).cloned())
    }

    async fn save_outbox(&self, entry: &OutboxEntry) -> Result<(), StoreError<UpdateRefusal>> {
        self.check()?;
        let mut t = lock(&self.tables);
        match t.outbox.get(&entry.id) {
            Some(stored) if stored.revision + 1 == entry.revision => {
                t.outbox.insert(entry.id, entry.clone());
                Ok(())
            }
            _ => Err(StoreError::Refused(UpdateRefusal::Stale)),
        }
    }

    async fn outbox_due(
        &self,
        before: DateTime<Utc>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<OutboxEntry>, StoreError<InvalidCursor>> {
        self.check()?;
        let due = lock(&self.tables)
            .outbox
            .values()
            .filter(|e| !e.settled() && e.due_at() < before)
            .map(|e| (format!("{}#{}", sortable(e.due_at()), e.id), e.clone()))
            .collect();
        page_of(due, "due:publish_outbox", false, limit, cursor)
    }
}
