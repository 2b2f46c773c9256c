//! The single-table DynamoDB store (SPEC 7). Item layout (see docs/data.md):
//!
//! | item | pk | sk |
//! |---|---|---|
//! | application | `APP#<id>` | `A` |
//! | application history | `APP#<id>` | `H#<revision>#<n>` |
//! | number lock | `NUM#<phone>` | `L` |
//! | number history | `NUM#<phone>` | `H#<time>#<id>` |
//! | number code ledger | `NUM#<phone>` | `C` |
//! | idempotency record | `IDEM#<hash of org and key>` | `I` |
//! | rate counter | `RATE#ORG#<inn>` / `RATE#PHONE#<phone>` | `W#<day index>` |
//!
//! Applications carry `gsi1pk = STATUS#<status>`, `gsi1sk = <since>#<id>` for the
//! status-and-age index, and, while the sweeper has a job for them, `gsi2pk = TIMER#<job>`,
//! `gsi2sk = <due>#<id>` for the timer index (sparse: an application without a timer is
//! not in it). Expiry is always checked in code; TTL only cleans up.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

use crate::domain::{
    Application, ApplicationStatus, Employee, HistoryEntry, Inn, NumberCodes, NumberLock,
    NumberRequest, NumberState, PhoneNumber, SweepJob,
};
use crate::ports::{
    ApplicationRepository, ApplicationUpdate, CreateRefusal, DependencyError, IdempotencyRecord,
    IdempotencyState, IdempotencyStore, InvalidCursor, NewApplication, NumberChange, NumberEvent,
    NumberRegistry, Page, RateCharge, RateCounter, ReviewIndex, StoreError, StoredApplication,
    StoredNumber, StoredResponse, UpdateRefusal,
};

type Item = HashMap<String, AttributeValue>;

/// Name of the status-and-age index.
pub const STATUS_INDEX: &str = "gsi1";
/// Name of the sweeper's timer index.
pub const TIMER_INDEX: &str = "gsi2";
const SERVICE: &str = "dynamodb";
/// Transactions cancelled only by a conflicting concurrent transaction are retried.
const CONFLICT_RETRIES: usize = 6;

#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// Whether to use the item a cancelled transaction returns with its condition failure
    /// (`ReturnValuesOnConditionCheckFailure`). Stores that return none (YDB's Document
    /// API documents no such return) are served by reading the item afterwards instead.
    use_returned_items: bool,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn corrupt(what: &str) -> DependencyError {
    DependencyError::new(SERVICE, format!("unreadable item: {what}"))
}

fn sdk<E, R>(e: SdkError<E, R>) -> DependencyError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    super::sdk_failure(SERVICE, e)
}

fn get_s<'a>(item: &'a Item, key: &str) -> Result<&'a str, DependencyError> {
    item.get(key)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| corrupt(key))
}

fn get_n(item: &Item, key: &str) -> Result<i64, DependencyError> {
    item.get(key)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| corrupt(key))
}

