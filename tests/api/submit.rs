use corpnum_tests::*;
use serde_json::{Value, json};

/// Turns a valid body into an invalid one.
type Mutation = Box<dyn Fn(&mut Value)>;

#[tokio::test]
async fn submit_creates_an_application_and_sends_one_code() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let phone = random_phone();
    let national = &phone[2..];
    let mut body = application_body(&org, &phone);
    body["phone"] = json!(format!(
        "8 ({}) {}-{}-{}",
        &national[..3],
        &national[3..6],
        &national[6..8],
        &national[8..]
    ));

    let r = app.submit(&org_token(&org), &body).await;

    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.id();
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/applications/{id}").as_str())
    );
    assert_eq!(r.body["status"], "awaiting_otp");
    assert_eq!(
        r.body["phone"], phone,
        "the number is stored in canonical form"
    );
    assert_eq!(r.body["otp"]["attempts_left"], 3);
    assert_eq!(r.body["otp"]["delivery"], "sent");
    for field in ["expires_at", "resend_available_at"] {
        let at = r.body["otp"][field].as_str().unwrap_or_default();
        assert!(
            chrono::DateTime::parse_from_rfc3339(at).is_ok(),
            "{field}: {at}"
        );
    }
    assert!(r.header("x-request-id").is_some());
    let sms = app.sms_to(&phone).await;
    assert_eq!(sms.len(), 1);
    assert!(corpnum::domain::code_in_sms(&sms[0]).is_some());
    assert!(
        !r.text
            .contains(&corpnum::domain::code_in_sms(&sms[0]).unwrap_or_default()),
        "the code is never returned"
    );
}

#[tokio::test]
async fn an_entrepreneur_can_apply() {
    let app = TestApp::spawn().await;
    let org = Org::entrepreneur();
    let r = app
        .submit(&org_token(&org), &application_body(&org, &random_phone()))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

/// Every field rule of SPEC 2 gives its own code, on its own field.
#[tokio::test]
async fn each_invalid_field_is_reported_with_its_code() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let token = org_token(&org);
    let phone = random_phone();
    let ip = Org::entrepreneur();
    let cases: Vec<(&str, Mutation, &str, &str)> = vec![
        (
            "phone not Russian",
            Box::new(|b| b["phone"] = json!("+1 212 555-01-23")),
            "phone",
            "invalid_phone",
        ),
        (
            "phone missing",
            Box::new(|b| {
                b.as_object_mut().map(|o| o.remove("phone"));
            }),
            "phone",
            "missing_field",
        ),
        (
            "INN check digit",
            Box::new(|b| b["organization"]["inn"] = json!("7707083894")),
            "organization.inn",
            "invalid_inn",
        ),
        (
            "OGRN check digit",
            Box::new(|b| b["organization"]["ogrn"] = json!("1027700132196")),
            "organization.ogrn",
            "invalid_ogrn",
        ),
        (
            "KPP format",
            Box::new(|b| b["organization"]["kpp"] = json!("77360100X")),
            "organization.kpp",
            "invalid_kpp",
        ),
        (
            "KPP missing for a legal entity",
            Box::new(|b| b["organization"]["kpp"] = Value::Null),
            "organization.kpp",
            "missing_field",
        ),
        (
            "legal INN with an OGRNIP",
            Box::new(|b| b["organization"]["ogrn"] = json!("304770000000031")),
            "organization.ogrn",
            "inn_ogrn_mismatch",
        ),
        (
            "SNILS check number",
            Box::new(|b| b["employee"]["snils"] = json!("112-233-445 96")),
            "employee.snils",
            "invalid_snils",
        ),
        (
            "one-word name",
            Box::new(|b| b["employee"]["full_name"] = json!("Иванов")),
            "employee.full_name",
            "invalid_full_name",
        ),
        (
            "no consent",
            Box::new(|b| b["consent_personal_data"] = json!(false)),
            "consent_personal_data",
            "consent_required",
        ),
        (
            "charter missing",
            Box::new(|b| {
                b["documents"]
                    .as_array_mut()
                    .map(|d| d.remove(1))
                    .map(|_| ())
                    .unwrap_or(())
            }),
            "documents",
            "missing_documents",
        ),
        (
            "not a PDF",
            Box::new(|b| b["documents"][0]["media_type"] = json!("image/png")),
            "documents[0].media_type",
            "invalid_document",
        ),
        (
            "bad sha256",
            Box::new(|b| b["documents"][0]["sha256"] = json!("XYZ")),
            "documents[0].sha256",
            "invalid_document",
        ),
        (
            "eleven documents",
            Box::new(|b| b["documents"] = json!(vec![document("other"); 11])),
            "documents",
            "invalid_document",
        ),
        (
            "bad thumbprint",
            Box::new(
                |b| b["signature"] = json!({"certificate_thumbprint": "abc", "issuer": "УЦ", "valid_until": "2030-01-01"}),
            ),
            "signature.certificate_thumbprint",
            "invalid_signature",
        ),
        (
            "unknown field",
            Box::new(|b| b["nickname"] = json!("x")),
            "nickname",
            "unknown_field",
        ),
        (
            "empty organization name",
            Box::new(|b| b["organization"]["name"] = json!("   ")),
            "organization.name",
            "missing_field",
        ),
    ];
    for (why, mutate, field, code) in cases {
        let mut body = application_body(&org, &phone);
        mutate(&mut body);
        let r = app.submit(&token, &body).await;
        assert_eq!(r.status, 422, "{why}: {}", r.text);
        assert_eq!(r.body["code"], "validation_failed", "{why}");
        assert_eq!(
            r.header("content-type"),
            Some("application/problem+json"),
            "{why}"
        );
        assert!(
            r.field_errors()
                .contains(&(field.to_owned(), code.to_owned())),
            "{why}: expected {field}/{code} in {:?}",
            r.field_errors()
        );
    }
    // An entrepreneur with a KPP.
    let mut body = application_body(&ip, &phone);
    body["organization"]["kpp"] = json!("773601001");
    let r = app.submit(&org_token(&ip), &body).await;
    assert!(
        r.field_errors()
            .contains(&("organization.kpp".into(), "kpp_not_allowed".into())),
        "{}",
        r.text
    );
    // Nothing was written and nothing sent.
    assert!(app.sms_to(&phone).await.is_empty());
    assert_eq!(app.number(&token, &phone).await.status, 404);
}

