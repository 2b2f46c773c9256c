//! `IdempotencyStore`: reading a key's record and storing the response it produced.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::DynamoStore;
use super::codec::{idempotency_from_item, json, n, s, sdk};
use super::keys::{self, IDEMPOTENCY_SK};
use crate::ports::{DependencyError, IdempotencyRecord, IdempotencyStore, StoredResponse};

#[async_trait]
impl IdempotencyStore for DynamoStore {
    async fn record(&self, key: &str) -> Result<Option<IdempotencyRecord>, DependencyError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(keys::idempotency_pk(key)))
            .key("sk", s(IDEMPOTENCY_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk)?;
        out.item.as_ref().map(idempotency_from_item).transpose()
    }

    async fn complete(
        &self,
        key: &str,
        response: &StoredResponse,
        expires_at: DateTime<Utc>,
    ) -> Result<(), DependencyError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(keys::idempotency_pk(key)))
            .key("sk", s(IDEMPOTENCY_SK))
            .update_expression("SET #state = :completed, #response = :response, expires_at = :exp")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#response", "response")
            .expression_attribute_values(":completed", s("completed"))
            .expression_attribute_values(":response", s(json(response)?))
            .expression_attribute_values(":exp", n(expires_at.timestamp()))
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }
}
