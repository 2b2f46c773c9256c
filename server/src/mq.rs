//! The queue over SQS's Query protocol (`Action=...&Version=2012-11-05`, form-encoded,
//! signed with SigV4; XML answers), for Yandex Message Queue, which takes only that protocol
//! (yandex-cloud/docs `en/message-queue/api-ref/index.md`: "Content-Type:
//! application/x-www-form-urlencoded"; AWS CLIs that speak AWS JSON 1.0 get 502 Bad
//! Gateway there, yandex-cloud/docs pull request 815). The AWS SDK for Rust's SQS client
//! speaks only AWS JSON 1.0, so with `CORPNUM_SQS_PROTOCOL=query` the server makes its
//! queue calls here instead: SendMessage (review tickets, events), ReceiveMessage and
//! DeleteMessageBatch (the consumer), GetQueueAttributes (`/health`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use aws_smithy_xml::decode::{Document, ScopedDecoder, try_data};
use bytes::Bytes;
use corpnum::domain::Event;
use corpnum::ports::{DependencyError, EventPublisher, ReviewQueue, ReviewTicket};
use http_body_util::{BodyExt, Full};

use crate::net::HttpClient;

/// Largest answer read (ten messages of 256 KiB, with their XML).
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;
/// Attempts of a call that failed in a way worth retrying, as the SDK's standard retries.
const ATTEMPTS: u32 = 3;

/// Which protocol the server's queue calls use (`CORPNUM_SQS_PROTOCOL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// The SDK's client (AWS JSON 1.0): Amazon SQS, and moto.
    Json,
    /// Form-encoded Query requests: Yandex Message Queue.
    Query,
}

/// A Query-protocol SQS client: the queue's own endpoint, the SDK's region and credentials.
pub struct QueryQueue {
    http: HttpClient<Full<Bytes>>,
    /// `AWS_ENDPOINT_URL_SQS`, else `AWS_ENDPOINT_URL`, else the queue URL's own origin
    /// (which is the service's endpoint for both AWS and Message Queue).
    endpoint: Option<String>,
    region: String,
    credentials: SharedCredentialsProvider,
}

/// Why an attempt failed, and whether another is worth making.
struct Failure {
    error: DependencyError,
    retry: bool,
}

impl QueryQueue {
    pub fn new(sdk: &SdkConfig, endpoint: Option<String>) -> Result<Self, String> {
        Ok(Self {
            http: crate::net::https_client()?,
            endpoint,
            region: sdk
                .region()
                .map(|r| r.as_ref().to_owned())
                .ok_or("no region for the queue's signatures (AWS_REGION)")?,
            credentials: sdk
                .credentials_provider()
                .ok_or("no credentials for the queue (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")?,
        })
    }

