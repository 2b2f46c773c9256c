//! Restricted numbers (SPEC 4.13): set and lifted by operators, refusing applications in
//! between with the support block and a reference to quote.

use corpnum_tests::*;
use serde_json::{Value, json};

/// Every restriction listed, following the cursor to the end.
async fn all_restrictions(app: &TestApp, token: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut path = "/v1/restrictions?limit=2".to_owned();
    loop {
        let r = app.get(token, &path).await;
        assert_eq!(r.status, 200, "{}", r.text);
        items.extend(r.body["items"].as_array().cloned().unwrap_or_default());
        match r.body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/restrictions?limit=2&cursor={c}"),
            None => return items,
        }
    }
}

#[tokio::test]
async fn a_restricted_number_is_refused_with_a_reference_until_lifted() {
    let app = TestApp::spawn().await;
    let operator = operator_token();
    let org = Org::random();
    let phone = random_phone();

    let r = app
        .restrict(
            &operator,
            &phone,
            &json!({ "reason": "personal_account", "comment": "Номер из личного кабинета физлица" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let reference = r.body["reference"].as_str().unwrap_or_default().to_owned();
    assert!(reference.starts_with("ОГР-"), "{}", r.text);
    assert_eq!(r.body["reason"], "personal_account");
    assert_eq!(r.body["restricted_by"], "operator-1");

    let token = org_token(&org);
    let body = application_body(&org, &phone);
    let r = app.submit_with_key(&token, "restricted-1", &body).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("number_restricted")),
        "{}",
        r.text
    );
    assert_eq!(r.body["support"]["reference"], reference.as_str());
    assert!(
        r.body["support"]["phone"]
            .as_str()
            .is_some_and(|p| !p.is_empty()),
        "{}",
        r.text
    );
    assert!(
        r.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("поддержк")),
        "{}",
        r.text
    );
    assert!(
        app.sms_to(&phone).await.is_empty(),
        "no code for a refused application"
    );
    let mine = app.get(&token, "/v1/applications").await;
    assert_eq!(
        mine.body["items"],
        json!([]),
        "nothing written: {}",
        mine.text
    );
    assert!(
        logs()
            .lines()
            .any(|l| l.contains("RestrictedRefusals") && l.contains(&reference)),
        "the refusal is counted, with its reference"
    );

    // Amending keeps the reference; every change is in the record.
    app.advance(chrono::Duration::seconds(1));
    let r = app
        .restrict(
            &operator,
            &phone,
            &json!({ "reason": "fraud_report", "comment": "Жалоба абонента" }),
        )
        .await;
    assert_eq!(
        (r.status, r.body["reference"].as_str()),
        (200, Some(reference.as_str()))
    );
    assert_eq!(r.body["reason"], "fraud_report");
    let listed = all_restrictions(&app, &operator).await;
    assert!(
        listed
            .iter()
            .any(|i| i["phone"] == phone.as_str() && i["reason"] == "fraud_report"),
        "{listed:?}"
    );

    app.advance(chrono::Duration::seconds(1));
    let r = app.lift_restriction(&operator, &phone).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["restriction"].is_null(), "{}", r.text);
    let changes: Vec<&str> = r.body["history"]
        .as_array()
        .map(|h| h.iter().filter_map(|e| e["change"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(changes, ["set", "amended", "lifted"]);
    assert!(
        !all_restrictions(&app, &operator)
            .await
            .iter()
            .any(|i| i["phone"] == phone.as_str()),
        "no longer listed"
    );
    let r = app.lift_restriction(&operator, &phone).await;
    assert_eq!(r.status, 404, "nothing left to lift: {}", r.text);

    // The same application, with the same key, now goes through.
    let r = app.submit_with_key(&token, "restricted-1", &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(app.sms_to(&phone).await.len(), 1);
}

#[tokio::test]
async fn restrictions_are_for_operators_and_their_history_for_operators_only() {
    let app = TestApp::spawn().await;
    let operator = operator_token();
    let org = Org::random();
    let phone = random_phone();
    let (token, _) = app.active_number(&org, &phone).await;
    let body = json!({ "reason": "other", "comment": "Проверка по обращению" });

    let r = app.restrict(&token, &phone, &body).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("forbidden"))
    );
    let r = app.get(&token, "/v1/restrictions").await;
    assert_eq!(r.status, 403);
    let r = app
        .get(
            &token,
            &format!("/v1/numbers/{}/restriction", phone.replace('+', "%2B")),
        )
        .await;
    assert_eq!(r.status, 403);

    let r = app
        .restrict(&operator, &phone, &json!({ "reason": "other" }))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(
        r.field_errors()
            .contains(&("comment".into(), "missing_field".into()))
    );
    let r = app
        .restrict(
            &operator,
            &phone,
            &json!({ "reason": "nope", "comment": "x" }),
        )
        .await;
    assert!(
        r.field_errors()
            .contains(&("reason".into(), "invalid_value".into()))
    );
    let path = format!("/v1/numbers/{}/restriction", phone.replace('+', "%2B"));
    assert_eq!(
        app.get(&operator, &path).await.status,
        404,
        "never restricted"
    );

    // A restriction refuses new applications only: the binding in force stays.
    let r = app.restrict(&operator, &phone, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let seen = app.number(&token, &phone).await;
    assert_eq!(seen.body["state"], "active");
    assert!(seen.body.get("restriction").is_none(), "{}", seen.text);
    assert!(
        !seen.text.contains("Проверка по обращению"),
        "the organization never sees it"
    );
    let seen = app.number(&operator, &phone).await;
    assert_eq!(
        seen.body["restriction"]["restriction"]["reason"], "other",
        "{}",
        seen.text
    );
    assert_eq!(
        seen.body["restriction"]["history"][0]["actor"],
        "operator:operator-1"
    );
    let record = app.get(&operator, &path).await;
    assert_eq!(
        record.body["restriction"]["comment"],
        "Проверка по обращению"
    );

    // Deactivated, the number stays out of reach of new applications.
    app.deactivate(&token, &phone, "other").await;
    let other = Org::random();
    let r = app
        .submit(&org_token(&other), &application_body(&other, &phone))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("number_restricted"))
    );
}
