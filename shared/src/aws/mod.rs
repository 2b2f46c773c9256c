//! The outbound AWS adapters (DynamoDB, SNS, SQS), their configuration and the table
//! schema. The Lambda side lives in `crate::runtime`, which uses these.

pub mod calls;
pub mod config;
pub mod dynamo;
pub mod messaging;
pub mod schema;

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// A loggable summary of an SDK failure: the service's error code and message, or the
/// transport failure. Never the raw response, which may echo stored personal data.
pub(crate) fn sdk_failure<E, R>(
    service: &'static str,
    e: aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> crate::ports::DependencyError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    let summary = match &e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            format!(
                "{}: {}",
                err.code().unwrap_or("unknown"),
                err.message().unwrap_or("")
            )
        }
        SdkError::TimeoutError(_) => "timed out".to_owned(),
        SdkError::DispatchFailure(d) => format!(
            "dispatch failure: {}",
            if d.is_timeout() {
                "timeout"
            } else if d.is_io() {
                "io error (connection refused or reset)"
            } else {
                "other"
            }
        ),
        SdkError::ResponseError(_) => "unreadable response".to_owned(),
        SdkError::ConstructionFailure(_) => "request construction failed".to_owned(),
        _ => "unknown SDK failure".to_owned(),
    };
    crate::ports::DependencyError::new(service, summary)
}
