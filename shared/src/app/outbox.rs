//! Outcome notices (SPEC 5.6). Every write a use case makes goes through here: what the
//! change tells the world (events, and the SMS notice when a review ends) is derived from
//! the change itself, written to the outbox in the same transaction, and published right
//! after it. What fails to go out, the sweeper publishes later ([`republish`]).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{MAX_OPTIMISTIC_TRIES, Services, SweepReport};
use crate::domain::{
    Application, ApplicationStatus, Event, EventStatus, EventType, HistoryEntry, NoticeKind,
    NumberEvent, NumberLock, OutboxEntry, PhoneNumber, RejectionReason, SendOutcome, notice_sms,
};
use crate::ports::{
    ApplicationUpdate, CreateRefusal, DependencyError, InvalidCursor, NewApplication, NumberChange,
    StateChange, StoreError, UpdateRefusal,
};

/// Writes a submission with the events it causes, then publishes them.
pub(super) async fn create(
    services: &Services,
    new: NewApplication<'_>,
) -> Result<(), StoreError<CreateRefusal>> {
    let events = application_events(services, new.application, std::slice::from_ref(new.history));
    let entry = entry(services, events, None);
    services.store.create(new, entry.as_ref()).await?;
    publish(services, entry).await;
    Ok(())
}

/// Writes a change to an application with the events (and notice) it causes, then
/// publishes them.
pub(super) async fn update(
    services: &Services,
    update: ApplicationUpdate<'_>,
) -> Result<(), StoreError<UpdateRefusal>> {
    let app = update.application;
    let mut events = application_events(services, app, update.history);
    if let Some(NumberChange::Activate(event)) = &update.number {
        events.extend(number_event(services, &app.phone, event));
    }
    if let Some(replaced) = &update.replaced {
        events.extend(number_event(services, &replaced.lock.phone, replaced.event));
    }
    let notice = update
        .history
        .iter()
        .rev()
        .find_map(|h| NoticeKind::for_status(h.to))
        .map(|kind| notice_for(kind, app));
    let entry = entry(services, events, notice);
    services.store.update(update, entry.as_ref()).await?;
    publish(services, entry).await;
    Ok(())
}

/// Changes a number's state with the event it causes, then publishes it.
pub(super) async fn change_state(
    services: &Services,
    change: StateChange<'_>,
) -> Result<(), StoreError<UpdateRefusal>> {
    let events = number_event(services, &change.lock.phone, change.event)
        .into_iter()
        .collect();
    let entry = entry(services, events, None);
    services.store.change_state(change, entry.as_ref()).await?;
    publish(services, entry).await;
    Ok(())
}

/// Rebinds a number with the event it causes, then publishes it.
pub(super) async fn rebind(
    services: &Services,
    lock: &NumberLock,
    event: &NumberEvent,
) -> Result<(), StoreError<UpdateRefusal>> {
    let events = number_event(services, &lock.phone, event)
        .into_iter()
        .collect();
    let entry = entry(services, events, None);
    services.store.rebind(lock, event, entry.as_ref()).await?;
    publish(services, entry).await;
    Ok(())
}

fn entry(
    services: &Services,
    events: Vec<Event>,
    notice: Option<(NoticeKind, PhoneNumber, String)>,
) -> Option<OutboxEntry> {
    (!events.is_empty() || notice.is_some())
        .then(|| OutboxEntry::new(services.random.uuid(), services.clock.now(), events, notice))
}

fn application_events(
    services: &Services,
    app: &Application,
    history: &[HistoryEntry],
) -> Vec<Event> {
    history
        .iter()
        .filter_map(|h| EventType::for_application(h.from, h.to).map(|kind| (h, kind)))
        .map(|(h, kind)| Event {
            event_id: services.random.uuid(),
            kind,
            occurred_at: h.at,
            application_id: Some(app.id),
            phone: app.phone.masked(),
            organization_inn: Some(app.organization.inn.to_string()),
            status: EventStatus::Application(h.to),
            reason: (h.to == ApplicationStatus::Rejected)
                .then(|| app.rejection_reason.clone())
                .flatten(),
            act_number: None,
            documents_required: if h.to == ApplicationStatus::DocumentsRequired {
                app.documents_required
                    .iter()
                    .map(|d| d.as_str().to_owned())
                    .collect()
            } else {
                Vec::new()
            },
            replaces: app.replaces.as_ref().map(PhoneNumber::masked),
        })
        .collect()
}

