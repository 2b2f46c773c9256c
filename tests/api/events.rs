//! Every file in events/ is valid for its function and runs through its handler against
//! the local AWS stack; every route has one.

use std::collections::BTreeSet;
use std::path::PathBuf;

use corpnum::api::ROUTES;
use corpnum_tests::TestApp;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

fn events() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .map(|p| {
                    let name = p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    (name, std::fs::read_to_string(&p).unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[tokio::test]
async fn every_api_event_runs_through_its_function() {
    let app = TestApp::spawn().await;
    let mut covered = BTreeSet::new();
    for (name, text) in events() {
        let json: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let Some(route_key) = json["routeKey"].as_str() else {
            continue;
        };
        let spec = ROUTES
            .iter()
            .find(|r| r.key() == route_key)
            .unwrap_or_else(|| panic!("{name}: no route {route_key}"));
        covered.insert(route_key.to_owned());
        let event = corpnum::runtime::gateway::GatewayEvent::from_json(&text)
            .unwrap_or_else(|e| panic!("{name}: {e}"));

        let response = corpnum_local::host::invoke(spec.function, &app.world.services, event)
            .await
            .into_http();

        let status = response.status().as_u16();
        assert!(status < 500, "{name}: {status}");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            content_type.starts_with("application/") && content_type.ends_with("json"),
            "{name}: {content_type}"
        );
        assert!(response.headers().contains_key("x-request-id"), "{name}");
        let body: Value = serde_json::from_slice(response.body().as_ref())
            .unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
        // In a fresh world every id and number the events name is unknown; the valid
        // application is created, and the review queue is empty.
        let expected = match name.as_str() {
            "submit-application.json" => (201, None),
            "put-restriction.json" => (200, None),
            "list-reviews.json"
            | "list-applications.json"
            | "list-numbers.json"
            | "list-restrictions.json" => (200, None),
            _ => (404, Some("not_found")),
        };
        assert_eq!((status, body["code"].as_str()), expected, "{name}: {body}");
        match name.as_str() {
            "submit-application.json" => {
                assert_eq!(body["status"], "awaiting_otp", "{name}: {body}");
                assert_eq!(body["phone"], "+79161234567", "{name}: {body}");
                assert!(
                    body["id"].as_str().is_some_and(|id| id.len() == 36),
                    "{name}"
                );
            }
            "list-reviews.json"
            | "list-numbers.json"
            | "list-applications.json"
            | "list-restrictions.json" => {
                assert_eq!(body["items"], serde_json::json!([]), "{name}: {body}");
            }
            "put-restriction.json" => {
                assert_eq!(body["phone"], "+79161234568", "{name}: {body}");
                assert_eq!(body["reason"], "personal_account", "{name}: {body}");
            }
            _ => assert_eq!(body["status"], 404, "{name}: a problem document: {body}"),
        }
    }
    let all: BTreeSet<String> = ROUTES.iter().map(|r| r.key()).collect();
    assert_eq!(covered, all, "every route has an event file");
}

#[tokio::test]
async fn the_sqs_batch_reports_only_the_poison_message() {
    let app = TestApp::spawn().await;
    let (_, text) = events()
        .into_iter()
        .find(|(n, _)| n == "review-queue-batch.json")
        .unwrap_or_default();
    let event: aws_lambda_events::event::sqs::SqsEvent =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let poison = event.records[1].message_id.clone().unwrap_or_default();

    let response = review_worker::handler(
        &app.world.services,
        LambdaEvent::new(event, Context::default()),
    )
    .await;

    let failures: Vec<String> = response
        .map(|r| {
            r.batch_item_failures
                .into_iter()
                .map(|f| f.item_identifier)
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        failures,
        vec![poison],
        "a ticket for an unknown application is acknowledged"
    );
}

#[tokio::test]
async fn the_scheduled_event_runs_a_sweep() {
    let app = TestApp::spawn().await;
    let (_, text) = events()
        .into_iter()
        .find(|(n, _)| n == "review-sweeper-schedule.json")
        .unwrap_or_default();
    let event: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));

    let report = review_sweeper::handler(
        &app.world.services,
        LambdaEvent::new(event, Context::default()),
    )
    .await;

    let report = report.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report["expired"], 0);
    assert_eq!(report["truncated"], false);
}
