//! The store's contract: what every `Store` must do, run against the in-memory store (unit
//! tests) and against DynamoDB Local (integration tests), so the fake's conditions are
//! proven to be the real ones. Each run uses numbers and ids of its own (`seed`), so runs
//! can share a table.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::domain::{
    Actor, Application, ApplicationStatus, Document, Employee, FullName, HistoryEntry, Inn, Kpp,
    NoticeKind, NumberAction, NumberCodes, NumberEvent, NumberLock, NumberRequest, NumberState,
    Ogrn, Organization, OrganizationName, OtpLedger, OtpPolicy, OutboxEntry, PhoneNumber,
    RateWindow, SendOutcome, Snils, SweepJob,
};
use crate::ports::{
    ApplicationUpdate, CreateRefusal, IdempotencyClaim, IdempotencyState, InvalidCursor,
    NewApplication, NumberChange, RateCharge, RateCounter, StateChange, Store, StoreError,
    UpdateRefusal,
};

fn ok<T, E: std::fmt::Debug>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("{what}: {e:?}"),
    }
}

/// Distinct numbers and ids for one run.
struct Seed(u128);

impl Seed {
    fn phone(&self, i: u32) -> PhoneNumber {
        let n = (self.0 % 1_000_000) as u32 * 10 + i;
        ok(PhoneNumber::parse(&format!("+7917{n:07}")), "phone")
    }
    fn id(&self, i: u32) -> Uuid {
        Uuid::from_u128((self.0 << 8) + u128::from(i))
    }
}

fn org(inn: &str, ogrn: &str) -> Organization {
    ok(
        Organization::new(
            ok(Inn::parse(inn), "inn"),
            ok(Ogrn::parse(ogrn), "ogrn"),
            Some(ok(Kpp::parse("773601001"), "kpp")),
            ok(OrganizationName::parse("ООО Контракт"), "name"),
        ),
        "organization",
    )
}

fn application(
    id: Uuid,
    organization: Organization,
    phone: PhoneNumber,
    at: DateTime<Utc>,
) -> Application {
    let doc = |t: &str| {
        ok(
            Document::parse(t, "a.pdf", "application/pdf", 1, &"a".repeat(64)),
            "doc",
        )
    };
    Application {
        id,
        organization,
        phone,
        employee: Employee {
            snils: ok(Snils::parse("112-233-445 95"), "snils"),
            full_name: ok(FullName::parse("Иванов Иван"), "name"),
        },
        documents: vec![
            doc("registration_certificate"),
            doc("charter"),
            doc("power_of_attorney"),
        ],
        signature: None,
        status: ApplicationStatus::AwaitingOtp,
        submitted_by: "u".into(),
        created_at: at,
        updated_at: at,
        status_since: at,
        otp: OtpLedger::first("d".into(), at, &OtpPolicy::default()),
        expected_completion_at: None,
        operator: None,
        comment: None,
        rejection_reason: None,
        documents_required: Vec::new(),
        overdue: false,
        review_attempts: 0,
        last_queued_at: None,
        replaces: None,
        revision: 1,
    }
}

fn lock_for(app: &Application) -> NumberLock {
    NumberLock {
        phone: app.phone.clone(),
        state: NumberState::Pending,
        organization_inn: app.organization.inn.clone(),
        application_id: app.id,
        employee: app.employee.clone(),
        hold_until: Some(app.otp_deadline()),
        updated_at: app.created_at,
        version: 0,
        binding_base: 0,
        bound_at: Some(app.created_at),
        suspension: None,
    }
}

fn event(app: &Application, to: NumberState) -> NumberEvent {
    NumberEvent {
        at: app.updated_at,
        organization_inn: Some(app.organization.inn.clone()),
        from: None,
        to,
        actor: Actor::Applicant("u".into()),
        application_id: Some(app.id),
        comment: None,
        act: None,
    }
}

async fn create(
    store: &dyn Store,
    app: &Application,
    charges: &[RateCharge],
    claim: Option<&IdempotencyClaim>,
    now: DateTime<Utc>,
) -> Result<(), StoreError<CreateRefusal>> {
    create_with(store, app, charges, claim, None, now).await
}

