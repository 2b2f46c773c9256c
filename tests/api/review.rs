use chrono::Duration;
use corpnum_tests::*;
use serde_json::json;

use crate::idempotency::join_all;

#[tokio::test]
async fn a_valid_signature_is_approved_automatically_and_the_number_becomes_active() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();

    let (token, id) = app.active_number(&org, &phone).await;

    let status = app.application(&token, &id).await;
    let history = status.body["history"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        history
            .last()
            .map(|h| (h["from"].clone(), h["to"].clone(), h["actor"].clone())),
        Some((
            json!("under_review"),
            json!("approved"),
            json!("system:review-worker")
        ))
    );
    assert_eq!(status.body["status_label"], "Номер активирован");
    let number = app.number(&token, &phone).await;
    assert_eq!(number.body["state"], "active");
    assert_eq!(number.body["application_id"], id.as_str());
    let r = app.submit(&token, &application_body(&org, &phone)).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("number_already_active"))
    );
}

#[tokio::test]
async fn an_expired_signature_is_rejected_and_frees_the_number() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let (token, id) = app
        .confirmed(&org, &signed_body(&org, &phone, "2020-01-01"))
        .await;

    app.run_review_worker().await;

    let status = app.application(&token, &id).await;
    assert_eq!(status.body["status"], "rejected");
    assert_eq!(status.body["rejection_reason"], "signature_invalid");
    assert_eq!(status.body["support"]["reference"], id.as_str());
    assert_eq!(status.body["support"]["phone"], "8 800 555-35-35");
    let other = Org::random();
    assert_eq!(
        app.submit(&org_token(&other), &application_body(&other, &phone))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn without_a_signature_an_operator_decides() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let (token, id) = app.confirmed(&org, &application_body(&org, &phone)).await;
    app.run_review_worker().await;

    let status = app.application(&token, &id).await;
    assert_eq!(status.body["status"], "manual_review");
    let hours = chrono::DateTime::parse_from_rfc3339(
        status.body["expected_completion_at"]
            .as_str()
            .unwrap_or_default(),
    )
    .map(|t| (t.with_timezone(&chrono::Utc) - app.now()).num_hours())
    .unwrap_or(-1);
    assert!(
        (23..=24).contains(&hours),
        "manual review promised within 24 hours, got {hours}"
    );

    let operator = operator_token();
    let queue = app.reviews(&operator, "").await;
    assert_eq!(queue.status, 200, "{}", queue.text);
    let item = &queue.body["items"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["overdue"], false);
    assert!(item["sla_due_at"].is_string());

    let r = app
        .decide(
            &operator,
            &id,
            &json!({ "decision": "approve", "comment": "Проверено" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "approved");
    assert_eq!(r.body["operator"], "operator-1");
    assert_eq!(app.number(&token, &phone).await.body["state"], "active");
    let r = app
        .decide(&operator, &id, &json!({ "decision": "approve" }))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("invalid_state"))
    );
}

#[tokio::test]
async fn an_operator_rejects_with_a_reason() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let (token, id) = app.confirmed(&org, &application_body(&org, &phone)).await;
    app.run_review_worker().await;

    let body = json!({ "decision": "reject", "reason": "requisites_mismatch", "comment": "ОГРН не совпадает с выпиской" });
    let r = app.decide(&operator_token(), &id, &body).await;

    assert_eq!(r.status, 200, "{}", r.text);
    let status = app.application(&token, &id).await;
    assert_eq!(status.body["status"], "rejected");
    assert_eq!(status.body["rejection_reason"], "requisites_mismatch");
    assert_eq!(status.body["comment"], "ОГРН не совпадает с выпиской");
    assert_eq!(status.body["support"]["email"], "support@corpnum.example");
    assert_eq!(
        app.number(&token, &phone).await.status,
        404,
        "the number is free again"
    );
}

