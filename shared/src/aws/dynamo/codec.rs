//! Items to and from the domain: attribute helpers, each item's codec, and cursors.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::keys;
use crate::domain::{
    Application, Employee, HistoryEntry, Inn, NumberLock, NumberState, PhoneNumber,
};
use crate::ports::{
    DependencyError, IdempotencyRecord, IdempotencyState, NumberEvent, StoredResponse,
};

pub type Item = HashMap<String, AttributeValue>;

pub const SERVICE: &str = "dynamodb";

pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub fn corrupt(what: &str) -> DependencyError {
    DependencyError::new(SERVICE, format!("unreadable item: {what}"))
}

pub fn sdk<E, R>(e: SdkError<E, R>) -> DependencyError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    crate::aws::sdk_failure(SERVICE, e)
}

pub fn get_s<'a>(item: &'a Item, key: &str) -> Result<&'a str, DependencyError> {
    item.get(key)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| corrupt(key))
}

pub fn get_n(item: &Item, key: &str) -> Result<i64, DependencyError> {
    item.get(key)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| corrupt(key))
}

fn get_u64(item: &Item, key: &str) -> Result<u64, DependencyError> {
    u64::try_from(get_n(item, key)?).map_err(|_| corrupt(key))
}

pub fn doc<T: serde::de::DeserializeOwned>(item: &Item, key: &str) -> Result<T, DependencyError> {
    serde_json::from_str(get_s(item, key)?).map_err(|e| corrupt(&format!("{key}: {e}")))
}

pub fn json<T: serde::Serialize>(v: &T) -> Result<String, DependencyError> {
    serde_json::to_string(v).map_err(|e| DependencyError::new(SERVICE, e))
}

/// An application item, with its keys in both indexes.
pub fn application_item(app: &Application) -> Result<Item, DependencyError> {
    let mut item: Item = HashMap::from([
        ("pk".into(), s(keys::application_pk(app.id))),
        ("sk".into(), s(keys::APPLICATION_SK)),
        ("kind".into(), s("application")),
        ("status".into(), s(app.status.as_str())),
        ("revision".into(), n(app.revision)),
        ("org_inn".into(), s(app.organization.inn.as_ref())),
        ("gsi1pk".into(), s(keys::status_pk(app.status))),
        ("gsi1sk".into(), s(keys::index_sk(app.status_since, app.id))),
        (
            "gsi3pk".into(),
            s(keys::org_applications_pk(&app.organization.inn)),
        ),
        ("gsi3sk".into(), s(keys::index_sk(app.created_at, app.id))),
        ("doc".into(), s(json(app)?)),
    ]);
    if let Some((job, due)) = app.timer() {
        item.insert("gsi2pk".into(), s(keys::timer_pk(job)));
        item.insert("gsi2sk".into(), s(keys::index_sk(due, app.id)));
    }
    Ok(item)
}

pub fn application_history_item(
    app: &Application,
    n: usize,
    entry: &HistoryEntry,
) -> Result<Item, DependencyError> {
    Ok(HashMap::from([
        ("pk".into(), s(keys::application_pk(app.id))),
        (
            "sk".into(),
            s(keys::application_history_sk(app.revision, n)),
        ),
        ("kind".into(), s("application_history")),
        ("doc".into(), s(json(entry)?)),
    ]))
}

pub fn number_event_item(
    phone: &PhoneNumber,
    event: &NumberEvent,
    discriminator: Uuid,
) -> Result<Item, DependencyError> {
    Ok(HashMap::from([
        ("pk".into(), s(keys::number_pk(phone))),
        (
            "sk".into(),
            s(keys::number_history_sk(event.at, discriminator)),
        ),
        ("kind".into(), s("number_history")),
        ("doc".into(), s(json(event)?)),
    ]))
}

pub fn lock_from_item(item: &Item) -> Result<NumberLock, DependencyError> {
    let state = match get_s(item, "state")? {
        "pending" => NumberState::Pending,
        "active" => NumberState::Active,
        "suspended" => NumberState::Suspended,
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
        version: get_u64(item, "version")?,
        binding_base: match item.get("binding_base") {
            Some(_) => get_u64(item, "binding_base")?,
            None => 0,
        },
        bound_at: match item.get("bound_at") {
            Some(_) => Some(
                DateTime::parse_from_rfc3339(get_s(item, "bound_at")?)
                    .map_err(|_| corrupt("bound_at"))?
                    .with_timezone(&Utc),
            ),
            None => None,
        },
        suspension: match item.get("suspension") {
            Some(_) => Some(doc(item, "suspension")?),
            None => None,
        },
    })
}

pub fn idempotency_from_item(item: &Item) -> Result<IdempotencyRecord, DependencyError> {
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

/// Cursor: base64url of the index's last evaluated key (all string attributes).
pub fn encode_cursor(key: &Item) -> Option<String> {
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

/// The key a cursor of `index` (partition `partition`) stands for; `None` if it came
/// from anywhere else.
pub fn decode_cursor(cursor: &str, index: &str, partition: &str) -> Option<Item> {
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
