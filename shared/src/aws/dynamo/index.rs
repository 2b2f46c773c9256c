//! `ReviewIndex`: applications by status and age (`gsi1`) and the sweeper's timers (`gsi2`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::DynamoStore;
use super::codec::{Item, decode_cursor, doc, encode_cursor, lock_from_item, s, sdk};
use super::keys::{self, ORG_INDEX, STATUS_INDEX, TIMER_INDEX, time};
use crate::domain::{Application, ApplicationStatus, Inn, NumberLock, SweepJob};
use crate::ports::{InvalidCursor, OrganizationIndex, Page, ReviewIndex, StoreError};

impl DynamoStore {
    /// One page of `index`'s partition `partition` (oldest first unless `newest_first`),
    /// keys below `before` when given, each item decoded by `decode`.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn index_page<T>(
        &self,
        index: &str,
        partition: String,
        before: Option<DateTime<Utc>>,
        newest_first: bool,
        limit: u32,
        cursor: Option<&str>,
        decode: impl Fn(&Item) -> Result<T, crate::ports::DependencyError>,
    ) -> Result<Page<T>, StoreError<InvalidCursor>> {
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
            .scan_index_forward(!newest_first)
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
            .map(decode)
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
            false,
            limit,
            cursor,
            application,
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
            false,
            limit,
            cursor,
            application,
        )
        .await
    }
}

fn application(item: &Item) -> Result<Application, crate::ports::DependencyError> {
    doc::<Application>(item, "doc")
}

#[async_trait]
impl OrganizationIndex for DynamoStore {
    async fn applications_of(
        &self,
        inn: &Inn,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Application>, StoreError<InvalidCursor>> {
        self.index_page(
            ORG_INDEX,
            keys::org_applications_pk(inn),
            None,
            true,
            limit,
            cursor,
            application,
        )
        .await
    }

    async fn numbers_of(
        &self,
        inn: &Inn,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<NumberLock>, StoreError<InvalidCursor>> {
        self.index_page(
            ORG_INDEX,
            keys::org_numbers_pk(inn),
            None,
            true,
            limit,
            cursor,
            lock_from_item,
        )
        .await
    }
}