/// A submission of `app`, with its first history entry and lock, and `outbox` if given.
async fn create_with(
    store: &dyn Store,
    app: &Application,
    charges: &[RateCharge],
    claim: Option<&IdempotencyClaim>,
    outbox: Option<&OutboxEntry>,
    now: DateTime<Utc>,
) -> Result<(), StoreError<CreateRefusal>> {
    let history = HistoryEntry {
        at: now,
        from: None,
        to: app.status,
        actor: Actor::Applicant("u".into()),
        comment: None,
    };
    store
        .create(
            NewApplication {
                application: app,
                history: &history,
                lock: &lock_for(app),
                number_event: &event(app, NumberState::Pending),
                charges,
                idempotency: claim,
                now,
            },
            outbox,
        )
        .await
}

/// Runs every clause of the contract against `store`.
pub async fn store_contract(store: &dyn Store) {
    let seed = Seed(Uuid::new_v4().as_u128() >> 64);
    let now = DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    let a = org("7707083893", "1027700132195");
    let b = org("7701234560", "1027700000019");

    // One number, one holder; a lapsed hold can be taken over, the version only grows.
    let phone = seed.phone(0);
    let first = application(seed.id(0), a.clone(), phone.clone(), now);
    ok(
        create(store, &first, &[], None, now).await,
        "first application",
    );
    let second = application(seed.id(1), b.clone(), phone.clone(), now);
    match create(store, &second, &[], None, now).await {
        Err(StoreError::Refused(CreateRefusal::NumberHeld(lock))) => {
            assert_eq!(
                lock.application_id, first.id,
                "the refusal names the holder"
            );
        }
        other => panic!("a held number: {other:?}"),
    }
    let later = now + Duration::hours(25);
    let third = application(seed.id(2), b.clone(), phone.clone(), later);
    ok(
        create(store, &third, &[], None, later).await,
        "a lapsed hold is free",
    );
    let stored = ok(store.number(&phone).await, "number").unwrap_or_else(|| panic!("no number"));
    assert_eq!(stored.lock.application_id, third.id);
    assert_eq!((stored.lock.version, stored.lock.binding_base), (2, 1));
    assert_eq!(stored.lock.binding_version(), 1);
    assert_eq!(stored.history.len(), 2, "history is kept across bindings");

    // An idempotency key stays taken, with the application it created.
    let claim = IdempotencyClaim {
        key: format!("contract-{}", seed.0),
        request_hash: "h".into(),
        in_progress_until: now + Duration::seconds(60),
        expires_at: now + Duration::hours(24),
    };
    let keyed = application(seed.id(3), a.clone(), seed.phone(1), now);
    ok(create(store, &keyed, &[], Some(&claim), now).await, "keyed");
    let retry = application(seed.id(4), a.clone(), seed.phone(2), now);
    match create(
        store,
        &retry,
        &[],
        Some(&claim),
        now + Duration::seconds(120),
    )
    .await
    {
        Err(StoreError::Refused(CreateRefusal::IdempotencyKeyTaken(record))) => {
            assert_eq!(record.application_id, Some(keyed.id));
            assert!(matches!(record.state, IdempotencyState::InProgress { .. }));
        }
        other => panic!("a taken key, even lapsed: {other:?}"),
    }
    assert!(
        ok(store.get(retry.id).await, "get").is_none(),
        "nothing of a refused write"
    );

    // Counters refuse the request past the limit, and the whole write with it.
    let charge = RateCharge {
        counter: RateCounter::SmsPerPhone(seed.phone(3)),
        window: RateWindow::containing(now),
        limit: 1,
    };
    let limited = application(seed.id(5), a.clone(), seed.phone(4), now);
    ok(
        create(store, &limited, std::slice::from_ref(&charge), None, now).await,
        "within the limit",
    );
    let over = application(seed.id(6), a.clone(), seed.phone(5), now);
    match create(store, &over, std::slice::from_ref(&charge), None, now).await {
        Err(StoreError::Refused(CreateRefusal::RateLimited { retry_after, .. })) => {
            assert_eq!(retry_after, charge.window.ends_at - now);
        }
        other => panic!("past the limit: {other:?}"),
    }
    assert!(ok(store.number(&seed.phone(5)).await, "number").is_none());

    // Updates apply only on the revision read, and number changes only to the holder.
    let mut confirmed = limited.clone();
    confirmed.revision = 2;
    let update = |app: &Application, number: Option<NumberChange>| {
        let app = app.clone();
        async move {
            store
                .update(
                    ApplicationUpdate {
                        application: &app,
                        history: &[],
                        number,
                        replaced: None,
                        charges: &[],
                        now,
                    },
                    None,
                )
                .await
        }
    };
    ok(
        update(&confirmed, Some(NumberChange::KeepHeld)).await,
        "keep held",
    );
    assert!(matches!(
        update(&confirmed, None).await,
        Err(StoreError::Refused(UpdateRefusal::Stale))
    ));
    let mut stranger = first.clone();
    stranger.revision = 2;
    assert!(
        matches!(
            update(
                &stranger,
                Some(NumberChange::Activate(event(&first, NumberState::Active)))
            )
            .await,
            Err(StoreError::Refused(UpdateRefusal::Stale))
        ),
        "the lock passed to another application"
    );
    let mut approved = confirmed.clone();
    approved.status = ApplicationStatus::Approved;
    approved.revision = 3;
    ok(
        update(
            &approved,
            Some(NumberChange::Activate(event(
                &approved,
                NumberState::Active,
            ))),
        )
        .await,
        "activate",
    );
    let number = ok(store.number(&limited.phone).await, "number").unwrap_or_else(|| panic!("none"));
    assert_eq!(
        (number.lock.state, number.lock.hold_until),
        (NumberState::Active, None)
    );
    assert_eq!(number.lock.version, 3);

    // The number's code ledger and a deactivation conditioned on the binding.
    let mut codes = NumberCodes::new(limited.phone.clone(), now);
    let request = NumberRequest {
        id: seed.id(7),
        action: NumberAction::Deactivate {
            reason: crate::domain::DeactivationReason::Other,
            comment: None,
        },
        organization_inn: limited.organization.inn.clone(),
        requested_by: "u".into(),
        requested_at: now,
        binding_version: number.lock.version,
    };
    ok(
        codes.issue(request.clone(), "d".into(), now, &OtpPolicy::default()),
        "issue",
    );
    codes.revision = 1;
    ok(store.save_codes(&codes, &[], now).await, "new ledger");
    assert!(matches!(
        store.save_codes(&codes, &[], now).await,
        Err(StoreError::Refused(UpdateRefusal::Stale))
    ));
    codes.revision = 2;
    let mut done = event(&limited, NumberState::Suspended);
    done.at = now + Duration::seconds(1);
    let suspension = crate::domain::Suspension {
        reason: crate::domain::DeactivationReason::Other,
        comment: None,
        by_operator: false,
        suspended_by: "u".into(),
        suspended_at: now,
    };
    let suspended = NumberLock {
        state: NumberState::Suspended,
        suspension: Some(suspension.clone()),
        version: number.lock.version + 1,
        updated_at: now,
        ..number.lock.clone()
    };
    let change = |lock, from, codes, event| StateChange {
        lock,
        from,
        codes,
        event,
        discriminator: request.id,
    };
    let skipped = NumberLock {
        version: number.lock.version + 2,
        ..suspended.clone()
    };
    assert!(
        matches!(
            store
                .change_state(
                    change(&skipped, NumberState::Active, Some(&codes), &done),
                    None
                )
                .await,
            Err(StoreError::Refused(UpdateRefusal::Stale))
        ),
        "a change made on another version"
    );
    assert!(
        matches!(
            store
                .change_state(
                    change(&suspended, NumberState::Suspended, Some(&codes), &done),
                    None
                )
                .await,
            Err(StoreError::Refused(UpdateRefusal::Stale))
        ),
        "a change from another state"
    );
    ok(
        store
            .change_state(
                change(&suspended, NumberState::Active, Some(&codes), &done),
                None,
            )
            .await,
        "suspend",
    );
    let number = ok(store.number(&limited.phone).await, "number").unwrap_or_else(|| panic!("none"));
    assert_eq!(
        (
            number.lock.state,
            number.lock.version,
            number.lock.suspension.as_ref()
        ),
        (NumberState::Suspended, 4, Some(&suspension))
    );
    assert_eq!(number.codes.map(|c| c.revision), Some(2));
    // Due in the timer index only once its 180 days are over.
    let ends = suspension.ends_at();
    let due = ok(store.suspensions_due(ends, 10, None).await, "not yet due");
    assert!(due.items.is_empty());
    let due = ok(
        store
            .suspensions_due(ends + Duration::seconds(1), 10, None)
            .await,
        "due",
    );
    assert_eq!(
        due.items
            .iter()
            .map(|l| l.phone.clone())
            .collect::<Vec<_>>(),
        vec![limited.phone.clone()]
    );
    let deactivated = NumberLock {
        state: NumberState::Deactivated,
        suspension: None,
        version: 5,
        ..suspended.clone()
    };
    let mut ended = event(&limited, NumberState::Deactivated);
    ended.at = now + Duration::seconds(2);
    ok(
        store
            .change_state(
                change(&deactivated, NumberState::Suspended, None, &ended),
                None,
            )
            .await,
        "deactivate",
    );
    let number = ok(store.number(&limited.phone).await, "number").unwrap_or_else(|| panic!("none"));
    assert_eq!(
        (
            number.lock.state,
            number.lock.version,
            number.lock.suspension
        ),
        (NumberState::Deactivated, 5, None)
    );
    let due = ok(
        store
            .suspensions_due(ends + Duration::seconds(1), 10, None)
            .await,
        "none due",
    );
    assert!(
        due.items.is_empty(),
        "a deactivated number leaves the timer index"
    );

    restrictions(store, &seed, now).await;
    outbox(store, &seed, now).await;

    // The index by organization: newest first, its own rows only, a foreign cursor refused.
    let c = org("7705123452", "1027700123450");
    let mine: Vec<Application> = (20..23)
        .map(|i| {
            application(
                seed.id(i),
                c.clone(),
                seed.phone(i),
                now + Duration::minutes(i64::from(i)),
            )
        })
        .collect();
    for app in &mine {
        ok(create(store, app, &[], None, app.created_at).await, "mine");
    }
    let page = ok(store.applications_of(&c.inn, 2, None).await, "first page");
    let mut listed: Vec<Uuid> = page.items.iter().map(|a| a.id).collect();
    assert!(page.items.iter().all(|a| a.organization.inn == c.inn));
    let next = page.next.unwrap_or_else(|| panic!("a second page"));
    let rest = ok(
        store.applications_of(&c.inn, 2, Some(&next)).await,
        "second page",
    );
    listed.extend(rest.items.iter().map(|a| a.id));
    let ours: Vec<Uuid> = listed
        .into_iter()
        .filter(|id| mine.iter().any(|a| a.id == *id))
        .collect();
    assert_eq!(
        ours,
        vec![mine[2].id, mine[1].id, mine[0].id],
        "newest first"
    );
    assert!(
        matches!(
            store.applications_of(&a.inn, 2, Some(&next)).await,
            Err(StoreError::Refused(_))
        ),
        "another organization's cursor"
    );
    assert!(
        matches!(
            store.numbers_of(&c.inn, 2, Some(&next)).await,
            Err(StoreError::Refused(_))
        ),
        "another listing's cursor"
    );
    let numbers = ok(store.numbers_of(&c.inn, 10, None).await, "numbers");
    let phones: Vec<PhoneNumber> = numbers.items.iter().map(|l| l.phone.clone()).collect();
    for app in &mine {
        assert!(phones.contains(&app.phone), "{:?} listed", app.phone);
    }
    assert!(numbers.items.iter().all(|l| l.organization_inn == c.inn));
    assert_eq!(
        numbers.items.first().map(|l| l.phone.clone()),
        Some(mine[2].phone.clone())
    );

    // Timers: only what is due, earliest first, in pages; a foreign cursor is refused.
    let t = now + Duration::days(400);
    let due: Vec<Application> = (10..13)
        .map(|i| {
            application(
                seed.id(i),
                a.clone(),
                seed.phone(i),
                t + Duration::minutes(i64::from(i)),
            )
        })
        .collect();
    for app in &due {
        ok(create(store, app, &[], None, app.created_at).await, "due");
    }
    let before = t + Duration::hours(24) + Duration::minutes(12);
    let page = ok(
        store
            .due(SweepJob::ExpireUnconfirmed, before, 1, None)
            .await,
        "due page",
    );
    let mut seen: Vec<Uuid> = page.items.iter().map(|a| a.id).collect();
    let mut cursor = page.next;
    while let Some(c) = cursor {
        let page = ok(
            store
                .due(SweepJob::ExpireUnconfirmed, before, 1, Some(&c))
                .await,
            "next",
        );
        seen.extend(page.items.iter().map(|a| a.id));
        cursor = page.next;
    }
    let ours: Vec<Uuid> = seen
        .into_iter()
        .filter(|id| due.iter().any(|a| a.id == *id))
        .collect();
    assert_eq!(ours, vec![due[0].id, due[1].id], "the third is not due yet");
    assert!(matches!(
        store
            .due(SweepJob::MarkOverdue, before, 1, Some("not-a-cursor"))
            .await,
        Err(StoreError::Refused(_))
    ));
}