fn doc<T: serde::de::DeserializeOwned>(item: &Item, key: &str) -> Result<T, DependencyError> {
    serde_json::from_str(get_s(item, key)?).map_err(|e| corrupt(&format!("{key}: {e}")))
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, DependencyError> {
    serde_json::to_string(v).map_err(|e| DependencyError::new(SERVICE, e))
}

pub fn application_pk(id: Uuid) -> String {
    format!("APP#{id}")
}

pub fn number_pk(phone: &PhoneNumber) -> String {
    format!("NUM#{phone}")
}

fn timer_pk(job: SweepJob) -> String {
    format!("TIMER#{}", job.as_str())
}

fn idempotency_pk(key: &str) -> String {
    format!("IDEM#{key}")
}

fn counter_key(c: &RateCharge) -> (String, String) {
    let pk = match &c.counter {
        RateCounter::ApplicationsPerOrganization(inn) => format!("RATE#ORG#{inn}"),
        RateCounter::SmsPerPhone(phone) => format!("RATE#PHONE#{phone}"),
    };
    (pk, format!("W#{}", c.window.index))
}

/// Why a transaction did not apply.
enum TxOutcome {
    Done,
    /// Condition failures by item index, with the item as it was when one was returned.
    ConditionsFailed(Vec<(usize, Option<Item>)>),
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            use_returned_items: true,
        }
    }

    /// Stops relying on items returned with condition failures (see `use_returned_items`).
    pub fn without_returned_items(mut self) -> Self {
        self.use_returned_items = false;
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn put(
        &self,
        item: Item,
        condition: Option<&str>,
        values: &[(&str, AttributeValue)],
    ) -> Result<TransactWriteItem, DependencyError> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
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
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn update(
        &self,
        pk: String,
        sk: &str,
        expression: &str,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<TransactWriteItem, DependencyError> {
        let mut u = Update::builder()
            .table_name(&self.table)
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
        Ok(TransactWriteItem::builder().update(u).build())
    }

    fn charge_item(&self, c: &RateCharge) -> Result<TransactWriteItem, DependencyError> {
        let (pk, sk) = counter_key(c);
        // Counters outlive their window by a day, then TTL removes them.
        let expires = c.window.ends_at.timestamp() + 86_400;
        self.update(
            pk,
            &sk,
            "ADD n :one SET expires_at = if_not_exists(expires_at, :exp)",
            "attribute_not_exists(n) OR n < :limit",
            vec![(":one", n(1)), (":exp", n(expires)), (":limit", n(c.limit))],
        )
    }

    fn application_item(&self, app: &Application) -> Result<Item, DependencyError> {
        let mut item: Item = HashMap::from([
            ("pk".into(), s(application_pk(app.id))),
            ("sk".into(), s("A")),
            ("kind".into(), s("application")),
            ("status".into(), s(app.status.as_str())),
            ("revision".into(), n(app.revision)),
            ("org_inn".into(), s(app.organization.inn.as_ref())),
            (
                "gsi1pk".into(),
                s(format!("STATUS#{}", app.status.as_str())),
            ),
            (
                "gsi1sk".into(),
                s(format!("{}#{}", time(app.status_since), app.id)),
            ),
            ("doc".into(), s(json(app)?)),
        ]);
        if let Some((job, due)) = app.timer() {
            item.insert("gsi2pk".into(), s(timer_pk(job)));
            item.insert("gsi2sk".into(), s(format!("{}#{}", time(due), app.id)));
        }
        Ok(item)
    }

    fn history_items(
        &self,
        app: &Application,
        entries: &[HistoryEntry],
    ) -> Result<Vec<TransactWriteItem>, DependencyError> {
        entries
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let item = HashMap::from([
                    ("pk".into(), s(application_pk(app.id))),
                    ("sk".into(), s(format!("H#{:012}#{i:03}", app.revision))),
                    ("kind".into(), s("application_history")),
                    ("doc".into(), s(json(entry)?)),
                ]);
                self.put(item, None, &[])
            })
            .collect()
    }

    fn number_event_item(
        &self,
        phone: &PhoneNumber,
        event: &NumberEvent,
        discriminator: Uuid,
    ) -> Result<TransactWriteItem, DependencyError> {
        let item = HashMap::from([
            ("pk".into(), s(number_pk(phone))),
            (
                "sk".into(),
                s(format!("H#{}#{discriminator}", time(event.at))),
            ),
            ("kind".into(), s("number_history")),
            ("doc".into(), s(json(event)?)),
        ]);
        self.put(item, None, &[])
    }

    /// Runs a transaction, retrying it while it is cancelled only by concurrent transactions.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<TxOutcome, DependencyError> {
        for attempt in 0..CONFLICT_RETRIES {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .client_request_token(Uuid::new_v4().to_string())
                .send()
                .await;
            let error = match result {
                Ok(_) => return Ok(TxOutcome::Done),
                Err(e) => e,
            };
            let reasons: Vec<CancellationReason> = match error.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(c)) => {
                    c.cancellation_reasons().to_vec()
                }
                Some(TransactWriteItemsError::TransactionInProgressException(_)) => Vec::new(),
                _ => return Err(sdk(error)),
            };
            let failed: Vec<(usize, Option<Item>)> = reasons
                .iter()
                .enumerate()
                .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                .map(|(i, r)| (i, r.item().filter(|_| self.use_returned_items).cloned()))
                .collect();
            if !failed.is_empty() {
                return Ok(TxOutcome::ConditionsFailed(failed));
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

    async fn lock_item(&self, phone: &PhoneNumber) -> Result<Option<Item>, DependencyError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(number_pk(phone)))
            .key("sk", s("L"))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk)?;
        Ok(out.item)
    }

    async fn query_partition(&self, pk: String) -> Result<Vec<Item>, DependencyError> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(pk.clone()))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk)?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }
}

