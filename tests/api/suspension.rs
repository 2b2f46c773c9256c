//! Temporary deactivation (SPEC 4.11): suspension and resumption by code, an operator's
//! suspension, and the end of a suspension after 180 days.

use chrono::{DateTime, Duration, Utc};
use corpnum_tests::*;
use serde_json::json;

use crate::idempotency::join_all;

fn time(v: &serde_json::Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a time: {v}"))
}

#[tokio::test]
async fn a_suspended_number_stays_bound_and_resumes_with_the_same_employee() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let phone = random_phone();
    let (token, _) = app.active_number(&org, &phone).await;
    let before = app.number(&token, &phone).await;
    let employee = before.body["employee"].clone();
    // History is ordered by time; the test clock stands still unless moved.
    app.advance(Duration::seconds(1));

    let r = app
        .number_action(
            &token,
            &phone,
            "suspension",
            &json!({ "reason": "division_closed", "comment": "Отдел на реорганизации" }),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body["reason"], "division_closed");
    assert_eq!(r.body["otp"]["attempts_left"], 3);
    let sms = app.sms_to(&phone).await;
    assert!(
        sms.last().is_some_and(|t| t.contains("приостановка")),
        "{sms:?}"
    );
    // The number is still active until the code is confirmed.
    assert_eq!(app.number(&token, &phone).await.body["state"], "active");
    let id = r.body["suspension_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let code = app.last_code(&phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = app
        .number_action(
            &token,
            &phone,
            "suspension/confirm",
            &json!({ "suspension_id": id, "code": wrong }),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (422, Some("otp_invalid"))
    );
    // A suspension's id means nothing to the deactivation's confirmation.
    let r = app
        .confirm_deactivation(
            &token,
            &phone,
            &json!({ "deactivation_id": id, "code": code }),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = app
        .number_action(
            &token,
            &phone,
            "suspension/confirm",
            &json!({ "suspension_id": id, "code": code }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["state"], "suspended");
    assert_eq!(r.body["state_label"], "Номер временно отключён");
    assert_eq!(r.body["employee"], employee);
    let s = &r.body["suspension"];
    assert_eq!(s["reason"], "division_closed");
    assert_eq!(s["suspended_by"], "organization");
    assert_eq!(s["comment"], "Отдел на реорганизации");
    assert_eq!(
        time(&s["ends_at"]) - time(&s["suspended_at"]),
        Duration::days(180)
    );
    let version = r.header("etag").map(str::to_owned);
    assert_ne!(version, before.header("etag").map(str::to_owned));

    // Suspended: still bound, so nobody else may apply; not usable, so no changes.
    let other = Org::random();
    let r = app
        .submit(&org_token(&other), &application_body(&other, &phone))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("number_bound_to_another_organization"))
    );
    let r = app.submit(&token, &application_body(&org, &phone)).await;
    assert_eq!(
        (r.status, r.body["current_status"].as_str()),
        (409, Some("suspended")),
        "{}",
        r.text
    );
    let r = app
        .rebind(
            &token,
            &phone,
            Some("*"),
            &json!({ "snils": "006-996-682 00", "full_name": "Петрова Анна Сергеевна" }),
        )
        .await;
    assert_eq!(
        (
            r.status,
            r.body["code"].as_str(),
            r.body["current_status"].as_str()
        ),
        (409, Some("invalid_state"), Some("suspended"))
    );
    let r = app
        .request_deactivation(&token, &phone, &json!({ "reason": "other" }))
        .await;
    assert_eq!(
        (r.status, r.body["current_status"].as_str()),
        (409, Some("suspended"))
    );
    let r = app
        .number_action(&token, &phone, "suspension", &json!({ "reason": "other" }))
        .await;
    assert_eq!(r.status, 409, "already suspended: {}", r.text);
    let listed = app.get(&token, "/v1/numbers?state=suspended").await;
    assert_eq!(
        listed.body["items"][0]["phone"],
        phone.as_str(),
        "{}",
        listed.text
    );

    // Resumption, spaced from the last code like any code for the number.
    app.advance(Duration::seconds(121));
    let r = app.by_code(&token, &phone, "resumption", &json!({})).await;
    assert_eq!(r.body["state"], "active");
    assert_eq!(r.body["employee"], employee);
    assert!(r.body["suspension"].is_null());
    let sms = app.sms_to(&phone).await;
    assert!(
        sms.last().is_some_and(|t| t.contains("включение")),
        "{sms:?}"
    );
    let changes: Vec<(String, String)> = r.body["history"]
        .as_array()
        .map(|h| {
            h.iter()
                .map(|e| (e["from"].to_string(), e["to"].to_string()))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        changes.ends_with(&[
            ("\"active\"".into(), "\"suspended\"".into()),
            ("\"suspended\"".into(), "\"active\"".into())
        ]),
        "{changes:?}"
    );
    // Usable again: a rebind goes through.
    let r = app
        .rebind(
            &token,
            &phone,
            Some("*"),
            &json!({ "snils": "006-996-682 00", "full_name": "Петрова Анна Сергеевна" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn concurrent_suspension_requests_send_one_code() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let phone = random_phone();
    let (token, _) = app.active_number(&org, &phone).await;
    let sent_before = app.sms_to(&phone).await.len();
    let body = json!({ "reason": "other" });
    let responses = join_all(
        (0..6)
            .map(|_| app.number_action(&token, &phone, "suspension", &body))
            .collect(),
    )
    .await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, vec![202, 429, 429, 429, 429, 429], "{statuses:?}");
    assert!(
        responses
            .iter()
            .filter(|r| r.status == 429)
            .all(|r| r.header("retry-after").is_some())
    );
    assert_eq!(app.sms_to(&phone).await.len(), sent_before + 1, "one code");
}

#[tokio::test]
async fn an_operator_suspension_is_lifted_only_by_an_operator() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let phone = random_phone();
    let (token, _) = app.active_number(&org, &phone).await;
    let operator = operator_token();
    let sent_before = app.sms_to(&phone).await.len();

    let r = app
        .number_action(
            &operator,
            &phone,
            "suspension",
            &json!({ "reason": "other", "comment": "x" }),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(
        r.field_errors()
            .contains(&("reason".into(), "invalid_value".into()))
    );
    let r = app
        .number_action(
            &operator,
            &phone,
            "suspension",
            &json!({ "reason": "policy_violation" }),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(
        r.field_errors()
            .contains(&("comment".into(), "missing_field".into()))
    );
    assert_eq!(app.number(&token, &phone).await.body["state"], "active");

    let r = app
        .number_action(
            &operator,
            &phone,
            "suspension",
            &json!({ "reason": "policy_violation", "comment": "Массовые рассылки" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["state"], "suspended");
    assert_eq!(r.body["suspension"]["suspended_by"], "operator");
    assert_eq!(r.body["suspension"]["reason"], "policy_violation");
    assert_eq!(
        app.sms_to(&phone).await.len(),
        sent_before,
        "no code for an operator"
    );

    // The organization sees why, and cannot lift it.
    let seen = app.number(&token, &phone).await;
    assert_eq!(seen.body["suspension"]["comment"], "Массовые рассылки");
    assert!(
        seen.body["history"]
            .as_array()
            .is_some_and(|h| h.iter().any(|e| e["actor"] == "operator:operator-1")),
        "{}",
        seen.text
    );
    let r = app
        .number_action(&token, &phone, "resumption", &json!({}))
        .await;
    assert_eq!(
        (
            r.status,
            r.body["code"].as_str(),
            r.body["current_status"].as_str()
        ),
        (409, Some("invalid_state"), Some("suspended")),
        "{}",
        r.text
    );
    assert_eq!(app.sms_to(&phone).await.len(), sent_before, "no code sent");

    let r = app
        .number_action(&operator, &phone, "resumption", &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["state"], "active");
    let r = app
        .number_action(&operator, &phone, "resumption", &json!({}))
        .await;
    assert_eq!(
        (r.status, r.body["current_status"].as_str()),
        (409, Some("active"))
    );
}

#[tokio::test]
async fn another_organization_cannot_touch_a_numbers_suspension() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let phone = random_phone();
    let (token, _) = app.active_number(&org, &phone).await;
    let stranger = org_token(&Org::random());
    for (action, body) in [
        ("suspension", json!({ "reason": "other" })),
        ("resumption", json!({})),
        (
            "suspension/confirm",
            json!({ "suspension_id": uuid::Uuid::new_v4(), "code": "123456" }),
        ),
        (
            "resumption/confirm",
            json!({ "resumption_id": uuid::Uuid::new_v4(), "code": "123456" }),
        ),
    ] {
        let r = app.number_action(&stranger, &phone, action, &body).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (404, Some("not_found")),
            "{action}: {}",
            r.text
        );
    }
    assert_eq!(app.number(&token, &phone).await.body["state"], "active");
    let r = app
        .number_action(&token, &phone, "resumption", &json!({}))
        .await;
    assert_eq!(
        (r.status, r.body["current_status"].as_str()),
        (409, Some("active"))
    );
}

#[tokio::test]
async fn a_suspension_of_180_days_ends_in_deactivation_with_an_act() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let phone = random_phone();
    let (token, _) = app.active_number(&org, &phone).await;
    app.by_code(
        &token,
        &phone,
        "suspension",
        &json!({ "reason": "operator_change" }),
    )
    .await;

    app.advance(Duration::days(179));
    let report = app.sweep().await;
    assert_eq!(report["suspensions_ended"], 0, "{report}");
    assert_eq!(app.number(&token, &phone).await.body["state"], "suspended");

    app.advance(Duration::days(1) + Duration::minutes(1));
    let report = app.sweep().await;
    assert_eq!(report["suspensions_ended"], 1, "{report}");
    let number = app.number(&token, &phone).await;
    assert_eq!(number.body["state"], "deactivated", "{}", number.text);
    let act = number.body["history"]
        .as_array()
        .and_then(|h| h.iter().rev().find_map(|e| e["act"].as_object().cloned()))
        .unwrap_or_else(|| panic!("no act in {}", number.text));
    assert_eq!(act["reason"], "operator_change");
    assert_eq!(act["deactivated_by"], "system:review-sweeper");
    let act_number = act["act_number"].as_str().unwrap_or_default();
    let served = app.act(&token, &phone, act_number).await;
    assert_eq!(served.status, 200, "{}", served.text);

    // Released: the sweep does not come back to it, and another organization may apply.
    assert_eq!(app.sweep().await["suspensions_ended"], 0);
    let other = Org::random();
    let r = app
        .submit(&org_token(&other), &application_body(&other, &phone))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}
