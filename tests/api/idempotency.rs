use corpnum_tests::*;

#[tokio::test]
async fn a_retry_with_the_same_key_replays_the_response_without_a_second_sms() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let token = org_token(&org);
    let phone = random_phone();
    let body = application_body(&org, &phone);

    let first = app.submit_with_key(&token, "key-1", &body).await;
    let second = app.submit_with_key(&token, "key-1", &body).await;

    assert_eq!(first.status, 201);
    assert_eq!(second.status, 201);
    assert_eq!(second.body, first.body);
    assert_eq!(second.header("location"), first.header("location"));
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.sms_to(&phone).await.len(), 1);
}

#[tokio::test]
async fn key_order_and_spacing_do_not_change_the_request() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let token = org_token(&org);
    let body = application_body(&org, &random_phone());
    let first = app.submit_with_key(&token, "k", &body).await;
    let reordered = serde_json::to_string_pretty(&body)
        .unwrap_or_default()
        .replace("\"phone\"", "  \"phone\"");
    let rb = app
        .request(reqwest::Method::POST, "/v1/applications", Some(&token))
        .header("Idempotency-Key", "k")
        .header("content-type", "application/json")
        .body(reordered);
    let second = app.send(rb).await;
    assert_eq!((second.status, &second.body), (201, &first.body));
}

#[tokio::test]
async fn the_same_key_with_another_body_is_refused() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let token = org_token(&org);
    assert_eq!(
        app.submit_with_key(&token, "key-2", &application_body(&org, &random_phone()))
            .await
            .status,
        201
    );
    let other_phone = random_phone();
    let r = app
        .submit_with_key(&token, "key-2", &application_body(&org, &other_phone))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    assert!(app.sms_to(&other_phone).await.is_empty());
}

#[tokio::test]
async fn keys_are_scoped_per_organization() {
    let app = TestApp::spawn().await;
    let (a, b) = (Org::sample(), Org::random());
    let r1 = app
        .submit_with_key(
            &org_token(&a),
            "shared",
            &application_body(&a, &random_phone()),
        )
        .await;
    let r2 = app
        .submit_with_key(
            &org_token(&b),
            "shared",
            &application_body(&b, &random_phone()),
        )
        .await;
    assert_eq!((r1.status, r2.status), (201, 201));
    assert_ne!(r1.body["id"], r2.body["id"]);
}

#[tokio::test]
async fn keys_expire_after_24_hours() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let token = org_token(&org);
    assert_eq!(
        app.submit_with_key(&token, "old", &application_body(&org, &random_phone()))
            .await
            .status,
        201
    );
    app.advance(chrono::Duration::hours(25));
    let r = app
        .submit_with_key(&token, "old", &application_body(&org, &random_phone()))
        .await;
    assert_eq!(r.status, 201, "an expired key is a new request: {}", r.text);
}

#[tokio::test]
async fn concurrent_retries_with_one_key_create_one_application() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let token = org_token(&org);
    let phone = random_phone();
    let body = application_body(&org, &phone);
    let tries = (0..6).map(|_| app.submit_with_key(&token, "race", &body));
    let responses = futures_join(tries).await;
    let ids: std::collections::HashSet<String> = responses
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.id())
        .collect();
    assert_eq!(ids.len(), 1, "one application");
    for r in &responses {
        assert!(
            r.status == 201 || (r.status == 409 && r.body["code"] == "request_in_progress"),
            "{} {}",
            r.status,
            r.text
        );
    }
    assert_eq!(app.sms_to(&phone).await.len(), 1);
}

async fn futures_join<F: std::future::Future<Output = Response>>(
    futures: impl Iterator<Item = F>,
) -> Vec<Response> {
    let handles: Vec<_> = futures.collect();
    let mut out = Vec::new();
    let results = join_all(handles).await;
    out.extend(results);
    out
}

/// Runs futures concurrently on this task.
pub async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if results[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}
