//! The operators' review queue.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use uuid::Uuid;

use super::{Nullable, Timestamp, at, at_opt};
use crate::domain::{Application, ApplicationStatus};
use crate::ports::Page;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ReviewOrganization {
    pub inn: String,
    pub name: String,
}

/// One application in the queue.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ReviewItem {
    pub id: Uuid,
    pub status: ApplicationStatus,
    pub phone: String,
    pub organization: ReviewOrganization,
    pub submitted_at: Timestamp,
    /// When it entered its current status.
    pub entered_at: Timestamp,
    /// How long the application has been in its current status.
    pub waited_seconds: u64,
    /// Manual review: entered + 24 h; automatic review: entered + 30 min.
    pub sla_due_at: Nullable<Timestamp>,
    /// Past its due time in this stint (or marked so by the sweeper).
    pub overdue: bool,
    /// For documents_required: when the application expires if no documents come.
    pub documents_due_at: Nullable<Timestamp>,
    pub has_signature: bool,
    pub documents: Vec<String>,
}

/// A page of the queue, oldest first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ReviewList {
    pub items: Vec<ReviewItem>,
    /// For the next page; `null` on the last.
    pub next_cursor: Nullable<String>,
}

pub fn reviews(page: &Page<Application>, now: DateTime<Utc>) -> ReviewList {
    ReviewList {
        items: page
            .items
            .iter()
            .map(|app| ReviewItem {
                id: app.id,
                status: app.status,
                phone: app.phone.as_ref().to_owned(),
                organization: ReviewOrganization {
                    inn: app.organization.inn.as_ref().to_owned(),
                    name: app.organization.name.as_ref().to_owned(),
                },
                submitted_at: at(app.created_at),
                entered_at: at(app.status_since),
                waited_seconds: u64::try_from((now - app.status_since).num_seconds()).unwrap_or(0),
                sla_due_at: Nullable(at_opt(app.sla_due_at())),
                overdue: app.is_overdue(now),
                documents_due_at: Nullable(at_opt(app.documents_due_at())),
                has_signature: app.signature.is_some(),
                documents: app
                    .documents
                    .iter()
                    .map(|d| d.doc_type.as_str().to_owned())
                    .collect(),
            })
            .collect(),
        next_cursor: Nullable(page.next.clone()),
    }
}
