//! What the code asks of its stores stays within what AWS-compatible services in Russia
//! offer (issue 12). Every test's calls are checked when its world is dropped
//! (`TestApp`'s `Drop`); this one drives every kind of request and shows the record.

use chrono::Duration;
use corpnum_tests::*;
use serde_json::json;

#[tokio::test]
async fn every_kind_of_call_is_on_the_allow_list() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let phone = random_phone();
    // Submission, confirmation, review, decision, lists, rebind, suspension, deactivation,
    // restrictions, the sweeper: every adapter's calls.
    let (token, id) = app.confirmed(&org, &application_body(&org, &phone)).await;
    app.run_review_worker().await;
    let operator = operator_token();
    let r = app
        .decide(&operator, &id, &json!({ "decision": "approve" }))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(app.get(&token, "/v1/applications").await.status, 200);
    assert_eq!(app.get(&token, "/v1/numbers").await.status, 200);
    let etag = app.number(&token, &phone).await;
    let employee = json!({ "snils": "006-996-682 00", "full_name": "Петрова Анна Сергеевна" });
    let r = app
        .rebind(&token, &phone, etag.header("etag"), &employee)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.advance(Duration::minutes(3));
    app.by_code(&token, &phone, "suspension", &json!({ "reason": "other" }))
        .await;
    app.advance(Duration::minutes(3));
    app.by_code(&token, &phone, "resumption", &json!({})).await;
    app.advance(Duration::minutes(3));
    app.deactivate(&token, &phone, "division_closed").await;
    let restricted = random_phone();
    let r = app
        .restrict(
            &operator,
            &restricted,
            &json!({ "reason": "fraud_report", "comment": "Жалоба" }),
        )
        .await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text);
    assert_eq!(app.get(&operator, "/v1/restrictions").await.status, 200);
    assert_eq!(
        app.lift_restriction(&operator, &restricted).await.status,
        200
    );
    app.advance(Duration::days(2));
    app.sweep().await;

    let shapes = app.calls.shapes();
    let operations: std::collections::BTreeSet<&str> =
        shapes.iter().map(|s| s.operation.as_str()).collect();
    println!("operations: {operations:?}");
    for shape in &shapes {
        println!("{shape:?}");
    }
    for expected in [
        "DynamoDB.TransactWriteItems",
        "DynamoDB.Query",
        "DynamoDB.PutItem",
        "SNS.Publish",
        "SQS.SendMessage",
    ] {
        assert!(
            operations.contains(expected),
            "{expected} not made: {operations:?}"
        );
    }
    assert!(
        shapes
            .iter()
            .filter_map(|s| s.actions)
            .all(|n| (1..=25).contains(&n))
    );
    assert!(
        shapes.iter().any(|s| s.index.as_deref() == Some("gsi2")),
        "the sweeper reads the timer index"
    );
    assert!(
        shapes
            .iter()
            .any(|s| s.operation == "DynamoDB.Query" && s.projection),
        "an application's read asks for its items' sort keys and documents only"
    );
    let outside = calls_outside_the_allow_list(&shapes);
    assert!(outside.is_empty(), "{outside:#?}");
    // The check would catch what is not allowed.
    let mut made_up = shapes.clone();
    made_up.insert(corpnum::aws::calls::CallShape {
        operation: "DynamoDB.ExecuteStatement".into(),
        actions: Some(30),
        functions: ["attribute_exists", "regexp_like"].map(String::from).into(),
        index: Some("lsi1".into()),
        projection: true,
        ..Default::default()
    });
    let caught = calls_outside_the_allow_list(&made_up);
    assert_eq!(caught.len(), 5, "{caught:#?}");
    // The SDK fills in a transaction's ClientRequestToken itself (an idempotency token in
    // the service model): YDB documents it as not supported and idempotent regardless;
    // nothing here relies on it (a transaction applied twice fails its conditions).
    assert!(
        shapes
            .iter()
            .filter(|s| s.actions.is_some())
            .all(|s| s.client_request_token)
    );
}
