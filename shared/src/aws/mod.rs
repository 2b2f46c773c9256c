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
    if surely_undone(&e) {
        crate::ports::DependencyError::undone(service, summary)
    } else {
        crate::ports::DependencyError::new(service, summary)
    }
}

/// Whether the request surely did nothing: the service answered with an error, the
/// request was never built, or the connection was refused (nothing was sent). A timeout
/// or a lost response may hide a request that was done.
fn surely_undone<E, R>(e: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> bool
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match e {
        SdkError::ServiceError(_) | SdkError::ConstructionFailure(_) => true,
        SdkError::DispatchFailure(d) => {
            let mut next = d
                .as_connector_error()
                .map(|c| c as &(dyn std::error::Error + 'static));
            while let Some(cause) = next {
                if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                    return io.kind() == std::io::ErrorKind::ConnectionRefused;
                }
                next = cause.source();
            }
            false
        }
        _ => false,
    }
}
