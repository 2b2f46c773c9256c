//! Outcome notices (SPEC 5.6) against the in-memory ports: which events and notices each
//! change causes, and delivery when the topic or the SMS service fails.

use super::*;
use crate::domain::{Decision, EventType, NoticeState, OUTBOX_RETRY_AFTER, RejectionReason};
use crate::ports::{OutboxStore, ReviewTicket};

fn types(w: &World) -> Vec<EventType> {
    w.events.events().iter().map(|e| e.kind).collect()
}

fn notices(w: &World) -> Vec<String> {
    w.sms
        .messages()
        .into_iter()
        .map(|(_, text)| text)
        .filter(|t| crate::domain::code_in_sms(t).is_none())
        .collect()
}

/// Submitted, confirmed, reviewed by the worker (no signature: manual review).
async fn in_manual_review(w: &World) -> crate::domain::Application {
    let app = submit_as(w, A).await.unwrap();
    verify_code(&w.services, app.id, &code(w), &caller(A.0))
        .await
        .unwrap();
    let ticket = ReviewTicket {
        application_id: app.id,
        attempt: 1,
    };
    review_application(&w.services, &ticket).await.unwrap();
    app
}

/// In manual review, then approved by an operator while the SMS service is down: the
/// notice is left pending.
async fn approved_while_sms_is_down(w: &World) -> crate::domain::Application {
    let app = in_manual_review(w).await;
    w.sms.failing.store(true, Ordering::SeqCst);
    let approved = decide(
        &w.services,
        app.id,
        &Decision::Approve { comment: None },
        "op",
    )
    .await
    .unwrap();
    w.sms.failing.store(false, Ordering::SeqCst);
    approved
}

async fn outbox(w: &World, before: DateTime<Utc>) -> Vec<crate::domain::OutboxEntry> {
    w.store.outbox_due(before, 100, None).await.unwrap().items
}

#[tokio::test]
async fn each_outcome_is_one_event_and_a_notice_where_one_is_owed() {
    let w = world();
    let app = in_manual_review(&w).await;
    assert_eq!(
        types(&w),
        [
            EventType::ApplicationSubmitted,
            EventType::ApplicationConfirmed
        ],
        "manual review is no outcome"
    );
    assert!(notices(&w).is_empty());
    decide(
        &w.services,
        app.id,
        &Decision::Approve { comment: None },
        "op",
    )
    .await
    .unwrap();
    assert_eq!(
        types(&w)[2..],
        [EventType::ApplicationApproved, EventType::NumberActivated]
    );
    assert_eq!(
        notices(&w),
        ["Госуслуги: корп. номер +79161234567 активирован"]
    );
    let events = w.events.events();
    let approved = &events[2];
    assert_eq!(approved.application_id, Some(app.id));
    assert_eq!(approved.phone, "+7******4567");
    assert_eq!(approved.organization_inn.as_deref(), Some(A.0));
    assert_ne!(events[2].event_id, events[3].event_id);
    let json = serde_json::to_string(&events).unwrap();
    assert!(!json.contains("112-233-445 95") && !json.contains("11223344595"));
    assert!(!json.contains("Иванов") && !json.contains("+79161234567"));
    assert!(
        outbox(&w, w.clock.now() + Duration::days(1))
            .await
            .is_empty(),
        "everything went out: nothing is left for the sweeper"
    );
    let report = sweep(&w.services, 100).await.unwrap();
    assert_eq!(report.outbox_delivered, 0);
    assert_eq!(w.events.events().len(), 4);
}

#[tokio::test]
async fn a_rejection_names_its_reason_and_reference() {
    let w = world();
    let app = in_manual_review(&w).await;
    decide(
        &w.services,
        app.id,
        &Decision::Reject {
            reason: RejectionReason::RequisitesMismatch,
            comment: None,
        },
        "op",
    )
    .await
    .unwrap();
    let last = w.events.events().pop().unwrap();
    assert_eq!(last.kind, EventType::ApplicationRejected);
    assert_eq!(last.reason.as_deref(), Some("requisites_mismatch"));
    assert_eq!(
        notices(&w),
        [format!(
            "Госуслуги: заявка {} отклонена: реквизиты не совпадают",
            app.reference()
        )]
    );
}

