//! `RestrictionRegistry`: a number's restriction (`NUM#<phone>` / `R`, listed through the
//! status-and-age index under `RESTRICTIONS`) and its changes (`RH#<time>#<id>`), each
//! change written with its history entry in one conditioned transaction.

use std::collections::HashMap;

use async_trait::async_trait;
use uuid::Uuid;

use super::DynamoStore;
use super::codec::{Item, doc, get_s, json, n, s};
use super::keys::{self, RESTRICTION_SK, RESTRICTIONS_PK, STATUS_INDEX, time};
use super::tx::{Outcome, Role, Tx};
use crate::domain::{PhoneNumber, Restriction, RestrictionEvent};
use crate::ports::{
    DependencyError, InvalidCursor, Page, RestrictionRegistry, StoreError, UpdateRefusal,
};

fn history_item(phone: &PhoneNumber, event: &RestrictionEvent) -> Result<Item, DependencyError> {
    Ok(HashMap::from([
        ("pk".into(), s(keys::number_pk(phone))),
        (
            "sk".into(),
            s(keys::restriction_history_sk(event.at, Uuid::new_v4())),
        ),
        ("kind".into(), s("restriction_history")),
        ("doc".into(), s(json(event)?)),
    ]))
}

async fn run(tx: Tx<'_>) -> Result<(), StoreError<UpdateRefusal>> {
    match tx.run().await? {
        Outcome::Done => Ok(()),
        Outcome::Refused(_) => Err(StoreError::Refused(UpdateRefusal::Stale)),
    }
}

#[async_trait]
impl RestrictionRegistry for DynamoStore {
    async fn restriction(
        &self,
        phone: &PhoneNumber,
    ) -> Result<(Option<Restriction>, Vec<RestrictionEvent>), DependencyError> {
        let items = self.query_partition(keys::number_pk(phone)).await?;
        let mut current = None;
        let mut history = Vec::new();
        for item in &items {
            match get_s(item, "sk")? {
                RESTRICTION_SK => current = Some(doc::<Restriction>(item, "doc")?),
                sk if sk.starts_with("RH#") => history.push(doc::<RestrictionEvent>(item, "doc")?),
                _ => {}
            }
        }
        Ok((current, history))
    }

    async fn save_restriction(
        &self,
        r: &Restriction,
        event: &RestrictionEvent,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        let item: Item = HashMap::from([
            ("pk".into(), s(keys::number_pk(&r.phone))),
            ("sk".into(), s(RESTRICTION_SK)),
            ("kind".into(), s("restriction")),
            ("revision".into(), n(r.revision)),
            ("gsi1pk".into(), s(RESTRICTIONS_PK)),
            (
                "gsi1sk".into(),
                s(format!("{}#{}", time(r.restricted_at), r.phone)),
            ),
            ("doc".into(), s(json(r)?)),
        ]);
        let mut tx = Tx::new(self);
        if r.revision == 1 {
            tx.put(
                Role::Restriction,
                item,
                Some("attribute_not_exists(pk)"),
                &[],
            )?;
        } else {
            tx.put(
                Role::Restriction,
                item,
                Some("revision = :expected"),
                &[(":expected", n(r.revision - 1))],
            )?;
        }
        tx.put(
            Role::RestrictionHistory,
            history_item(&r.phone, event)?,
            None,
            &[],
        )?;
        run(tx).await
    }

    async fn lift_restriction(
        &self,
        r: &Restriction,
        event: &RestrictionEvent,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        let mut tx = Tx::new(self);
        tx.delete(
            Role::Restriction,
            keys::number_pk(&r.phone),
            RESTRICTION_SK,
            "revision = :expected",
            vec![(":expected", n(r.revision))],
        )?;
        tx.put(
            Role::RestrictionHistory,
            history_item(&r.phone, event)?,
            None,
            &[],
        )?;
        run(tx).await
    }

    async fn restrictions(
        &self,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<Restriction>, StoreError<InvalidCursor>> {
        self.index_page(
            STATUS_INDEX,
            RESTRICTIONS_PK.to_owned(),
            None,
            true,
            limit,
            cursor,
            |item| doc::<Restriction>(item, "doc"),
        )
        .await
    }
}
