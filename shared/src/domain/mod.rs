//! Domain types: everything past the edge is one of these, never a raw string.

mod application;
mod checksum;
mod comment;
mod deactivation;
mod documents;
mod inn;
mod kpp;
mod names;
mod number;
mod ogrn;
mod organization;
mod otp;
mod outbox;
mod phone;
mod rate;
mod redact;
mod restriction;
mod review;
mod sms;
mod snils;

pub use application::{
    AUTO_REVIEW_ETA, Actor, Application, ApplicationKind, ApplicationStatus, DOCUMENTS_WAIT,
    HistoryEntry, IllegalTransition, MANUAL_REVIEW_SLA, OTP_CONFIRMATION_WINDOW, REQUEUE_AFTER,
    SweepJob,
};
pub use comment::{Comment, CommentError};
pub use deactivation::{
    ActionKind, DeactivationAct, DeactivationReason, NumberAction, NumberCodes, NumberRequest,
    RequestLookup,
};
pub use documents::{
    Document, DocumentError, DocumentType, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, Signature,
    SignatureError, missing_document_types, missing_documents,
};
pub use inn::{Inn, InnError, OrganizationKind};
pub use kpp::{Kpp, KppError};
pub use names::{FullName, FullNameError, OrganizationName, OrganizationNameError};
pub use number::{
    NumberEvent, NumberLock, NumberState, NumberUnavailable, SUSPENSION_LIMIT, Suspension,
};
pub use ogrn::{Ogrn, OgrnError};
pub use organization::{Employee, Organization, OrganizationError};
pub use otp::{
    Delivery, OtpChallenge, OtpCode, OtpCodeError, OtpLedger, OtpPolicy, OtpPurpose, OtpSecret,
    ResendRefusal, Verification,
};
pub use outbox::{
    Event, EventStatus, EventType, LEASE_MARGIN, NOTICE_LEASE, Notice, NoticeKind, NoticeState,
    OUTBOX_KEEP, OUTBOX_RETRY_AFTER, OutboxEntry, SendOutcome, event_schema_text,
};
pub use phone::{PhoneError, PhoneNumber};
pub use rate::RateWindow;
pub use redact::scrub;
pub use restriction::{Restriction, RestrictionChange, RestrictionEvent, RestrictionReason};
pub use review::{
    AutomaticOutcome, Decision, ManualReason, POLICY_VIOLATION_LOOKBACK, REVIEW_QUEUE_STATUSES,
    RejectionReason, automatic_review,
};
pub use sms::{code_in_sms, code_sms, notice_sms, sms_segments};
pub use snils::{Snils, SnilsError};

#[cfg(test)]
mod debug_masking {
    use chrono::Utc;

    use super::*;

    /// `{:?}` of anything holding personal data shows it masked: a stray debug log of a
    /// lock, an act or a ledger leaks nothing.
    #[test]
    fn debug_output_carries_no_personal_data() {
        let phone = PhoneNumber::parse("+7 916 123-45-67").unwrap();
        let employee = Employee {
            snils: Snils::parse("112-233-445 95").unwrap(),
            full_name: FullName::parse("Иванов Иван Иванович").unwrap(),
        };
        let inn = Inn::parse("500100732259").unwrap();
        let lock = NumberLock {
            phone: phone.clone(),
            state: NumberState::Active,
            organization_inn: inn.clone(),
            application_id: uuid::Uuid::nil(),
            employee: employee.clone(),
            hold_until: None,
            updated_at: Utc::now(),
            version: 3,
            binding_base: 0,
            bound_at: None,
            suspension: None,
        };
        let act = DeactivationAct {
            act_number: "ДА-1".into(),
            phone: phone.clone(),
            organization_inn: inn,
            reason: DeactivationReason::Other,
            deactivated_at: Utc::now(),
            deactivated_by: "u".into(),
        };
        let codes = NumberCodes::new(phone.clone(), Utc::now());
        let name = OrganizationName::parse("ИП Иванов Иван Иванович").unwrap();
        let shown = format!("{phone:?} {employee:?} {lock:?} {act:?} {codes:?} {name:?}");
        for secret in [
            "9161234567",
            "916123",
            "11223344595",
            "112-233",
            "Иванов",
            "Иван",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("+7******4567"), "{shown}");
    }
}
