//! The organization's own lists (SPEC 4.10): each row the summary of its view.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use uuid::Uuid;

use super::{EmployeeView, Nullable, Timestamp, at, at_opt};
use crate::api::Lang;
use crate::domain::{Application, ApplicationStatus, NumberLock, NumberState};
use crate::ports::Page;

/// One application in the organization's list: the portal's status table.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ApplicationSummary {
    pub id: Uuid,
    pub status: ApplicationStatus,
    pub status_label: String,
    pub phone: String,
    pub submitted_at: Timestamp,
    pub updated_at: Timestamp,
    /// While under review: when the review is expected to be done.
    pub expected_completion_at: Nullable<Timestamp>,
    /// The responsible operator.
    pub operator: Nullable<String>,
    pub comment: Nullable<String>,
}

/// A page of the organization's applications, newest first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ApplicationList {
    pub items: Vec<ApplicationSummary>,
    /// For the next page; `null` on the last.
    pub next_cursor: Nullable<String>,
}

pub fn application_list(
    page: &Page<Application>,
    now: DateTime<Utc>,
    lang: Lang,
) -> ApplicationList {
    ApplicationList {
        items: page
            .items
            .iter()
            .map(|app| {
                let status = app.effective_status(now);
                ApplicationSummary {
                    id: app.id,
                    status,
                    status_label: status.label(lang.is_english()).to_owned(),
                    phone: app.phone.as_ref().to_owned(),
                    submitted_at: at(app.created_at),
                    updated_at: at(app.updated_at),
                    expected_completion_at: Nullable(match status {
                        ApplicationStatus::UnderReview | ApplicationStatus::ManualReview => {
                            at_opt(app.expected_completion_at)
                        }
                        _ => None,
                    }),
                    operator: Nullable(app.operator.clone()),
                    comment: Nullable(app.comment.clone()),
                }
            })
            .collect(),
        next_cursor: Nullable(page.next.clone()),
    }
}

/// One number in the organization's list.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NumberSummary {
    #[schemars(regex(pattern = r"^\+7[0-9]{10}$"))]
    pub phone: String,
    pub state: NumberState,
    pub state_label: String,
    pub employee: EmployeeView,
    /// The application that bound the number.
    pub application_id: Uuid,
    pub updated_at: Timestamp,
    /// As in the number's view (its `ETag`).
    #[schemars(range(min = 1))]
    pub version: u64,
}

/// A page of the organization's numbers, most recently taken first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NumberList {
    pub items: Vec<NumberSummary>,
    /// For the next page; `null` on the last.
    pub next_cursor: Nullable<String>,
}

pub fn number_list(page: &Page<NumberLock>, lang: Lang) -> NumberList {
    NumberList {
        items: page
            .items
            .iter()
            .map(|lock| NumberSummary {
                phone: lock.phone.as_ref().to_owned(),
                state: lock.state,
                state_label: lock.state.label(lang.is_english()).to_owned(),
                employee: EmployeeView::of(&lock.employee),
                application_id: lock.application_id,
                updated_at: at(lock.updated_at),
                version: lock.binding_version(),
            })
            .collect(),
        next_cursor: Nullable(page.next.clone()),
    }
}