/// Restrictions: set, amend on the revision read, listed newest first, keep applications
/// out, lifted with their history kept.
async fn restrictions(store: &dyn Store, seed: &Seed, now: DateTime<Utc>) {
    use crate::domain::{
        Comment, Restriction, RestrictionChange, RestrictionEvent, RestrictionReason,
    };
    let phone = seed.phone(40);
    let comment = Comment::parse("personal account")
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("comment"));
    let mut r = Restriction {
        phone: phone.clone(),
        reference: Restriction::reference_for(seed.id(40)),
        reason: RestrictionReason::PersonalAccount,
        comment: comment.clone(),
        restricted_by: "op".into(),
        restricted_at: now,
        updated_at: now,
        revision: 1,
    };
    let event = |change, at| RestrictionEvent {
        at,
        change,
        reason: RestrictionReason::PersonalAccount,
        reference: r.reference.clone(),
        operator: "op".into(),
        comment: None,
    };
    let set = event(RestrictionChange::Set, now);
    ok(store.save_restriction(&r, &set).await, "restrict");
    assert!(
        matches!(
            store.save_restriction(&r, &set).await,
            Err(StoreError::Refused(UpdateRefusal::Stale))
        ),
        "a second first restriction"
    );
    let other = Restriction {
        phone: seed.phone(41),
        restricted_at: now + Duration::seconds(1),
        ..r.clone()
    };
    ok(
        store.save_restriction(&other, &set).await,
        "restrict another",
    );
    // Newest first, page by page (the table may hold other runs' restrictions too).
    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = ok(store.restrictions(1, cursor.as_deref()).await, "page");
        assert!(page.items.len() <= 1);
        listed.extend(
            page.items
                .into_iter()
                .map(|r| r.phone)
                .filter(|p| *p == phone || *p == other.phone),
        );
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(listed, vec![other.phone.clone(), phone.clone()]);
    assert!(matches!(
        store.restrictions(1, Some("not-a-cursor")).await,
        Err(StoreError::Refused(InvalidCursor))
    ));

    // An application for a restricted number is refused, in its own transaction.
    let a = org("7707083893", "1027700132195");
    let app = application(seed.id(42), a, phone.clone(), now);
    assert!(
        matches!(
            create(store, &app, &[], None, now).await,
            Err(StoreError::Refused(CreateRefusal::NumberRestricted))
        ),
        "restricted"
    );
    assert!(
        ok(store.get(app.id).await, "get").is_none(),
        "nothing written"
    );

    r.revision = 2;
    r.reason = RestrictionReason::FraudReport;
    ok(
        store
            .save_restriction(
                &r,
                &event(RestrictionChange::Amended, now + Duration::seconds(2)),
            )
            .await,
        "amend",
    );
    let stale = Restriction {
        revision: 1,
        ..r.clone()
    };
    let lifted = event(RestrictionChange::Lifted, now + Duration::seconds(3));
    assert!(matches!(
        store.lift_restriction(&stale, &lifted).await,
        Err(StoreError::Refused(UpdateRefusal::Stale))
    ));
    ok(store.lift_restriction(&r, &lifted).await, "lift");
    let (current, history) = ok(store.restriction(&phone).await, "read");
    assert!(current.is_none());
    assert_eq!(
        history.iter().map(|e| e.change).collect::<Vec<_>>(),
        vec![
            RestrictionChange::Set,
            RestrictionChange::Amended,
            RestrictionChange::Lifted
        ]
    );
    ok(
        create(store, &app, &[], None, now).await,
        "applies once lifted",
    );
}