#[tokio::test]
async fn all_field_errors_are_reported_at_once() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let mut body = application_body(&org, "not a phone");
    body["organization"]["inn"] = json!("123");
    body["employee"]["snils"] = json!("000");
    body["consent_personal_data"] = json!(null);
    let r = app.submit(&org_token(&org), &body).await;
    assert_eq!(r.status, 422);
    let fields: Vec<String> = r.field_errors().into_iter().map(|(f, _)| f).collect();
    for f in [
        "phone",
        "organization.inn",
        "employee.snils",
        "consent_personal_data",
    ] {
        assert!(
            fields.contains(&f.to_owned()),
            "{f} missing from {fields:?}"
        );
    }
}

#[tokio::test]
async fn english_messages_on_request() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let mut body = application_body(&org, "123");
    body["consent_personal_data"] = json!(false);
    let rb = app
        .request(
            reqwest::Method::POST,
            "/v1/applications",
            Some(&org_token(&org)),
        )
        .header("Accept-Language", "en")
        .json(&body);
    let r = app.send(rb).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.body["title"], "Validation failed");
    assert_eq!(r.header("content-language"), Some("en"));
    let r = app.submit(&org_token(&org), &body).await;
    assert_eq!(r.body["title"], "Ошибка в данных заявки");
}

#[tokio::test]
async fn malformed_bodies_and_headers() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let token = org_token(&org);
    let post = || app.request(reqwest::Method::POST, "/v1/applications", Some(&token));

    let r = app
        .send(
            post()
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (400, Some("malformed_json"))
    );
    let r = app
        .send(
            post()
                .header("content-type", "application/json")
                .body("[1,2]"),
        )
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (400, Some("malformed_json"))
    );
    let r = app
        .send(post().header("content-type", "text/plain").body("{}"))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let big = format!("{{\"x\":\"{}\"}}", "a".repeat(70 * 1024));
    let r = app
        .send(post().header("content-type", "application/json").body(big))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    let r = app
        .send(
            post()
                .header("Idempotency-Key", "")
                .json(&application_body(&org, &random_phone())),
        )
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.field_errors(),
        vec![(
            "Idempotency-Key".to_owned(),
            "invalid_idempotency_key".to_owned()
        )]
    );
}

