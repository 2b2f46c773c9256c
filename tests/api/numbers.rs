use chrono::Duration;
use corpnum_tests::*;
use serde_json::json;

use crate::idempotency::join_all;

#[tokio::test]
async fn deactivation_is_confirmed_by_sms_and_frees_the_number() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let (token, _) = app.active_number(&org, &phone).await;

    let r = app
        .request_deactivation(
            &token,
            &phone,
            &json!({ "reason": "division_closed", "comment": "Отдел закрыт" }),
        )
        .await;

    assert_eq!(r.status, 202, "{}", r.text);
    let deactivation_id = r.deactivation_id();
    assert_eq!(r.body["otp"]["attempts_left"], 3);
    assert_eq!(
        app.codes_to(&phone).await.len(),
        2,
        "activation and deactivation codes"
    );
    let code = app.last_code(&phone).await;
    let r = app
        .confirm_deactivation(
            &token,
            &phone,
            &json!({ "deactivation_id": deactivation_id, "code": code }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for field in [
        "act_number",
        "phone",
        "organization_inn",
        "reason",
        "deactivated_at",
        "deactivated_by",
    ] {
        assert!(!r.body[field].is_null(), "{field} in {}", r.text);
    }
    assert_eq!(r.body["reason"], "division_closed");

    let number = app.number(&token, &phone).await;
    assert_eq!(number.body["state"], "deactivated");
    let act = number.body["history"]
        .as_array()
        .and_then(|h| h.iter().find_map(|e| e["act"].as_object().cloned()));
    assert_eq!(
        act.map(|a| a["act_number"].clone()),
        Some(r.body["act_number"].clone()),
        "the act stays in the number's history"
    );

    let other = Org::random();
    let r = app
        .submit(&org_token(&other), &application_body(&other, &phone))
        .await;
    assert_eq!(
        r.status, 201,
        "a deactivated number can be applied for again: {}",
        r.text
    );
}

#[tokio::test]
async fn deactivation_codes_follow_the_code_policy() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let (token, _) = app.active_number(&org, &phone).await;
    let r = app
        .request_deactivation(&token, &phone, &json!({ "reason": "other" }))
        .await;
    let id = r.deactivation_id();
    let code = app.last_code(&phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    let r = app
        .request_deactivation(&token, &phone, &json!({ "reason": "other" }))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (429, Some("resend_too_early"))
    );
    assert!(r.header("retry-after").is_some());

    let confirm = |c: &str| json!({ "deactivation_id": id, "code": c });
    let r = app
        .confirm_deactivation(&token, &phone, &confirm(wrong))
        .await;
    assert_eq!((r.status, r.body["attempts_left"].as_u64()), (422, Some(2)));
    app.confirm_deactivation(&token, &phone, &confirm(wrong))
        .await;
    let r = app
        .confirm_deactivation(&token, &phone, &confirm(wrong))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (423, Some("otp_attempts_exceeded"))
    );
    let r = app
        .confirm_deactivation(&token, &phone, &confirm(&code))
        .await;
    assert_eq!(r.status, 423, "the code is spent");
    assert_eq!(app.number(&token, &phone).await.body["state"], "active");

    // A new request, after the cooldown, gets a fresh code.
    app.advance(Duration::seconds(120));
    let r = app
        .request_deactivation(&token, &phone, &json!({ "reason": "other" }))
        .await;
    assert_eq!(r.status, 202);
    let id2 = r.deactivation_id();
    app.advance(Duration::minutes(5));
    let code2 = app.last_code(&phone).await;
    let r = app
        .confirm_deactivation(
            &token,
            &phone,
            &json!({ "deactivation_id": id2, "code": code2 }),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (410, Some("otp_expired"))
    );
}

#[tokio::test]
async fn only_the_owner_of_an_active_number_deactivates_it() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let token = org_token(&org);
    app.submit(&token, &application_body(&org, &phone)).await;
    let body = json!({ "reason": "operator_change" });

    let r = app.request_deactivation(&token, &phone, &body).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("invalid_state")),
        "still pending"
    );
    assert_eq!(
        app.request_deactivation(&org_token(&Org::random()), &phone, &body)
            .await
            .status,
        404
    );
    assert_eq!(
        app.request_deactivation(&operator_token(), &phone, &body)
            .await
            .status,
        403
    );
    let r = app
        .request_deactivation(&token, &phone, &json!({ "reason": "bored" }))
        .await;
    assert_eq!(
        r.field_errors(),
        vec![("reason".to_owned(), "invalid_value".to_owned())]
    );
    let r = app
        .confirm_deactivation(
            &token,
            &phone,
            &json!({ "deactivation_id": "x", "code": "12" }),
        )
        .await;
    assert_eq!(r.field_errors().len(), 2, "{}", r.text);
}

