//! The local table schema follows the code: a table made by the previous version gets the
//! index it lacks, so `make run`'s kept data keeps working after an upgrade.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use corpnum_tests::TestApp;

#[tokio::test]
async fn a_table_of_the_previous_version_gets_the_index_by_organization() {
    let app = TestApp::spawn().await;
    let client = &app.world.clients.dynamodb;
    let table = format!("old{}", uuid::Uuid::new_v4().simple());
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let key = |n: &str, k: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(k)
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk"))
        .attribute_definitions(attr("sk"))
        .attribute_definitions(attr("gsi1pk"))
        .attribute_definitions(attr("gsi1sk"))
        .attribute_definitions(attr("gsi2pk"))
        .attribute_definitions(attr("gsi2sk"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("gsi1")
                .key_schema(key("gsi1pk", KeyType::Hash))
                .key_schema(key("gsi1sk", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("gsi2")
                .key_schema(key("gsi2pk", KeyType::Hash))
                .key_schema(key("gsi2sk", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));

    corpnum::aws::schema::ensure_table(client, &table)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let described = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let mut names: Vec<String> = described
        .table
        .and_then(|t| t.global_secondary_indexes)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| i.index_name)
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            corpnum::aws::dynamo::STATUS_INDEX,
            corpnum::aws::dynamo::TIMER_INDEX,
            corpnum::aws::dynamo::ORG_INDEX,
        ]
    );
    corpnum::aws::schema::ensure_table(client, &table)
        .await
        .unwrap_or_else(|e| panic!("a second run changes nothing: {e}"));
}