#[tokio::test]
async fn authentication_and_scope() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let body = application_body(&org, &random_phone());

    let r = app.post_json("/v1/applications", None, &body).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let r = app
        .post_json("/v1/applications", Some("not.a.token"), &body)
        .await;
    assert_eq!(r.status, 401);
    let forged = corpnum_local::jwt::issue(serde_json::Map::new(), "wrong-secret");
    assert_eq!(
        app.post_json("/v1/applications", Some(&forged), &body)
            .await
            .status,
        401
    );
    let r = app.submit(&operator_token(), &body).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("forbidden")),
        "operators cannot submit"
    );
    let other = Org::random();
    let r = app.submit(&org_token(&other), &body).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (403, Some("forbidden")),
        "INN must be the token's org_inn"
    );
}

#[tokio::test]
async fn one_number_belongs_to_one_organization() {
    let app = TestApp::spawn().await;
    let (a, b) = (Org::sample(), Org::random());
    let phone = random_phone();
    let first = app
        .submit(&org_token(&a), &application_body(&a, &phone))
        .await;
    assert_eq!(first.status, 201);

    let r = app
        .submit(&org_token(&b), &application_body(&b, &phone))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("number_bound_to_another_organization"))
    );
    let r = app
        .submit(&org_token(&a), &application_body(&a, &phone))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("application_in_progress"))
    );
    assert_eq!(r.body["application_id"], first.body["id"]);
    assert_eq!(
        app.sms_to(&phone).await.len(),
        1,
        "refused applications send nothing"
    );
}

#[tokio::test]
async fn an_abandoned_application_frees_the_number_after_24_hours() {
    let app = TestApp::spawn().await;
    let (a, b) = (Org::sample(), Org::random());
    let phone = random_phone();
    let first = app
        .submit(&org_token(&a), &application_body(&a, &phone))
        .await;
    assert_eq!(first.status, 201);

    app.advance(chrono::Duration::hours(24));

    let r = app.application(&org_token(&a), &first.id()).await;
    assert_eq!(r.body["status"], "expired");
    assert_eq!(r.body["status_label"], "Срок подтверждения истёк");
    let r = app
        .submit(&org_token(&b), &application_body(&b, &phone))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let code = app.last_code(&phone).await;
    let r = app.verify(&org_token(&a), &first.id(), &code).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (409, Some("invalid_state"))
    );
}

#[tokio::test]
async fn organizations_are_limited_to_50_applications_a_day() {
    let app = TestApp::spawn().await;
    let org = Org::random();
    let token = org_token(&org);
    for i in 0..50 {
        let r = app
            .submit(&token, &application_body(&org, &random_phone()))
            .await;
        assert_eq!(r.status, 201, "application {i}: {}", r.text);
    }
    let r = app
        .submit(&token, &application_body(&org, &random_phone()))
        .await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (429, Some("rate_limited"))
    );
    let retry: i64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!((1..=86_400).contains(&retry), "Retry-After {retry}");
}

/// SPEC 4.1: a missing, malformed, expired or wrongly signed token is 401 on every route,
/// whatever the path parameters and body look like, as API Gateway's authorizer answers.
#[tokio::test]
async fn the_token_is_checked_before_anything_else() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let mut expired_claims = serde_json::Map::new();
    expired_claims.insert("sub".into(), json!("rep"));
    expired_claims.insert("org_inn".into(), json!(org.inn));
    expired_claims.insert("scope".into(), json!("corpnum/org corpnum/operator"));
    expired_claims.insert("exp".into(), json!(chrono::Utc::now().timestamp() - 60));
    let expired = corpnum_local::jwt::issue(expired_claims, JWT_SECRET);
    let forged = corpnum_local::jwt::issue(token_claims(&org), "not-the-secret-the-host-trusts");
    let bad_tokens: [Option<&str>; 4] = [None, Some("not.a.token"), Some(&forged), Some(&expired)];
    let requests = [
        (reqwest::Method::GET, "/v1/applications/00000000"),
        (reqwest::Method::POST, "/v1/applications/not-a-uuid/otp"),
        (
            reqwest::Method::POST,
            "/v1/applications/00000000/otp/resend",
        ),
        (reqwest::Method::POST, "/v1/applications/x/documents"),
        (reqwest::Method::POST, "/v1/applications"),
        (reqwest::Method::GET, "/v1/numbers/8916abc"),
        (reqwest::Method::GET, "/v1/numbers/123/acts/%FF"),
        (reqwest::Method::POST, "/v1/numbers/0/deactivation"),
        (reqwest::Method::POST, "/v1/numbers/0/deactivation/confirm"),
        (reqwest::Method::PUT, "/v1/numbers/0/employee"),
        (
            reqwest::Method::GET,
            "/v1/reviews?limit=abc&status=nonsense",
        ),
        (reqwest::Method::POST, "/v1/applications/00000000/decision"),
    ];
    for token in bad_tokens {
        for (method, path) in &requests {
            let r = app
                .send(
                    app.request(method.clone(), path, token)
                        .header("content-type", "text/plain")
                        .body("{not json"),
                )
                .await;
            assert_eq!(
                (r.status, r.body["code"].as_str()),
                (401, Some("unauthorized")),
                "{method} {path} with {token:?}: {}",
                r.text
            );
        }
    }
}

