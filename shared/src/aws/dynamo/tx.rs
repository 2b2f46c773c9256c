//! Transactions whose items carry their role, so a cancellation is decoded by role, in
//! one place, whatever the transaction.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, Delete, Put,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::DynamoStore;
use super::codec::{Item, SERVICE, n, s, sdk};
use super::keys;
use crate::ports::{DependencyError, RateCharge, RateCounter, UpdateRefusal};

/// Transactions cancelled only by a conflicting concurrent transaction are retried.
const CONFLICT_RETRIES: usize = 6;

/// What an item does in its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Application,
    ApplicationHistory,
    Lock,
    /// The number a replacement's approval deactivates.
    ReplacedLock,
    NumberHistory,
    Codes,
    Restriction,
    RestrictionHistory,
    /// The charge at this index of the charges given.
    Charge(usize),
    Idempotency,
    Outbox,
}

/// A transaction being built.
pub struct Tx<'a> {
    store: &'a DynamoStore,
    items: Vec<(Role, TransactWriteItem)>,
}

/// How a transaction ended.
pub enum Outcome {
    Done,
    /// Some conditions failed; nothing was written.
    Refused(Refusals),
}

/// The items whose conditions failed, each with the item as it was when the store
/// returned it (never when the store is told not to rely on returned items).
pub struct Refusals {
    failed: Vec<(Role, Option<Item>)>,
}

impl Refusals {
    /// Whether the item in `role` failed its condition, with the item if returned.
    pub fn of(&self, role: Role) -> Option<Option<&Item>> {
        self.failed
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, item)| item.as_ref())
    }

    pub fn any(&self, roles: &[Role]) -> bool {
        self.failed.iter().any(|(r, _)| roles.contains(r))
    }

    /// The refusal of an optimistic update: `Stale` when an item in `stale` failed (it
    /// changed since it was read), else the limit a charge hit.
    pub fn as_update(
        &self,
        stale: &[Role],
        charges: &[RateCharge],
        now: DateTime<Utc>,
    ) -> Result<UpdateRefusal, DependencyError> {
        if self.any(stale) {
            return Ok(UpdateRefusal::Stale);
        }
        match self.rate_limited(charges, now) {
            Some((counter, retry_after)) => Ok(UpdateRefusal::RateLimited {
                counter,
                retry_after,
            }),
            None => Err(DependencyError::new(
                SERVICE,
                "an update was refused by an item that has no condition",
            )),
        }
    }

    /// The first charge refused, and how long until its window ends.
    pub fn rate_limited(
        &self,
        charges: &[RateCharge],
        now: DateTime<Utc>,
    ) -> Option<(RateCounter, Duration)> {
        self.failed.iter().find_map(|(role, _)| match role {
            Role::Charge(i) => charges
                .get(*i)
                .map(|c| (c.counter.clone(), c.window.ends_at - now)),
            _ => None,
        })
    }
}

impl<'a> Tx<'a> {
    pub fn new(store: &'a DynamoStore) -> Self {
        Self {
            store,
            items: Vec::new(),
        }
    }

    /// Puts `item`, if `condition` (when given) holds.
    pub fn put(
        &mut self,
        role: Role,
        item: Item,
        condition: Option<&str>,
        values: &[(&str, AttributeValue)],
    ) -> Result<&mut Self, DependencyError> {
        let mut put = Put::builder()
            .table_name(&self.store.table)
            .set_item(Some(item));
        if let Some(c) = condition {
            put = put
                .condition_expression(c)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
            for (k, v) in values {
                put = put.expression_attribute_values(*k, v.clone());
            }
            if c.contains("#state") {
                put = put.expression_attribute_names("#state", "state");
            }
        }
        let put = put.build().map_err(|e| DependencyError::new(SERVICE, e))?;
        self.items
            .push((role, TransactWriteItem::builder().put(put).build()));
        Ok(self)
    }

