//! `NumberRegistry`: a number with its history and code ledger in one query; the ledger,
//! deactivation and rebinding as conditioned transactions.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::DynamoStore;
use super::codec::{doc, get_s, json, lock_from_item, n, number_event_item, s};
use super::keys::{self, CODES_SK, LOCK_SK, time};
use super::tx::{Outcome, Role, Tx};
use crate::domain::{NumberCodes, NumberLock, NumberRequest, PhoneNumber};
use crate::ports::{
    DependencyError, NumberEvent, NumberRegistry, RateCharge, StoreError, StoredNumber,
    UpdateRefusal,
};

/// The number's code ledger, conditioned on the revision it was read at.
fn put_codes(tx: &mut Tx<'_>, c: &NumberCodes) -> Result<(), DependencyError> {
    let item = HashMap::from([
        ("pk".into(), s(keys::number_pk(&c.phone))),
        ("sk".into(), s(CODES_SK)),
        ("kind".into(), s("number_codes")),
        ("revision".into(), n(c.revision)),
        ("doc".into(), s(json(c)?)),
    ]);
    if c.revision == 1 {
        tx.put(Role::Codes, item, Some("attribute_not_exists(pk)"), &[])?;
    } else {
        tx.put(
            Role::Codes,
            item,
            Some("revision = :expected"),
            &[(":expected", n(c.revision - 1))],
        )?;
    }
    Ok(())
}

#[async_trait]
impl NumberRegistry for DynamoStore {
    async fn number(&self, phone: &PhoneNumber) -> Result<Option<StoredNumber>, DependencyError> {
        let items = self.query_partition(keys::number_pk(phone)).await?;
        let mut lock = None;
        let mut history = Vec::new();
        let mut codes = None;
        for item in &items {
            match get_s(item, "sk")? {
                LOCK_SK => lock = Some(lock_from_item(item)?),
                CODES_SK => codes = Some(doc::<NumberCodes>(item, "doc")?),
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
        let mut tx = Tx::new(self);
        put_codes(&mut tx, codes)?;
        tx.charges(charges)?;
        match tx.run().await? {
            Outcome::Done => Ok(()),
            Outcome::Refused(refused) => Err(StoreError::Refused(refused.as_update(
                &[Role::Codes],
                charges,
                now,
            )?)),
        }
    }

    async fn deactivate(
        &self,
        codes: &NumberCodes,
        request: &NumberRequest,
        event: &NumberEvent,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        let mut tx = Tx::new(self);
        put_codes(&mut tx, codes)?;
        tx.update(
            Role::Lock,
            keys::number_pk(&codes.phone),
            LOCK_SK,
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
        )?;
        tx.put(
            Role::NumberHistory,
            number_event_item(&codes.phone, event, request.id)?,
            None,
            &[],
        )?;
        match tx.run().await? {
            Outcome::Done => Ok(()),
            Outcome::Refused(refused) => Err(StoreError::Refused(refused.as_update(
                &[Role::Codes, Role::Lock],
                &[],
                now,
            )?)),
        }
    }

    async fn rebind(
        &self,
        lock: &NumberLock,
        event: &NumberEvent,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        let mut tx = Tx::new(self);
        tx.update(
            Role::Lock,
            keys::number_pk(&lock.phone),
            LOCK_SK,
            "SET employee = :employee, updated_at = :now, version = :new",
            "version = :old AND #state = :active",
            vec![
                (":employee", s(json(&lock.employee)?)),
                (":now", s(time(lock.updated_at))),
                (":new", n(lock.version)),
                (":old", n(lock.version - 1)),
                (":active", s("active")),
            ],
        )?;
        tx.put(
            Role::NumberHistory,
            number_event_item(&lock.phone, event, Uuid::new_v4())?,
            None,
            &[],
        )?;
        match tx.run().await? {
            Outcome::Done => Ok(()),
            Outcome::Refused(refused) => Err(StoreError::Refused(refused.as_update(
                &[Role::Lock],
                &[],
                lock.updated_at,
            )?)),
        }
    }
}