fn token_claims(org: &Org) -> serde_json::Map<String, serde_json::Value> {
    let mut claims = serde_json::Map::new();
    claims.insert("sub".into(), json!("rep"));
    claims.insert("org_inn".into(), json!(org.inn));
    claims.insert("scope".into(), json!("corpnum/org"));
    claims.insert("exp".into(), json!(chrono::Utc::now().timestamp() + 3600));
    claims
}

/// SPEC 4.9: when the INN's length tells the organization's kind, the KPP and documents
/// rules are applied and reported with every other field error, even when the OGRN,
/// phone or SNILS are also wrong.
#[tokio::test]
async fn kind_rules_are_reported_with_every_other_field_error() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let token = org_token(&org);

    // A legal entity (10-digit INN) with a bad OGRN, phone and SNILS, no KPP, no charter.
    let mut body = application_body(&org, "12345");
    body["organization"]["ogrn"] = json!("1027700132196");
    body["organization"]
        .as_object_mut()
        .map(|o| o.remove("kpp"));
    body["employee"]["snils"] = json!("112-233-445 96");
    body["documents"] = json!([
        document("registration_certificate"),
        document("power_of_attorney")
    ]);
    let r = app.submit(&token, &body).await;
    assert_eq!(r.status, 422, "{}", r.text);
    let errors = r.field_errors();
    for expected in [
        ("organization.ogrn", "invalid_ogrn"),
        ("phone", "invalid_phone"),
        ("employee.snils", "invalid_snils"),
        ("organization.kpp", "missing_field"),
        ("documents", "missing_documents"),
    ] {
        assert!(
            errors.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} missing from {errors:?}"
        );
    }
    let missing = r.body["errors"]
        .as_array()
        .and_then(|e| e.iter().find(|e| e["code"] == "missing_documents").cloned())
        .unwrap_or_default();
    assert_eq!(missing["missing"], json!(["charter"]));

    // Even a 10-digit INN whose check digit is wrong tells the kind, and a document that
    // is invalid in itself still counts as present for the documents rule.
    let mut body = application_body(&org, &random_phone());
    body["organization"]["inn"] = json!("7707083894");
    body["organization"]["kpp"] = json!(null);
    body["documents"][1]["sha256"] = json!("XYZ");
    let r = app.submit(&token, &body).await;
    let errors = r.field_errors();
    assert!(
        errors.contains(&("organization.inn".to_owned(), "invalid_inn".to_owned())),
        "{errors:?}"
    );
    assert!(
        errors.contains(&("organization.kpp".to_owned(), "missing_field".to_owned())),
        "{errors:?}"
    );
    assert!(
        errors.contains(&(
            "documents[1].sha256".to_owned(),
            "invalid_document".to_owned()
        )),
        "{errors:?}"
    );
    assert!(
        !errors.iter().any(|(_, c)| c == "missing_documents"),
        "{errors:?}"
    );

    // An entrepreneur (12-digit INN) with a KPP and a bad OGRNIP.
    let ip = Org::entrepreneur();
    let mut body = application_body(&ip, &random_phone());
    body["organization"]["ogrn"] = json!("304770000000032");
    body["organization"]["kpp"] = json!("773601001");
    body["documents"] = json!([]);
    let r = app.submit(&org_token(&ip), &body).await;
    let errors = r.field_errors();
    for expected in [
        ("organization.ogrn", "invalid_ogrn"),
        ("organization.kpp", "kpp_not_allowed"),
        ("documents", "missing_documents"),
    ] {
        assert!(
            errors.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} missing from {errors:?}"
        );
    }
}