fn lock_from_item(item: &Item) -> Result<NumberLock, DependencyError> {
    let state = match get_s(item, "state")? {
        "pending" => NumberState::Pending,
        "active" => NumberState::Active,
        "deactivated" => NumberState::Deactivated,
        other => return Err(corrupt(&format!("state {other}"))),
    };
    let hold_until = match item.get("hold_until") {
        Some(_) => Some(
            DateTime::from_timestamp_millis(get_n(item, "hold_until")?)
                .ok_or_else(|| corrupt("hold_until"))?,
        ),
        None => None,
    };
    Ok(NumberLock {
        phone: PhoneNumber::parse(get_s(item, "phone")?).map_err(|_| corrupt("phone"))?,
        state,
        organization_inn: Inn::parse(get_s(item, "org_inn")?).map_err(|_| corrupt("org_inn"))?,
        application_id: Uuid::parse_str(get_s(item, "application_id")?)
            .map_err(|_| corrupt("application_id"))?,
        employee: doc::<Employee>(item, "employee")?,
        hold_until,
        updated_at: DateTime::parse_from_rfc3339(get_s(item, "updated_at")?)
            .map_err(|_| corrupt("updated_at"))?
            .with_timezone(&Utc),
        version: u64::try_from(get_n(item, "version")?).map_err(|_| corrupt("version"))?,
        binding_base: match item.get("binding_base") {
            Some(_) => {
                u64::try_from(get_n(item, "binding_base")?).map_err(|_| corrupt("binding_base"))?
            }
            None => 0,
        },
    })
}

fn idempotency_from_item(item: &Item) -> Result<IdempotencyRecord, DependencyError> {
    let state = match get_s(item, "state")? {
        "in_progress" => IdempotencyState::InProgress {
            until: DateTime::from_timestamp_millis(get_n(item, "in_progress_until")?)
                .ok_or_else(|| corrupt("until"))?,
        },
        "completed" => IdempotencyState::Completed(doc::<StoredResponse>(item, "response")?),
        other => return Err(corrupt(&format!("idempotency state {other}"))),
    };
    Ok(IdempotencyRecord {
        request_hash: get_s(item, "request_hash")?.to_owned(),
        state,
        expires_at: DateTime::from_timestamp(get_n(item, "expires_at")?, 0)
            .ok_or_else(|| corrupt("expires_at"))?,
        application_id: match item.get("application_id") {
            Some(_) => Some(
                Uuid::parse_str(get_s(item, "application_id")?)
                    .map_err(|_| corrupt("application_id"))?,
            ),
            None => None,
        },
    })
}

