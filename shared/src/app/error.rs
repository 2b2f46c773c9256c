//! The refusals every use case can give, beside its own: one type, so the HTTP layer maps
//! them once.

use crate::ports::DependencyError;

#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// Absent, or not the caller's to see (another organization's is reported absent).
    #[error("not found")]
    NotFound,
    /// Not possible in the current status or state, which is named.
    #[error("not possible while {0}")]
    InvalidState(&'static str),
    /// The subject kept changing under the request (optimistic retries ran out).
    #[error("too many concurrent changes")]
    Contended,
    #[error(transparent)]
    Dependency(#[from] DependencyError),
}

/// Lets `?` turn a dependency failure into a use case's own error, through [`Refusal`].
macro_rules! refusals {
    ($($error:ty),* $(,)?) => {$(
        impl From<$crate::ports::DependencyError> for $error {
            fn from(e: $crate::ports::DependencyError) -> Self {
                $crate::app::Refusal::Dependency(e).into()
            }
        }
    )*};
}
pub(crate) use refusals;
