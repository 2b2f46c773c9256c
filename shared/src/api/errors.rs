//! The one mapping from use-case errors to responses.

use super::problem::{ApiError, FieldCode, FieldError};
use crate::app::{
    DocumentsError, IdempotencyConflict, ListError, NumberChangeError, OtpError, RebindError,
    Refusal, ResendError, SubmitError,
};
use crate::domain::NumberUnavailable;
use crate::ports::DependencyError;

impl From<DependencyError> for ApiError {
    fn from(e: DependencyError) -> Self {
        Self::ServiceUnavailable(e)
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::NotFound => Self::NotFound,
            Refusal::InvalidState(state) => Self::InvalidState(state),
            Refusal::Contended => Self::RequestInProgress,
            Refusal::Dependency(e) => e.into(),
        }
    }
}

impl From<OtpError> for ApiError {
    fn from(e: OtpError) -> Self {
        match e {
            OtpError::Refused(r) => r.into(),
            OtpError::Invalid { attempts_left } => Self::OtpInvalid { attempts_left },
            OtpError::AttemptsExceeded => Self::OtpAttemptsExceeded,
            OtpError::Expired => Self::OtpExpired,
        }
    }
}

impl From<ResendError> for ApiError {
    fn from(e: ResendError) -> Self {
        match e {
            ResendError::Refused(r) => r.into(),
            ResendError::Locked => Self::OtpAttemptsExceeded,
            ResendError::TooEarly { retry_after } => Self::ResendTooEarly { retry_after },
            ResendError::RateLimited { retry_after } => Self::RateLimited { retry_after },
        }
    }
}

impl From<NumberChangeError> for ApiError {
    fn from(e: NumberChangeError) -> Self {
        match e {
            NumberChangeError::Refused(r) => r.into(),
            NumberChangeError::BindingChanged => Self::BindingChanged,
            NumberChangeError::Invalid { attempts_left } => Self::OtpInvalid { attempts_left },
            NumberChangeError::AttemptsExceeded => Self::OtpAttemptsExceeded,
            NumberChangeError::Locked { retry_after } => Self::CodesLocked { retry_after },
            NumberChangeError::Expired => Self::OtpExpired,
            NumberChangeError::TooEarly { retry_after } => Self::ResendTooEarly { retry_after },
            NumberChangeError::RateLimited { retry_after } => Self::RateLimited { retry_after },
            NumberChangeError::SuspendedByOperator => Self::SuspendedByOperator,
        }
    }
}

impl From<RebindError> for ApiError {
    fn from(e: RebindError) -> Self {
        match e {
            RebindError::Refused(r) => r.into(),
            RebindError::SameEmployee => Self::InvalidState("active"),
            RebindError::PreconditionFailed => Self::PreconditionFailed,
        }
    }
}

impl From<DocumentsError> for ApiError {
    fn from(e: DocumentsError) -> Self {
        match e {
            DocumentsError::Refused(r) => r.into(),
            DocumentsError::TooMany => Self::Validation(vec![FieldError::new(
                "documents",
                FieldCode::InvalidDocument,
                "Не больше 10 документов на заявку",
                "At most 10 documents per application",
            )]),
        }
    }
}

impl From<ListError> for ApiError {
    fn from(e: ListError) -> Self {
        match e {
            ListError::Refused(r) => r.into(),
            ListError::InvalidCursor => Self::Validation(vec![FieldError::new(
                "cursor",
                FieldCode::InvalidParameter,
                "Курсор не от этого списка",
                "The cursor does not belong to this listing",
            )]),
        }
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::Forbidden => Self::Forbidden,
            SubmitError::NumberUnavailable(NumberUnavailable::BoundToAnotherOrganization) => {
                Self::NumberBoundToAnotherOrganization
            }
            SubmitError::NumberUnavailable(NumberUnavailable::ApplicationInProgress(id)) => {
                Self::ApplicationInProgress(id)
            }
            SubmitError::NumberUnavailable(NumberUnavailable::AlreadyActive) => {
                Self::NumberAlreadyActive
            }
            SubmitError::NumberUnavailable(NumberUnavailable::Suspended) => {
                Self::InvalidState("suspended")
            }
            // The handler answers with the support contacts; reaching here, without them.
            SubmitError::NumberRestricted { reference } => {
                Self::NumberRestricted(Box::new(crate::api::views::SupportView {
                    reference,
                    phone: String::new(),
                    email: String::new(),
                }))
            }
            SubmitError::RateLimited { retry_after } => Self::RateLimited { retry_after },
            SubmitError::Idempotency(IdempotencyConflict::KeyReused) => Self::IdempotencyKeyReused,
            // A replay or a recovery is answered by the handler; reaching here, the request
            // is treated as still running.
            SubmitError::Idempotency(
                IdempotencyConflict::InProgress
                | IdempotencyConflict::Replay(_)
                | IdempotencyConflict::Recovered(_),
            ) => Self::RequestInProgress,
            SubmitError::Refused(r) => r.into(),
        }
    }
}