    /// Updates the item at (`pk`, `sk`) with `expression`, if `condition` holds.
    pub fn update(
        &mut self,
        role: Role,
        pk: String,
        sk: &str,
        expression: &str,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<&mut Self, DependencyError> {
        let mut u = Update::builder()
            .table_name(&self.store.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression(expression)
            .condition_expression(condition)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (k, v) in values {
            u = u.expression_attribute_values(k, v);
        }
        if expression.contains("#state") || condition.contains("#state") {
            u = u.expression_attribute_names("#state", "state");
        }
        let u = u.build().map_err(|e| DependencyError::new(SERVICE, e))?;
        self.items
            .push((role, TransactWriteItem::builder().update(u).build()));
        Ok(self)
    }

    /// Fails the transaction unless `condition` holds for the item at (`pk`, `sk`), which
    /// it leaves as it is.
    pub fn check(
        &mut self,
        role: Role,
        pk: String,
        sk: &str,
        condition: &str,
    ) -> Result<&mut Self, DependencyError> {
        let c = ConditionCheck::builder()
            .table_name(&self.store.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression(condition)
            .build()
            .map_err(|e| DependencyError::new(SERVICE, e))?;
        self.items.push((
            role,
            TransactWriteItem::builder().condition_check(c).build(),
        ));
        Ok(self)
    }

    /// Deletes the item at (`pk`, `sk`) if `condition` holds.
    pub fn delete(
        &mut self,
        role: Role,
        pk: String,
        sk: &str,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<&mut Self, DependencyError> {
        let mut d = Delete::builder()
            .table_name(&self.store.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .condition_expression(condition);
        for (k, v) in values {
            d = d.expression_attribute_values(k, v);
        }
        let d = d.build().map_err(|e| DependencyError::new(SERVICE, e))?;
        self.items
            .push((role, TransactWriteItem::builder().delete(d).build()));
        Ok(self)
    }

    /// Charges each counter, refused if it would pass its limit (`Role::Charge(i)`).
    pub fn charges(&mut self, charges: &[RateCharge]) -> Result<&mut Self, DependencyError> {
        for (i, c) in charges.iter().enumerate() {
            let (pk, sk) = keys::counter_key(c);
            // Counters outlive their window by a day, then TTL removes them.
            let expires = c.window.ends_at.timestamp() + 86_400;
            self.update(
                Role::Charge(i),
                pk,
                &sk,
                "ADD n :one SET expires_at = if_not_exists(expires_at, :exp)",
                "attribute_not_exists(n) OR n < :limit",
                vec![(":one", n(1)), (":exp", n(expires)), (":limit", n(c.limit))],
            )?;
        }
        Ok(self)
    }

    /// Runs the transaction, retrying it while it is cancelled only by concurrent
    /// transactions.
    pub async fn run(self) -> Result<Outcome, DependencyError> {
        let (roles, items): (Vec<Role>, Vec<TransactWriteItem>) = self.items.into_iter().unzip();
        for attempt in 0..CONFLICT_RETRIES {
            let result = self
                .store
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .client_request_token(Uuid::new_v4().to_string())
                .send()
                .await;
            let error = match result {
                Ok(_) => return Ok(Outcome::Done),
                Err(e) => e,
            };
            let reasons: Vec<CancellationReason> = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(c)) => {
                    c.cancellation_reasons().to_vec()
                }
                Some(TransactWriteItemsError::TransactionInProgressException(_)) => Vec::new(),
                _ => return Err(sdk(error)),
            };
            let failed: Vec<(Role, Option<Item>)> = reasons
                .iter()
                .zip(&roles)
                .filter(|(r, _)| r.code() == Some("ConditionalCheckFailed"))
                .map(|(r, role)| {
                    let item = r.item().filter(|_| self.store.use_returned_items).cloned();
                    (*role, item)
                })
                .collect();
            if !failed.is_empty() {
                return Ok(Outcome::Refused(Refusals { failed }));
            }
            let only_conflicts = reasons
                .iter()
                .all(|r| matches!(r.code(), None | Some("None" | "TransactionConflict")));
            if !only_conflicts {
                return Err(sdk(error));
            }
            let backoff = 10u64 * (1 << attempt) + u64::from(Uuid::new_v4().as_bytes()[0] % 20);
            tokio::time::sleep(std::time::Duration::from_millis(backoff)).await;
        }
        Err(DependencyError::new(
            SERVICE,
            "transaction kept conflicting with concurrent writes",
        ))
    }
}
