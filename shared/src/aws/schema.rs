//! The table definition, for local runs and tests. The SAM template declares the same.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

use super::dynamo::STATUS_INDEX;
use crate::ports::DependencyError;

fn err(e: impl std::fmt::Display) -> DependencyError {
    DependencyError::new("dynamodb", e.to_string())
}

/// Creates the table with its status index and TTL, if it does not exist yet.
pub async fn ensure_table(client: &Client, table: &str) -> Result<(), DependencyError> {
    let exists = client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .is_ok();
    if exists {
        return Ok(());
    }
    let attr = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .map_err(err)
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .map_err(err)
    };
    let index = GlobalSecondaryIndex::builder()
        .index_name(STATUS_INDEX)
        .key_schema(key("gsi1pk", KeyType::Hash)?)
        .key_schema(key("gsi1sk", KeyType::Range)?)
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .map_err(err)?;
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk")?)
        .attribute_definitions(attr("sk")?)
        .attribute_definitions(attr("gsi1pk")?)
        .attribute_definitions(attr("gsi1sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?)
        .global_secondary_indexes(index)
        .send()
        .await
        .map_err(|e| err(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("expires_at")
                .enabled(true)
                .build()
                .map_err(err)?,
        )
        .send()
        .await
        .map_err(|e| err(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
    Ok(())
}
