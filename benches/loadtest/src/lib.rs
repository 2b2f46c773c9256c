//! What `make loadtest` (src/main.rs) and `make readcost` (examples/read_cost.rs) share:
//! their own local stack, a setting read from the environment, a request through the
//! local host's router in process, and the floor's status read.

use std::collections::HashMap;
use std::path::PathBuf;

use aws_sdk_dynamodb::types::AttributeValue;
use corpnum_local::Endpoints;
use corpnum_local::stack::{LocalStack, StackConfig, StackError, free_port};

/// `name` from the environment as a positive number, else `default`.
pub fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|v| *v > 0)
        .unwrap_or(default)
}

/// A DynamoDB Local and a moto server of the run's own, on free ports, logging under
/// `.local/<logs>`, whose queues may be purged at any time ([`drain_queues`]); stopped
/// when the stack is dropped.
pub fn start_stack(logs: &str) -> Result<(LocalStack, Endpoints), StackError> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let stack = LocalStack::start(&StackConfig {
        root: root.clone(),
        dynamodb_port: free_port()?,
        moto_port: free_port()?,
        moto_store_port: None,
        data_dir: None,
        log_dir: root.join(".local").join(logs),
        purge_queues_anytime: true,
    })?;
    let endpoints = Endpoints {
        dynamodb: stack.dynamodb_endpoint.clone(),
        sns: stack.moto_endpoint.clone(),
        sqs: stack.moto_endpoint.clone(),
    };
    Ok((stack, endpoints))
}

/// Empties `queues` every second until the task is aborted. moto builds all of a
/// queue's attributes, counting its messages, on every send to it, so a queue nobody
/// drains makes each send slower than the last: after a run's ~4,400 messages a send took
/// 30-60 ms, moto (one Python process) took a whole core, and every flow of both paths
/// waited on it, at ~20 flows/s. In a deployment the review worker and the portal drain
/// these queues; this stands in for them (the stack lets moto purge at any time).
pub fn drain_queues(sqs: aws_sdk_sqs::Client, queues: Vec<String>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut warned = false;
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            for queue in queues.iter().filter(|q| !q.is_empty()) {
                if let Err(e) = sqs.purge_queue().queue_url(queue).send().await
                    && !std::mem::replace(&mut warned, true)
                {
                    eprintln!("could not empty {queue} (moto will slow down): {e:?}");
                }
            }
        }
    })
}

/// One request through the local host's router in this process, as API Gateway hands a
/// Lambda its event (no socket): its status and body, `None` if it got no answer.
pub async fn call_router(
    router: &axum::Router,
    method: &str,
    path: &str,
    token: &str,
    body: Option<String>,
) -> Option<(u16, Vec<u8>)> {
    use tower::ServiceExt as _;
    let request = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.map_or_else(axum::body::Body::empty, axum::body::Body::from))
        .ok()?;
    let response = router.clone().oneshot(request).await.ok()?;
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .ok()?;
    Some((status, bytes.to_vec()))
}

/// The floor's status read: one strongly consistent query of the application's
/// partition for its items' sort keys and documents, as corpnum's store makes it.
pub async fn query_application(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    id: &str,
) -> Option<Vec<HashMap<String, AttributeValue>>> {
    partition_items(dynamodb, table, id, Some("sk, doc")).await
}

/// The items of an application's partition, read strongly consistent; `projection`, if
/// any, names the only attributes to return.
pub async fn partition_items(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    id: &str,
    projection: Option<&str>,
) -> Option<Vec<HashMap<String, AttributeValue>>> {
    let out = dynamodb
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("APP#{id}")))
        .consistent_read(true)
        .set_projection_expression(projection.map(str::to_owned))
        .send()
        .await
        .ok()?;
    Some(out.items.unwrap_or_default())
}
