use corpnum_tests::*;
use serde_json::json;

/// SPEC 6: phone, SNILS and names appear in logs only masked; codes never.
#[tokio::test]
async fn personal_data_and_codes_never_reach_the_logs() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let token = org_token(&org);
    let phone = random_phone();
    let mut body = application_body(&org, &phone);
    body["employee"] =
        json!({ "snils": "006-996-682 00", "full_name": "Шереметьева Аглая Всеволодовна" });

    let id = app.submit(&token, &body).await.id();
    let code = app.last_code(&phone).await;
    let wrong = if code == "999999" { "000000" } else { "999999" };
    app.verify(&token, &id, wrong).await;
    app.advance(chrono::Duration::seconds(120));
    app.resend(&token, &id).await;
    let code2 = app.last_code(&phone).await;
    assert_eq!(app.verify(&token, &id, &code2).await.status, 200);
    app.application(&token, &id).await;
    app.number(&token, &phone).await;
    // A validation failure echoing bad input must not log it either.
    let mut bad = body.clone();
    bad["phone"] = json!(format!("{phone}0"));
    app.submit(&token, &bad).await;

    let logged = logs();
    assert!(logged.contains(&id), "the flow was logged");
    let national = &phone[2..];
    for secret in [
        national,
        "00699668200",
        "006-996-682",
        "Шереметьева",
        "Аглая",
    ] {
        assert!(!logged.contains(secret), "{secret} leaked into the logs");
    }
    for c in [&code, &code2] {
        assert!(!contains_token(&logged, c), "a code leaked into the logs");
    }
    assert!(
        logged.contains(&format!("+7******{}", &phone[phone.len() - 4..])),
        "masked numbers are logged"
    );
}

