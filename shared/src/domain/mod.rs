//! Domain types: everything past the edge is one of these, never a raw string.

mod application;
mod checksum;
mod deactivation;
mod documents;
mod inn;
mod kpp;
mod names;
mod number;
mod ogrn;
mod organization;
mod otp;
mod phone;
mod redact;
mod review;
mod sms;
mod snils;

pub use application::{
    AUTO_REVIEW_ETA, Actor, Application, ApplicationStatus, DOCUMENTS_WAIT, HistoryEntry,
    IllegalTransition, MANUAL_REVIEW_SLA, OTP_CONFIRMATION_WINDOW, REQUEUE_AFTER, SweepJob,
};
pub use deactivation::{
    DeactivationAct, DeactivationReason, NumberAction, NumberCodes, NumberRequest, RequestLookup,
};
pub use documents::{
    Document, DocumentError, DocumentType, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, Signature,
    SignatureError, missing_document_types, missing_documents,
};
pub use inn::{Inn, InnError, OrganizationKind};
pub use kpp::{Kpp, KppError};
pub use names::{FullName, FullNameError, OrganizationName, OrganizationNameError};
pub use number::{NumberEvent, NumberLock, NumberState, NumberUnavailable};
pub use ogrn::{Ogrn, OgrnError};
pub use organization::{Employee, Organization, OrganizationError};
pub use otp::{
    Delivery, OtpChallenge, OtpCode, OtpCodeError, OtpLedger, OtpPolicy, OtpPurpose, OtpSecret,
    RateWindow, ResendRefusal, Verification,
};
pub use phone::{PhoneError, PhoneNumber};
pub use redact::scrub;
pub use review::{
    AutomaticOutcome, Decision, ManualReason, POLICY_VIOLATION_LOOKBACK, RejectionReason,
    automatic_review,
};
pub use sms::{code_sms, sms_segments};
pub use snils::{Snils, SnilsError};
