//! `ApplicationRepository`: a submission in one transaction (application, history, number
//! lock, number history, counters, idempotency record), reads, and optimistic updates.

use std::collections::HashMap;

use async_trait::async_trait;
use uuid::Uuid;

use super::DynamoStore;
use super::codec::{
    Item, SERVICE, application_history_item, application_item, doc, get_s, idempotency_from_item,
    json, lock_from_item, n, number_event_item, s,
};
use super::keys::{self, LOCK_SK, time};
use super::tx::{Outcome, Role, Tx};
use crate::domain::{Application, HistoryEntry, OutboxEntry};
use crate::ports::{
    ApplicationRepository, ApplicationUpdate, CreateRefusal, DependencyError, IdempotencyStore,
    NewApplication, NumberChange, StoreError, StoredApplication, UpdateRefusal,
};

/// What a read of an application takes of its partition's items: the sort key tells the
/// application from its history entries, and the document is each one whole.
const APPLICATION_READ: &str = "sk, doc";

impl DynamoStore {
    /// The application, conditioned on `condition`, and its new history entries.
    fn put_application(
        tx: &mut Tx<'_>,
        app: &Application,
        history: &[HistoryEntry],
        condition: &str,
        values: &[(&str, aws_sdk_dynamodb::types::AttributeValue)],
    ) -> Result<(), DependencyError> {
        tx.put(
            Role::Application,
            application_item(app)?,
            Some(condition),
            values,
        )?;
        for (i, entry) in history.iter().enumerate() {
            tx.put(
                Role::ApplicationHistory,
                application_history_item(app, i, entry)?,
                None,
                &[],
            )?;
        }
        Ok(())
    }

    pub(super) async fn lock_item(
        &self,
        phone: &crate::domain::PhoneNumber,
    ) -> Result<Option<Item>, DependencyError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(keys::number_pk(phone)))
            .key("sk", s(LOCK_SK))
            .consistent_read(true)
            .send()
            .await
            .map_err(super::codec::sdk)?;
        Ok(out.item)
    }

    /// Every item of a partition, with strongly consistent reads.
    pub(super) async fn query_partition(&self, pk: String) -> Result<Vec<Item>, DependencyError> {
        self.query_partition_of(pk, None).await
    }

    /// Every item of a partition, with strongly consistent reads; `projection`, if any,
    /// names the only attributes to return.
    pub(super) async fn query_partition_of(
        &self,
        pk: String,
        projection: Option<&str>,
    ) -> Result<Vec<Item>, DependencyError> {
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
                .set_projection_expression(projection.map(str::to_owned))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(super::codec::sdk)?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }
}

