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

/// The request with this key died after its transaction (its response never stored):
/// the record is put back as the crash left it, in progress.
async fn crash_after_transaction(app: &TestApp) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let client = &app.world.clients.dynamodb;
    let items = client
        .scan()
        .table_name(app.table())
        .filter_expression("kind = :k")
        .expression_attribute_values(":k", AttributeValue::S("idempotency".into()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("scan: {e:?}"))
        .items
        .unwrap_or_default();
    assert_eq!(items.len(), 1);
    let key = |k: &str| {
        items[0]
            .get(k)
            .cloned()
            .unwrap_or(AttributeValue::Null(true))
    };
    client
        .update_item()
        .table_name(app.table())
        .key("pk", key("pk"))
        .key("sk", key("sk"))
        .update_expression("SET #state = :p REMOVE #response")
        .expression_attribute_names("#state", "state")
        .expression_attribute_names("#response", "response")
        .expression_attribute_values(":p", AttributeValue::S("in_progress".into()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("update: {e:?}"));
}

/// SPEC 4.9: a retry after a crash gets the application its first try created, never
/// `application_in_progress` about its own request, whether or not the store returns
/// the conflicting item with a cancelled transaction.
#[tokio::test]
async fn a_retry_after_a_crash_gets_its_own_application() {
    for returns_items in [true, false] {
        let app = TestApp::spawn_with(|s| s.store_returns_items = returns_items, |_| {}).await;
        let org = Org::random();
        let token = org_token(&org);
        let phone = random_phone();
        let body = application_body(&org, &phone);
        let first = app.submit_with_key(&token, "crash-1", &body).await;
        assert_eq!(first.status, 201, "{}", first.text);
        crash_after_transaction(&app).await;

        let soon = app.submit_with_key(&token, "crash-1", &body).await;
        assert_eq!(
            (soon.status, soon.body["code"].as_str()),
            (409, Some("request_in_progress")),
            "the first may still be running ({returns_items}): {}",
            soon.text
        );
        app.advance(chrono::Duration::seconds(61));
        let retry = app.submit_with_key(&token, "crash-1", &body).await;

        assert_eq!(retry.status, 201, "{returns_items}: {}", retry.text);
        assert_eq!(retry.body["id"], first.body["id"]);
        assert_eq!(retry.header("location"), first.header("location"));
        assert_eq!(retry.header("idempotent-replayed"), Some("true"));
        let again = app.submit_with_key(&token, "crash-1", &body).await;
        assert_eq!(
            (again.status, &again.body),
            (201, &retry.body),
            "now stored"
        );
        assert_eq!(app.sms_to(&phone).await.len(), 1, "no second code");
        let other_body = application_body(&org, &random_phone());
        let reused = app.submit_with_key(&token, "crash-1", &other_body).await;
        assert_eq!(reused.body["code"], "idempotency_key_reused");
    }
}

/// Refusals name the caller's own application only, whether or not the store returns
/// the conflicting item.
#[tokio::test]
async fn refusals_never_name_another_organizations_application() {
    for returns_items in [true, false] {
        let app = TestApp::spawn_with(|s| s.store_returns_items = returns_items, |_| {}).await;
        let (a, b) = (Org::random(), Org::random());
        let phone = random_phone();
        let first = app
            .submit(&org_token(&a), &application_body(&a, &phone))
            .await;
        let id = first.id();

        let own = app
            .submit(&org_token(&a), &application_body(&a, &phone))
            .await;
        assert_eq!(
            (
                own.status,
                own.body["code"].as_str(),
                own.body["application_id"].as_str()
            ),
            (409, Some("application_in_progress"), Some(id.as_str())),
            "{returns_items}"
        );
        let other = app
            .submit(&org_token(&b), &application_body(&b, &phone))
            .await;
        assert_eq!(
            (other.status, other.body["code"].as_str()),
            (409, Some("number_bound_to_another_organization")),
            "{returns_items}"
        );
        assert!(!other.text.contains(&id), "{}", other.text);
        assert!(other.body.get("application_id").is_none());
    }
}