#[tokio::test]
async fn requested_documents_send_the_application_back_to_review() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let (token, id) = app.confirmed(&org, &application_body(&org, &phone)).await;
    app.run_review_worker().await;
    let operator = operator_token();

    let body = json!({ "decision": "request_documents", "documents": ["charter"], "comment": "Устав нечитаем" });
    let r = app.decide(&operator, &id, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let status = app.application(&token, &id).await;
    assert_eq!(status.body["status"], "documents_required");
    assert_eq!(status.body["documents_required"], json!(["charter"]));
    assert!(status.body["support"].is_object());

    let bad = app
        .add_documents(
            &token,
            &id,
            &json!({ "documents": [{ "type": "charter" }] }),
        )
        .await;
    assert_eq!(bad.status, 422);
    let other = app
        .add_documents(
            &org_token(&Org::random()),
            &id,
            &json!({ "documents": [document("charter")] }),
        )
        .await;
    assert_eq!(other.status, 404);
    let r = app
        .add_documents(&token, &id, &json!({ "documents": [document("charter")] }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "under_review");
    let again = app
        .add_documents(&token, &id, &json!({ "documents": [document("charter")] }))
        .await;
    assert_eq!(
        (again.status, again.body["code"].as_str()),
        (409, Some("invalid_state"))
    );

    assert_eq!(app.run_review_worker().await, 1);
    assert_eq!(
        app.application(&token, &id).await.body["status"],
        "manual_review"
    );
}

#[tokio::test]
async fn decision_input_and_access_are_checked() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let token = org_token(&org);
    let id = app
        .submit(&token, &application_body(&org, &phone))
        .await
        .id();
    let operator = operator_token();

    let r = app
        .decide(&operator, &id, &json!({ "decision": "approve" }))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("invalid_state")),
        "not in manual review"
    );
    assert_eq!(
        app.decide(&token, &id, &json!({ "decision": "approve" }))
            .await
            .status,
        403
    );
    assert_eq!(app.reviews(&token, "").await.status, 403);
    assert_eq!(
        app.decide(
            &operator,
            &uuid::Uuid::new_v4().to_string(),
            &json!({ "decision": "approve" })
        )
        .await
        .status,
        404
    );
    for (body, field) in [
        (json!({ "decision": "maybe" }), "decision"),
        (
            json!({ "decision": "reject", "reason": "dislike" }),
            "reason",
        ),
        (json!({ "decision": "reject" }), "reason"),
        (
            json!({ "decision": "request_documents", "documents": [] }),
            "documents",
        ),
        (
            json!({ "decision": "request_documents", "documents": ["passport"] }),
            "documents",
        ),
        (
            json!({ "decision": "approve", "reason": "other" }),
            "reason",
        ),
    ] {
        let r = app.decide(&operator, &id, &body).await;
        assert_eq!(r.status, 422, "{body}: {}", r.text);
        assert!(
            r.field_errors().iter().any(|(f, _)| f == field),
            "{body}: {:?}",
            r.field_errors()
        );
    }
}

#[tokio::test]
async fn concurrent_decisions_apply_exactly_once() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let (token, id) = app.confirmed(&org, &application_body(&org, &phone)).await;
    app.run_review_worker().await;
    let operators: Vec<String> = (0..4).map(token_for_operator).collect();
    let bodies = [
        json!({ "decision": "approve" }),
        json!({ "decision": "reject", "reason": "other", "comment": "нет" }),
        json!({ "decision": "request_documents", "documents": ["charter"] }),
        json!({ "decision": "approve" }),
    ];

    let responses = join_all(
        operators
            .iter()
            .zip(&bodies)
            .map(|(t, b)| app.decide(t, &id, b))
            .collect(),
    )
    .await;

    assert_eq!(responses.iter().filter(|r| r.status == 200).count(), 1);
    assert!(
        responses
            .iter()
            .filter(|r| r.status != 200)
            .all(|r| r.status == 409)
    );
    let history = app.application(&token, &id).await.body["history"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let decisions = history
        .iter()
        .filter(|h| h["from"] == "manual_review")
        .count();
    assert_eq!(decisions, 1);
}

fn token_for_operator(i: usize) -> String {
    token(None, "corpnum/operator", &format!("operator-{i}"))
}