fn number_event(services: &Services, phone: &PhoneNumber, event: &NumberEvent) -> Option<Event> {
    let kind = EventType::for_number(event.from, event.to)?;
    Some(Event {
        event_id: services.random.uuid(),
        kind,
        occurred_at: event.at,
        application_id: event.application_id,
        phone: phone.masked(),
        organization_inn: event.organization_inn.as_ref().map(ToString::to_string),
        status: EventStatus::Number(event.to),
        reason: event.act.as_ref().map(|a| a.reason.as_str().to_owned()),
        act_number: event.act.as_ref().map(|a| a.act_number.clone()),
        documents_required: Vec::new(),
        replaces: None,
    })
}

fn notice_for(kind: NoticeKind, app: &Application) -> (NoticeKind, PhoneNumber, String) {
    let reason = app
        .rejection_reason
        .as_deref()
        .and_then(RejectionReason::parse);
    let text = notice_sms(kind, &app.phone, &app.reference(), reason);
    (kind, app.phone.clone(), text)
}

/// Publishes a committed entry: leases its notice, publishes its events, sends the
/// notice, and records how far it got. Never fails the request: what does not go out
/// stays in the outbox for the sweeper.
async fn publish(services: &Services, entry: Option<OutboxEntry>) {
    if let Some(entry) = entry {
        let now = services.clock.now();
        deliver(services, entry, now).await;
    }
}

/// One delivery of an entry, by the writer or the sweeper: take the notice if it is free
/// (a conditional write, so two deliveries never both send it), publish the events not
/// yet published, send the notice if taken, then record it. Returns what came of it, or
/// `None` if someone else took it first.
async fn deliver(
    services: &Services,
    mut entry: OutboxEntry,
    now: DateTime<Utc>,
) -> Option<Delivery> {
    let token = services.random.uuid();
    let abandoned = entry.abandon_lapsed(now);
    let leased = entry.lease(token, now);
    // Abandoning a lapsed notice may settle the entry: then this delivery settled it.
    let mut settled_here = false;
    if abandoned || leased {
        entry.revision += 1;
        match services.store.save_outbox(&entry).await {
            Ok(()) => settled_here = entry.settled(),
            Err(StoreError::Refused(_)) => return None,
            Err(StoreError::Dependency(error)) => {
                tracing::error!(outbox = %entry.id, metric = "PublishFailures", error = %error, "could not take the notice");
                return Some(Delivery::Pending);
            }
        }
        if abandoned {
            tracing::warn!(outbox = %entry.id, metric = "NoticesAbandoned", "a notice's sender died with it; not sent again");
        }
    }
    let published = entry.events_published || publish_events(services, &entry).await;
    let sent = match &entry.notice {
        Some(notice) if entry.may_send(token, services.clock.now()) => {
            Some(send_notice(services, &entry, notice).await)
        }
        _ => None,
    };
    Some(
        match record(services, entry, token, published, sent, now).await {
            Delivery::SettledElsewhere if settled_here => Delivery::Settled,
            delivery => delivery,
        },
    )
}

async fn publish_events(services: &Services, entry: &OutboxEntry) -> bool {
    for event in &entry.events {
        if let Err(error) = services.events.publish(event).await {
            tracing::error!(outbox = %entry.id, event = event.kind.as_str(), metric = "PublishFailures", error = %error, "event not published");
            return false;
        }
        tracing::info!(outbox = %entry.id, event = event.kind.as_str(), event_id = %event.event_id, metric = "EventsPublished", "event published");
    }
    true
}

async fn send_notice(
    services: &Services,
    entry: &OutboxEntry,
    notice: &crate::domain::Notice,
) -> SendOutcome {
    match services.sms.send(&notice.to, &notice.text).await {
        Ok(()) => {
            tracing::info!(outbox = %entry.id, phone = %notice.to.masked(), notice = ?notice.kind, metric = "NoticesSent", "notice sent");
            SendOutcome::Sent
        }
        Err(error) if error.surely_undone => {
            tracing::error!(outbox = %entry.id, phone = %notice.to.masked(), metric = "PublishFailures", error = %error, "notice not sent; tried again later");
            SendOutcome::NotSent
        }
        Err(error) => {
            tracing::error!(outbox = %entry.id, phone = %notice.to.masked(), metric = "PublishFailures", error = %error, "notice may not have been sent; not tried again");
            SendOutcome::Unknown
        }
    }
}