#[tokio::test]
async fn with_the_topic_and_sms_down_the_decision_stands_and_the_sweeper_delivers_once() {
    let w = world();
    let app = in_manual_review(&w).await;
    w.events.failing.store(true, Ordering::SeqCst);
    w.sms.failing.store(true, Ordering::SeqCst);
    let decided = decide(
        &w.services,
        app.id,
        &Decision::RequestDocuments {
            documents: vec![crate::domain::DocumentType::PowerOfAttorney],
            comment: None,
        },
        "op",
    )
    .await
    .unwrap();
    assert_eq!(decided.status, ApplicationStatus::DocumentsRequired);
    assert_eq!(w.events.events().len(), 2, "nothing published");
    w.events.failing.store(false, Ordering::SeqCst);
    w.sms.failing.store(false, Ordering::SeqCst);
    // Not before the writer's lease could have lapsed.
    let report = sweep(&w.services, 100).await.unwrap();
    assert_eq!((report.outbox_delivered, w.events.events().len()), (0, 2));
    w.clock.advance(OUTBOX_RETRY_AFTER + Duration::seconds(1));
    let report = sweep(&w.services, 100).await.unwrap();
    assert_eq!(report.outbox_delivered, 1);
    assert_eq!(report.outbox_pending, 0);
    assert_eq!(types(&w)[2..], [EventType::ApplicationDocumentsRequired]);
    assert_eq!(
        w.events.events()[2].documents_required,
        ["power_of_attorney"]
    );
    assert_eq!(
        notices(&w),
        [format!(
            "Госуслуги: по заявке {} нужны документы. Срок 30 дней",
            app.reference()
        )]
    );
    w.clock.advance(Duration::hours(1));
    sweep(&w.services, 100).await.unwrap();
    assert_eq!((w.events.events().len(), notices(&w).len()), (3, 1));
}

#[tokio::test]
async fn two_concurrent_sweeps_send_a_notice_once() {
    let w = world();
    approved_while_sms_is_down(&w).await;
    w.clock.advance(OUTBOX_RETRY_AFTER + Duration::seconds(1));
    let (a, b) = tokio::join!(sweep(&w.services, 100), sweep(&w.services, 100));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(notices(&w).len(), 1, "{:?}", notices(&w));
    // (The in-memory store never yields, so these sweeps run one after the other; the
    // integration test races two on DynamoDB Local.)
    assert_eq!(a.outbox_delivered + b.outbox_delivered, 1);
}

#[tokio::test]
async fn a_notice_that_may_have_gone_out_is_never_sent_again() {
    let w = world();
    approved_while_sms_is_down(&w).await;
    // A sweep takes the notice, then dies before recording whether it sent it.
    w.clock.advance(OUTBOX_RETRY_AFTER + Duration::seconds(1));
    let mut taken = outbox(&w, w.clock.now()).await.pop().unwrap();
    assert!(taken.lease(uuid::Uuid::from_u128(99), w.clock.now()));
    taken.revision += 1;
    w.store.save_outbox(&taken).await.unwrap();
    let report = sweep(&w.services, 100).await.unwrap();
    assert_eq!(
        (report.outbox_delivered, report.outbox_pending),
        (0, 1),
        "leased by another: left alone"
    );
    assert_eq!(report.outbox_oldest_age_seconds, 301);
    w.clock.advance(crate::domain::NOTICE_LEASE);
    let report = sweep(&w.services, 100).await.unwrap();
    assert_eq!(report.outbox_delivered, 1);
    assert!(notices(&w).is_empty(), "abandoned, not sent");
    let stored = w.store.outbox_entry(taken.id).await.unwrap().unwrap();
    assert!(matches!(
        stored.notice.unwrap().state,
        NoticeState::Abandoned { .. }
    ));
    assert!(
        outbox(&w, w.clock.now() + Duration::days(1))
            .await
            .is_empty()
    );
}
