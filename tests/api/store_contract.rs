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
