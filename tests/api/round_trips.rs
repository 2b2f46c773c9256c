//! AWS round trips per request stay at SPEC 10's floor, counted by an SDK interceptor on
//! the handlers' clients: a change that adds a call fails here. A request whose change
//! is an outcome (SPEC 5.6) adds the outbox's own: one publish per event, then one write
//! recording that they went out (else the sweeper would publish them again).

use corpnum_tests::*;

#[tokio::test]
async fn each_request_makes_only_the_calls_its_floor_allows() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let phone = random_phone();
    let token = org_token(&org);
    app.calls.take();

    let r = app.submit(&token, &application_body(&org, &phone)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        app.calls.take(),
        [
            "DynamoDB.TransactWriteItems",
            "SNS.Publish",
            "DynamoDB.PutItem",
            "SNS.Publish"
        ],
        "submit: 1 transaction (with its outbox entry), its event and the record of it, 1 SMS"
    );

    let id = r.id();
    let code = app.last_code(&phone).await;
    app.calls.take();
    let r = app.verify(&token, &id, &code).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        app.calls.take(),
        [
            "DynamoDB.Query",
            "DynamoDB.TransactWriteItems",
            "SNS.Publish",
            "DynamoDB.PutItem",
            "SQS.SendMessage"
        ],
        "verify: 1 read + 1 transaction + its event and the record of it + 1 enqueue"
    );

    let r = app.application(&token, &id).await;
    assert_eq!(r.status, 200);
    assert_eq!(app.calls.take(), ["DynamoDB.Query"], "status: 1 query");
    let r = app.number(&token, &phone).await;
    assert_eq!(r.status, 200);
    assert_eq!(app.calls.take(), ["DynamoDB.Query"], "number: 1 query");
    let r = app.get(&token, "/v1/applications").await;
    assert_eq!(r.status, 200);
    assert_eq!(app.calls.take(), ["DynamoDB.Query"], "a list page: 1 query");
}