/// What one delivery came to. An entry is settled by exactly one delivery: the one whose
/// record made it so. Another that finds it settled (events go out at least once, so two
/// can both publish them) reports it as settled by someone else.
#[derive(Debug)]
enum Delivery {
    /// This delivery's record settled the entry.
    Settled,
    /// Found settled by another delivery.
    SettledElsewhere,
    /// Still unsettled (or not known to be); the sweeper takes it up again.
    Pending,
}

/// Records what one delivery did, over whatever others recorded meanwhile. If that
/// could not be recorded, the entry is pending: the stored entry is unsettled, and the
/// sweeper takes it up again.
async fn record(
    services: &Services,
    entry: OutboxEntry,
    token: Uuid,
    published: bool,
    sent: Option<SendOutcome>,
    now: DateTime<Utc>,
) -> Delivery {
    let id = entry.id;
    let mut known = Some(entry);
    for _ in 0..MAX_OPTIMISTIC_TRIES {
        let mut current = match known.take() {
            Some(entry) => entry,
            None => match services.store.outbox_entry(id).await {
                Ok(Some(entry)) => entry,
                Ok(None) => break,
                Err(error) => {
                    tracing::error!(outbox = %id, error = %error, "could not read the outbox entry");
                    break;
                }
            },
        };
        let before = current.clone();
        current.record(published, token, sent, now);
        if current == before {
            return if current.settled() {
                Delivery::SettledElsewhere
            } else {
                Delivery::Pending
            };
        }
        current.revision += 1;
        match services.store.save_outbox(&current).await {
            Ok(()) if current.settled() && !before.settled() => return Delivery::Settled,
            Ok(()) if current.settled() => return Delivery::SettledElsewhere,
            Ok(()) => return Delivery::Pending,
            Err(StoreError::Refused(_)) => {}
            Err(StoreError::Dependency(error)) => {
                tracing::error!(outbox = %id, error = %error, "could not record the delivery");
                break;
            }
        }
    }
    Delivery::Pending
}

/// The sweeper's outbox job: delivers again every entry that is due and not settled,
/// oldest first, at most `budget`; reports how old the oldest left unsettled is.
pub(super) async fn republish(
    services: &Services,
    budget: u32,
    now: DateTime<Utc>,
    report: &mut SweepReport,
) -> Result<(), DependencyError> {
    let mut left = budget;
    let mut cursor: Option<String> = None;
    let mut oldest: Option<DateTime<Utc>> = None;
    loop {
        let page = match services
            .store
            .outbox_due(now, left.min(100), cursor.as_deref())
            .await
        {
            Ok(page) => page,
            Err(StoreError::Dependency(e)) => return Err(e),
            Err(StoreError::Refused(InvalidCursor)) => {
                return Err(DependencyError::new(
                    "sweeper",
                    "the outbox cursor was refused",
                ));
            }
        };
        for entry in page.items {
            left = left.saturating_sub(1);
            let created = entry.created_at;
            match deliver(services, entry, now).await {
                None | Some(Delivery::SettledElsewhere) => report.skipped += 1,
                Some(Delivery::Settled) => report.outbox_delivered += 1,
                Some(Delivery::Pending) => {
                    report.outbox_pending += 1;
                    oldest = Some(oldest.map_or(created, |o| o.min(created)));
                }
            }
        }
        match page.next {
            Some(next) if left > 0 => cursor = Some(next),
            Some(_) => {
                report
                    .truncated
                    .push(crate::domain::SweepJob::PublishOutbox);
                break;
            }
            None => break,
        }
    }
    report.outbox_oldest_age_seconds = oldest.map_or(0, |o| (now - o).num_seconds().max(0));
    let age = u64::try_from(report.outbox_oldest_age_seconds).unwrap_or(0);
    tracing::info!(
        metric = "OutboxOldestAge",
        value = age,
        pending = report.outbox_pending,
        "outbox swept"
    );
    Ok(())
}
