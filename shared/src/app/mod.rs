//! Use cases: each takes parsed domain input and the caller, talks to the world only
//! through `ports`, and returns a domain result for the HTTP layer to render.

mod number;
mod review;
mod status;
mod submit;
mod sweeper;
mod verify;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use number::{
    DeactivationError, RebindError, confirm_deactivation, rebind_employee, request_deactivation,
};
pub use review::{
    DecisionError, DocumentsError, ListError, ReviewResult, add_documents, decide, list_reviews,
    review_application,
};
pub use status::{application_status, deactivation_act, number_status, visible_to};
pub use submit::{IdempotencyConflict, SubmitApplication, SubmitError, submit};
pub use sweeper::{REQUEUE_AFTER, SweepReport, sweep};
pub use verify::{OtpError, ResendError, resend_code, verify_code};

use crate::domain::{Inn, OtpCode, OtpPolicy, OtpPurpose, OtpSecret, PhoneNumber};
use crate::ports::{Clock, Random, ReviewQueue, SmsSender, Store};

/// Support contacts shown to applicants whose application needs attention; configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupportContacts {
    pub phone: String,
    pub email: String,
}

/// Everything the use cases need, built once per process.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub sms: Arc<dyn SmsSender>,
    pub queue: Arc<dyn ReviewQueue>,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    pub secret: OtpSecret,
    pub policy: OtpPolicy,
    pub support: SupportContacts,
}

/// Who is calling, from the verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A representative acting for the organization with this INN.
    Organization { sub: String, inn: Inn },
    /// A review operator (support staff): may read anything, change nothing here.
    Operator { sub: String },
}

impl Caller {
    /// Whether this caller may see what belongs to organization `inn`.
    pub fn may_read(&self, inn: &Inn) -> bool {
        match self {
            Self::Organization { inn: own, .. } => own == inn,
            Self::Operator { .. } => true,
        }
    }

    /// The organization whose data this caller may change, with the person acting.
    pub fn acting_for(&self, inn: &Inn) -> Option<&str> {
        match self {
            Self::Organization { sub, inn: own } if own == inn => Some(sub),
            _ => None,
        }
    }
}

/// How often an optimistic update is retried on a concurrent change before giving up.
const MAX_OPTIMISTIC_TRIES: usize = 4;

/// Sends a code, logging only the masked number and never the code.
async fn send_code(
    services: &Services,
    phone: &PhoneNumber,
    purpose: OtpPurpose,
    code: &OtpCode,
) -> bool {
    match services
        .sms
        .send(phone, &crate::domain::code_sms(purpose, code))
        .await
    {
        Ok(()) => {
            tracing::info!(phone = %phone.masked(), metric = "CodesSent", "code sent");
            true
        }
        Err(error) => {
            tracing::error!(phone = %phone.masked(), metric = "SmsSendFailures", error = %error, "code SMS not sent");
            false
        }
    }
}
