//! A number's past belongs to the organization it happened to (SPEC 4.5, 4.6).

use corpnum_tests::*;
use serde_json::json;

#[tokio::test]
async fn a_later_holder_sees_nothing_of_an_earlier_one_who_keeps_its_act() {
    let app = TestApp::spawn().await;
    let phone = random_phone();
    let a = Org::random();
    let b = Org::random();
    let (token_a, app_a) = app.active_number(&a, &phone).await;
    let etag = app
        .number(&token_a, &phone)
        .await
        .header("etag")
        .unwrap_or_default()
        .to_owned();
    let rebound = app
        .rebind(
            &token_a,
            &phone,
            Some(&etag),
            &json!({ "snils": "006-996-682 00", "full_name": "Петрова Анна" }),
        )
        .await;
    assert_eq!(rebound.status, 200, "{}", rebound.text);
    let act = app.deactivate(&token_a, &phone, "division_closed").await;
    let act_number = act.body["act_number"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let before_b = app.number(&token_a, &phone).await;
    assert_eq!(before_b.body["state"], "deactivated");

    let (token_b, app_b) = app.active_number(&b, &phone).await;

    // B's view holds B's binding only: its own history, versions counted from its own
    // application, nothing of A in the body or the headers.
    let seen_by_b = app.number(&token_b, &phone).await;
    assert_eq!(seen_by_b.status, 200, "{}", seen_by_b.text);
    let history = seen_by_b.body["history"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!history.is_empty());
    assert!(
        history
            .iter()
            .all(|e| e["application_id"] == app_b.as_str() && e["act"].is_null()),
        "{}",
        seen_by_b.text
    );
    let headers = format!("{:?}", seen_by_b.headers);
    for trace_of_a in [
        app_a.as_str(),
        &format!("rep-{}", a.inn),
        &act_number,
        "Закрыто",
        &a.inn,
    ] {
        assert!(
            !seen_by_b.text.contains(trace_of_a),
            "B sees {trace_of_a}: {}",
            seen_by_b.text
        );
        assert!(
            !headers.contains(trace_of_a),
            "B's headers carry {trace_of_a}"
        );
    }
    let fresh = TestApp::spawn().await;
    let other_phone = random_phone();
    let (token_fresh, _) = fresh.active_number(&b, &other_phone).await;
    let fresh_view = fresh.number(&token_fresh, &other_phone).await;
    assert_eq!(
        (seen_by_b.body["version"].clone(), seen_by_b.header("etag")),
        (
            fresh_view.body["version"].clone(),
            fresh_view.header("etag")
        ),
        "the version does not tell how often the number changed before B"
    );
    assert_eq!(
        app.act(&token_b, &phone, &act_number).await.status,
        404,
        "A's act is A's"
    );

    // A no longer sees the number, but keeps its act.
    assert_eq!(app.number(&token_a, &phone).await.status, 404);
    let kept = app.act(&token_a, &phone, &act_number).await;
    assert_eq!(kept.status, 200, "{}", kept.text);
    assert_eq!(kept.body, act.body);
    assert_eq!(
        app.act(&token_a, &phone, "ДА-20000101-00000000")
            .await
            .status,
        404
    );

    // Operators see all of it.
    let op = app.number(&operator_token(), &phone).await;
    let all = op.body["history"].as_array().cloned().unwrap_or_default();
    assert!(all.iter().any(|e| e["application_id"] == app_a.as_str()));
    assert!(
        all.iter()
            .any(|e| e["act"]["act_number"] == act_number.as_str())
    );
    assert!(all.iter().any(|e| e["application_id"] == app_b.as_str()));
    assert_eq!(
        app.act(&operator_token(), &phone, &act_number).await.status,
        200
    );
}

#[tokio::test]
async fn an_organization_sees_its_own_earlier_binding_of_a_number() {
    let app = TestApp::spawn().await;
    let phone = random_phone();
    let a = Org::random();
    let (token, first) = app.active_number(&a, &phone).await;
    app.deactivate(&token, &phone, "other").await;
    let (_, second) = app.active_number(&a, &phone).await;

    let view = app.number(&token, &phone).await;
    let ids: Vec<String> = view.body["history"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e["application_id"].as_str().map(str::to_owned))
        .collect();
    assert!(
        ids.contains(&first) && ids.contains(&second),
        "{}",
        view.text
    );
}