#[async_trait]
impl ApplicationRepository for DynamoStore {
    async fn create(&self, new: NewApplication<'_>) -> Result<(), StoreError<CreateRefusal>> {
        let app = new.application;
        let lock = new.lock;
        let now_ms = new.now.timestamp_millis();
        let mut items = vec![
            self.put(self.application_item(app)?, Some("attribute_not_exists(pk)"), &[])?,
            self.history_items(app, std::slice::from_ref(new.history))?.remove(0),
            self.update(
                number_pk(&lock.phone),
                "L",
                "SET #state = :pending, org_inn = :inn, application_id = :app, hold_until = :hold, \
                 updated_at = :now, employee = :employee, phone = :phone, \
                 binding_base = if_not_exists(version, :zero) ADD version :one",
                "attribute_not_exists(pk) OR #state = :deactivated OR (#state = :pending AND hold_until <= :now_ms)",
                vec![
                    (":pending", s("pending")),
                    (":deactivated", s("deactivated")),
                    (":inn", s(lock.organization_inn.as_ref())),
                    (":app", s(lock.application_id.to_string())),
                    (":hold", n(lock.hold_until.unwrap_or(new.now).timestamp_millis())),
                    (":now", s(time(new.now))),
                    (":now_ms", n(now_ms)),
                    (":employee", s(json(&lock.employee)?)),
                    (":phone", s(lock.phone.as_ref())),
                    (":one", n(1)),
                    (":zero", n(0)),
                ],
            )?,
            self.number_event_item(&lock.phone, new.number_event, app.id)?,
        ];
        const LOCK_INDEX: usize = 2;
        let first_charge = items.len();
        for c in new.charges {
            items.push(self.charge_item(c)?);
        }
        let idempotency_index = items.len();
        if let Some(claim) = new.idempotency {
            let item = HashMap::from([
                ("pk".into(), s(idempotency_pk(&claim.key))),
                ("sk".into(), s("I")),
                ("kind".into(), s("idempotency")),
                ("state".into(), s("in_progress")),
                ("request_hash".into(), s(&claim.request_hash)),
                ("application_id".into(), s(app.id.to_string())),
                (
                    "in_progress_until".into(),
                    n(claim.in_progress_until.timestamp_millis()),
                ),
                ("expires_at".into(), n(claim.expires_at.timestamp())),
            ]);
            items.push(self.put(
                item,
                // Written only with its application, a record keeps its key until it expires,
                // even when its request died: the retry recovers that application.
                Some("attribute_not_exists(pk) OR expires_at <= :now_s"),
                &[(":now_s", n(new.now.timestamp()))],
            )?);
        }
        let failed = match self.transact(items).await? {
            TxOutcome::Done => return Ok(()),
            TxOutcome::ConditionsFailed(failed) => failed,
        };
        // Report the most specific refusal: a replay first, then the number, then limits.
        if let Some((_, old)) = failed
            .iter()
            .find(|(i, _)| *i == idempotency_index && new.idempotency.is_some())
        {
            let record = match old {
                Some(item) => Some(idempotency_from_item(item)?),
                None => match new.idempotency {
                    Some(claim) => self.record(&claim.key).await?,
                    None => None,
                },
            };
            if let Some(record) = record {
                return Err(StoreError::Refused(CreateRefusal::IdempotencyKeyTaken(
                    record,
                )));
            }
        }
        if let Some((_, old)) = failed.iter().find(|(i, _)| *i == LOCK_INDEX) {
            let item = match old {
                Some(item) => Some(item.clone()),
                None => self.lock_item(&lock.phone).await?,
            };
            if let Some(item) = item {
                return Err(StoreError::Refused(CreateRefusal::NumberHeld(
                    lock_from_item(&item)?,
                )));
            }
        }
        if let Some((i, _)) = failed
            .iter()
            .find(|(i, _)| (first_charge..idempotency_index).contains(i))
        {
            let charge = &new.charges[i - first_charge];
            return Err(StoreError::Refused(CreateRefusal::RateLimited {
                counter: charge.counter.clone(),
                retry_after: charge.window.ends_at - new.now,
            }));
        }
        Err(DependencyError::new(
            SERVICE,
            "submission transaction refused for no known reason",
        )
        .into())
    }

    async fn get(&self, id: Uuid) -> Result<Option<StoredApplication>, DependencyError> {
        let items = self.query_partition(application_pk(id)).await?;
        let mut application = None;
        let mut history = Vec::new();
        for item in &items {
            match get_s(item, "sk")? {
                "A" => application = Some(doc::<Application>(item, "doc")?),
                sk if sk.starts_with("H#") => history.push(doc::<HistoryEntry>(item, "doc")?),
                _ => {}
            }
        }
        Ok(application.map(|application| StoredApplication {
            application,
            history,
        }))
    }

