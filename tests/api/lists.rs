//! The organization's own lists (SPEC 4.10).

use corpnum_tests::*;
use serde_json::Value;

async fn list(app: &TestApp, token: &str, path: &str) -> Response {
    app.send(app.request(reqwest::Method::GET, path, Some(token)))
        .await
}

fn ids(r: &Response, key: &str) -> Vec<String> {
    r.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|i| i[key].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_organization_lists_its_applications_newest_first() {
    let app = TestApp::spawn().await;
    let (a, b) = (Org::random(), Org::random());
    let token = org_token(&a);
    let mut mine = Vec::new();
    for _ in 0..3 {
        let r = app
            .submit(&token, &application_body(&a, &random_phone()))
            .await;
        mine.push(r.id());
        app.advance(chrono::Duration::seconds(1));
    }
    let (token_b, theirs) = app
        .confirmed(&b, &application_body(&b, &random_phone()))
        .await;
    let code_phone = random_phone();
    let (_, confirmed) = app.confirmed(&a, &application_body(&a, &code_phone)).await;
    mine.push(confirmed.clone());

    let r = list(&app, &token, "/v1/applications").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let listed = ids(&r, "id");
    let expected: Vec<String> = mine.iter().rev().cloned().collect();
    assert_eq!(listed, expected, "newest first, only its own");
    let first = &r.body["items"][0];
    assert_eq!(first["status"], "under_review");
    assert_eq!(first["status_label"], "В обработке");
    for field in [
        "submitted_at",
        "updated_at",
        "expected_completion_at",
        "operator",
        "comment",
    ] {
        assert!(first.get(field).is_some(), "{field}: {first}");
    }
    assert!(!r.text.contains(&theirs));

    // A filter, and pages with a cursor.
    let r = list(&app, &token, "/v1/applications?status=awaiting_otp").await;
    assert_eq!(
        ids(&r, "id"),
        mine[..3].iter().rev().cloned().collect::<Vec<_>>()
    );
    let page1 = list(&app, &token, "/v1/applications?limit=3").await;
    assert_eq!(ids(&page1, "id").len(), 3);
    let cursor = page1.body["next_cursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!cursor.is_empty(), "{}", page1.text);
    let page2 = list(
        &app,
        &token,
        &format!("/v1/applications?limit=3&cursor={cursor}"),
    )
    .await;
    assert_eq!(ids(&page2, "id"), vec![mine[0].clone()]);
    assert_eq!(page2.body["next_cursor"], Value::Null);

    // Another organization's cursor, or another listing's, is refused; so are bad filters.
    let r = list(&app, &token_b, &format!("/v1/applications?cursor={cursor}")).await;
    assert_eq!(
        (r.status, r.field_errors()),
        (
            422,
            vec![("cursor".to_owned(), "invalid_parameter".to_owned())]
        ),
        "{}",
        r.text
    );
    let r = list(&app, &token, &format!("/v1/numbers?cursor={cursor}")).await;
    assert_eq!(r.status, 422, "{}", r.text);
    for bad in ["?status=nonsense", "?limit=0", "?limit=101", "?color=red"] {
        let r = list(&app, &token, &format!("/v1/applications{bad}")).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.text);
    }
    let r = list(&app, &token_b, "/v1/applications").await;
    assert_eq!(ids(&r, "id"), vec![theirs]);
    assert_eq!(
        list(&app, &operator_token(), "/v1/applications")
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn an_organization_lists_the_numbers_it_holds() {
    let app = TestApp::spawn().await;
    let (a, b) = (Org::random(), Org::random());
    let (active_phone, pending_phone, released_phone) =
        (random_phone(), random_phone(), random_phone());
    let (token, _) = app.active_number(&a, &active_phone).await;
    app.advance(chrono::Duration::seconds(1));
    app.submit(&token, &application_body(&a, &pending_phone))
        .await;
    app.advance(chrono::Duration::seconds(1));
    app.active_number(&a, &released_phone).await;
    app.deactivate(&token, &released_phone, "other").await;
    let other = random_phone();
    let (token_b, _) = app.active_number(&b, &other).await;

    let r = list(&app, &token, "/v1/numbers").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        ids(&r, "phone"),
        vec![
            released_phone.clone(),
            pending_phone.clone(),
            active_phone.clone()
        ]
    );
    let states: Vec<&str> = r.body["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["state"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(states, ["deactivated", "pending", "active"]);
    assert_eq!(
        r.body["items"][2]["employee"]["snils_masked"],
        "***-***-445 95"
    );
    assert!(!r.text.contains(&other));
    let r = list(&app, &token, "/v1/numbers?state=active").await;
    assert_eq!(ids(&r, "phone"), vec![active_phone.clone()]);

    // Once another organization takes the released number, it leaves this list.
    app.advance(chrono::Duration::seconds(1));
    let (_, _) = app.active_number(&b, &released_phone).await;
    let r = list(&app, &token, "/v1/numbers").await;
    assert_eq!(ids(&r, "phone"), vec![pending_phone, active_phone]);
    let r = list(&app, &token_b, "/v1/numbers").await;
    assert_eq!(ids(&r, "phone"), vec![released_phone, other]);

    // A pending application past its 24 hours no longer holds its number.
    app.advance(chrono::Duration::hours(25));
    let r = list(&app, &token, "/v1/numbers?state=pending").await;
    assert!(ids(&r, "phone").is_empty(), "{}", r.text);
}