#[tokio::test]
async fn a_policy_violation_sends_the_next_application_to_manual_review() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let (token, _) = app.active_number(&org, &phone).await;
    let r = app
        .request_deactivation(&token, &phone, &json!({ "reason": "policy_violation" }))
        .await;
    let id = r.deactivation_id();
    let code = app.last_code(&phone).await;
    assert_eq!(
        app.confirm_deactivation(
            &token,
            &phone,
            &json!({ "deactivation_id": id, "code": code })
        )
        .await
        .status,
        200
    );

    let other = Org::random();
    let (other_token, other_id) = app
        .confirmed(&other, &signed_body(&other, &phone, "2099-01-01"))
        .await;
    app.run_review_worker().await;

    let status = app.application(&other_token, &other_id).await;
    assert_eq!(
        status.body["status"], "manual_review",
        "a signature alone does not clear a recent violation"
    );
    for trace_of_the_earlier_holder in ["нарушение", "policy_violation", org.inn.as_str()]
    {
        assert!(
            !status.text.contains(trace_of_the_earlier_holder),
            "the new applicant learns nothing of the earlier holder: {}",
            status.text
        );
    }
    let operator_view = app.number(&operator_token(), &phone).await;
    assert!(
        operator_view.text.contains("policy_violation"),
        "operators find the reason in the number's history"
    );
}

#[tokio::test]
async fn rebinding_needs_the_current_version() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let (token, _) = app.active_number(&org, &phone).await;
    let number = app.number(&token, &phone).await;
    let etag = number.header("etag").unwrap_or_default().to_owned();
    let new_employee = json!({ "snils": "006-996-682 00", "full_name": "Петрова Анна Сергеевна" });

    let r = app.rebind(&token, &phone, None, &new_employee).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (428, Some("precondition_required"))
    );
    let r = app
        .rebind(&token, &phone, Some("\"999\""), &new_employee)
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (412, Some("precondition_failed"))
    );
    let same = json!({ "snils": "112-233-445 95", "full_name": "Иванов Иван Иванович" });
    let r = app.rebind(&token, &phone, Some(&etag), &same).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("invalid_state"))
    );
    let r = app
        .rebind(
            &token,
            &phone,
            Some(&etag),
            &json!({ "snils": "1", "full_name": "Я" }),
        )
        .await;
    assert_eq!(r.field_errors().len(), 2, "{}", r.text);
    assert_eq!(
        app.rebind(
            &org_token(&Org::random()),
            &phone,
            Some(&etag),
            &new_employee
        )
        .await
        .status,
        404
    );

    let r = app.rebind(&token, &phone, Some(&etag), &new_employee).await;

    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["message"], "Привязка обновлена");
    assert_eq!(r.body["employee"]["snils_masked"], "***-***-682 00");
    let new_etag = r.header("etag").unwrap_or_default().to_owned();
    assert_ne!(new_etag, etag);
    assert_eq!(
        app.number(&token, &phone).await.header("etag"),
        Some(new_etag.as_str())
    );
    let r = app.rebind(&token, &phone, Some(&etag), &same).await;
    assert_eq!(r.status, 412, "the old version is stale now");
}

#[tokio::test]
async fn concurrent_rebinds_with_one_version_have_one_winner() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let (token, _) = app.active_number(&org, &phone).await;
    let etag = app
        .number(&token, &phone)
        .await
        .header("etag")
        .unwrap_or_default()
        .to_owned();
    let employees = [
        json!({ "snils": "006-996-682 00", "full_name": "Петрова Анна" }),
        json!({ "snils": "001-001-998 00", "full_name": "Сидоров Пётр" }),
        json!({ "snils": "006-996-682 00", "full_name": "Петрова Анна Сергеевна" }),
        json!({ "snils": "001-001-998 00", "full_name": "Сидоров Пётр Ильич" }),
    ];

    let responses = join_all(
        employees
            .iter()
            .map(|e| app.rebind(&token, &phone, Some(&etag), e))
            .collect(),
    )
    .await;

    assert_eq!(responses.iter().filter(|r| r.status == 200).count(), 1);
    assert!(
        responses
            .iter()
            .filter(|r| r.status != 200)
            .all(|r| r.status == 412),
        "{:?}",
        responses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
}

