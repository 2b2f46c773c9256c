//! `OutboxStore`: outcome notices (SPEC 5.6). An entry is put by the transaction of the
//! change that causes it ([`Tx::outbox`]); while unsettled it carries a timer in the timer
//! index (`TIMER#publish_outbox`, due [`OutboxEntry::due_at`]); once settled it leaves the
//! index and gets a TTL.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::DynamoStore;
use super::codec::{Item, doc, json, n, s, sdk};
use super::keys;
use super::tx::{Role, Tx};
use crate::domain::{OUTBOX_KEEP, OutboxEntry, SweepJob};
use crate::ports::{DependencyError, InvalidCursor, OutboxStore, Page, StoreError, UpdateRefusal};

pub(super) fn outbox_item(entry: &OutboxEntry) -> Result<Item, DependencyError> {
    let mut item: Item = HashMap::from([
        ("pk".into(), s(keys::outbox_pk(entry.id))),
        ("sk".into(), s(keys::OUTBOX_SK)),
        ("kind".into(), s("outbox")),
        ("revision".into(), n(entry.revision)),
        ("doc".into(), s(json(entry)?)),
    ]);
    if entry.settled() {
        let expires = entry.created_at + OUTBOX_KEEP;
        item.insert("expires_at".into(), n(expires.timestamp()));
    } else {
        item.insert("gsi2pk".into(), s(keys::timer_pk(SweepJob::PublishOutbox)));
        item.insert("gsi2sk".into(), s(keys::index_sk(entry.due_at(), entry.id)));
    }
    Ok(item)
}

impl Tx<'_> {
    /// Puts a new outbox entry with the change that causes it.
    pub fn outbox(&mut self, entry: Option<&OutboxEntry>) -> Result<&mut Self, DependencyError> {
        if let Some(entry) = entry {
            self.put(
                Role::Outbox,
                outbox_item(entry)?,
                Some("attribute_not_exists(pk)"),
                &[],
            )?;
        }
        Ok(self)
    }
}

#[async_trait]
impl OutboxStore for DynamoStore {
    async fn outbox_entry(&self, id: Uuid) -> Result<Option<OutboxEntry>, DependencyError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(keys::outbox_pk(id)))
            .key("sk", s(keys::OUTBOX_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk)?;
        out.item
            .map(|item| doc::<OutboxEntry>(&item, "doc"))
            .transpose()
    }

    async fn save_outbox(&self, entry: &OutboxEntry) -> Result<(), StoreError<UpdateRefusal>> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(outbox_item(entry)?))
            .condition_expression("revision = :expected")
            .expression_attribute_values(":expected", n(entry.revision - 1))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => match e.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(_)) => {
                    Err(StoreError::Refused(UpdateRefusal::Stale))
                }
                _ => Err(sdk(e).into()),
            },
        }
    }

    async fn outbox_due(
        &self,
        before: DateTime<Utc>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<OutboxEntry>, StoreError<InvalidCursor>> {
        self.index_page(
            keys::TIMER_INDEX,
            keys::timer_pk(SweepJob::PublishOutbox),
            Some(before),
            false,
            limit,
            cursor,
            |item| doc::<OutboxEntry>(item, "doc"),
        )
        .await
    }
}
