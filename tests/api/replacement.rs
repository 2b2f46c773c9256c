//! Number replacement (SPEC 4.12): an application of kind `replacement` for the new number;
//! its approval activates the new number with the old binding's employee and deactivates
//! the old one, in one transaction.

use chrono::Duration;
use corpnum_tests::*;
use serde_json::{Value, json};

use crate::idempotency::join_all;

fn replacement_body(new_phone: &str) -> Value {
    json!({ "new_phone": new_phone, "documents": [document("other")] })
}

/// An active number and a replacement for it, confirmed by the code sent to the new
/// number and sent to manual review; returns (token, replacement id).
async fn pending_replacement(app: &TestApp, org: &Org, old: &str, new: &str) -> (String, String) {
    let (token, _) = app.active_number(org, old).await;
    let r = app
        .number_action(&token, old, "replacement", &replacement_body(new))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.id();
    let code = app.last_code(new).await;
    let v = app.verify(&token, &id, &code).await;
    assert_eq!(v.status, 200, "{}", v.text);
    app.run_review_worker().await;
    let status = app.application(&token, &id).await;
    assert_eq!(status.body["status"], "manual_review", "{}", status.text);
    (token, id)
}

#[tokio::test]
async fn an_approved_replacement_swaps_the_numbers_in_one_step() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let (old, new) = (random_phone(), random_phone());
    let (token, _) = app.active_number(&org, &old).await;
    // The binding's employee as it is when the replacement is approved carries over.
    let r = app
        .rebind(
            &token,
            &old,
            Some("*"),
            &json!({ "snils": "006-996-682 00", "full_name": "Петрова Анна Сергеевна" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let employee = r.body["employee"].clone();

    let r = app
        .number_action(&token, &old, "replacement", &replacement_body(&new))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["kind"], "replacement");
    assert_eq!(r.body["replaces"], old.as_str());
    assert_eq!(r.body["phone"], new.as_str());
    assert_eq!(r.body["status"], "awaiting_otp");
    let id = r.id();
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/applications/{id}").as_str())
    );
    assert_eq!(
        app.sms_to(&new).await.len(),
        1,
        "the code goes to the new number"
    );
    assert_eq!(app.number(&token, &old).await.body["state"], "active");

    let code = app.last_code(&new).await;
    assert_eq!(app.verify(&token, &id, &code).await.status, 200);
    app.run_review_worker().await;
    let pending = app.application(&token, &id).await;
    assert_eq!(pending.body["status"], "manual_review", "{}", pending.text);
    assert_eq!(pending.body["kind"], "replacement");
    assert_eq!(
        app.number(&token, &old).await.body["state"],
        "active",
        "until approved"
    );

    let r = app
        .decide(&operator_token(), &id, &json!({ "decision": "approve" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "approved");

    let replaced = app.number(&token, &new).await;
    assert_eq!(replaced.body["state"], "active", "{}", replaced.text);
    assert_eq!(
        replaced.body["employee"], employee,
        "the binding's employee carries over"
    );
    assert_eq!(replaced.body["application_id"], id.as_str());
    let gone = app.number(&token, &old).await;
    assert_eq!(gone.body["state"], "deactivated", "{}", gone.text);
    let act = gone.body["history"]
        .as_array()
        .and_then(|h| h.iter().rev().find_map(|e| e["act"].as_object().cloned()))
        .unwrap_or_else(|| panic!("no act: {}", gone.text));
    assert_eq!(act["reason"], "replacement");
    assert_eq!(act["phone"], old.as_str());
    let served = app
        .act(&token, &old, act["act_number"].as_str().unwrap_or_default())
        .await;
    assert_eq!(served.status, 200, "{}", served.text);

    // The old number is free for others now.
    let other = Org::random();
    let r = app
        .submit(&org_token(&other), &application_body(&other, &old))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn a_rejected_or_expired_replacement_leaves_the_old_number_as_it_was() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let (old, new) = (random_phone(), random_phone());
    let (token, id) = pending_replacement(&app, &org, &old, &new).await;
    let before = app.number(&token, &old).await;

    let r = app
        .decide(
            &operator_token(),
            &id,
            &json!({ "decision": "reject", "reason": "incomplete_documents", "comment": "Нет договора на номер" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let after = app.number(&token, &old).await;
    assert_eq!(after.body["state"], "active");
    assert_eq!(
        after.header("etag"),
        before.header("etag"),
        "the old number untouched"
    );
    assert_eq!(
        app.number(&token, &new).await.status,
        404,
        "the new number released"
    );

    // Unconfirmed, a replacement expires and the old number stays as it was.
    let r = app
        .number_action(&token, &old, "replacement", &replacement_body(&new))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    app.advance(Duration::hours(25));
    let report = app.sweep().await;
    assert_eq!(report["expired"], 1, "{report}");
    let after = app.number(&token, &old).await;
    assert_eq!(after.body["state"], "active");
    assert_eq!(after.header("etag"), before.header("etag"));
}

#[tokio::test]
async fn a_replacement_is_refused_like_any_application() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let old = random_phone();
    let (token, _) = app.active_number(&org, &old).await;

    // Another organization's number is not found; the new number is checked like any.
    let stranger = org_token(&Org::random());
    let r = app
        .number_action(
            &stranger,
            &old,
            "replacement",
            &replacement_body(&random_phone()),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("not_found"))
    );

    let other = Org::random();
    let taken = random_phone();
    app.active_number(&other, &taken).await;
    let r = app
        .number_action(&token, &old, "replacement", &replacement_body(&taken))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("number_bound_to_another_organization")),
        "{}",
        r.text
    );

    let restricted = random_phone();
    app.restrict(
        &operator_token(),
        &restricted,
        &json!({ "reason": "personal_account", "comment": "Личный кабинет" }),
    )
    .await;
    let r = app
        .number_action(&token, &old, "replacement", &replacement_body(&restricted))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("number_restricted"))
    );

    let r = app
        .number_action(&token, &old, "replacement", &replacement_body(&old))
        .await;
    assert!(
        r.field_errors()
            .contains(&("new_phone".into(), "invalid_phone".into())),
        "{}",
        r.text
    );
    let r = app
        .number_action(
            &token,
            &old,
            "replacement",
            &json!({ "new_phone": random_phone(), "documents": [] }),
        )
        .await;
    assert!(
        r.field_errors()
            .contains(&("documents".into(), "missing_documents".into())),
        "{}",
        r.text
    );
    let r = app
        .number_action(
            &token,
            &old,
            "replacement",
            &json!({ "new_phone": "12345", "documents": [document("other")], "extra": 1 }),
        )
        .await;
    let errors = r.field_errors();
    assert!(
        errors.contains(&("new_phone".into(), "invalid_phone".into())),
        "{errors:?}"
    );
    assert!(
        errors.contains(&("extra".into(), "unknown_field".into())),
        "{errors:?}"
    );

    // A suspended number is not replaced.
    app.by_code(&token, &old, "suspension", &json!({ "reason": "other" }))
        .await;
    let r = app
        .number_action(
            &token,
            &old,
            "replacement",
            &replacement_body(&random_phone()),
        )
        .await;
    assert_eq!(
        (r.status, r.body["current_status"].as_str()),
        (409, Some("suspended"))
    );
    assert!(
        app.codes_to(&taken).await.len() == 1 && app.sms_to(&restricted).await.is_empty(),
        "no code went to a refused new number"
    );
}