/// SPEC 4.4: at most 10 codes per number per day, whatever asks for them: activation
/// codes, deactivation codes, and another organization's application for the number.
#[tokio::test]
async fn a_number_gets_at_most_ten_codes_a_day() {
    let app = TestApp::spawn().await;
    let day_start = app
        .now()
        .date_naive()
        .and_hms_opt(0, 5, 0)
        .map(|t| t.and_utc())
        .unwrap_or_else(|| app.now());
    app.clock.set(day_start);
    let org = Org::sample();
    let phone = random_phone();
    let token = org_token(&org);
    let id = app
        .submit(&token, &signed_body(&org, &phone, "2099-12-31"))
        .await
        .id();
    for i in 2..=5 {
        app.advance(Duration::seconds(120));
        let r = app.resend(&token, &id).await;
        assert_eq!(r.status, 202, "code {i}: {}", r.text);
    }
    let code = app.last_code(&phone).await;
    assert_eq!(app.verify(&token, &id, &code).await.status, 200);
    app.run_review_worker().await;
    assert_eq!(app.number(&token, &phone).await.body["state"], "active");

    let mut deactivation_id = String::new();
    for i in 6..=10 {
        app.advance(Duration::seconds(120));
        let r = app
            .request_deactivation(&token, &phone, &json!({ "reason": "other" }))
            .await;
        assert_eq!(r.status, 202, "code {i}: {}", r.text);
        deactivation_id = r.deactivation_id();
    }
    assert_eq!(app.codes_to(&phone).await.len(), 10);
    let code = app.last_code(&phone).await;
    let r = app
        .confirm_deactivation(
            &token,
            &phone,
            &json!({ "deactivation_id": deactivation_id, "code": code }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // The number is free, but it has had its ten codes today.
    let other = Org::random();
    let r = app
        .submit(&org_token(&other), &application_body(&other, &phone))
        .await;

    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (429, Some("rate_limited")),
        "{}",
        r.text
    );
    let retry: i64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let to_midnight = (day_start
        .date_naive()
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .unwrap_or(day_start)
        - app.now())
    .num_seconds();
    assert!(
        (to_midnight - 1..=to_midnight + 1).contains(&retry),
        "Retry-After {retry}, midnight in {to_midnight}"
    );
    assert_eq!(app.codes_to(&phone).await.len(), 10);
}

/// SPEC 4.6: one live code per number; of concurrent requests, one sends a code.
#[tokio::test]
async fn concurrent_deactivation_requests_send_one_code() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let phone = random_phone();
    let (token, _) = app.active_number(&org, &phone).await;
    let body = json!({ "reason": "other" });

    let responses = join_all(
        (0..6)
            .map(|_| app.request_deactivation(&token, &phone, &body))
            .collect(),
    )
    .await;

    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        1,
        "{statuses:?}"
    );
    for r in responses.iter().filter(|r| r.status != 202) {
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (429, Some("resend_too_early")),
            "{}",
            r.text
        );
        assert!(r.header("retry-after").is_some());
    }
    assert_eq!(
        app.codes_to(&phone).await.len(),
        2,
        "the activation code and one more"
    );
}

/// A new request replaces the previous one: its code no longer works.
#[tokio::test]
async fn a_new_deactivation_request_replaces_the_previous_code() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let phone = random_phone();
    let (token, _) = app.active_number(&org, &phone).await;
    let first = app
        .request_deactivation(&token, &phone, &json!({ "reason": "other" }))
        .await;
    let first_id = first.deactivation_id();
    let first_code = app.last_code(&phone).await;
    app.advance(Duration::seconds(120));
    let second = app
        .request_deactivation(&token, &phone, &json!({ "reason": "division_closed" }))
        .await;
    assert_eq!(second.status, 202, "{}", second.text);
    let second_id = second.deactivation_id();
    let second_code = app.last_code(&phone).await;

    for (id, code) in [(&first_id, &first_code), (&first_id, &second_code)] {
        let r = app
            .confirm_deactivation(
                &token,
                &phone,
                &json!({ "deactivation_id": id, "code": code }),
            )
            .await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (410, Some("otp_expired")),
            "{}",
            r.text
        );
    }
    let unknown = app
        .confirm_deactivation(
            &token,
            &phone,
            &json!({ "deactivation_id": uuid::Uuid::new_v4(), "code": second_code }),
        )
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(app.number(&token, &phone).await.body["state"], "active");
    let r = app
        .confirm_deactivation(
            &token,
            &phone,
            &json!({ "deactivation_id": second_id, "code": second_code }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["reason"], "division_closed");
}

