use corpnum_tests::*;

#[tokio::test]
async fn a_failed_sms_leaves_a_resendable_application_and_no_duplicate() {
    let app = TestApp::spawn().await;
    let sms_down = app
        .with_faults(Faults {
            sns_down: true,
            ..Faults::default()
        })
        .await;
    let org = Org::sample();
    let token = org_token(&org);
    let phone = random_phone();

    let r = sms_down
        .submit(&token, &application_body(&org, &phone))
        .await;

    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["otp"]["delivery"], "failed");
    let id = r.id();
    assert!(app.sms_to(&phone).await.is_empty());
    assert_eq!(
        app.application(&token, &id).await.body["status"],
        "awaiting_otp"
    );
    let again = app.submit(&token, &application_body(&org, &phone)).await;
    assert_eq!(
        (again.status, again.body["application_id"].as_str()),
        (409, Some(id.as_str())),
        "no duplicate"
    );

    // With SMS back, a resend goes out at once, without the usual two-minute wait.
    let r = app.resend(&token, &id).await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.body["otp"]["delivery"], "sent");
    let code = app.last_code(&phone).await;
    assert_eq!(app.verify(&token, &id, &code).await.status, 200);
}

#[tokio::test]
async fn a_database_outage_is_a_503_that_changes_nothing() {
    let app = TestApp::spawn().await;
    let db_down = app
        .with_faults(Faults {
            dynamodb_down: true,
            ..Faults::default()
        })
        .await;
    let org = Org::sample();
    let token = org_token(&org);
    let phone = random_phone();

    let r = db_down
        .submit(&token, &application_body(&org, &phone))
        .await;

    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (503, Some("service_unavailable"))
    );
    assert!(
        !r.text.to_lowercase().contains("dynamo") && !r.text.contains("127.0.0.1"),
        "no internals: {}",
        r.text
    );
    assert!(
        app.sms_to(&phone).await.is_empty(),
        "no code for an application that does not exist"
    );
    assert_eq!(
        app.number(&token, &phone).await.status,
        404,
        "no lock left behind"
    );
    assert_eq!(
        app.submit(&token, &application_body(&org, &phone))
            .await
            .status,
        201,
        "the number is free"
    );
    let logged = logs();
    assert!(logged.contains("dependency failure"), "the cause is logged");

    let r = db_down
        .application(&token, &uuid::Uuid::new_v4().to_string())
        .await;
    assert_eq!(r.status, 503);
}

#[tokio::test]
async fn a_lost_queue_message_does_not_fail_the_confirmation() {
    let app = TestApp::spawn().await;
    let queue_down = app
        .with_faults(Faults {
            sqs_down: true,
            ..Faults::default()
        })
        .await;
    let org = Org::sample();
    let token = org_token(&org);
    let phone = random_phone();
    let id = app
        .submit(&token, &application_body(&org, &phone))
        .await
        .id();
    let code = app.last_code(&phone).await;

    let r = queue_down.verify(&token, &id, &code).await;

    assert_eq!(
        r.status, 200,
        "the code was confirmed; the sweeper re-queues stranded reviews"
    );
    assert_eq!(
        app.application(&token, &id).await.body["status"],
        "under_review"
    );
}