#[tokio::test]
async fn the_review_queue_pages_oldest_first() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let org = Org::random();
        let (_, id) = app
            .confirmed(&org, &application_body(&org, &random_phone()))
            .await;
        app.run_review_worker().await;
        ids.push(id);
        app.advance(Duration::minutes(1));
    }
    let operator = operator_token();

    let first = app
        .reviews(&operator, "?status=manual_review&limit=2")
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let page1: Vec<String> = first.body["items"]
        .as_array()
        .map(|i| {
            i.iter()
                .filter_map(|x| x["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(page1, ids[..2]);
    let cursor = first.body["next_cursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!cursor.is_empty());
    let second = app
        .reviews(&operator, &format!("?limit=2&cursor={cursor}"))
        .await;
    let page2: Vec<String> = second.body["items"]
        .as_array()
        .map(|i| {
            i.iter()
                .filter_map(|x| x["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(page2, ids[2..]);

    for query in [
        "?limit=0",
        "?limit=500",
        "?status=approved",
        "?cursor=garbage",
        "?colour=red",
    ] {
        let r = app.reviews(&operator, query).await;
        assert_eq!(r.status, 422, "{query}: {}", r.text);
    }
}

#[tokio::test]
async fn a_redelivered_message_is_acknowledged_without_a_second_decision() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let (token, id) = app.active_number(&org, &phone).await;
    let before = app.application(&token, &id).await.body["history"]
        .as_array()
        .map(Vec::len);

    app.enqueue_raw(&json!({ "application_id": id, "attempt": 1 }).to_string())
        .await;
    assert_eq!(app.run_review_worker().await, 1);

    assert_eq!(
        app.application(&token, &id).await.body["history"]
            .as_array()
            .map(Vec::len),
        before
    );
    assert!(
        app.review_messages().await.is_empty(),
        "acknowledged, not retried"
    );
    assert!(app.dead_letters().await.is_empty());
}

#[tokio::test]
async fn a_poison_message_is_retried_alone_then_dead_lettered() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    app.enqueue_raw("this is not a review ticket").await;
    let (token, id) = app
        .confirmed(&org, &signed_body(&org, &phone, "2099-01-01"))
        .await;

    let handed = app.run_review_worker().await;

    assert_eq!(
        app.application(&token, &id).await.body["status"],
        "approved",
        "the good message in the batch was processed"
    );
    assert_eq!(
        handed, 6,
        "the poison message was received five times, the good one once"
    );
    assert_eq!(
        app.dead_letters().await,
        vec!["this is not a review ticket".to_owned()]
    );
    assert!(app.review_messages().await.is_empty());
}

#[tokio::test]
async fn the_sweeper_expires_unconfirmed_applications_and_releases_their_numbers() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let token = org_token(&org);
    let id = app
        .submit(&token, &application_body(&org, &phone))
        .await
        .id();
    app.advance(Duration::hours(23));
    assert_eq!(app.sweep().await["expired"], 0);

    app.advance(Duration::hours(2));
    assert_eq!(app.sweep().await["expired"], 1);

    let status = app.application(&token, &id).await;
    assert_eq!(status.body["status"], "expired");
    let last = status.body["history"]
        .as_array()
        .and_then(|h| h.last().cloned())
        .unwrap_or_default();
    assert_eq!(
        (last["to"].as_str(), last["actor"].as_str()),
        (Some("expired"), Some("system:review-sweeper"))
    );
    assert_eq!(app.number(&token, &phone).await.status, 404);
    assert_eq!(app.sweep().await["expired"], 0);
    let other = Org::random();
    assert_eq!(
        app.submit(&org_token(&other), &application_body(&other, &phone))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn overdue_manual_reviews_are_marked_once() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let (token, id) = app
        .confirmed(&org, &application_body(&org, &random_phone()))
        .await;
    app.run_review_worker().await;
    app.advance(Duration::hours(25));

    assert_eq!(app.sweep().await["overdue_marked"], 1);
    assert_eq!(app.sweep().await["overdue_marked"], 0);

    let history = app.application(&token, &id).await.body["history"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let marks = history
        .iter()
        .filter(|h| h["from"] == "manual_review" && h["to"] == "manual_review")
        .count();
    assert_eq!(marks, 1);
    let queue = app.reviews(&operator_token(), "").await;
    assert_eq!(queue.body["items"][0]["overdue"], true);
}

#[tokio::test]
async fn a_stranded_review_is_queued_again() {
    let app = TestApp::spawn().await;
    let queue_down = app
        .with_faults(Faults {
            sqs_down: true,
            ..Faults::default()
        })
        .await;
    let org = Org::sample();
    let phone = random_phone();
    let token = org_token(&org);
    let id = app
        .submit(&token, &signed_body(&org, &phone, "2099-01-01"))
        .await
        .id();
    let code = app.last_code(&phone).await;
    assert_eq!(queue_down.verify(&token, &id, &code).await.status, 200);
    assert!(
        app.review_messages().await.is_empty(),
        "the message was lost"
    );

    app.advance(Duration::minutes(30));
    assert_eq!(app.sweep().await["requeued"], 0, "not stranded yet");
    app.advance(Duration::minutes(31));
    assert_eq!(app.sweep().await["requeued"], 1);
    assert_eq!(
        app.sweep().await["requeued"],
        0,
        "queued again only once an hour"
    );

    let queued = app.review_messages().await;
    assert_eq!(queued.first().map(|m| m["attempt"].clone()), Some(json!(2)));
    app.run_review_worker().await;
    assert_eq!(
        app.application(&token, &id).await.body["status"],
        "approved"
    );
}

/// Each stint in manual review has its own SLA: back in manual review after documents
/// were added, the application is not overdue, and its next breach is marked again.
#[tokio::test]
async fn overdue_is_per_stint_in_manual_review() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let (token, id) = app
        .confirmed(&org, &application_body(&org, &random_phone()))
        .await;
    app.run_review_worker().await;
    app.advance(Duration::hours(25));
    assert_eq!(app.sweep().await["overdue_marked"], 1);
    let operator = operator_token();
    let r = app
        .decide(
            &operator,
            &id,
            &json!({ "decision": "request_documents", "documents": ["charter"] }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .add_documents(&token, &id, &json!({ "documents": [document("charter")] }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.run_review_worker().await;

    let queue = app.reviews(&operator, "").await;
    let item = queue.body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["id"] == id.as_str()).cloned())
        .unwrap_or_default();
    assert_eq!(item["overdue"], false, "a fresh stint: {}", queue.text);
    app.advance(Duration::hours(23));
    assert_eq!(app.sweep().await["overdue_marked"], 0, "within the new SLA");
    app.advance(Duration::hours(2));
    assert_eq!(
        app.sweep().await["overdue_marked"],
        1,
        "the new stint's breach"
    );

    let marks = app.application(&token, &id).await.body["history"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|h| h["from"] == "manual_review" && h["to"] == "manual_review")
        .count();
    assert_eq!(marks, 2);
    let queue = app.reviews(&operator, "").await;
    assert_eq!(queue.body["items"][0]["overdue"], true);
}

/// SPEC 3: documents requested and not given within 30 days: expired, number released.
#[tokio::test]
async fn an_unanswered_documents_request_expires_after_30_days() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let phone = random_phone();
    let (token, id) = app.confirmed(&org, &application_body(&org, &phone)).await;
    app.run_review_worker().await;
    let operator = operator_token();
    let r = app
        .decide(
            &operator,
            &id,
            &json!({ "decision": "request_documents", "documents": ["charter"] }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let due = r.body["documents_due_at"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!due.is_empty(), "the client sees until when: {}", r.text);

    app.advance(Duration::days(10));
    let queue = app.reviews(&operator, "?status=documents_required").await;
    let item = &queue.body["items"][0];
    assert_eq!(item["id"], id.as_str());
    assert!(
        (item["waited_seconds"].as_i64().unwrap_or(0) - 10 * 86_400).abs() <= 2,
        "{}",
        queue.text
    );
    assert_eq!(item["documents_due_at"].as_str(), Some(due.as_str()));

    app.advance(Duration::days(19));
    assert_eq!(app.sweep().await["documents_expired"], 0, "29 days");
    app.advance(Duration::days(1) + Duration::minutes(1));
    assert_eq!(app.sweep().await["documents_expired"], 1);
    assert_eq!(app.sweep().await["documents_expired"], 0, "once");

    let status = app.application(&token, &id).await;
    assert_eq!(status.body["status"], "expired");
    let last = status.body["history"]
        .as_array()
        .and_then(|h| h.last().cloned())
        .unwrap_or_default();
    assert_eq!(
        (
            last["from"].as_str(),
            last["to"].as_str(),
            last["actor"].as_str()
        ),
        (
            Some("documents_required"),
            Some("expired"),
            Some("system:review-sweeper")
        )
    );
    assert_eq!(app.number(&token, &phone).await.status, 404, "released");
    let other = Org::random();
    let r = app
        .submit(&org_token(&other), &application_body(&other, &phone))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}
