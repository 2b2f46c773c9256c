use corpnum_tests::*;

#[tokio::test]
async fn application_view_masks_the_snils_and_labels_the_status() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let token = org_token(&org);
    let phone = random_phone();
    let id = app
        .submit(&token, &application_body(&org, &phone))
        .await
        .id();

    let r = app.application(&token, &id).await;

    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "awaiting_otp");
    assert_eq!(r.body["status_label"], "Ожидает подтверждения кода");
    assert_eq!(r.body["employee"]["snils_masked"], "***-***-445 95");
    assert!(!r.text.contains("11223344595") && !r.text.contains("112-233-445"));
    assert_eq!(r.body["organization"]["inn"], org.inn.as_str());
    assert_eq!(r.body["history"][0]["to"], "awaiting_otp");
    assert_eq!(
        r.body["history"][0]["actor"],
        format!("applicant:rep-{}", org.inn)
    );
    assert!(
        r.body.get("support").is_none(),
        "support contacts only when action is needed"
    );
    for field in [
        "submitted_at",
        "updated_at",
        "expected_completion_at",
        "operator",
        "comment",
        "rejection_reason",
        "documents_required",
    ] {
        assert!(r.body.get(field).is_some(), "{field}");
    }
}

#[tokio::test]
async fn number_view_carries_its_version_as_etag() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let token = org_token(&org);
    let phone = random_phone();
    let id = app
        .submit(&token, &application_body(&org, &phone))
        .await
        .id();

    for spelling in [
        phone.clone(),
        phone.replace('+', "%2B"),
        phone[1..].to_owned(),
    ] {
        let path = format!("/v1/numbers/{spelling}");
        let r = app
            .send(app.request(reqwest::Method::GET, &path, Some(&token)))
            .await;
        assert_eq!(r.status, 200, "{spelling}: {}", r.text);
        assert_eq!(r.body["state"], "pending");
        assert_eq!(r.body["application_id"], id.as_str());
        let version = r.body["version"].as_u64().unwrap_or(0);
        assert_eq!(r.header("etag"), Some(format!("\"{version}\"").as_str()));
    }
    let r = app
        .send(app.request(reqwest::Method::GET, "/v1/numbers/8916abc", Some(&token)))
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(app.number(&token, &random_phone()).await.status, 404);
}

#[tokio::test]
async fn other_organizations_see_nothing_and_operators_see_everything() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let id = app
        .submit(&org_token(&org), &application_body(&org, &phone))
        .await
        .id();
    let other = org_token(&Org::random());

    let r = app.application(&other, &id).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("not_found"))
    );
    assert_eq!(app.number(&other, &phone).await.status, 404);
    assert_eq!(
        app.application(&other, &uuid::Uuid::new_v4().to_string())
            .await
            .status,
        404,
        "same answer as for a missing one"
    );

    assert_eq!(app.application(&operator_token(), &id).await.status, 200);
    assert_eq!(app.number(&operator_token(), &phone).await.status, 200);
    let no_scope = token(Some(&org.inn), "profile", "x");
    assert_eq!(app.application(&no_scope, &id).await.status, 403);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let r = app
        .send(
            app.request(reqwest::Method::GET, "/v1/applications/x", None)
                .header("X-Request-Id", "client-abc-1"),
        )
        .await;
    assert_eq!(r.header("x-request-id"), Some("client-abc-1"));
    assert_eq!(r.body["request_id"], "client-abc-1");
    let r = app
        .send(
            app.request(reqwest::Method::GET, "/v1/applications/x", None)
                .header("X-Request-Id", "bad id with spaces"),
        )
        .await;
    let generated = r.header("x-request-id").unwrap_or_default();
    assert!(!generated.is_empty() && generated != "bad id with spaces");
    let r = app
        .send(app.request(reqwest::Method::GET, "/v1/nowhere", None))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("not_found"))
    );
    assert!(r.header("x-request-id").is_some());
    let r = app
        .send(app.request(reqwest::Method::DELETE, "/v1/applications", None))
        .await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn health_reports_the_dependencies() {
    let app = TestApp::spawn().await;
    let r = app
        .send(app.request(reqwest::Method::GET, "/health", None))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "ok");
}
