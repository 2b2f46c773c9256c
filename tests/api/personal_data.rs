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
