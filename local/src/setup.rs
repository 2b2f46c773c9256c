//! Creates what the deployment's template would: the table and the review queues.

use corpnum::aws::schema::ensure_table;
use corpnum::ports::DependencyError;

/// Names of one local world's resources.
#[derive(Debug, Clone)]
pub struct Resources {
    pub table: String,
    pub review_queue: String,
    pub review_dlq: String,
}

impl Resources {
    pub fn named(prefix: &str) -> Self {
        Self {
            table: prefix.to_owned(),
            review_queue: format!("{prefix}-review"),
            review_dlq: format!("{prefix}-review-dlq"),
        }
    }
}

fn sqs_err<E, R>(e: aws_sdk_sqs::error::SdkError<E, R>) -> DependencyError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    DependencyError::new(
        "sqs",
        aws_sdk_sqs::error::DisplayErrorContext(e).to_string(),
    )
}

/// Ensures the table and queues exist; returns the review queue's URL.
pub async fn provision(
    dynamodb: &aws_sdk_dynamodb::Client,
    sqs: &aws_sdk_sqs::Client,
    names: &Resources,
) -> Result<String, DependencyError> {
    ensure_table(dynamodb, &names.table).await?;
    let dlq_url = sqs
        .create_queue()
        .queue_name(&names.review_dlq)
        .send()
        .await
        .map_err(sqs_err)?
        .queue_url
        .unwrap_or_default();
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(sqs_err)?
        .attributes
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .unwrap_or_default();
    let redrive =
        serde_json::json!({ "deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5" }).to_string();
    let queue_url = sqs
        .create_queue()
        .queue_name(&names.review_queue)
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
            redrive,
        )
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            "60",
        )
        .send()
        .await
        .map_err(sqs_err)?
        .queue_url
        .unwrap_or_default();
    Ok(queue_url)
}