#[tokio::test]
async fn approval_racing_a_deactivation_of_the_old_number_has_one_winner() {
    for round in 0..3 {
        let app = TestApp::spawn().await;
        let org = Org::random();
        let (old, new) = (random_phone(), random_phone());
        let (token, id) = pending_replacement(&app, &org, &old, &new).await;
        let r = app
            .request_deactivation(&token, &old, &json!({ "reason": "other" }))
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
        let deactivation_id = r.deactivation_id();
        let code = app.last_code(&old).await;

        let operator = operator_token();
        let approve_body = json!({ "decision": "approve" });
        let confirm_body = json!({ "deactivation_id": deactivation_id, "code": code });
        let approve = app.decide(&operator, &id, &approve_body);
        let confirm = app.confirm_deactivation(&token, &old, &confirm_body);
        let (approved, confirmed) = tokio::join!(approve, confirm);
        let outcome = (approved.status, confirmed.status);
        assert!(
            outcome == (200, 409) || outcome == (409, 200),
            "round {round}: exactly one wins: {outcome:?} {} {}",
            approved.text,
            confirmed.text
        );

        // The old number is deactivated exactly once, whoever won.
        let gone = app.number(&token, &old).await;
        assert_eq!(gone.body["state"], "deactivated");
        let acts: Vec<Value> = gone.body["history"]
            .as_array()
            .map(|h| h.iter().filter(|e| !e["act"].is_null()).cloned().collect())
            .unwrap_or_default();
        assert_eq!(acts.len(), 1, "round {round}: {acts:?}");
        let application = app.application(&token, &id).await;
        let new_number = app.number(&token, &new).await;
        if approved.status == 200 {
            assert_eq!(acts[0]["act"]["reason"], "replacement");
            assert_eq!(new_number.body["state"], "active");
            assert_eq!(application.body["status"], "approved");
        } else {
            assert_eq!(acts[0]["act"]["reason"], "other");
            assert_eq!(
                approved.body["current_status"], "deactivated",
                "{}",
                approved.text
            );
            assert_eq!(new_number.body["state"], "pending", "{}", new_number.text);
            assert_eq!(application.body["status"], "manual_review");
        }
    }
}

#[tokio::test]
async fn concurrent_replacement_approvals_apply_once() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let (old, new) = (random_phone(), random_phone());
    let (token, id) = pending_replacement(&app, &org, &old, &new).await;
    let operator = operator_token();
    let body = json!({ "decision": "approve" });
    let responses = join_all((0..4).map(|_| app.decide(&operator, &id, &body)).collect()).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 409, 409, 409]);
    let gone = app.number(&token, &old).await;
    let acts = gone.body["history"]
        .as_array()
        .map(|h| h.iter().filter(|e| !e["act"].is_null()).count())
        .unwrap_or_default();
    assert_eq!(acts, 1);
    assert_eq!(app.number(&token, &new).await.body["state"], "active");
}
