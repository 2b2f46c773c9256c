//! The published OpenAPI document and the route table describe the same API.

use std::collections::BTreeSet;

use corpnum::api::{OPENAPI, ROUTES};
use corpnum_tests::TestApp;
use serde_json::Value;

#[test]
fn the_document_lists_exactly_the_routes_with_their_functions_and_scopes() {
    let doc: Value = serde_json::from_str(OPENAPI).unwrap_or_else(|e| panic!("openapi.json: {e}"));
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let scopes: Vec<String> = op["x-scopes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect();
            documented.insert((
                method.to_uppercase(),
                path.clone(),
                op["x-function"].as_str().unwrap_or("").to_owned(),
                scopes,
            ));
            let responses = op["responses"].as_object().cloned().unwrap_or_default();
            for status in ["401", "503"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} documents {status}"
                );
            }
            assert!(
                !responses.contains_key("default"),
                "{method} {path}: statuses are listed, not defaulted"
            );
        }
    }
    let routes: BTreeSet<_> = ROUTES
        .iter()
        .map(|r| {
            (
                r.method.to_owned(),
                r.path.to_owned(),
                r.function.name().to_owned(),
                r.route
                    .scopes()
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(documented, routes);
}

#[tokio::test]
async fn the_local_host_serves_the_document() {
    let app = TestApp::spawn().await;
    let r = app
        .send(app.request(reqwest::Method::GET, "/openapi.json", None))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["info"]["title"], "corpnum");
}
