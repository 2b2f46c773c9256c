//! SMS and events through SNS, and the review queue on SQS.

use async_trait::async_trait;
use aws_sdk_sns::types::MessageAttributeValue;

use crate::domain::{Event, PhoneNumber};
use crate::ports::{DependencyError, EventPublisher, ReviewQueue, ReviewTicket, SmsSender};

#[derive(Clone, Debug)]
pub struct SnsSms {
    client: aws_sdk_sns::Client,
    sender_id: Option<String>,
}

impl SnsSms {
    pub fn new(client: aws_sdk_sns::Client, sender_id: Option<String>) -> Self {
        Self { client, sender_id }
    }
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, DependencyError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| DependencyError::new("sns", e))
}

#[async_trait]
impl SmsSender for SnsSms {
    async fn send(&self, to: &PhoneNumber, text: &str) -> Result<(), DependencyError> {
        let mut publish = self
            .client
            .publish()
            .phone_number(to.as_ref())
            .message(text)
            .message_attributes("AWS.SNS.SMS.SMSType", string_attribute("Transactional")?);
        if let Some(sender) = &self.sender_id {
            publish = publish.message_attributes("AWS.SNS.SMS.SenderID", string_attribute(sender)?);
        }
        publish
            .send()
            .await
            .map_err(|e| super::sdk_failure("sns", e))?;
        Ok(())
    }
}

#[derive(Clone, Debug)]
pub struct SqsReviewQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsReviewQueue {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl ReviewQueue for SqsReviewQueue {
    async fn enqueue(&self, ticket: &ReviewTicket) -> Result<(), DependencyError> {
        let body = serde_json::to_string(ticket).map_err(|e| DependencyError::new("sqs", e))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| super::sdk_failure("sqs", e))?;
        Ok(())
    }
}

/// Stands in for a client a function does not link (it never sends SMS, or never queues):
/// a call is a bug, reported as a dependency failure rather than a panic.
#[derive(Clone, Copy, Debug)]
pub struct Unused;

#[async_trait]
impl SmsSender for Unused {
    async fn send(&self, _to: &PhoneNumber, _text: &str) -> Result<(), DependencyError> {
        Err(DependencyError::new(
            "sns",
            "this function does not send SMS",
        ))
    }
}

#[async_trait]
impl ReviewQueue for Unused {
    async fn enqueue(&self, _ticket: &ReviewTicket) -> Result<(), DependencyError> {
        Err(DependencyError::new(
            "sqs",
            "this function does not use the review queue",
        ))
    }
}

/// The events topic (SPEC 5.6): one SNS message an event, its type as the `type` message
/// attribute so a subscription can filter on it.
#[derive(Clone, Debug)]
pub struct SnsEvents {
    client: aws_sdk_sns::Client,
    topic_arn: String,
}

impl SnsEvents {
    pub fn new(client: aws_sdk_sns::Client, topic_arn: impl Into<String>) -> Self {
        Self {
            client,
            topic_arn: topic_arn.into(),
        }
    }
}

#[async_trait]
impl EventPublisher for SnsEvents {
    async fn publish(&self, event: &Event) -> Result<(), DependencyError> {
        let body = serde_json::to_string(event).map_err(|e| DependencyError::new("sns", e))?;
        self.client
            .publish()
            .topic_arn(&self.topic_arn)
            .message(body)
            .message_attributes("type", string_attribute(event.kind.as_str())?)
            .send()
            .await
            .map_err(|e| super::sdk_failure("sns", e))?;
        Ok(())
    }
}

/// The outcome events as messages on a queue the portal reads (where the SNS-compatible
/// service has no queue subscriptions): the event as the body, its type as the `type`
/// message attribute, as on the topic.
#[derive(Debug, Clone)]
pub struct SqsEvents {
    client: aws_sdk_sqs::Client,
    queue_url: String,
}

impl SqsEvents {
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl EventPublisher for SqsEvents {
    async fn publish(&self, event: &Event) -> Result<(), DependencyError> {
        let body = serde_json::to_string(event).map_err(|e| DependencyError::new("sqs", e))?;
        let kind = aws_sdk_sqs::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(event.kind.as_str())
            .build()
            .map_err(|e| DependencyError::new("sqs", e))?;
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .message_attributes("type", kind)
            .send()
            .await
            .map_err(|e| super::sdk_failure("sqs", e))?;
        Ok(())
    }
}

#[async_trait]
impl EventPublisher for Unused {
    async fn publish(&self, _event: &Event) -> Result<(), DependencyError> {
        Err(DependencyError::new(
            "sns",
            "this function publishes no events",
        ))
    }
}