/// Outbox entries (SPEC 5.6): written only with their change, due after their retry delay
/// while unsettled, saved only over the revision below, out of the due range once settled.
async fn outbox(store: &dyn Store, seed: &Seed, now: DateTime<Utc>) {
    let phone = seed.phone(7);
    let entry_for = |i: u32| {
        OutboxEntry::new(
            seed.id(200 + i),
            now,
            Vec::new(),
            Some((
                NoticeKind::Approved,
                phone.clone(),
                "Госуслуги: тест".into(),
            )),
        )
    };
    let ours = |page: Vec<OutboxEntry>| {
        page.into_iter()
            .filter(|e| e.id == seed.id(200) || e.id == seed.id(201))
            .collect::<Vec<_>>()
    };
    let app = application(
        seed.id(100),
        org("7707083893", "1027700132195"),
        phone.clone(),
        now,
    );
    let entry = entry_for(0);
    ok(
        create_with(store, &app, &[], None, Some(&entry), now).await,
        "with its outbox entry",
    );
    let stored = ok(store.outbox_entry(entry.id).await, "read");
    assert_eq!(stored.as_ref(), Some(&entry));
    // A refused change writes no entry.
    let refused = application(
        seed.id(101),
        org("7701234560", "1027700000019"),
        phone.clone(),
        now,
    );
    assert!(
        create_with(store, &refused, &[], None, Some(&entry_for(1)), now)
            .await
            .is_err()
    );
    assert_eq!(ok(store.outbox_entry(seed.id(201)).await, "read"), None);

    let due = entry.due_at();
    assert!(ours(ok(store.outbox_due(due, 100, None).await, "due").items).is_empty());
    let listed = ours(
        ok(
            store
                .outbox_due(due + Duration::seconds(1), 100, None)
                .await,
            "due",
        )
        .items,
    );
    assert_eq!(listed, std::slice::from_ref(&entry));

    let mut taken = entry.clone();
    assert!(taken.lease(Uuid::from_u128(5), now));
    taken.revision = 3;
    assert!(matches!(
        store.save_outbox(&taken).await,
        Err(StoreError::Refused(UpdateRefusal::Stale))
    ));
    taken.revision = 2;
    ok(store.save_outbox(&taken).await, "leased");
    assert!(
        matches!(
            store.save_outbox(&taken).await,
            Err(StoreError::Refused(UpdateRefusal::Stale))
        ),
        "a second lease on the same revision loses"
    );
    let mut settled = taken.clone();
    settled.record(true, Uuid::from_u128(5), Some(SendOutcome::Sent), now);
    settled.revision = 3;
    assert!(settled.settled());
    ok(store.save_outbox(&settled).await, "settled");
    assert!(
        ours(
            ok(
                store.outbox_due(due + Duration::days(1), 100, None).await,
                "due"
            )
            .items
        )
        .is_empty(),
        "settled entries are not due"
    );
    assert_eq!(
        ok(store.outbox_entry(entry.id).await, "read"),
        Some(settled)
    );
}