/// `needle` standing alone, not inside a longer run of letters or digits (a UUID may
/// contain any six digits by chance).
fn contains_token(haystack: &str, needle: &str) -> bool {
    haystack.match_indices(needle).any(|(i, _)| {
        let before = haystack[..i].chars().next_back();
        let after = haystack[i + needle.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

/// The log lines written while serving the request with this `X-Request-Id`.
fn lines_of(logged: &str, request_id: &str) -> Vec<String> {
    logged
        .lines()
        .filter(|l| l.contains(&format!("\"request_id\":\"{request_id}\"")))
        .map(str::to_owned)
        .collect()
}

/// An SMS service whose error message echoes the destination number, as SNS's can.
struct EchoingSms;

#[async_trait::async_trait]
impl corpnum::ports::SmsSender for EchoingSms {
    async fn send(
        &self,
        to: &corpnum::domain::PhoneNumber,
        _text: &str,
    ) -> Result<(), corpnum::ports::DependencyError> {
        Err(corpnum::ports::DependencyError::new(
            "sns",
            format!(
                "InvalidParameter: Invalid parameter: PhoneNumber Reason: {} is not valid to publish to (8 ({}) {}-{}-{})",
                to.as_ref(),
                &to.as_ref()[2..5],
                &to.as_ref()[5..8],
                &to.as_ref()[8..10],
                &to.as_ref()[10..],
            ),
        ))
    }
}

/// A dependency's error that names the number is scrubbed before it is logged.
#[tokio::test]
async fn a_dependency_error_echoing_the_number_is_scrubbed() {
    let app = TestApp::spawn_with(|_| {}, |s| s.sms = std::sync::Arc::new(EchoingSms)).await;
    let org = Org::random();
    let phone = random_phone();
    let request_id = format!("sms-echo-{}", uuid::Uuid::new_v4().simple());
    let r = app
        .send(
            app.request(
                reqwest::Method::POST,
                "/v1/applications",
                Some(&org_token(&org)),
            )
            .header("X-Request-Id", &request_id)
            .json(&application_body(&org, &phone)),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["otp"]["delivery"], "failed");

    let logged = logs();
    let lines = lines_of(&logged, &request_id);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("code SMS not sent") && l.contains("is not valid to publish")),
        "the failure is logged with its cause: {lines:#?}"
    );
    let national = &phone[2..];
    for spelling in [
        national.to_owned(),
        format!("{}-{}-{}", &national[3..6], &national[6..8], &national[8..]),
    ] {
        assert!(!logged.contains(&spelling), "{spelling} leaked: {lines:#?}");
    }
}

/// Every flow that handles personal data keeps it out of the logs: deactivation, rebind,
/// operator decisions, added documents and the review worker, each tied to the requests
/// (or the application) it logged for.
#[tokio::test]
async fn no_flow_logs_personal_data() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let token = org_token(&org);
    let operator = operator_token();
    let phone = random_phone();
    let mut body = application_body(&org, &phone);
    body["employee"] =
        json!({ "snils": "345-678-912 26", "full_name": "Голицына Ефросинья Карповна" });
    let mut request_ids = Vec::new();
    let mut tagged = |rb: reqwest::RequestBuilder| {
        let id = format!("pii-{}", uuid::Uuid::new_v4().simple());
        request_ids.push(id.clone());
        rb.header("X-Request-Id", id)
    };

    let r = app
        .send(
            tagged(app.request(reqwest::Method::POST, "/v1/applications", Some(&token)))
                .json(&body),
        )
        .await;
    let id = r.id();
    let code = app.last_code(&phone).await;
    let path = format!("/v1/applications/{id}/otp");
    let r = app
        .send(
            tagged(app.request(reqwest::Method::POST, &path, Some(&token)))
                .json(&json!({ "code": code })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.run_review_worker().await;
    let path = format!("/v1/applications/{id}/decision");
    let decision = json!({ "decision": "request_documents", "documents": ["charter"], "comment": "Нужен устав" });
    let r = app
        .send(tagged(app.request(reqwest::Method::POST, &path, Some(&operator))).json(&decision))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let path = format!("/v1/applications/{id}/documents");
    let r = app
        .send(
            tagged(app.request(reqwest::Method::POST, &path, Some(&token)))
                .json(&json!({ "documents": [document("charter")] })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.run_review_worker().await;
    let r = app
        .send(
            tagged(app.request(
                reqwest::Method::POST,
                &format!("/v1/applications/{id}/decision"),
                Some(&operator),
            ))
            .json(&json!({ "decision": "approve" })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let number_path = format!("/v1/numbers/{}", phone.replace('+', "%2B"));
    let r = app
        .send(tagged(app.request(
            reqwest::Method::GET,
            &number_path,
            Some(&token),
        )))
        .await;
    let etag = r.header("etag").unwrap_or_default().to_owned();
    let r = app
        .send(
            tagged(app.request(
                reqwest::Method::PUT,
                &format!("{number_path}/employee"),
                Some(&token),
            ))
            .header("If-Match", etag)
            .json(&json!({ "snils": "456-789-123 44", "full_name": "Оболенский Игнатий Саввич" })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .send(
            tagged(app.request(
                reqwest::Method::POST,
                &format!("{number_path}/deactivation"),
                Some(&token),
            ))
            .json(&json!({ "reason": "other" })),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let deactivation_id = r.deactivation_id();
    let code = app.last_code(&phone).await;
    let r = app
        .send(
            tagged(app.request(
                reqwest::Method::POST,
                &format!("{number_path}/deactivation/confirm"),
                Some(&token),
            ))
            .json(&json!({ "deactivation_id": deactivation_id, "code": code })),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let logged = logs();
    for request_id in &request_ids {
        assert!(
            lines_of(&logged, request_id)
                .iter()
                .any(|l| l.contains("request served")),
            "request {request_id} was logged"
        );
    }
    assert!(
        logged
            .lines()
            .any(|l| l.contains(&id) && l.contains("automatic review applied")),
        "the worker logged its review of {id}"
    );
    let national = &phone[2..];
    for secret in [
        national,
        "34567891226",
        "345-678-912",
        "45678912344",
        "456-789-123",
        "Голицына",
        "Ефросинья",
        "Оболенский",
        "Игнатий",
    ] {
        assert!(!logged.contains(secret), "{secret} leaked into the logs");
    }
    assert!(
        !contains_token(&logged, &code),
        "a code leaked into the logs"
    );
}
