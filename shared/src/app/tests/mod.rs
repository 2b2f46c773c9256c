//! Use cases against the in-memory ports.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Duration, Utc};

use super::*;

mod outbox;
use crate::domain::{
    ApplicationStatus, Delivery, Document, Employee, FullName, Inn, Kpp, NumberUnavailable, Ogrn,
    Organization, OrganizationName, OtpCode, PhoneNumber, Snils,
};
use crate::fakes::{
    ManualClock, MemoryStore, RecordingEvents, RecordingQueue, RecordingSms, SequenceRandom,
};

struct World {
    services: Services,
    store: Arc<MemoryStore>,
    sms: Arc<RecordingSms>,
    queue: Arc<RecordingQueue>,
    events: Arc<RecordingEvents>,
    clock: Arc<ManualClock>,
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn world() -> World {
    let store = Arc::new(MemoryStore::default());
    let sms = Arc::new(RecordingSms::default());
    let queue = Arc::new(RecordingQueue::default());
    let events = Arc::new(RecordingEvents::default());
    let clock = Arc::new(ManualClock::new(t0()));
    let services = Services {
        store: store.clone(),
        sms: sms.clone(),
        queue: queue.clone(),
        events: events.clone(),
        clock: clock.clone(),
        random: Arc::new(SequenceRandom::default()),
        secret: OtpSecret::new(b"unit-test-secret-0123456789".to_vec()).unwrap(),
        policy: OtpPolicy::default(),
        support: SupportContacts {
            phone: "8 800 000-00-00".into(),
            email: "help@example".into(),
        },
    };
    World {
        services,
        store,
        sms,
        queue,
        events,
        clock,
    }
}

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn command(inn: &str, ogrn: &str, phone: &str) -> SubmitApplication {
    let doc = |t: &str| Document::parse(t, "a.pdf", "application/pdf", 1, SHA).unwrap();
    SubmitApplication {
        organization: Organization::new(
            Inn::parse(inn).unwrap(),
            Ogrn::parse(ogrn).unwrap(),
            Some(Kpp::parse("773601001").unwrap()),
            OrganizationName::parse("ООО Пример").unwrap(),
        )
        .unwrap(),
        phone: PhoneNumber::parse(phone).unwrap(),
        employee: Employee {
            snils: Snils::parse("112-233-445 95").unwrap(),
            full_name: FullName::parse("Иванов Иван").unwrap(),
        },
        documents: vec![
            doc("registration_certificate"),
            doc("charter"),
            doc("appointment_order"),
        ],
        signature: None,
        replaces: None,
    }
}

const A: (&str, &str) = ("7707083893", "1027700132195");
const B: (&str, &str) = ("7701234560", "1027700000019");
const PHONE: &str = "+79161234567";

fn caller(inn: &str) -> Caller {
    Caller::Organization {
        sub: "u".into(),
        inn: Inn::parse(inn).unwrap(),
    }
}

async fn submit_as(
    w: &World,
    org: (&str, &str),
) -> Result<crate::domain::Application, SubmitError> {
    submit(
        &w.services,
        command(org.0, org.1, PHONE),
        "u",
        &Inn::parse(org.0).unwrap(),
        None,
    )
    .await
}

fn code(w: &World) -> OtpCode {
    OtpCode::parse(
        &w.sms
            .last_code(&PhoneNumber::parse(PHONE).unwrap())
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn submit_refuses_another_organizations_inn() {
    let w = world();
    let r = submit(
        &w.services,
        command(A.0, A.1, PHONE),
        "u",
        &Inn::parse(B.0).unwrap(),
        None,
    )
    .await;
    assert!(matches!(r, Err(SubmitError::Forbidden)));
    assert!(w.sms.messages().is_empty());
}

#[tokio::test]
async fn the_number_lock_refuses_the_second_applicant() {
    let w = world();
    let first = submit_as(&w, A).await.unwrap();
    assert_eq!(w.sms.messages().len(), 1);
    assert!(matches!(
        submit_as(&w, B).await,
        Err(SubmitError::NumberUnavailable(
            NumberUnavailable::BoundToAnotherOrganization
        ))
    ));
    match submit_as(&w, A).await {
        Err(SubmitError::NumberUnavailable(NumberUnavailable::ApplicationInProgress(id))) => {
            assert_eq!(id, first.id)
        }
        other => panic!("{other:?}"),
    }
    w.clock.advance(Duration::hours(24));
    assert!(
        submit_as(&w, B).await.is_ok(),
        "a lapsed hold frees the number"
    );
}

#[tokio::test]
async fn confirming_queues_the_review_and_keeps_the_number() {
    let w = world();
    let app = submit_as(&w, A).await.unwrap();
    let confirmed = verify_code(&w.services, app.id, &code(&w), &caller(A.0))
        .await
        .unwrap();
    assert_eq!(confirmed.status, ApplicationStatus::UnderReview);
    assert_eq!(w.queue.tickets().len(), 1);
    w.clock.advance(Duration::hours(48));
    assert!(
        matches!(
            submit_as(&w, B).await,
            Err(SubmitError::NumberUnavailable(_))
        ),
        "once confirmed, the lock no longer lapses"
    );
}

#[tokio::test]
async fn a_failed_sms_is_recorded_and_resendable_at_once() {
    let w = world();
    w.sms.failing.store(true, Ordering::SeqCst);
    let app = submit_as(&w, A).await.unwrap();
    assert_eq!(app.otp.delivery, Delivery::Failed);
    w.sms.failing.store(false, Ordering::SeqCst);
    let resent = resend_code(&w.services, app.id, &caller(A.0))
        .await
        .unwrap();
    assert_eq!(resent.otp.delivery, Delivery::Sent);
    assert_eq!(w.sms.messages().len(), 1);
}

#[tokio::test]
async fn a_store_outage_sends_nothing() {
    let w = world();
    w.store.failing.store(true, Ordering::SeqCst);
    assert!(matches!(
        submit_as(&w, A).await,
        Err(SubmitError::Refused(Refusal::Dependency(_)))
    ));
    assert!(w.sms.messages().is_empty());
}

#[tokio::test]
async fn resend_cooldown_is_reported_with_the_wait() {
    let w = world();
    let app = submit_as(&w, A).await.unwrap();
    w.clock.advance(Duration::seconds(100));
    match resend_code(&w.services, app.id, &caller(A.0)).await {
        Err(ResendError::TooEarly { retry_after }) => {
            assert_eq!(retry_after, Duration::seconds(20))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn operators_and_other_organizations_cannot_confirm() {
    let w = world();
    let app = submit_as(&w, A).await.unwrap();
    let operator = Caller::Operator { sub: "op".into() };
    for who in [caller(B.0), operator.clone()] {
        assert!(matches!(
            verify_code(&w.services, app.id, &code(&w), &who).await,
            Err(OtpError::Refused(Refusal::NotFound))
        ));
    }
    assert!(
        application_status(&w.services, app.id, &operator)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        application_status(&w.services, app.id, &caller(B.0))
            .await
            .unwrap()
            .is_none()
    );
}

/// Stores an application in `status` since `since`, its number held, as the flow would
/// have left it.
async fn seed(w: &World, i: u32, status: ApplicationStatus, since: DateTime<Utc>, overdue: bool) {
    use crate::domain::{Actor, HistoryEntry, NumberEvent, NumberLock, NumberState, OtpLedger};
    use crate::ports::{ApplicationRepository, NewApplication};
    let c = command(A.0, A.1, &format!("+7916{i:07}"));
    let app = crate::domain::Application {
        id: uuid::Uuid::from_u128(u128::from(i) + 1_000_000),
        organization: c.organization,
        phone: c.phone,
        employee: c.employee,
        documents: c.documents,
        signature: None,
        status,
        submitted_by: "u".into(),
        created_at: since,
        updated_at: since,
        status_since: since,
        otp: OtpLedger::first("d".into(), since, &OtpPolicy::default()),
        expected_completion_at: None,
        operator: None,
        comment: None,
        rejection_reason: None,
        documents_required: Vec::new(),
        overdue,
        review_attempts: 1,
        last_queued_at: Some(since),
        replaces: None,
        revision: 1,
    };
    let lock = NumberLock {
        phone: app.phone.clone(),
        state: NumberState::Pending,
        organization_inn: app.organization.inn.clone(),
        application_id: app.id,
        employee: app.employee.clone(),
        hold_until: (status == ApplicationStatus::AwaitingOtp).then(|| app.otp_deadline()),
        updated_at: since,
        version: 0,
        binding_base: 0,
        bound_at: Some(since),
        suspension: None,
    };
    let history = HistoryEntry {
        at: since,
        from: None,
        to: status,
        actor: Actor::Applicant("u".into()),
        comment: None,
    };
    let event = NumberEvent {
        at: since,
        organization_inn: Some(app.organization.inn.clone()),
        from: None,
        to: NumberState::Pending,
        actor: Actor::Applicant("u".into()),
        application_id: Some(app.id),
        comment: None,
        act: None,
    };
    w.store
        .create(
            NewApplication {
                application: &app,
                history: &history,
                lock: &lock,
                number_event: &event,
                charges: &[],
                idempotency: None,
                now: since,
            },
            None,
        )
        .await
        .unwrap();
}

/// SPEC 5.4: 5 000 manual reviews already marked overdue cost the sweeper nothing, so
/// stranded reviews are re-queued and abandoned applications expired in the same run.
#[tokio::test]
async fn a_backlog_of_marked_reviews_starves_no_job() {
    let w = world();
    let now = t0();
    for i in 0..5_000 {
        seed(
            &w,
            i,
            ApplicationStatus::ManualReview,
            now - Duration::hours(30),
            true,
        )
        .await;
    }
    for i in 5_000..5_020 {
        seed(
            &w,
            i,
            ApplicationStatus::UnderReview,
            now - Duration::hours(2),
            false,
        )
        .await;
    }
    for i in 5_020..5_030 {
        seed(
            &w,
            i,
            ApplicationStatus::AwaitingOtp,
            now - Duration::hours(25),
            false,
        )
        .await;
    }
    for i in 5_030..5_040 {
        seed(
            &w,
            i,
            ApplicationStatus::DocumentsRequired,
            now - Duration::days(31),
            false,
        )
        .await;
    }
    seed(
        &w,
        5_040,
        ApplicationStatus::ManualReview,
        now - Duration::hours(25),
        false,
    )
    .await;

    let report = sweep(&w.services, 500).await.unwrap();

    assert_eq!(report.requeued, 20);
    assert_eq!(report.expired, 10);
    assert_eq!(report.documents_expired, 10);
    assert_eq!(report.overdue_marked, 1, "the one unmarked review");
    assert!(report.truncated.is_empty(), "{report:?}");
    assert_eq!(w.queue.tickets().len(), 20);
}

/// SPEC 5.4: a backlog of 5 000 overdue reviews is marked 500 a run, while the other
/// jobs keep up every run; marked reviews leave the range the next run reads.
#[tokio::test]
async fn each_sweeper_job_makes_progress_every_run() {
    let w = world();
    let start = t0();
    for i in 0..5_000 {
        seed(
            &w,
            i,
            ApplicationStatus::ManualReview,
            start - Duration::hours(25),
            false,
        )
        .await;
    }
    let mut marked = 0;
    for run in 0..10u32 {
        // Every run, a new abandoned application and a new stranded review are due.
        let now = w.services.clock.now();
        seed(
            &w,
            10_000 + run,
            ApplicationStatus::AwaitingOtp,
            now - Duration::hours(25),
            false,
        )
        .await;
        seed(
            &w,
            20_000 + run,
            ApplicationStatus::UnderReview,
            now - Duration::hours(2),
            false,
        )
        .await;

        let report = sweep(&w.services, 500).await.unwrap();

        assert_eq!(report.overdue_marked, 500, "run {run}");
        assert_eq!(report.expired, 1, "run {run}");
        // The new one, and (an hour on) those queued before and still undecided.
        let new_one = uuid::Uuid::from_u128(u128::from(20_000 + run) + 1_000_000);
        assert!(report.requeued >= 1, "run {run}");
        assert!(
            w.queue
                .tickets()
                .iter()
                .any(|t| t.application_id == new_one),
            "run {run}"
        );
        marked += report.overdue_marked;
        w.clock.advance(Duration::minutes(15));
    }
    assert_eq!(marked, 5_000);
    let report = sweep(&w.services, 500).await.unwrap();
    assert_eq!(report.overdue_marked, 0);
    assert!(
        report.truncated.is_empty(),
        "nothing left to read: {report:?}"
    );
    use crate::ports::ReviewIndex;
    let page = w
        .store
        .by_status(ApplicationStatus::ManualReview, None, 100, None)
        .await
        .unwrap();
    assert!(page.items.iter().all(|a| a.overdue));
}

/// The in-memory store keeps the store's contract (the integration tests run the same
/// contract against DynamoDB Local).
#[tokio::test]
async fn the_memory_store_keeps_the_store_contract() {
    crate::fakes::contract::store_contract(&MemoryStore::default()).await;
}

/// An active number for organization `A` at `phone`: submitted, confirmed, approved.
async fn active_number(w: &World, phone: &str) -> PhoneNumber {
    let inn = Inn::parse(A.0).unwrap();
    let app = submit(&w.services, command(A.0, A.1, phone), "u", &inn, None)
        .await
        .unwrap();
    let phone = PhoneNumber::parse(phone).unwrap();
    let sent = OtpCode::parse(&w.sms.last_code(&phone).unwrap()).unwrap();
    verify_code(&w.services, app.id, &sent, &caller(A.0))
        .await
        .unwrap();
    let ticket = crate::ports::ReviewTicket {
        application_id: app.id,
        attempt: 1,
    };
    review_application(&w.services, &ticket).await.unwrap();
    decide(
        &w.services,
        app.id,
        &crate::domain::Decision::Approve { comment: None },
        "op",
    )
    .await
    .unwrap();
    phone
}

/// The sweeper ends suspensions of 180 days on a budget of its own: what it did not reach
/// waits for the next run; a suspension not yet due is left alone.
#[tokio::test]
async fn suspensions_end_after_180_days_on_their_own_budget() {
    let w = world();
    let comment = crate::domain::Comment::parse("нарушение").unwrap().unwrap();
    let mut phones = Vec::new();
    for i in 0..3 {
        let phone = active_number(&w, &format!("+7916000000{i}")).await;
        operator_suspend(&w.services, &phone, comment.clone(), "op")
            .await
            .unwrap();
        phones.push(phone);
    }
    w.clock.advance(Duration::days(100));
    let late = active_number(&w, "+79160000009").await;
    operator_suspend(&w.services, &late, comment.clone(), "op")
        .await
        .unwrap();

    w.clock.advance(Duration::days(80) + Duration::minutes(1));
    let first = sweep(&w.services, 2).await.unwrap();
    assert_eq!(first.suspensions_ended, 2);
    assert!(
        first
            .truncated
            .contains(&crate::domain::SweepJob::EndSuspension)
    );
    let second = sweep(&w.services, 2).await.unwrap();
    assert_eq!(second.suspensions_ended, 1);
    assert!(second.truncated.is_empty());
    for phone in &phones {
        let n = crate::ports::NumberRegistry::number(&*w.store, phone)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n.lock.state, crate::domain::NumberState::Deactivated);
        let act = n.history.iter().rev().find_map(|e| e.act.clone()).unwrap();
        assert_eq!(
            act.reason,
            crate::domain::DeactivationReason::PolicyViolation
        );
    }
    let n = crate::ports::NumberRegistry::number(&*w.store, &late)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        n.lock.state,
        crate::domain::NumberState::Suspended,
        "not due yet"
    );
}
