//! Creates what the deployment's template would: the table and the review queues.

use corpnum::aws::schema::ensure_table;
use corpnum::ports::DependencyError;

/// Names of one local world's resources.
#[derive(Debug, Clone)]
pub struct Resources {
    pub table: String,
    pub review_queue: String,
    pub review_dlq: String,
    /// The events topic (SPEC 5.6), and the queue subscribed to it that stands in for the
    /// portal's subscription (`make events` reads it; so do the tests).
    pub events_topic: String,
    pub events_queue: String,
    /// Whether to subscribe the events queue to the topic (`make run` does; tests that
    /// read no events leave it out, so moto holds no messages nobody reads).
    pub subscribe_events: bool,
}

/// What provisioning made.
#[derive(Debug, Clone)]
pub struct Provisioned {
    pub review_queue_url: String,
    pub events_topic_arn: String,
    pub events_queue_url: String,
}

impl Resources {
    pub fn named(prefix: &str) -> Self {
        Self {
            table: prefix.to_owned(),
            review_queue: format!("{prefix}-review"),
            review_dlq: format!("{prefix}-review-dlq"),
            events_topic: format!("{prefix}-events"),
            events_queue: format!("{prefix}-events"),
            subscribe_events: true,
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

fn sns_err<E, R>(e: aws_sdk_sns::error::SdkError<E, R>) -> DependencyError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    DependencyError::new(
        "sns",
        aws_sdk_sns::error::DisplayErrorContext(e).to_string(),
    )
}

/// Ensures the table, the queues and the events topic exist, with the events queue
/// subscribed to the topic.
pub async fn provision(
    clients: &corpnum::aws::config::Clients,
    names: &Resources,
) -> Result<Provisioned, DependencyError> {
    let (dynamodb, sqs) = (&clients.dynamodb, &clients.sqs);
    ensure_table(dynamodb, &names.table).await?;
    let dlq_url = sqs
        .create_queue()
        .queue_name(&names.review_dlq)
        .send()
        .await
        .map_err(sqs_err)?
        .queue_url
        .unwrap_or_default();
    let dlq_arn = queue_arn(sqs, &dlq_url).await?;
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
    let (events_topic_arn, events_queue_url) = events(clients, names).await?;
    Ok(Provisioned {
        review_queue_url: queue_url,
        events_topic_arn,
        events_queue_url,
    })
}

async fn queue_arn(sqs: &aws_sdk_sqs::Client, url: &str) -> Result<String, DependencyError> {
    Ok(sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(sqs_err)?
        .attributes
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .unwrap_or_default())
}

/// The events topic, and a queue subscribed to it as the portal would subscribe its own.
async fn events(
    clients: &corpnum::aws::config::Clients,
    names: &Resources,
) -> Result<(String, String), DependencyError> {
    let topic_arn = clients
        .sns
        .create_topic()
        .name(&names.events_topic)
        .send()
        .await
        .map_err(sns_err)?
        .topic_arn
        .unwrap_or_default();
    if !names.subscribe_events {
        return Ok((topic_arn, String::new()));
    }
    let queue_url = clients
        .sqs
        .create_queue()
        .queue_name(&names.events_queue)
        .send()
        .await
        .map_err(sqs_err)?
        .queue_url
        .unwrap_or_default();
    let queue_arn = queue_arn(&clients.sqs, &queue_url).await?;
    // Subscribing twice to the same endpoint returns the same subscription.
    clients
        .sns
        .subscribe()
        .topic_arn(&topic_arn)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .map_err(sns_err)?;
    Ok((topic_arn, queue_url))
}
