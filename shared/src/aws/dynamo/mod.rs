//! The single-table DynamoDB store (SPEC 7), one file per port, with the item layout in
//! `keys` and `codec` and transactions built in `tx`. Layout (also in docs/design.md):
//!
//! | item | pk | sk |
//! |---|---|---|
//! | application | `APP#<id>` | `A` |
//! | application history | `APP#<id>` | `H#<revision>#<n>` |
//! | number lock | `NUM#<phone>` | `L` |
//! | number history | `NUM#<phone>` | `H#<time>#<id>` |
//! | number code ledger | `NUM#<phone>` | `C` |
//! | number restriction | `NUM#<phone>` | `R` |
//! | restriction history | `NUM#<phone>` | `RH#<time>#<id>` |
//! | idempotency record | `IDEM#<hash of org and key>` | `I` |
//! | rate counter | `RATE#ORG#<inn>` / `RATE#PHONE#<phone>` | `W#<day index>` |
//! | outbox entry (SPEC 5.6) | `OUTBOX#<id>` | `O` |
//!
//! Applications carry `gsi1pk = STATUS#<status>`, `gsi1sk = <since>#<id>` for the
//! status-and-age index, and, while the sweeper has a job for them, `gsi2pk = TIMER#<job>`,
//! `gsi2sk = <due>#<id>` for the timer index (sparse: an application without a timer is
//! not in it). Applications and number locks carry `gsi3pk = ORG#<inn>#APP` / `ORG#<inn>#NUM`,
//! `gsi3sk = <submitted or taken>#<id or phone>` for the index by organization. A restriction
//! carries `gsi1pk = RESTRICTIONS`, `gsi1sk = <set>#<phone>` (the operators' list); a suspended
//! number's lock `gsi2pk = TIMER#end_suspension`, `gsi2sk = <end>#<phone>`; an unsettled
//! outbox entry `gsi2pk = TIMER#publish_outbox`, `gsi2sk = <due>#<id>`. Expiry is always
//! checked in code; TTL only cleans up.

mod applications;
mod codec;
mod idempotency;
mod index;
mod keys;
mod numbers;
mod outbox;
mod restrictions;
mod tx;

use aws_sdk_dynamodb::Client;

pub use keys::{ORG_INDEX, STATUS_INDEX, TIMER_INDEX};

/// The store, as every port's adapter.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// Whether to use the item a cancelled transaction returns with its condition failure
    /// (`ReturnValuesOnConditionCheckFailure`). Stores that return none (YDB's Document
    /// API documents no such return) are served by reading the item afterwards instead.
    use_returned_items: bool,
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
}
