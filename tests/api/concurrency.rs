use corpnum_tests::*;

use crate::idempotency::join_all;

/// SPEC 3: one number, one organization, even when the requests race.
#[tokio::test]
async fn eight_concurrent_submissions_for_one_number_have_one_winner() {
    let app = TestApp::spawn().await;
    let phone = random_phone();
    let mut orgs: Vec<Org> = (0..6).map(|_| Org::random()).collect();
    orgs.push(Org::sample());
    orgs.push(Org::sample());
    let tokens: Vec<String> = orgs.iter().map(org_token).collect();
    let bodies: Vec<_> = orgs.iter().map(|o| application_body(o, &phone)).collect();

    let responses = join_all(
        tokens
            .iter()
            .zip(&bodies)
            .map(|(t, b)| app.submit(t, b))
            .collect(),
    )
    .await;

    let winners: Vec<&Response> = responses.iter().filter(|r| r.status == 201).collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        responses
            .iter()
            .map(|r| (r.status, r.text.clone()))
            .collect::<Vec<_>>()
    );
    for r in responses.iter().filter(|r| r.status != 201) {
        assert_eq!(r.status, 409, "{}", r.text);
        let code = r.body["code"].as_str().unwrap_or_default();
        assert!(
            [
                "number_bound_to_another_organization",
                "application_in_progress"
            ]
            .contains(&code),
            "{code}"
        );
    }
    assert_eq!(app.sms_to(&phone).await.len(), 1, "exactly one SMS");
    let owner = app.number(&operator_token(), &phone).await;
    assert_eq!(owner.body["application_id"], winners[0].body["id"]);
}

#[tokio::test]
async fn concurrent_codes_for_one_application_confirm_it_once() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let token = org_token(&org);
    let phone = random_phone();
    let id = app
        .submit(&token, &application_body(&org, &phone))
        .await
        .id();
    let code = app.last_code(&phone).await;

    let responses = join_all((0..5).map(|_| app.verify(&token, &id, &code)).collect()).await;

    assert_eq!(responses.iter().filter(|r| r.status == 200).count(), 1);
    assert_eq!(app.review_messages().await.len(), 1, "queued once");
    let history = app.application(&token, &id).await.body["history"]
        .as_array()
        .map(Vec::len);
    assert_eq!(history, Some(2));
}

#[tokio::test]
async fn concurrent_wrong_codes_are_all_counted() {
    let app = TestApp::spawn().await;
    let org = Org::sample();
    let token = org_token(&org);
    let phone = random_phone();
    let id = app
        .submit(&token, &application_body(&org, &phone))
        .await
        .id();
    let code = app.last_code(&phone).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };

    let responses = join_all((0..3).map(|_| app.verify(&token, &id, wrong)).collect()).await;

    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [422, 422, 423],
        "three wrong tries spend the code, whatever their order"
    );
    assert_eq!(app.verify(&token, &id, &code).await.status, 423);
}
