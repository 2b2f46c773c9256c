//! `NumberRegistry`: a number with its history and code ledger in one query; the ledger,
//! deactivation and rebinding as conditioned transactions.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::DynamoStore;
use super::codec::{doc, get_s, json, lock_from_item, n, number_event_item, s};
use super::keys::{self, CODES_SK, LOCK_SK, RESTRICTION_SK, time};
use super::tx::{Outcome, Role, Tx};
use crate::domain::{
    NumberCodes, NumberLock, NumberState, OutboxEntry, PhoneNumber, Restriction, RestrictionEvent,
};
use crate::ports::{
    DependencyError, InvalidCursor, NumberEvent, NumberRegistry, Page, RateCharge, StateChange,
    StoreError, StoredNumber, UpdateRefusal,
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

/// The lock's change of state (conditioned on the state, organization and version it
/// was read at) and its history entry, as items of `tx`; the lock's item in `role`.
pub(super) fn state_change(
    tx: &mut Tx<'_>,
    change: &StateChange<'_>,
    role: Role,
) -> Result<(), DependencyError> {
    let lock = change.lock;
    let mut values = vec![
        (":to", s(lock.state.as_str())),
        (":from", s(change.from.as_str())),
        (":inn", s(lock.organization_inn.as_ref())),
        (":old", n(lock.version - 1)),
        (":new", n(lock.version)),
        (":now", s(time(lock.updated_at))),
    ];
    // A suspension carries its end in the timer index, where the sweeper finds it.
    let expression = match (&lock.suspension, lock.state) {
        (Some(suspension), NumberState::Suspended) => {
            values.push((":suspension", s(json(suspension)?)));
            values.push((":timer", s(keys::suspension_timer_pk())));
            values.push((
                ":due",
                s(format!("{}#{}", time(suspension.ends_at()), lock.phone)),
            ));
            "SET #state = :to, updated_at = :now, version = :new, suspension = :suspension, \
             gsi2pk = :timer, gsi2sk = :due"
        }
        _ => {
            "SET #state = :to, updated_at = :now, version = :new \
             REMOVE suspension, gsi2pk, gsi2sk"
        }
    };
    tx.update(
        role,
        keys::number_pk(&lock.phone),
        LOCK_SK,
        expression,
        "#state = :from AND org_inn = :inn AND version = :old",
        values,
    )?;
    tx.put(
        Role::NumberHistory,
        number_event_item(&lock.phone, change.event, change.discriminator)?,
        None,
        &[],
    )?;
    Ok(())
}

#[async_trait]
impl NumberRegistry for DynamoStore {
    async fn number(&self, phone: &PhoneNumber) -> Result<Option<StoredNumber>, DependencyError> {
        let items = self.query_partition(keys::number_pk(phone)).await?;
        let mut lock = None;
        let mut history = Vec::new();
        let mut codes = None;
        let mut restriction = None;
        let mut restriction_history = Vec::new();
        for item in &items {
            match get_s(item, "sk")? {
                LOCK_SK => lock = Some(lock_from_item(item)?),
                CODES_SK => codes = Some(doc::<NumberCodes>(item, "doc")?),
                RESTRICTION_SK => restriction = Some(doc::<Restriction>(item, "doc")?),
                sk if sk.starts_with("H#") => history.push(doc::<NumberEvent>(item, "doc")?),
                sk if sk.starts_with("RH#") => {
                    restriction_history.push(doc::<RestrictionEvent>(item, "doc")?);
                }
                _ => {}
            }
        }
        Ok(lock.map(|lock| StoredNumber {
            lock,
            history,
            codes,
            restriction,
            restriction_history,
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

    async fn change_state(
        &self,
        change: StateChange<'_>,
        outbox: Option<&OutboxEntry>,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        let mut tx = Tx::new(self);
        if let Some(codes) = change.codes {
            put_codes(&mut tx, codes)?;
        }
        state_change(&mut tx, &change, Role::Lock)?;
        tx.outbox(outbox)?;
        match tx.run().await? {
            Outcome::Done => Ok(()),
            Outcome::Refused(refused) => Err(StoreError::Refused(refused.as_update(
                &[Role::Codes, Role::Lock],
                &[],
                change.lock.updated_at,
            )?)),
        }
    }

    async fn suspensions_due(
        &self,
        before: chrono::DateTime<Utc>,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<NumberLock>, StoreError<InvalidCursor>> {
        self.index_page(
            keys::TIMER_INDEX,
            keys::suspension_timer_pk(),
            Some(before),
            false,
            limit,
            cursor,
            lock_from_item,
        )
        .await
    }

    async fn rebind(
        &self,
        lock: &NumberLock,
        event: &NumberEvent,
        outbox: Option<&OutboxEntry>,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        let mut tx = Tx::new(self);
        tx.outbox(outbox)?;
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
