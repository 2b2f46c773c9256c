use chrono::Duration;
use corpnum_tests::*;

async fn submitted(app: &TestApp) -> (String, String, String) {
    let org = Org::sample();
    let phone = random_phone();
    let r = app
        .submit(&org_token(&org), &application_body(&org, &phone))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    (org_token(&org), r.id(), phone)
}

fn wrong(code: &str) -> String {
    let d = code.as_bytes()[0] - b'0';
    format!("{}{}", (d + 1) % 10, &code[1..])
}

#[tokio::test]
async fn the_right_code_starts_the_review() {
    let app = TestApp::spawn().await;
    let (token, id, phone) = submitted(&app).await;
    let code = app.last_code(&phone).await;

    let r = app.verify(&token, &id, &code).await;

    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "under_review");
    let eta = chrono::DateTime::parse_from_rfc3339(
        r.body["expected_completion_at"]
            .as_str()
            .unwrap_or_default(),
    )
    .map(|t| t.with_timezone(&chrono::Utc));
    let minutes = eta.map(|t| (t - app.now()).num_minutes()).unwrap_or(-1);
    assert!(
        (29..=30).contains(&minutes),
        "automatic review promised in 30 minutes, got {minutes}"
    );
    let queued = app.review_messages().await;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["application_id"], id.as_str());
    let status = app.application(&token, &id).await;
    assert_eq!(status.body["status"], "under_review");
    assert_eq!(status.body["history"].as_array().map(Vec::len), Some(2));
    assert_eq!(status.body["history"][1]["from"], "awaiting_otp");
    // Single use: the same code again is refused as the application moved on.
    let r = app.verify(&token, &id, &code).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("invalid_state"))
    );
}

#[tokio::test]
async fn wrong_codes_count_down_then_spend_the_code() {
    let app = TestApp::spawn().await;
    let (token, id, phone) = submitted(&app).await;
    let code = app.last_code(&phone).await;

    let r = app.verify(&token, &id, &wrong(&code)).await;
    assert_eq!(
        (
            r.status,
            r.body["code"].as_str(),
            r.body["attempts_left"].as_u64()
        ),
        (422, Some("otp_invalid"), Some(2))
    );
    let r = app.verify(&token, &id, &wrong(&code)).await;
    assert_eq!(r.body["attempts_left"], 1);
    let r = app.verify(&token, &id, &wrong(&code)).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (423, Some("otp_attempts_exceeded"))
    );
    let r = app.verify(&token, &id, &code).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (423, Some("otp_attempts_exceeded")),
        "even the right code is spent"
    );

    // A new code works.
    app.advance(Duration::seconds(120));
    assert_eq!(app.resend(&token, &id).await.status, 202);
    let fresh = app.last_code(&phone).await;
    assert_eq!(app.verify(&token, &id, &fresh).await.status, 200);
}

#[tokio::test]
async fn codes_expire_after_five_minutes() {
    let app = TestApp::spawn().await;
    let (token, id, phone) = submitted(&app).await;
    let code = app.last_code(&phone).await;
    app.advance(Duration::minutes(5));
    let r = app.verify(&token, &id, &code).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (410, Some("otp_expired"))
    );
}

#[tokio::test]
async fn resend_waits_two_minutes_and_replaces_the_code() {
    let app = TestApp::spawn().await;
    let (token, id, phone) = submitted(&app).await;
    let old = app.last_code(&phone).await;

    app.advance(Duration::seconds(30));
    let r = app.resend(&token, &id).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (429, Some("resend_too_early"))
    );
    assert_eq!(r.header("retry-after"), Some("90"));

    app.advance(Duration::seconds(90));
    let r = app.resend(&token, &id).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body["otp"]["attempts_left"], 3);
    assert_eq!(app.sms_to(&phone).await.len(), 2);
    let new = app.last_code(&phone).await;
    if new != old {
        let r = app.verify(&token, &id, &old).await;
        assert_eq!(r.status, 422, "the old code stopped working");
    }
    assert_eq!(app.verify(&token, &id, &new).await.status, 200);
}

#[tokio::test]
async fn five_sends_per_application() {
    let app = TestApp::spawn().await;
    let (token, id, _) = submitted(&app).await;
    for _ in 0..4 {
        app.advance(Duration::seconds(120));
        assert_eq!(app.resend(&token, &id).await.status, 202);
    }
    app.advance(Duration::seconds(120));
    let r = app.resend(&token, &id).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (429, Some("rate_limited"))
    );
    assert!(r.header("retry-after").is_some());
}

#[tokio::test]
async fn ten_wrong_codes_lock_the_application_for_good() {
    let app = TestApp::spawn().await;
    let (token, id, phone) = submitted(&app).await;
    let mut statuses = Vec::new();
    for round in 0..4 {
        if round > 0 {
            app.advance(Duration::seconds(120));
            assert_eq!(app.resend(&token, &id).await.status, 202);
        }
        let code = app.last_code(&phone).await;
        for _ in 0..3 {
            let r = app.verify(&token, &id, &wrong(&code)).await;
            statuses.push(r.status);
            if statuses.len() == 10 {
                break;
            }
        }
    }
    assert_eq!(statuses, [422, 422, 423, 422, 422, 423, 422, 422, 423, 423]);
    app.advance(Duration::seconds(120));
    let r = app.resend(&token, &id).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (423, Some("otp_attempts_exceeded"))
    );
}

#[tokio::test]
async fn code_format_is_validated() {
    let app = TestApp::spawn().await;
    let (token, id, _) = submitted(&app).await;
    for bad in [
        serde_json::json!({"code": "12345"}),
        serde_json::json!({"code": 123456}),
        serde_json::json!({}),
    ] {
        let r = app
            .post_json(&format!("/v1/applications/{id}/otp"), Some(&token), &bad)
            .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (422, Some("validation_failed")),
            "{bad}"
        );
    }
    let r = app.verify(&token, &id, "000000").await;
    assert_eq!(
        r.body["attempts_left"], 2,
        "format errors do not use up attempts, wrong codes do"
    );
}

#[tokio::test]
async fn another_organization_cannot_confirm_or_resend() {
    let app = TestApp::spawn().await;
    let (_, id, phone) = submitted(&app).await;
    let other = org_token(&Org::random());
    let code = app.last_code(&phone).await;
    assert_eq!(app.verify(&other, &id, &code).await.status, 404);
    assert_eq!(app.resend(&other, &id).await.status, 404);
    assert_eq!(app.verify(&operator_token(), &id, &code).await.status, 403);
    let r = app.verify(&other, "not-a-uuid", &code).await;
    assert_eq!(r.status, 404);
}