#[async_trait]
impl ApplicationRepository for DynamoStore {
    async fn create(
        &self,
        new: NewApplication<'_>,
        outbox: Option<&OutboxEntry>,
    ) -> Result<(), StoreError<CreateRefusal>> {
        let app = new.application;
        let lock = new.lock;
        let mut tx = Tx::new(self);
        tx.outbox(outbox)?;
        Self::put_application(
            &mut tx,
            app,
            std::slice::from_ref(new.history),
            "attribute_not_exists(pk)",
            &[],
        )?;
        tx.update(
            Role::Lock,
            keys::number_pk(&lock.phone),
            LOCK_SK,
            "SET #state = :pending, org_inn = :inn, application_id = :app, hold_until = :hold, \
             updated_at = :now, employee = :employee, phone = :phone, bound_at = :now, \
             gsi3pk = :org_numbers, gsi3sk = :taken, \
             binding_base = if_not_exists(version, :zero) \
             REMOVE suspension, gsi2pk, gsi2sk ADD version :one",
            "attribute_not_exists(pk) OR #state = :deactivated OR (#state = :pending AND hold_until <= :now_ms)",
            vec![
                (":pending", s("pending")),
                (":deactivated", s("deactivated")),
                (":inn", s(lock.organization_inn.as_ref())),
                (":app", s(lock.application_id.to_string())),
                (":hold", n(lock.hold_until.unwrap_or(new.now).timestamp_millis())),
                (":now", s(time(new.now))),
                (":now_ms", n(new.now.timestamp_millis())),
                (":employee", s(json(&lock.employee)?)),
                (":phone", s(lock.phone.as_ref())),
                (":one", n(1)),
                (":zero", n(0)),
                (":org_numbers", s(keys::org_numbers_pk(&lock.organization_inn))),
                (":taken", s(format!("{}#{}", time(new.now), lock.phone))),
            ],
        )?;
        tx.put(
            Role::NumberHistory,
            number_event_item(&lock.phone, new.number_event, app.id)?,
            None,
            &[],
        )?;
        // A restriction set by an operator keeps the number out of every new binding.
        tx.check(
            Role::Restriction,
            keys::number_pk(&lock.phone),
            keys::RESTRICTION_SK,
            "attribute_not_exists(pk)",
        )?;
        tx.charges(new.charges)?;
        if let Some(claim) = new.idempotency {
            let item: Item = HashMap::from([
                ("pk".into(), s(keys::idempotency_pk(&claim.key))),
                ("sk".into(), s(keys::IDEMPOTENCY_SK)),
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
            tx.put(
                Role::Idempotency,
                item,
                // Written only with its application, a record keeps its key until it expires,
                // even when its request died: the retry recovers that application.
                Some("attribute_not_exists(pk) OR expires_at <= :now_s"),
                &[(":now_s", n(new.now.timestamp()))],
            )?;
        }
        let refused = match tx.run().await? {
            Outcome::Done => return Ok(()),
            Outcome::Refused(refused) => refused,
        };
        // Report the most specific refusal: a replay first, then the number, then limits.
        // Without a returned item, the item is read now.
        if let (Some(old), Some(claim)) = (refused.of(Role::Idempotency), new.idempotency) {
            let record = match old {
                Some(item) => Some(idempotency_from_item(item)?),
                None => self.record(&claim.key).await?,
            };
            if let Some(record) = record {
                return Err(StoreError::Refused(CreateRefusal::IdempotencyKeyTaken(
                    record,
                )));
            }
        }
        if let Some(old) = refused.of(Role::Lock) {
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
        if refused.of(Role::Restriction).is_some() {
            return Err(StoreError::Refused(CreateRefusal::NumberRestricted));
        }
        if let Some((counter, retry_after)) = refused.rate_limited(new.charges, new.now) {
            return Err(StoreError::Refused(CreateRefusal::RateLimited {
                counter,
                retry_after,
            }));
        }
        Err(DependencyError::new(
            SERVICE,
            "submission transaction refused for no known reason",
        )
        .into())
    }

    async fn get(&self, id: Uuid) -> Result<Option<StoredApplication>, DependencyError> {
        // An application's items carry their index keys too; only these two are read
        // (a tenth of the attributes DynamoDB would otherwise encode and the SDK decode).
        let items = self
            .query_partition_of(keys::application_pk(id), Some(APPLICATION_READ))
            .await?;
        let mut application = None;
        let mut history = Vec::new();
        for item in &items {
            match get_s(item, "sk")? {
                keys::APPLICATION_SK => application = Some(doc::<Application>(item, "doc")?),
                sk if sk.starts_with("H#") => history.push(doc::<HistoryEntry>(item, "doc")?),
                _ => {}
            }
        }
        Ok(application.map(|application| StoredApplication {
            application,
            history,
        }))
    }

    async fn update(
        &self,
        update: ApplicationUpdate<'_>,
        outbox: Option<&OutboxEntry>,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        let app = update.application;
        let mut tx = Tx::new(self);
        tx.outbox(outbox)?;
        Self::put_application(
            &mut tx,
            app,
            update.history,
            "revision = :expected",
            &[(":expected", n(app.revision - 1))],
        )?;
        if let Some(change) = &update.number {
            let (expression, extra, event) = match change {
                NumberChange::KeepHeld => (
                    "REMOVE hold_until SET updated_at = :now ADD version :one",
                    None,
                    None,
                ),
                // The application's employee: for a replacement, the employee of the
                // binding it replaces.
                NumberChange::Activate(event) => (
                    "REMOVE hold_until SET #state = :active, updated_at = :now, employee = :employee \
                     ADD version :one",
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
            if matches!(change, NumberChange::Activate(_)) {
                values.push((":employee", s(json(&app.employee)?)));
            }
            tx.update(
                Role::Lock,
                keys::number_pk(&app.phone),
                LOCK_SK,
                expression,
                "application_id = :app AND #state = :pending",
                values,
            )?;
            if let Some(event) = event {
                tx.put(
                    Role::NumberHistory,
                    number_event_item(&app.phone, event, Uuid::new_v4())?,
                    None,
                    &[],
                )?;
            }
        }
        if let Some(replaced) = &update.replaced {
            super::numbers::state_change(&mut tx, replaced, Role::ReplacedLock)?;
        }
        tx.charges(update.charges)?;
        match tx.run().await? {
            Outcome::Done => Ok(()),
            Outcome::Refused(refused) => Err(StoreError::Refused(refused.as_update(
                &[Role::Application, Role::Lock, Role::ReplacedLock],
                update.charges,
                update.now,
            )?)),
        }
    }
}
