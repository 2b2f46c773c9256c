//! Use cases: each takes parsed domain input and the caller, talks to the world only
//! through `ports`, and returns a domain result for the HTTP layer to render.

mod error;
mod lists;
mod number;
mod outbox;
mod restrictions;
mod review;
mod status;
mod submit;
mod sweeper;
mod verify;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use error::Refusal;
pub use lists::{list_applications, list_numbers};
pub use number::{
    Confirmed, NumberChangeError, RebindError, confirm_change, operator_resume, operator_suspend,
    rebind_employee, replace_number, request_change,
};
pub use restrictions::{lift_restriction, list_restrictions, restriction_of, set_restriction};
pub use review::{
    DocumentsError, ListError, ReviewResult, add_documents, decide, list_reviews,
    review_application,
};
pub use status::{
    application_status, deactivation_act, number_status, organization_name, visible_to,
};
pub use submit::{IdempotencyConflict, SubmitApplication, SubmitError, submit};
pub use sweeper::{REQUEUE_AFTER, SweepReport, sweep};
pub use verify::{OtpError, ResendError, resend_code, verify_code};

use chrono::{DateTime, Utc};

use crate::domain::{
    Application, Inn, NumberCodes, OtpCode, OtpLedger, OtpPolicy, OtpPurpose, OtpSecret,
    PhoneNumber,
};
use crate::ports::{
    ApplicationUpdate, Clock, EventPublisher, Random, ReviewQueue, SmsSender, Store, StoreError,
    UpdateRefusal,
};

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
    /// The events topic (SPEC 5.6).
    pub events: Arc<dyn EventPublisher>,
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

/// One try of an optimistic change.
enum Attempt<T> {
    Done(T),
    /// The subject changed meanwhile: reload and decide again.
    Retry,
}

/// Runs `attempt` until it is done, at most [`MAX_OPTIMISTIC_TRIES`] times; then the
/// subject is contended. Each try reads afresh, decides, and writes conditioned on what it
/// read, so concurrent requests serialise without locks.
async fn optimistically<T, E, Try>(mut attempt: impl FnMut() -> Try) -> Result<T, E>
where
    E: From<Refusal>,
    Try: std::future::Future<Output = Result<Attempt<T>, E>>,
{
    for _ in 0..MAX_OPTIMISTIC_TRIES {
        if let Attempt::Done(done) = attempt().await? {
            return Ok(done);
        }
    }
    Err(Refusal::Contended.into())
}

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

/// What a code is sent for, stored with its ledger: an application, or a number's ledger.
#[async_trait::async_trait]
trait CodeSubject: Send + Sync {
    fn ledger_mut(&mut self) -> &mut OtpLedger;
    fn revision_mut(&mut self) -> &mut u64;
    /// Stores the subject, conditioned on the stored revision being one below its own.
    async fn save(
        &self,
        services: &Services,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError<UpdateRefusal>>;
}

#[async_trait::async_trait]
impl CodeSubject for Application {
    fn ledger_mut(&mut self) -> &mut OtpLedger {
        &mut self.otp
    }
    fn revision_mut(&mut self) -> &mut u64 {
        &mut self.revision
    }
    async fn save(
        &self,
        services: &Services,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        outbox::update(
            services,
            ApplicationUpdate {
                application: self,
                history: &[],
                number: None,
                replaced: None,
                charges: &[],
                now,
            },
        )
        .await
    }
}

#[async_trait::async_trait]
impl CodeSubject for NumberCodes {
    fn ledger_mut(&mut self) -> &mut OtpLedger {
        &mut self.ledger
    }
    fn revision_mut(&mut self) -> &mut u64 {
        &mut self.revision
    }
    async fn save(
        &self,
        services: &Services,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError<UpdateRefusal>> {
        services.store.save_codes(self, &[], now).await
    }
}

/// Sends a code stored in `subject` (already saved). If the SMS service refuses it, the
/// failed delivery is recorded, so the client may resend at once; if even that cannot be
/// stored, the subject stands as it was (the usual spacing applies instead), and the
/// client is still told the SMS failed.
async fn deliver_code(
    services: &Services,
    phone: &PhoneNumber,
    purpose: OtpPurpose,
    code: &OtpCode,
    subject: &mut impl CodeSubject,
    now: DateTime<Utc>,
) {
    if send_code(services, phone, purpose, code).await {
        return;
    }
    subject.ledger_mut().mark_delivery_failed();
    *subject.revision_mut() += 1;
    if let Err(error) = subject.save(services, now).await {
        tracing::error!(error = ?error, "could not record the failed SMS");
        *subject.revision_mut() -= 1;
    }
}