    async fn update(&self, update: ApplicationUpdate<'_>) -> Result<(), StoreError<UpdateRefusal>> {
        let app = update.application;
        let mut items = vec![self.put(
            self.application_item(app)?,
            Some("revision = :expected"),
            &[(":expected", n(app.revision - 1))],
        )?];
        items.extend(self.history_items(app, update.history)?);
        let number_index = items.len();
        if let Some(change) = &update.number {
            let (expression, extra, event) = match change {
                NumberChange::KeepHeld => (
                    "REMOVE hold_until SET updated_at = :now ADD version :one",
                    None,
                    None,
                ),
                NumberChange::Activate(event) => (
                    "REMOVE hold_until SET #state = :active, updated_at = :now ADD version :one",
                    Some((":active", s("active"))),
                    Some(event),
                ),
                NumberChange::Release(event) => (
                    "SET hold_until = :now_ms, updated_at = :now ADD version :one",
                    Some((":now_ms", n(update.now.timestamp_millis()))),
                    Some(event),
                ),
            };
            let mut values = vec![
                (":now", s(time(update.now))),
                (":one", n(1)),
                (":app", s(app.id.to_string())),
                (":pending", s("pending")),
            ];
            values.extend(extra);
            items.push(self.update(
                number_pk(&app.phone),
                "L",
                expression,
                "application_id = :app AND #state = :pending",
                values,
            )?);
            if let Some(event) = event {
                items.push(self.number_event_item(&app.phone, event, Uuid::new_v4())?);
            }
        }
        let first_charge = items.len();
        for c in update.charges {
            items.push(self.charge_item(c)?);
        }
        match self.transact(items).await? {
            TxOutcome::Done => Ok(()),
            TxOutcome::ConditionsFailed(failed) => {
                if failed
                    .iter()
                    .any(|(i, _)| *i == 0 || (update.number.is_some() && *i == number_index))
                {
                    return Err(StoreError::Refused(UpdateRefusal::Stale));
                }
                let (i, _) = failed
                    .first()
                    .ok_or_else(|| DependencyError::new(SERVICE, "no failure reason"))?;
                let charge = update
                    .charges
                    .get(i - first_charge)
                    .ok_or_else(|| DependencyError::new(SERVICE, "unexpected condition failure"))?;
                Err(StoreError::Refused(UpdateRefusal::RateLimited {
                    counter: charge.counter.clone(),
                    retry_after: charge.window.ends_at - update.now,
                }))
            }
        }
    }
}

#[async_trait]
impl NumberRegistry for DynamoStore {
    async fn number(&self, phone: &PhoneNumber) -> Result<Option<StoredNumber>, DependencyError> {
        let items = self.query_partition(number_pk(phone)).await?;
        let mut lock = None;
        let mut history = Vec::new();
        let mut codes = None;
        for item in &items {
            match get_s(item, "sk")? {
                "L" => lock = Some(lock_from_item(item)?),
                "C" => codes = Some(doc::<NumberCodes>(item, "doc")?),
                sk if sk.starts_with("H#") => history.push(doc::<NumberEvent>(item, "doc")?),
                _ => {}
            }
        }
        Ok(lock.map(|lock| StoredNumber {
            lock,
            history,
            codes,
        }))
    }

    async fn save_codes(
        &self,
        codes: &NumberCodes,
        charges: &[RateCharge],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        let mut items = vec![self.codes_put(codes)?];
        for c in charges {
            items.push(self.charge_item(c)?);
        }
        match self.transact(items).await? {
            TxOutcome::Done => Ok(()),
            TxOutcome::ConditionsFailed(failed) => {
                if failed.iter().any(|(i, _)| *i == 0) {
                    return Err(StoreError::Refused(UpdateRefusal::Stale));
                }
                let (i, _) = failed
                    .first()
                    .ok_or_else(|| DependencyError::new(SERVICE, "no failure reason"))?;
                let charge = charges
                    .get(i - 1)
                    .ok_or_else(|| DependencyError::new(SERVICE, "unexpected condition failure"))?;
                Err(StoreError::Refused(UpdateRefusal::RateLimited {
                    counter: charge.counter.clone(),
                    retry_after: charge.window.ends_at - now,
                }))
            }
        }
    }

    async fn deactivate(
        &self,
        codes: &NumberCodes,
        request: &NumberRequest,
        event: &NumberEvent,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        let items = vec![
            self.codes_put(codes)?,
            self.update(
                number_pk(&codes.phone),
                "L",
                "SET #state = :deactivated, updated_at = :now ADD version :one",
                "#state = :active AND org_inn = :inn AND version = :binding",
                vec![
                    (":deactivated", s("deactivated")),
                    (":active", s("active")),
                    (":inn", s(request.organization_inn.as_ref())),
                    (":binding", n(request.binding_version)),
                    (":now", s(time(now))),
                    (":one", n(1)),
                ],
            )?,
            self.number_event_item(&codes.phone, event, request.id)?,
        ];
        match self.transact(items).await? {
            TxOutcome::Done => Ok(()),
            TxOutcome::ConditionsFailed(_) => Err(StoreError::Refused(UpdateRefusal::Stale)),
        }
    }

