//! The DynamoDB adapter keeps the same store contract as the in-memory fake.

use corpnum_tests::TestApp;

#[tokio::test]
async fn dynamodb_keeps_the_store_contract() {
    let app = TestApp::spawn().await;
    corpnum::fakes::contract::store_contract(app.world.services.store.as_ref()).await;
}

#[tokio::test]
async fn dynamodb_without_returned_items_keeps_the_store_contract() {
    let app = TestApp::spawn_with(|s| s.store_returns_items = false, |_| {}).await;
    corpnum::fakes::contract::store_contract(app.world.services.store.as_ref()).await;
}

/// moto's DynamoDB is another implementation than DynamoDB Local: the contract holds on it
/// too (issue 12: the code asks only what DynamoDB-compatible stores offer).
#[tokio::test]
async fn a_second_engine_keeps_the_store_contract() {
    let app = TestApp::on_moto_dynamodb().await;
    let tables = app.moto_dynamodb_tables().await;
    assert!(tables.iter().any(|t| t == app.table()), "{tables:?}");
    corpnum::fakes::contract::store_contract(app.world.services.store.as_ref()).await;
}

/// `make test` runs the whole suite a second time with `CORPNUM_STORE_RETURNS_ITEMS=false`;
/// this is what makes that run one without returned items.
#[tokio::test]
async fn the_suite_runs_as_the_returned_items_setting_says() {
    let app = TestApp::spawn().await;
    let wanted = std::env::var("CORPNUM_STORE_RETURNS_ITEMS").map_or(true, |v| v != "false");
    assert_eq!(app.world.settings.store_returns_items, wanted);
}
