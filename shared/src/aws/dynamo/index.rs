//! `ReviewIndex`: applications by status and age (`gsi1`) and the sweeper's timers (`gsi2`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::DynamoStore;
use super::codec::{decode_cursor, doc, encode_cursor, s, sdk};
use super::keys::{self, STATUS_INDEX, TIMER_INDEX, time};
use crate::domain::{Application, ApplicationStatus, SweepJob};
use crate::ports::{InvalidCursor, Page, ReviewIndex, StoreError};

impl DynamoStore {
    /// One page of `index`'s partition `partition`, keys below `before` when given.
    async fn index_page(
        &self,
        index: &str,
        partition: String,
        before: Option<DateTime<Utc>>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Application>, StoreError<InvalidCursor>> {
        let start = match cursor {
            None => None,
            Some(c) => Some(
                decode_cursor(c, index, &partition).ok_or(StoreError::Refused(InvalidCursor))?,
            ),
        };
        let (pk, sk) = (format!("{index}pk"), format!("{index}sk"));
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .expression_attribute_values(":pk", s(partition))
            .limit(i32::try_from(limit.max(1)).unwrap_or(100))
            .scan_index_forward(true)
            .set_exclusive_start_key(start);
        query = match before {
            Some(before) => query
                .key_condition_expression(format!("{pk} = :pk AND {sk} < :before"))
                .expression_attribute_values(":before", s(time(before))),
            None => query.key_condition_expression(format!("{pk} = :pk")),
        };
        let out = query.send().await.map_err(sdk)?;
        let items = out
            .items
            .unwrap_or_default()
            .iter()
            .map(|item| doc::<Application>(item, "doc"))
            .collect::<Result<Vec<_>, _>>()?;
        let next = out
            .last_evaluated_key
            .as_ref()
            .filter(|k| !k.is_empty())
            .and_then(encode_cursor);
        Ok(Page { items, next })
    }
}

#[async_trait]
impl ReviewIndex for DynamoStore {
    async fn by_status(
        &self,
        status: ApplicationStatus,
        entered_before: Option<DateTime<Utc>>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Application>, StoreError<InvalidCursor>> {
        self.index_page(
            STATUS_INDEX,
            keys::status_pk(status),
            entered_before,
            limit,
            cursor,
        )
        .await
    }

    async fn due(
        &self,
        job: SweepJob,
        before: DateTime<Utc>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Application>, StoreError<InvalidCursor>> {
        self.index_page(
            TIMER_INDEX,
            keys::timer_pk(job),
            Some(before),
            limit,
            cursor,
        )
        .await
    }
}
