//! Outcome notices (SPEC 5.6) on the local stack: events on the SNS topic (read from the
//! SQS queue subscribed to it, as the portal would) and SMS notices (read from moto).

use chrono::Duration;
use corpnum_tests::*;
use serde_json::{Value, json};

fn masked(phone: &str) -> String {
    format!("+7******{}", &phone[phone.len() - 4..])
}

/// Each event is there once per fact: its `event_id` is its own.
fn assert_unique(events: &[Value]) {
    let mut ids: Vec<&str> = events
        .iter()
        .filter_map(|e| e["event_id"].as_str())
        .collect();
    let all = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all, "an event id repeats: {events:#?}");
}

#[tokio::test]
async fn each_outcome_publishes_one_event_and_the_notices_it_owes() {
    let app = TestApp::spawn_with_events().await;
    let operator = operator_token();

    // Manual review, then approval by an operator; the employee changes; deactivation.
    let org = Org::random();
    let phone = random_phone();
    let (token, approved) = app.confirmed(&org, &application_body(&org, &phone)).await;
    app.run_review_worker().await;
    assert_eq!(
        app.event_types(&approved).await,
        ["application.submitted", "application.confirmed"],
        "manual review is no outcome"
    );
    let r = app
        .decide(&operator, &approved, &json!({ "decision": "approve" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.notices_to(&phone).await,
        [format!("Госуслуги: корп. номер {phone} активирован")]
    );
    let employee = json!({ "snils": "006-996-682 00", "full_name": "Петров Пётр Петрович" });
    let etag = app.number(&token, &phone).await;
    let r = app
        .rebind(&token, &phone, etag.header("etag"), &employee)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.advance(Duration::minutes(1));
    app.by_code(&token, &phone, "suspension", &json!({ "reason": "other" }))
        .await;
    app.advance(Duration::minutes(3));
    app.by_code(&token, &phone, "resumption", &json!({})).await;
    app.advance(Duration::minutes(3));
    let act = app.deactivate(&token, &phone, "division_closed").await;
    assert_eq!(act.status, 200, "{}", act.text);
    assert_eq!(
        app.event_types(&masked(&phone)).await,
        [
            "application.submitted",
            "application.confirmed",
            "application.approved",
            "number.activated",
            "number.employee_changed",
            "number.suspended",
            "number.resumed",
            "number.deactivated"
        ]
    );
    let events = app.events().await;
    let deactivated = events
        .iter()
        .find(|e| e["type"] == "number.deactivated")
        .cloned()
        .unwrap_or_default();
    assert_eq!(deactivated["act_number"], act.body["act_number"]);
    assert_eq!(deactivated["reason"], "division_closed");
    assert_eq!(deactivated["status"], "deactivated");
    assert_eq!(deactivated["organization_inn"], org.inn.as_str());

    // Rejection, with the reason and the reference to quote.
    let (org_b, phone_b) = (Org::random(), random_phone());
    let (_, rejected) = app
        .confirmed(&org_b, &application_body(&org_b, &phone_b))
        .await;
    app.run_review_worker().await;
    let r = app
        .decide(
            &operator,
            &rejected,
            &json!({ "decision": "reject", "reason": "incomplete_documents", "comment": "Нет устава" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let reference = format!("ЗКН-{}", rejected.replace('-', "")[..8].to_uppercase());
    assert_eq!(
        app.notices_to(&phone_b).await,
        [format!(
            "Госуслуги: заявка {reference} отклонена: неполный комплект документов"
        )]
    );
    assert_eq!(r.body["reference"], reference.as_str(), "{}", r.text);

    // Documents requested.
    let (org_c, phone_c) = (Org::random(), random_phone());
    let (_, asked) = app
        .confirmed(&org_c, &application_body(&org_c, &phone_c))
        .await;
    app.run_review_worker().await;
    let r = app
        .decide(
            &operator,
            &asked,
            &json!({ "decision": "request_documents", "documents": ["power_of_attorney"] }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(app.notices_to(&phone_c).await.len(), 1);

    // Approved automatically by the worker (a valid signature).
    let (org_d, phone_d) = (Org::random(), random_phone());
    let (_, auto) = app.active_number(&org_d, &phone_d).await;
    assert_eq!(
        app.notices_to(&phone_d).await,
        [format!("Госуслуги: корп. номер {phone_d} активирован")]
    );

    // Expired unconfirmed: no notice (nobody confirmed the number is theirs).
    let (org_e, phone_e) = (Org::random(), random_phone());
    let r = app
        .submit(&org_token(&org_e), &application_body(&org_e, &phone_e))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let expired = r.id();
    app.advance(Duration::hours(25));
    app.sweep().await;
    assert!(app.notices_to(&phone_e).await.is_empty());

    let events = app.events().await;
    let of = |id: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["application_id"] == id)
            .filter_map(|e| e["type"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(of(&rejected)[2..], ["application.rejected"], "{events:#?}");
    assert_eq!(of(&asked)[2..], ["application.documents_required"]);
    assert_eq!(of(&auto)[2..], ["application.approved", "number.activated"]);
    assert_eq!(
        of(&expired),
        ["application.submitted", "application.expired"]
    );
    let rejection = events
        .iter()
        .find(|e| e["type"] == "application.rejected")
        .cloned()
        .unwrap_or_default();
    assert_eq!(rejection["reason"], "incomplete_documents");
    let request = events
        .iter()
        .find(|e| e["type"] == "application.documents_required")
        .cloned()
        .unwrap_or_default();
    assert_eq!(request["documents_required"], json!(["power_of_attorney"]));
    assert_unique(&events);

    // Valid against the published schema, and no personal data beyond the masked number.
    assert_eq!(schema_violations(&events), "");
    let text = Value::from(events.clone()).to_string();
    for phone in [&phone, &phone_b, &phone_c, &phone_d, &phone_e] {
        assert!(!text.contains(phone.as_str()), "a full number in {text}");
    }
    for secret in [
        "112-233-445 95",
        "11223344595",
        "006-996-682 00",
        "Петров",
        "Иванов",
    ] {
        assert!(!text.contains(secret), "{secret} in an event");
    }
    assert!(events.iter().all(|e| {
        e["phone"]
            .as_str()
            .is_some_and(|p| p.starts_with("+7******"))
    }));
}

#[tokio::test]
async fn with_sns_down_the_decision_stands_and_the_sweeper_delivers_it_once() {
    let app = TestApp::spawn_with_events().await;
    let org = Org::random();
    let phone = random_phone();
    let (token, id) = app.confirmed(&org, &application_body(&org, &phone)).await;
    app.run_review_worker().await;
    let before = app.event_types(&id).await;

    let down = app
        .with_faults(Faults {
            sns_down: true,
            ..Faults::default()
        })
        .await;
    let r = down
        .decide(&operator_token(), &id, &json!({ "decision": "approve" }))
        .await;
    assert_eq!(
        r.status, 200,
        "the decision does not wait for SNS: {}",
        r.text
    );
    assert_eq!(
        app.application(&token, &id).await.body["status"],
        "approved"
    );
    assert_eq!(app.event_types(&id).await, before, "nothing was published");
    assert!(app.notices_to(&phone).await.is_empty());

    // Not before the delay the writer had to publish it itself.
    app.sweep().await;
    assert_eq!(app.event_types(&id).await, before);
    app.advance(Duration::minutes(6));
    let report = app.sweep().await;
    assert_eq!(report["outbox_delivered"], 1, "{report}");
    assert_eq!(report["outbox_pending"], 0, "{report}");
    assert_eq!(
        app.event_types(&id).await[before.len()..],
        ["application.approved", "number.activated"]
    );
    assert_eq!(
        app.notices_to(&phone).await,
        [format!("Госуслуги: корп. номер {phone} активирован")]
    );
    app.advance(Duration::hours(1));
    let report = app.sweep().await;
    assert_eq!(report["outbox_delivered"], 0, "{report}");
    assert_eq!(app.event_types(&id).await.len(), before.len() + 2);
    assert_eq!(app.notices_to(&phone).await.len(), 1);
    assert_eq!(schema_violations(&app.events().await), "");
}

#[tokio::test]
async fn concurrent_sweeps_never_send_a_notice_twice() {
    let app = TestApp::spawn_with_events().await;
    let down = app
        .with_faults(Faults {
            sns_down: true,
            ..Faults::default()
        })
        .await;
    let mut phones = Vec::new();
    for _ in 0..4 {
        let (org, phone) = (Org::random(), random_phone());
        let (_, id) = app.confirmed(&org, &application_body(&org, &phone)).await;
        app.run_review_worker().await;
        let r = down
            .decide(&operator_token(), &id, &json!({ "decision": "approve" }))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        phones.push(phone);
    }
    app.advance(Duration::minutes(6));
    let (a, b) = tokio::join!(app.sweep(), app.sweep());
    let delivered =
        a["outbox_delivered"].as_u64().unwrap_or(0) + b["outbox_delivered"].as_u64().unwrap_or(0);
    assert_eq!(delivered, 4, "{a} {b}");
    for phone in &phones {
        assert_eq!(app.notices_to(phone).await.len(), 1, "{phone}: {a} {b}");
    }
    // Events may go out twice (at least once); a repeat keeps its event id.
    let events = app.events().await;
    let approvals: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "application.approved")
        .collect();
    let mut ids: Vec<&str> = approvals
        .iter()
        .filter_map(|e| e["event_id"].as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4, "one event id per approval");
}
