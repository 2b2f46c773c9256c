//! The table definition, for local runs, tests and `corpnum-server provision` (an
//! AWS-compatible store, where no template creates it). The SAM template declares the same.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};

use super::dynamo::{ORG_INDEX, STATUS_INDEX, TIMER_INDEX};
use crate::ports::DependencyError;

fn err(e: impl std::fmt::Display) -> DependencyError {
    DependencyError::new("dynamodb", e.to_string())
}

/// The table's global secondary indexes, each keyed `<name>pk` / `<name>sk`.
const INDEXES: [&str; 3] = [STATUS_INDEX, TIMER_INDEX, ORG_INDEX];

/// Waits (up to `seconds`) until the table, as described, is `ready`: the table itself
/// (CreateTable is asynchronous in YDB), or an index being built.
async fn wait_until(
    client: &Client,
    table: &str,
    what: &str,
    seconds: u32,
    ready: impl Fn(&aws_sdk_dynamodb::types::TableDescription) -> bool,
) -> Result<(), DependencyError> {
    for _ in 0..seconds * 5 {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| err(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        if described.table.as_ref().is_some_and(&ready) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Err(err(format!("{what} of {table} did not become active")))
}

/// Waits (up to a minute) until the table's index `name` is active.
async fn wait_until_active(
    client: &Client,
    table: &str,
    name: &str,
) -> Result<(), DependencyError> {
    wait_until(client, table, &format!("index {name}"), 60, |t| {
        t.global_secondary_indexes().iter().any(|i| {
            i.index_name() == Some(name)
                && i.index_status() == Some(&aws_sdk_dynamodb::types::IndexStatus::Active)
        })
    })
    .await
}

/// Waits (up to five minutes) until the table is active.
async fn wait_until_table_active(client: &Client, table: &str) -> Result<(), DependencyError> {
    wait_until(client, table, "the table", 300, |t| {
        t.table_status() == Some(&aws_sdk_dynamodb::types::TableStatus::Active)
    })
    .await
}

/// Creates the table with its indexes and TTL if it does not exist yet, and adds an index
/// a table made by an earlier version lacks (local data kept across upgrades).
pub async fn ensure_table(client: &Client, table: &str) -> Result<(), DependencyError> {
    let described = client.describe_table().table_name(table).send().await;
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
    // Every index is keyed `<name>pk` / `<name>sk` and projects everything (the residency
    // subset of SPEC 6 allows only `ALL`).
    let index_keys = |name: &str| -> Result<(Vec<KeySchemaElement>, Projection), DependencyError> {
        Ok((
            vec![
                key(&format!("{name}pk"), KeyType::Hash)?,
                key(&format!("{name}sk"), KeyType::Range)?,
            ],
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        ))
    };
    let index = |name: &str| {
        let (keys, projection) = index_keys(name)?;
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .set_key_schema(Some(keys))
            .projection(projection)
            .build()
            .map_err(err)
    };
    if let Ok(described) = described {
        let present: Vec<String> = described
            .table
            .and_then(|t| t.global_secondary_indexes)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|i| i.index_name)
            .collect();
        // One index per UpdateTable call, as DynamoDB (and YDB) require, and one being
        // built at a time: wait for the previous one before asking for the next.
        let mut previous: Option<&str> = None;
        for name in INDEXES.iter().filter(|n| !present.iter().any(|p| p == *n)) {
            if let Some(previous) = previous {
                wait_until_active(client, table, previous).await?;
            }
            previous = Some(name);
            client
                .update_table()
                .table_name(table)
                .attribute_definitions(attr(&format!("{name}pk"))?)
                .attribute_definitions(attr(&format!("{name}sk"))?)
                .global_secondary_index_updates(
                    aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate::builder()
                        .create({
                            let (keys, projection) = index_keys(name)?;
                            aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                                .index_name(*name)
                                .set_key_schema(Some(keys))
                                .projection(projection)
                                .build()
                                .map_err(err)?
                        })
                        .build(),
                )
                .send()
                .await
                .map_err(|e| err(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        }
        return Ok(());
    }
    let mut create = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk")?)
        .attribute_definitions(attr("sk")?)
        .key_schema(key("pk", KeyType::Hash)?)
        .key_schema(key("sk", KeyType::Range)?);
    for name in INDEXES {
        create = create
            .attribute_definitions(attr(&format!("{name}pk"))?)
            .attribute_definitions(attr(&format!("{name}sk"))?)
            .global_secondary_indexes(index(name)?);
    }
    create
        .send()
        .await
        .map_err(|e| err(aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
    // CreateTable is asynchronous (YDB documents it so; DynamoDB Local is done at once).
    wait_until_table_active(client, table).await?;
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