    async fn rebind(
        &self,
        lock: &NumberLock,
        event: &NumberEvent,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        let items = vec![
            self.update(
                number_pk(&lock.phone),
                "L",
                "SET employee = :employee, updated_at = :now, version = :new",
                "version = :old AND #state = :active",
                vec![
                    (":employee", s(json(&lock.employee)?)),
                    (":now", s(time(lock.updated_at))),
                    (":new", n(lock.version)),
                    (":old", n(lock.version - 1)),
                    (":active", s("active")),
                ],
            )?,
            self.number_event_item(&lock.phone, event, Uuid::new_v4())?,
        ];
        match self.transact(items).await? {
            TxOutcome::Done => Ok(()),
            TxOutcome::ConditionsFailed(_) => Err(StoreError::Refused(UpdateRefusal::Stale)),
        }
    }
}

impl DynamoStore {
    /// The number's code ledger, conditioned on the revision it was read at.
    fn codes_put(&self, c: &NumberCodes) -> Result<TransactWriteItem, DependencyError> {
        let item = HashMap::from([
            ("pk".into(), s(number_pk(&c.phone))),
            ("sk".into(), s("C")),
            ("kind".into(), s("number_codes")),
            ("revision".into(), n(c.revision)),
            ("doc".into(), s(json(c)?)),
        ]);
        if c.revision == 1 {
            self.put(item, Some("attribute_not_exists(pk)"), &[])
        } else {
            self.put(
                item,
                Some("revision = :expected"),
                &[(":expected", n(c.revision - 1))],
            )
        }
    }
}

/// Cursor: base64url of the index's last evaluated key (all string attributes).
fn encode_cursor(key: &Item) -> Option<String> {
    use base64::Engine;
    let map: serde_json::Map<String, serde_json::Value> = key
        .iter()
        .map(|(k, v)| {
            v.as_s()
                .ok()
                .map(|s| (k.clone(), serde_json::Value::String(s.clone())))
        })
        .collect::<Option<_>>()?;
    Some(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::Value::Object(map).to_string()),
    )
}

fn decode_cursor(cursor: &str, index: &str, partition: &str) -> Option<Item> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let map: HashMap<String, String> = serde_json::from_slice(&bytes).ok()?;
    let (ipk, isk) = (format!("{index}pk"), format!("{index}sk"));
    let expected = ["pk", "sk", ipk.as_str(), isk.as_str()];
    if map.len() != expected.len()
        || !expected.iter().all(|k| map.contains_key(*k))
        || map.get(&ipk).map(String::as_str) != Some(partition)
    {
        return None;
    }
    Some(map.into_iter().map(|(k, v)| (k, s(v))).collect())
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
        let gsi1pk = format!("STATUS#{}", status.as_str());
        let start = match cursor {
            None => None,
            Some(c) => Some(
                decode_cursor(c, STATUS_INDEX, &gsi1pk)
                    .ok_or(StoreError::Refused(InvalidCursor))?,
            ),
        };
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(STATUS_INDEX)
            .expression_attribute_values(":pk", s(gsi1pk))
            .limit(i32::try_from(limit.max(1)).unwrap_or(100))
            .scan_index_forward(true)
            .set_exclusive_start_key(start);
        query = match entered_before {
            Some(before) => query
                .key_condition_expression("gsi1pk = :pk AND gsi1sk < :before")
                .expression_attribute_values(":before", s(time(before))),
            None => query.key_condition_expression("gsi1pk = :pk"),
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

    async fn due(
        &self,
        job: SweepJob,
        before: DateTime<Utc>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Application>, StoreError<InvalidCursor>> {
        let partition = timer_pk(job);
        let start = match cursor {
            None => None,
            Some(c) => Some(
                decode_cursor(c, TIMER_INDEX, &partition)
                    .ok_or(StoreError::Refused(InvalidCursor))?,
            ),
        };
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(TIMER_INDEX)
            .key_condition_expression("gsi2pk = :pk AND gsi2sk < :before")
            .expression_attribute_values(":pk", s(partition))
            .expression_attribute_values(":before", s(time(before)))
            .limit(i32::try_from(limit.max(1)).unwrap_or(100))
            .scan_index_forward(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk)?;
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
impl IdempotencyStore for DynamoStore {
    async fn record(&self, key: &str) -> Result<Option<IdempotencyRecord>, DependencyError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(idempotency_pk(key)))
            .key("sk", s("I"))
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
            .key("pk", s(idempotency_pk(key)))
            .key("sk", s("I"))
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