    /// The request body of `action` on `queue_url` with `params`.
    fn body(action: &str, queue_url: &str, params: &[(String, String)]) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("Action", action)
            .append_pair("Version", "2012-11-05")
            .append_pair("QueueUrl", queue_url);
        for (name, value) in params {
            form.append_pair(name, value);
        }
        form.finish()
    }

    fn url(&self, queue_url: &str) -> String {
        let endpoint = match &self.endpoint {
            Some(endpoint) => endpoint.trim_end_matches('/').to_owned(),
            None => origin(queue_url).to_owned(),
        };
        format!("{endpoint}/")
    }

    /// Calls `action`, retrying what is worth retrying; the answer's XML.
    async fn call(
        &self,
        action: &str,
        queue_url: &str,
        params: &[(String, String)],
        timeout: Duration,
    ) -> Result<String, DependencyError> {
        let url = self.url(queue_url);
        let body = Self::body(action, queue_url, params);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.attempt(&url, &body, timeout).await {
                Ok(answer) => return Ok(answer),
                Err(failure) if failure.retry && attempt < ATTEMPTS => {
                    tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
                }
                Err(failure) => return Err(failure.error),
            }
        }
    }

    async fn attempt(&self, url: &str, body: &str, timeout: Duration) -> Result<String, Failure> {
        let fatal = |error: DependencyError| Failure {
            error,
            retry: false,
        };
        let credentials = self
            .credentials
            .provide_credentials()
            .await
            .map_err(|e| fatal(DependencyError::undone("sqs", format!("credentials: {e}"))))?;
        let request = self
            .signed(url, body, credentials)
            .map_err(|e| fatal(DependencyError::undone("sqs", e)))?;
        let exchange = async {
            let response = self.http.request(request).await?;
            let status = response.status();
            let answer = http_body_util::Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((status, answer))
        };
        let (status, answer) = match tokio::time::timeout(timeout, exchange).await {
            Err(_) => {
                return Err(Failure {
                    error: DependencyError::new("sqs", "timed out"),
                    retry: true,
                });
            }
            Ok(Err(e)) => {
                // A refused connection surely did nothing; anything else may have.
                let refused = e
                    .downcast_ref::<hyper_util::client::legacy::Error>()
                    .is_some_and(hyper_util::client::legacy::Error::is_connect);
                let error = if refused {
                    DependencyError::undone("sqs", format!("connection failed: {e}"))
                } else {
                    DependencyError::new("sqs", format!("transport: {e}"))
                };
                return Err(Failure { error, retry: true });
            }
            Ok(Ok(exchanged)) => exchanged,
        };
        let text = String::from_utf8_lossy(&answer).into_owned();
        if status.is_success() {
            return Ok(text);
        }
        let (code, message) = error_of(&text);
        let retry = status.is_server_error()
            || matches!(
                code.as_str(),
                "ThrottlingException" | "RequestThrottled" | "ServiceUnavailable"
            );
        // The service answered with an error: the request did nothing.
        Err(Failure {
            error: DependencyError::undone("sqs", format!("{status} {code}: {message}")),
            retry,
        })
    }

    fn signed(
        &self,
        url: &str,
        body: &str,
        credentials: aws_credential_types::Credentials,
    ) -> Result<http::Request<Full<Bytes>>, String> {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        let mut request = http::Request::builder()
            .method("POST")
            .uri(url)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(Full::new(Bytes::copy_from_slice(body.as_bytes())))
            .map_err(|e| e.to_string())?;
        let identity = credentials.into();
        let params = aws_sigv4::sign::v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("sqs")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let headers: Vec<(&str, &str)> = request
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
            .collect();
        let signable = SignableRequest::new(
            "POST",
            url,
            headers.into_iter(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| e.to_string())?;
        let (instructions, _) = sign(signable, &params)
            .map_err(|e| e.to_string())?
            .into_parts();
        instructions.apply_to_request_http1x(&mut request);
        Ok(request)
    }

    /// SendMessage, with String message attributes.
    pub async fn send(
        &self,
        queue_url: &str,
        body: &str,
        attributes: &[(&str, &str)],
    ) -> Result<(), DependencyError> {
        let mut params = vec![("MessageBody".to_owned(), body.to_owned())];
        for (i, (name, value)) in attributes.iter().enumerate() {
            let n = i + 1;
            params.push((format!("MessageAttribute.{n}.Name"), (*name).to_owned()));
            params.push((
                format!("MessageAttribute.{n}.Value.DataType"),
                "String".into(),
            ));
            params.push((
                format!("MessageAttribute.{n}.Value.StringValue"),
                (*value).to_owned(),
            ));
        }
        self.call("SendMessage", queue_url, &params, Duration::from_secs(3))
            .await
            .map(drop)
    }

    /// ReceiveMessage: up to 10, waiting up to `wait_seconds`, with their system attributes.
    pub async fn receive(
        &self,
        queue_url: &str,
        wait_seconds: i32,
    ) -> Result<Vec<Message>, DependencyError> {
        let params = [
            ("MaxNumberOfMessages".to_owned(), "10".to_owned()),
            ("WaitTimeSeconds".to_owned(), wait_seconds.to_string()),
            ("AttributeName.1".to_owned(), "All".to_owned()),
        ];
        let timeout = Duration::from_secs(u64::try_from(wait_seconds).unwrap_or(0) + 5);
        let answer = self
            .call("ReceiveMessage", queue_url, &params, timeout)
            .await?;
        messages(&answer).map_err(|e| DependencyError::new("sqs", format!("answer: {e}")))
    }

    /// DeleteMessageBatch of at most 10 receipt handles; an entry the service could not
    /// delete is an error (the message comes back after its visibility timeout).
    pub async fn delete(
        &self,
        queue_url: &str,
        receipt_handles: &[String],
    ) -> Result<(), DependencyError> {
        if receipt_handles.is_empty() {
            return Ok(());
        }
        let mut params = Vec::new();
        for (i, handle) in receipt_handles.iter().enumerate() {
            let n = i + 1;
            params.push((
                format!("DeleteMessageBatchRequestEntry.{n}.Id"),
                i.to_string(),
            ));
            params.push((
                format!("DeleteMessageBatchRequestEntry.{n}.ReceiptHandle"),
                handle.clone(),
            ));
        }
        let answer = self
            .call(
                "DeleteMessageBatch",
                queue_url,
                &params,
                Duration::from_secs(3),
            )
            .await?;
        match count_elements(&answer, "BatchResultErrorEntry") {
            Ok(0) => Ok(()),
            Ok(n) => Err(DependencyError::new(
                "sqs",
                format!("{n} of {} deletions failed", receipt_handles.len()),
            )),
            Err(e) => Err(DependencyError::new("sqs", format!("answer: {e}"))),
        }
    }

    /// GetQueueAttributes (All).
    pub async fn attributes(
        &self,
        queue_url: &str,
    ) -> Result<HashMap<String, String>, DependencyError> {
        let params = [("AttributeName.1".to_owned(), "All".to_owned())];
        let answer = self
            .call(
                "GetQueueAttributes",
                queue_url,
                &params,
                Duration::from_secs(3),
            )
            .await?;
        attributes(&answer).map_err(|e| DependencyError::new("sqs", format!("answer: {e}")))
    }
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

type XmlError = aws_smithy_xml::decode::XmlDecodeError;

/// Calls `each` on every `item` element inside the answer's `result` element.
fn each_in_result(
    xml: &str,
    result: &str,
    item: &str,
    mut each: impl FnMut(&mut ScopedDecoder<'_, '_>) -> Result<(), XmlError>,
) -> Result<(), XmlError> {
    let mut document = Document::new(xml);
    let mut root = document.root_element()?;
    while let Some(mut found) = root.next_tag() {
        if !found.start_el().matches(result) {
            continue;
        }
        while let Some(mut element) = found.next_tag() {
            if element.start_el().matches(item) {
                each(&mut element)?;
            }
        }
    }
    Ok(())
}

/// The messages of a ReceiveMessage answer.
fn messages(xml: &str) -> Result<Vec<Message>, XmlError> {
    let mut out = Vec::new();
    each_in_result(xml, "ReceiveMessageResult", "Message", |message| {
        out.push(message_of(message)?);
        Ok(())
    })?;
    Ok(out)
}

fn message_of(element: &mut ScopedDecoder<'_, '_>) -> Result<Message, XmlError> {
    let mut message = Message::builder();
    while let Some(mut field) = element.next_tag() {
        let name = field.start_el().local().to_owned();
        message = match name.as_str() {
            "MessageId" => message.message_id(text(&mut field)?),
            "ReceiptHandle" => message.receipt_handle(text(&mut field)?),
            "MD5OfBody" => message.md5_of_body(text(&mut field)?),
            "Body" => message.body(text(&mut field)?),
            "Attribute" => {
                let (name, value) = name_value(&mut field)?;
                message.attributes(MessageSystemAttributeName::from(name.as_str()), value)
            }
            _ => message,
        };
    }
    Ok(message.build())
}

/// The attributes of a GetQueueAttributes answer.
fn attributes(xml: &str) -> Result<HashMap<String, String>, XmlError> {
    let mut out = HashMap::new();
    each_in_result(xml, "GetQueueAttributesResult", "Attribute", |attribute| {
        let (name, value) = name_value(attribute)?;
        out.insert(name, value);
        Ok(())
    })?;
    Ok(out)
}

/// How many `name` elements the answer has, at any depth.
fn count_elements(xml: &str, name: &str) -> Result<usize, XmlError> {
    fn walk(element: &mut ScopedDecoder<'_, '_>, name: &str) -> usize {
        let mut n = 0;
        while let Some(mut child) = element.next_tag() {
            n += usize::from(child.start_el().matches(name)) + walk(&mut child, name);
        }
        n
    }
    let mut document = Document::new(xml);
    let mut root = document.root_element()?;
    Ok(usize::from(root.start_el().matches(name)) + walk(&mut root, name))
}

/// The `Code` and `Message` of an error answer (`ErrorResponse/Error/...`, wherever they are).
fn error_of(xml: &str) -> (String, String) {
    fn walk(element: &mut ScopedDecoder<'_, '_>, found: &mut (Option<String>, Option<String>)) {
        while let Some(mut child) = element.next_tag() {
            let name = child.start_el().local().to_owned();
            match name.as_str() {
                "Code" if found.0.is_none() => found.0 = text(&mut child).ok(),
                "Message" if found.1.is_none() => found.1 = text(&mut child).ok(),
                _ => walk(&mut child, found),
            }
        }
    }
    let mut found = (None, None);
    let mut document = Document::new(xml);
    if let Ok(mut root) = document.root_element() {
        walk(&mut root, &mut found);
    }
    (
        found.0.unwrap_or_else(|| "unknown".into()),
        found.1.unwrap_or_default(),
    )
}

fn text(element: &mut ScopedDecoder<'_, '_>) -> Result<String, XmlError> {
    try_data(element).map(Cow::into_owned)
}

/// The `Name` and `Value` children of an attribute element.
fn name_value(element: &mut ScopedDecoder<'_, '_>) -> Result<(String, String), XmlError> {
    let (mut name, mut value) = (String::new(), String::new());
    while let Some(mut field) = element.next_tag() {
        if field.start_el().matches("Name") {
            name = text(&mut field)?;
        } else if field.start_el().matches("Value") {
            value = text(&mut field)?;
        }
    }
    Ok((name, value))
}

/// The server's queue calls, over the protocol configured.
#[derive(Clone)]
pub enum QueueClient {
    Sdk(aws_sdk_sqs::Client),
    Query(Arc<QueryQueue>),
}

impl QueueClient {
    pub async fn receive(
        &self,
        queue_url: &str,
        wait_seconds: i32,
    ) -> Result<Vec<Message>, DependencyError> {
        match self {
            Self::Sdk(sqs) => {
                corpnum::runtime::queue::receive(sqs, queue_url, wait_seconds, None).await
            }
            Self::Query(queue) => queue.receive(queue_url, wait_seconds).await,
        }
    }

    pub async fn delete(
        &self,
        queue_url: &str,
        receipt_handles: Vec<String>,
    ) -> Result<(), DependencyError> {
        match self {
            Self::Sdk(sqs) => {
                corpnum::runtime::queue::delete(sqs, queue_url, receipt_handles).await
            }
            Self::Query(queue) => queue.delete(queue_url, &receipt_handles).await,
        }
    }

    /// Whether the queue answers (`/health`).
    pub async fn answers(&self, queue_url: &str) -> bool {
        match self {
            Self::Sdk(sqs) => sqs
                .get_queue_attributes()
                .queue_url(queue_url)
                .send()
                .await
                .is_ok(),
            Self::Query(queue) => queue.attributes(queue_url).await.is_ok(),
        }
    }
}

/// The review queue over the Query protocol.
pub struct QueryReviewQueue {
    pub queue: Arc<QueryQueue>,
    pub queue_url: String,
}

#[async_trait]
impl ReviewQueue for QueryReviewQueue {
    async fn enqueue(&self, ticket: &ReviewTicket) -> Result<(), DependencyError> {
        let body = serde_json::to_string(ticket).map_err(|e| DependencyError::new("sqs", e))?;
        self.queue.send(&self.queue_url, &body, &[]).await
    }
}

/// The outcome events on a queue over the Query protocol: the event as the body, its type
/// as the `type` message attribute, as `corpnum::aws::messaging::SqsEvents` sends them.
pub struct QueryEvents {
    pub queue: Arc<QueryQueue>,
    pub queue_url: String,
}

#[async_trait]
impl EventPublisher for QueryEvents {
    async fn publish(&self, event: &Event) -> Result<(), DependencyError> {
        let body = serde_json::to_string(event).map_err(|e| DependencyError::new("sqs", e))?;
        self.queue
            .send(&self.queue_url, &body, &[("type", event.kind.as_str())])
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answers as the Query protocol documents them (Amazon SQS API reference,
    /// "ReceiveMessage", "GetQueueAttributes", "DeleteMessageBatch"; Message Queue's API
    /// reference gives the same shapes).
    #[test]
    fn reads_the_answers() {
        let received = r#"<?xml version="1.0"?>
<ReceiveMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">
  <ReceiveMessageResult>
    <Message>
      <MessageId>5fea7756-0ea4-451a-a703-a558b933e274</MessageId>
      <ReceiptHandle>MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3+STFFljT</ReceiptHandle>
      <MD5OfBody>fafb00f5732ab283681e124bf8747ed1</MD5OfBody>
      <Body>{&quot;application_id&quot;:&quot;a&amp;b&quot;}</Body>
      <Attribute><Name>ApproximateReceiveCount</Name><Value>2</Value></Attribute>
      <Attribute><Name>SentTimestamp</Name><Value>1238099229000</Value></Attribute>
    </Message>
    <Message><MessageId>m2</MessageId><ReceiptHandle>h2</ReceiptHandle><Body>x</Body></Message>
  </ReceiveMessageResult>
  <ResponseMetadata><RequestId>b6633655-283d-45b4-aee4-4e84e0ae6afa</RequestId></ResponseMetadata>
</ReceiveMessageResponse>"#;
        let got = messages(received).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].message_id(),
            Some("5fea7756-0ea4-451a-a703-a558b933e274")
        );
        assert_eq!(
            got[0].receipt_handle(),
            Some("MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3+STFFljT")
        );
        assert_eq!(got[0].body(), Some(r#"{"application_id":"a&b"}"#));
        assert_eq!(
            got[0]
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .map(String::as_str),
            Some("2")
        );
        assert_eq!(got[1].receipt_handle(), Some("h2"));
        let empty = "<ReceiveMessageResponse><ReceiveMessageResult/><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ReceiveMessageResponse>";
        assert!(messages(empty).unwrap().is_empty());

        let attrs = attributes(
            "<GetQueueAttributesResponse><GetQueueAttributesResult>\
             <Attribute><Name>ApproximateNumberOfMessages</Name><Value>3</Value></Attribute>\
             <Attribute><Name>VisibilityTimeout</Name><Value>60</Value></Attribute>\
             </GetQueueAttributesResult></GetQueueAttributesResponse>",
        )
        .unwrap();
        assert_eq!(attrs["ApproximateNumberOfMessages"], "3");
        assert_eq!(attrs["VisibilityTimeout"], "60");

        let deleted = "<DeleteMessageBatchResponse><DeleteMessageBatchResult>\
             <DeleteMessageBatchResultEntry><Id>0</Id></DeleteMessageBatchResultEntry>\
             <BatchResultErrorEntry><Id>1</Id><Code>ReceiptHandleIsInvalid</Code>\
             <SenderFault>true</SenderFault></BatchResultErrorEntry>\
             </DeleteMessageBatchResult></DeleteMessageBatchResponse>";
        assert_eq!(count_elements(deleted, "BatchResultErrorEntry").unwrap(), 1);
        assert_eq!(
            count_elements(deleted, "DeleteMessageBatchResultEntry").unwrap(),
            1
        );

        let error = "<ErrorResponse><Error><Type>Sender</Type>\
             <Code>AWS.SimpleQueueService.NonExistentQueue</Code>\
             <Message>The specified queue does not exist.</Message></Error>\
             <RequestId>42d59b56</RequestId></ErrorResponse>";
        assert_eq!(
            error_of(error),
            (
                "AWS.SimpleQueueService.NonExistentQueue".to_owned(),
                "The specified queue does not exist.".to_owned()
            )
        );
        assert_eq!(error_of("<html>502 Bad Gateway</html>").0, "unknown");
        assert!(messages("not xml").is_err());
    }

    /// A request as Message Queue's API reference describes it: form-encoded, `Action`,
    /// `Version=2012-11-05`, the queue's URL, the attributes as numbered triples; posted to
    /// the endpoint's `/` with a SigV4 signature for service `sqs`.
    #[test]
    fn writes_requests_as_the_query_protocol() {
        let body = QueryQueue::body(
            "SendMessage",
            "https://message-queue.api.cloud.yandex.net/b1g/dj6/corpnum-review",
            &[
                ("MessageBody".into(), r#"{"a":"б&c"}"#.into()),
                ("MessageAttribute.1.Name".into(), "type".into()),
            ],
        );
        let pairs: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("Action".to_owned(), "SendMessage".to_owned()),
                ("Version".to_owned(), "2012-11-05".to_owned()),
                (
                    "QueueUrl".to_owned(),
                    "https://message-queue.api.cloud.yandex.net/b1g/dj6/corpnum-review".to_owned()
                ),
                ("MessageBody".to_owned(), r#"{"a":"б&c"}"#.to_owned()),
                ("MessageAttribute.1.Name".to_owned(), "type".to_owned()),
            ]
        );
        assert_eq!(
            origin("https://message-queue.api.cloud.yandex.net/b1g/dj6/q"),
            "https://message-queue.api.cloud.yandex.net"
        );
        assert_eq!(
            origin("http://127.0.0.1:5000/123/q"),
            "http://127.0.0.1:5000"
        );

        let sdk = SdkConfig::builder()
            .region(aws_config::Region::new("ru-central1"))
            .credentials_provider(SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("AKID", "secret", None, None, "test"),
            ))
            .build();
        let queue = QueryQueue::new(&sdk, None).unwrap();
        let url = queue.url("https://message-queue.api.cloud.yandex.net/b1g/dj6/q");
        assert_eq!(url, "https://message-queue.api.cloud.yandex.net/");
        let request = queue
            .signed(
                &url,
                &body,
                aws_credential_types::Credentials::new("AKID", "secret", None, None, "test"),
            )
            .unwrap();
        let authorization = request.headers()["authorization"].to_str().unwrap();
        assert!(
            authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKID/")
                && authorization.contains("/ru-central1/sqs/aws4_request"),
            "{authorization}"
        );
        assert!(request.headers().contains_key("x-amz-date"));
        assert_eq!(
            request.headers()["content-type"],
            "application/x-www-form-urlencoded; charset=utf-8"
        );
        assert!(!request.headers().contains_key("x-amz-target"));
    }
}