/// Wrong codes add up per number across requests; ten lock the number's codes for the day.
#[tokio::test]
async fn wrong_deactivation_codes_add_up_per_number() {
    let app = TestApp::spawn().await;
    let day_start = app
        .now()
        .date_naive()
        .and_hms_opt(0, 5, 0)
        .map(|t| t.and_utc())
        .unwrap_or_else(|| app.now());
    app.clock.set(day_start);
    let org = Org::random();
    let phone = random_phone();
    let (token, _) = app.active_number(&org, &phone).await;
    let mut wrong_tries = 0;
    let mut last = None;
    for _ in 0..4 {
        app.advance(Duration::seconds(120));
        let r = app
            .request_deactivation(&token, &phone, &json!({ "reason": "other" }))
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
        let id = r.deactivation_id();
        let code = app.last_code(&phone).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..3 {
            if wrong_tries == 10 {
                break;
            }
            let r = app
                .confirm_deactivation(
                    &token,
                    &phone,
                    &json!({ "deactivation_id": id, "code": wrong }),
                )
                .await;
            wrong_tries += 1;
            last = Some((r, id.clone(), code.clone()));
        }
    }
    let (r, id, code) = last.unwrap_or_else(|| panic!("no tries"));
    assert_eq!(wrong_tries, 10);
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (423, Some("otp_attempts_exceeded")),
        "{}",
        r.text
    );
    let right = app
        .confirm_deactivation(
            &token,
            &phone,
            &json!({ "deactivation_id": id, "code": code }),
        )
        .await;
    assert_eq!(right.status, 423, "the right code no longer works either");

    app.advance(Duration::seconds(120));
    let again = app
        .request_deactivation(&token, &phone, &json!({ "reason": "other" }))
        .await;
    assert_eq!(
        (again.status, again.body["code"].as_str()),
        (423, Some("otp_attempts_exceeded")),
        "{}",
        again.text
    );
    let retry: i64 = again
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let midnight = (day_start
        .date_naive()
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0)))
    .map(|t| t.and_utc())
    .unwrap_or(day_start);
    assert!(
        (retry - (midnight - app.now()).num_seconds()).abs() <= 1,
        "Retry-After {retry}"
    );
    assert_eq!(app.number(&token, &phone).await.body["state"], "active");

    // A new day, a new count.
    app.clock.set(midnight + Duration::minutes(1));
    let next_day = app
        .request_deactivation(&token, &phone, &json!({ "reason": "other" }))
        .await;
    assert_eq!(next_day.status, 202, "{}", next_day.text);
}

/// A confirm applies only to the binding it was requested for.
#[tokio::test]
async fn a_deactivation_request_does_not_outlive_its_binding() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let phone = random_phone();
    let (token, _) = app.active_number(&org, &phone).await;
    let r = app
        .request_deactivation(&token, &phone, &json!({ "reason": "other" }))
        .await;
    let id = r.deactivation_id();
    let code = app.last_code(&phone).await;
    let etag = app
        .number(&token, &phone)
        .await
        .header("etag")
        .unwrap_or_default()
        .to_owned();
    let rebound = app
        .rebind(
            &token,
            &phone,
            Some(&etag),
            &json!({ "snils": "006-996-682 00", "full_name": "Петрова Анна" }),
        )
        .await;
    assert_eq!(rebound.status, 200, "{}", rebound.text);

    let r = app
        .confirm_deactivation(
            &token,
            &phone,
            &json!({ "deactivation_id": id, "code": code }),
        )
        .await;

    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("invalid_state")),
        "{}",
        r.text
    );
    let number = app.number(&token, &phone).await;
    assert_eq!(number.body["state"], "active");
    assert_eq!(number.body["employee"]["full_name"], "Петрова Анна");
}
