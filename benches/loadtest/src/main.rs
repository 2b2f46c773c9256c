//! `make loadtest`: corpnum under load on the local stack, beside its floor.
//!
//! It starts its own DynamoDB Local and moto, and drives `LOADTEST_N` flows (default 1000)
//! at concurrency `LOADTEST_C` (default 16) through the local host's router (the API
//! Gateway stand-in: its gateway event and token check, then the same handlers the
//! functions run), called in this process as API Gateway hands a Lambda its event: a
//! submission, a status read and the code's confirmation, each from its own organization
//! for its own number. In the same run against the same stack, it makes the same AWS calls
//! directly with the SDK (the floor): for a submission one transaction of the same items,
//! the event's publish and the outbox's record, and the SMS; for a status read one query; for a confirmation one query,
//! one transaction, the event's publish and record, and the enqueue (the calls
//! `tests/api/round_trips.rs` counts). It prints p50/p99 per route (from a run that
//! alternates both paths' flows on the same clients) and the flows per second of each
//! path alone, with their ratios (SPEC 10: throughput >= 0.9x the floor, p50 <= 1.2x), and
//! how far the status read's p50 ratio could be off by chance (a bootstrap interval).
//! Then status reads alone: in this process, over HTTP to the local host's socket, and
//! through `corpnum-server`, each beside the floor's query.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use axum::serve::ListenerExt as _;
use corpnum::domain::PhoneNumber;
use corpnum::ports::{DependencyError, SmsSender};
use corpnum_loadtest::{
    call_router, drain_queues, partition_items, query_application, setting, start_stack,
};
use corpnum_local::setup::Resources;
use corpnum_local::stack::free_port;
use corpnum_local::{World, host};
use corpnum_tests::{JWT_SECRET, Org, application_body, org_token};
use serde_json::{Value, json};
use uuid::Uuid;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// How long each kind of AWS call of the floor took, for the breakdown.
static CALLS: Mutex<Vec<(&'static str, Duration)>> = Mutex::new(Vec::new());

async fn timed<T>(kind: &'static str, call: impl std::future::Future<Output = T>) -> T {
    let t = Instant::now();
    let out = call.await;
    CALLS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((kind, t.elapsed()));
    out
}

/// The SMS sender the handlers use, also keeping each number's last code for the driver.
struct Tee {
    inner: Arc<dyn SmsSender>,
    codes: Mutex<HashMap<String, String>>,
}

#[async_trait::async_trait]
impl SmsSender for Tee {
    async fn send(&self, to: &PhoneNumber, text: &str) -> Result<(), DependencyError> {
        self.inner.send(to, text).await?;
        if let Some(code) = corpnum::domain::code_in_sms(text) {
            self.codes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(to.as_ref().to_owned(), code);
        }
        Ok(())
    }
}

#[derive(Default)]
struct Samples {
    submit: Vec<Duration>,
    status: Vec<Duration>,
    verify: Vec<Duration>,
    errors: usize,
    /// What a later status read needs: the application id, the caller's token and its
    /// organization's INN (the floor keeps only the id).
    made: Vec<(String, String, String)>,
}

impl Samples {
    fn merge(&mut self, other: Samples) {
        self.made.extend(other.made);
        self.submit.extend(other.submit);
        self.status.extend(other.status);
        self.verify.extend(other.verify);
        self.errors += other.errors;
    }
}

fn percentile(samples: &[Duration], p: usize) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    match sorted.len() {
        0 => f64::NAN,
        len => sorted[(len * p / 100).min(len - 1)].as_secs_f64() * 1000.0,
    }
}

/// CPU time so far, in milliseconds: this process's (the driver, corpnum's handlers and
/// both sides' SDK clients), DynamoDB Local's and moto's, and the whole machine's (busy
/// time over all cores), from Linux's /proc (`corpnum_local::procfs`).
#[derive(Clone, Copy, Default)]
struct Cpu {
    process: f64,
    dynamodb: f64,
    moto: f64,
    machine: f64,
}

impl Cpu {
    /// Now, with the stack's `services` (command name, process id).
    fn now(services: &[(String, u32)]) -> Self {
        use corpnum_local::procfs::{ProcessStat, machine_busy_ms};
        let of = |pid: &dyn std::fmt::Display| {
            ProcessStat::read(pid).map_or(f64::NAN, |stat| stat.cpu_ms())
        };
        let service = |prefix: &str| {
            services
                .iter()
                .filter(|(name, _)| name.starts_with(prefix))
                .map(|(_, pid)| of(pid))
                .sum::<f64>()
        };
        let machine = machine_busy_ms().unwrap_or(f64::NAN);
        Self {
            process: of(&"self"),
            dynamodb: service("java"),
            moto: service("moto"),
            machine,
        }
    }

    fn since(self, start: Self) -> Self {
        Self {
            process: self.process - start.process,
            dynamodb: self.dynamodb - start.dynamodb,
            moto: self.moto - start.moto,
            machine: self.machine - start.machine,
        }
    }

    fn add(&mut self, other: Self) {
        self.process += other.process;
        self.dynamodb += other.dynamodb;
        self.moto += other.moto;
        self.machine += other.machine;
    }

    /// Each figure over `count`.
    fn per(self, count: usize) -> Self {
        let count = count.max(1) as f64;
        Self {
            process: self.process / count,
            dynamodb: self.dynamodb / count,
            moto: self.moto / count,
            machine: self.machine / count,
        }
    }
}

/// The order of a pair of rounds of each path (`true`: corpnum), so that a stack whose speed
/// drifts during the run (DynamoDB Local's JIT compiler still at work, moto's kept messages
/// piling up) favours neither.
const ROUNDS: [bool; 4] = [true, false, false, true];

/// The throughput rounds' order: ABBA then BAAB, so that a drift that is linear or
/// quadratic in time favours neither path.
const THROUGHPUT_ROUNDS: [bool; 8] = [true, false, false, true, false, true, true, false];

/// The warm-up ends once each path's last round ran at most this much faster than its
/// round before (after WARM_GROUPS_MAX groups of ROUNDS at most).
const WARM_SETTLED: f64 = 1.10;
const WARM_GROUPS_MAX: usize = 5;

/// How many times the status reads alone go over the applications made.
const READ_PASSES: usize = 4;

/// One round's status p50, marked with whose round it was.
fn round_figure(corpnum: bool, samples: &Samples) -> String {
    format!(
        "{} {:.1}",
        if corpnum { "c" } else { "f" },
        percentile(&samples.status, 50)
    )
}

/// Distinct numbers for every flow of the run.
struct Numbers {
    base: u64,
}

impl Numbers {
    fn phone(&self, i: usize) -> String {
        format!("+7916{:07}", (self.base + i as u64) % 10_000_000)
    }
}

/// What a run collects: samples that merge, and a task that failed to finish.
trait Collect: Default + Send + 'static {
    fn merge(&mut self, other: Self);
    fn fail(&mut self);
}

impl Collect for Samples {
    fn merge(&mut self, other: Self) {
        Samples::merge(self, other);
    }
    fn fail(&mut self) {
        self.errors += 1;
    }
}

/// The samples of both paths from one run that mixes their flows.
#[derive(Default)]
struct Paired {
    corpnum: Samples,
    floor: Samples,
}

impl Collect for Paired {
    fn merge(&mut self, other: Self) {
        self.corpnum.merge(other.corpnum);
        self.floor.merge(other.floor);
    }
    /// A driver task runs flows of both paths: its loss counts against both.
    fn fail(&mut self) {
        self.corpnum.errors += 1;
        self.floor.errors += 1;
    }
}

/// Runs `flow(i)` for i in 0..n on `c` tasks; returns the samples and the wall time.
async fn drive<T, F, Fut>(n: usize, c: usize, flow: F) -> (T, Duration)
where
    T: Collect,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let flow = Arc::new(flow);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..c {
        let (next, flow) = (next.clone(), flow.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = T::default();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n {
                    return samples;
                }
                samples.merge(flow(i).await);
            }
        }));
    }
    let mut all = T::default();
    for task in tasks {
        match task.await {
            Ok(samples) => all.merge(samples),
            Err(_) => all.fail(),
        }
    }
    (all, started.elapsed())
}

/// How the driver reaches the API: by calling the host's router in this process (as API
/// Gateway hands a Lambda its event, with no socket), or over HTTP to a server.
#[derive(Clone)]
enum Api {
    InProcess(axum::Router),
    Http {
        client: reqwest::Client,
        base: String,
    },
}

impl Api {
    /// One call; its status and body, `None` if it never got an answer.
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Option<(u16, Vec<u8>)> {
        match self {
            Api::InProcess(router) => {
                call_router(router, method, path, token, body.map(|b| b.to_string())).await
            }
            Api::Http { client, base } => {
                let url = format!("{base}{path}");
                let request = match method {
                    "POST" => client.post(url),
                    _ => client.get(url),
                };
                let request = request.bearer_auth(token);
                let request = match body {
                    Some(b) => request.json(&b),
                    None => request,
                };
                let response = request.send().await.ok()?;
                let status = response.status().as_u16();
                let bytes = response.bytes().await.ok()?;
                Some((status, bytes.to_vec()))
            }
        }
    }
}

/// One corpnum flow through the API.
async fn corpnum_flow(api: Api, tee: Arc<Tee>, phone: String) -> Samples {
    let mut s = Samples::default();
    let org = Org::random();
    let token = org_token(&org);
    let t = Instant::now();
    let id = match api
        .call(
            "POST",
            "/v1/applications",
            &token,
            Some(application_body(&org, &phone)),
        )
        .await
    {
        Some((201, body)) => {
            s.submit.push(t.elapsed());
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let id = body["id"].as_str().unwrap_or_default().to_owned();
            s.made.push((id.clone(), token.clone(), org.inn.clone()));
            id
        }
        _ => {
            s.errors += 1;
            return s;
        }
    };
    s.merge(timed_status_read(&api, &id, &token).await);
    let code = tee
        .codes
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&phone)
        .cloned()
        .unwrap_or_default();
    let t = Instant::now();
    match api
        .call(
            "POST",
            &format!("/v1/applications/{id}/otp"),
            &token,
            Some(json!({ "code": code })),
        )
        .await
    {
        Some((200, _)) => s.verify.push(t.elapsed()),
        _ => s.errors += 1,
    }
    s
}

/// What the floor writes and reads, named as corpnum names them.
#[derive(Clone)]
struct Floor {
    dynamodb: aws_sdk_dynamodb::Client,
    sns: aws_sdk_sns::Client,
    sqs: aws_sdk_sqs::Client,
    table: String,
    topic: String,
    queue: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// An application document of the size corpnum stores (about 1.6 KB of JSON).
fn application_doc(id: Uuid, phone: &str) -> String {
    json!({ "id": id, "phone": phone, "padding": "x".repeat(1500) }).to_string()
}

impl Floor {
    fn put(&self, item: Vec<(&str, AttributeValue)>, condition: Option<&str>) -> TransactWriteItem {
        let mut put = Put::builder().table_name(&self.table);
        for (k, v) in item {
            put = put.item(k, v);
        }
        if let Some(c) = condition {
            put = put.condition_expression(c);
        }
        TransactWriteItem::builder()
            .put(put.build().unwrap_or_else(|e| panic!("{e}")))
            .build()
    }

    fn update(&self, pk: String, sk: &str, expression: &str, condition: &str) -> TransactWriteItem {
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression(expression)
            .condition_expression(condition)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(1000))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        TransactWriteItem::builder().update(update).build()
    }

    async fn transact(&self, items: Vec<TransactWriteItem>) -> bool {
        timed(
            "DynamoDB.TransactWriteItems",
            self.dynamodb
                .transact_write_items()
                .set_transact_items(Some(items))
                .client_request_token(Uuid::new_v4().to_string())
                .send(),
        )
        .await
        .is_ok()
    }

    /// An outbox entry published: its event, then the record of it.
    async fn publish(&self, outbox: Uuid) -> bool {
        let event = json!({ "event_id": Uuid::new_v4(), "type": "application.submitted", "phone": "+7******0000" });
        let published = timed(
            "SNS.Publish (topic)",
            self.sns
                .publish()
                .topic_arn(&self.topic)
                .message(event.to_string())
                .message_attributes(
                    "type",
                    aws_sdk_sns::types::MessageAttributeValue::builder()
                        .data_type("String")
                        .string_value("application.submitted")
                        .build()
                        .unwrap_or_else(|e| panic!("{e}")),
                )
                .send(),
        )
        .await
        .is_ok();
        let recorded = timed(
            "DynamoDB.PutItem",
            self.dynamodb
                .put_item()
                .table_name(&self.table)
                .item("pk", s(format!("OUTBOX#{outbox}")))
                .item("sk", s("O"))
                .item("revision", n(2))
                .item("doc", s(event.to_string()))
                .condition_expression("revision = :expected")
                .expression_attribute_values(":expected", n(1))
                .send(),
        )
        .await
        .is_ok();
        published && recorded
    }

    /// The status read's one query: the application's partition, strongly consistent.
    async fn query_application(&self, id: &str) -> Option<Vec<HashMap<String, AttributeValue>>> {
        query_application(&self.dynamodb, &self.table, id).await
    }

    /// One status read, timed.
    async fn read(&self, id: &str) -> bool {
        timed("DynamoDB.Query", self.query_application(id))
            .await
            .is_some()
    }

    /// An application's partition, as a status read returns it: its items, and their
    /// names and values in bytes.
    async fn partition(&self, id: &str) -> (usize, usize) {
        let items = self.query_application(id).await.unwrap_or_default();
        let bytes = items
            .iter()
            .flat_map(|item| item.iter())
            .map(|(name, value)| {
                name.len()
                    + match value {
                        AttributeValue::S(v) | AttributeValue::N(v) => v.len(),
                        _ => 1,
                    }
            })
            .sum();
        (items.len(), bytes)
    }

    /// The names of the attributes an application's items store, whatever a read asks for
    /// (so that the floor writes the same index entries as corpnum does).
    async fn stored_names(&self, id: &str) -> Vec<String> {
        let items = partition_items(&self.dynamodb, &self.table, id, None)
            .await
            .unwrap_or_default();
        let names: std::collections::BTreeSet<String> =
            items.iter().flat_map(|item| item.keys().cloned()).collect();
        names.into_iter().collect()
    }

    /// The application at `revision` in `status`, and the history entry that revision
    /// writes, as corpnum puts them.
    fn application_items(
        &self,
        id: Uuid,
        phone: &str,
        revision: u64,
        status: &str,
        condition: &str,
        now: &str,
    ) -> [TransactWriteItem; 2] {
        let pk = format!("APP#{id}");
        // Its own organization, as each corpnum flow has.
        let inn = format!("{:010}", id.as_u128() % 10_000_000_000);
        // The sweeper's timer of that status (gsi2): a code's expiry, then a requeue.
        let timer = if status == "awaiting_otp" {
            "expire_unconfirmed"
        } else {
            "requeue"
        };
        [
            self.put(
                vec![
                    ("pk", s(pk.clone())),
                    ("sk", s("A")),
                    ("kind", s("application")),
                    ("status", s(status)),
                    ("revision", n(revision)),
                    ("org_inn", s(inn.clone())),
                    ("gsi1pk", s(format!("STATUS#{status}"))),
                    ("gsi1sk", s(format!("{now}#{id}"))),
                    ("gsi2pk", s(format!("TIMER#{timer}"))),
                    ("gsi2sk", s(format!("{now}#{id}"))),
                    ("gsi3pk", s(format!("ORG#{inn}#APP"))),
                    ("gsi3sk", s(format!("{now}#{id}"))),
                    ("doc", s(application_doc(id, phone))),
                ],
                Some(condition),
            ),
            self.put(
                vec![
                    ("pk", s(pk)),
                    ("sk", s(format!("H#{revision:012}#000"))),
                    ("kind", s("application_history")),
                    ("doc", s("x".repeat(200))),
                ],
                None,
            ),
        ]
    }

    fn outbox_item(&self, outbox: Uuid) -> TransactWriteItem {
        self.put(
            vec![
                ("pk", s(format!("OUTBOX#{outbox}"))),
                ("sk", s("O")),
                ("revision", n(1)),
                ("doc", s("x".repeat(400))),
                ("gsi2pk", s("TIMER#publish_outbox")),
                (
                    "gsi2sk",
                    s(format!("{}#{outbox}", chrono::Utc::now().to_rfc3339())),
                ),
            ],
            Some("attribute_not_exists(pk)"),
        )
    }

    async fn flow(&self, phone: String) -> Samples {
        let mut out = Samples::default();
        let id = Uuid::new_v4();
        let num_pk = format!("NUM#{phone}");
        let now = chrono::Utc::now().to_rfc3339();

        let t = Instant::now();
        let outbox = Uuid::new_v4();
        let [application, history] = self.application_items(
            id,
            &phone,
            1,
            "awaiting_otp",
            "attribute_not_exists(pk)",
            &now,
        );
        let submitted = self
            .transact(vec![
                application,
                history,
                self.update(
                    num_pk.clone(),
                    "L",
                    "SET hold_until = :one ADD version :one",
                    "attribute_not_exists(pk) OR version < :limit",
                ),
                self.put(
                    vec![
                        ("pk", s(num_pk.clone())),
                        ("sk", s(format!("H#{now}#{id}"))),
                        ("kind", s("number_history")),
                        ("doc", s("x".repeat(300))),
                    ],
                    None,
                ),
                TransactWriteItem::builder()
                    .condition_check(
                        ConditionCheck::builder()
                            .table_name(&self.table)
                            .key("pk", s(num_pk.clone()))
                            .key("sk", s("R"))
                            .condition_expression("attribute_not_exists(pk)")
                            .build()
                            .unwrap_or_else(|e| panic!("{e}")),
                    )
                    .build(),
                self.update(
                    format!("RATE#ORG#{id}"),
                    "W#1",
                    "ADD n :one",
                    "attribute_not_exists(n) OR n < :limit",
                ),
                self.update(
                    format!("RATE#PHONE#{phone}"),
                    "W#1",
                    "ADD n :one",
                    "attribute_not_exists(n) OR n < :limit",
                ),
                self.outbox_item(outbox),
            ])
            .await;
        let published = self.publish(outbox).await;
        let sms = timed(
            "SNS.Publish (SMS)",
            self.sns
                .publish()
                .phone_number(&phone)
                .message("Госуслуги: код 123456 для привязки корп. номера. Никому не сообщайте")
                .send(),
        )
        .await
        .is_ok();
        if submitted && published && sms {
            out.submit.push(t.elapsed());
            out.made
                .push((id.to_string(), String::new(), String::new()));
        } else {
            out.errors += 1;
            return out;
        }

        let t = Instant::now();
        match self.read(&id.to_string()).await {
            true => out.status.push(t.elapsed()),
            false => out.errors += 1,
        }

        let t = Instant::now();
        let outbox = Uuid::new_v4();
        let read_ok = self.read(&id.to_string()).await;
        let [application, history] =
            self.application_items(id, &phone, 2, "under_review", "attribute_exists(pk)", &now);
        let confirmed = self
            .transact(vec![
                application,
                history,
                self.update(
                    num_pk.clone(),
                    "L",
                    "REMOVE hold_until ADD version :one",
                    "version < :limit",
                ),
                self.outbox_item(outbox),
            ])
            .await;
        let published = self.publish(outbox).await;
        let queued = timed(
            "SQS.SendMessage",
            self.sqs
                .send_message()
                .queue_url(&self.queue)
                .message_body(json!({ "application_id": id, "attempt": 1 }).to_string())
                .send(),
        )
        .await
        .is_ok();
        if read_ok && confirmed && published && queued {
            out.verify.push(t.elapsed());
        } else {
            out.errors += 1;
        }
        out
    }
}

/// The 95% bootstrap interval of the ratio of two samples' p50s: each sample drawn again
/// with replacement, 1,000 times. Where a latency's distribution is flat around its median
/// (a status read under this load: p40 to p60 spans more than a millisecond), a few hundred
/// samples leave the median, and so the ratio, uncertain by a tenth or more.
fn p50_ratio_interval(ours: &[Duration], base: &[Duration]) -> (f64, f64) {
    if ours.is_empty() || base.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    // xorshift64*: a fixed seed, so the same samples give the same interval.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut draw = |n: usize| {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    };
    let mut median = |samples: &[Duration]| {
        let mut again: Vec<Duration> = (0..samples.len())
            .map(|_| samples[draw(samples.len())])
            .collect();
        let middle = again.len() / 2;
        *again.select_nth_unstable(middle).1
    };
    let mut ratios: Vec<f64> = (0..1000)
        .map(|_| median(ours).as_secs_f64() / median(base).as_secs_f64())
        .collect();
    ratios.sort_unstable_by(f64::total_cmp);
    (ratios[25], ratios[974])
}

/// The table: latencies from the mixed run, throughput from the rounds of each path alone.
fn report(
    n: usize,
    c: usize,
    latency: &Paired,
    corpnum: &(Samples, Duration),
    floor: &(Samples, Duration),
) {
    println!(
        "corpnum load test: {n} flows of each path (submit, status, verify) at concurrency {c}, {} cores",
        std::thread::available_parallelism().map_or(0, |p| p.get())
    );
    println!(
        "latency: both paths' flows alternating on the same {c} clients, so both meet the same stack at the same moment"
    );
    println!(
        "{:<10} {:>12} {:>12}   {:>12} {:>12}   {:>9} {:>9}",
        "route", "corpnum p50", "p99", "floor p50", "p99", "p50 ratio", "p99 ratio"
    );
    let (ours_status, floor_status) = (&latency.corpnum.status, &latency.floor.status);
    let rows: [(&str, &[Duration], &[Duration]); 3] = [
        ("submit", &latency.corpnum.submit, &latency.floor.submit),
        ("status", ours_status, floor_status),
        ("verify", &latency.corpnum.verify, &latency.floor.verify),
    ];
    for (route, ours, base) in rows {
        let (p50, p99) = (percentile(ours, 50), percentile(ours, 99));
        let (f50, f99) = (percentile(base, 50), percentile(base, 99));
        println!(
            "{route:<10} {p50:>9.1} ms {p99:>9.1} ms   {f50:>9.1} ms {f99:>9.1} ms   {:>8.2}x {:>8.2}x",
            p50 / f50,
            p99 / f99
        );
    }
    let (low, high) = p50_ratio_interval(ours_status, floor_status);
    println!(
        "status p50 ratio, 95% bootstrap interval: {low:.2}x to {high:.2}x ({} and {} reads)",
        ours_status.len(),
        floor_status.len()
    );
    let rate = |run: &(Samples, Duration)| run.0.verify.len() as f64 / run.1.as_secs_f64();
    let (ours, base) = (rate(corpnum), rate(floor));
    println!(
        "throughput {ours:>9.1} flows/s {:>13} {base:>9.1} flows/s {:>13} {:>8.2}x",
        "",
        "",
        ours / base
    );
    println!(
        "(throughput: each path alone at concurrency {c}, {} flows each, in rounds c f f c f c c f)",
        corpnum.0.verify.len()
    );
    println!(
        "errors     corpnum {}, floor {} (targets: throughput >= 0.90x, p50 <= 1.20x)",
        corpnum.0.errors + latency.corpnum.errors,
        floor.0.errors + latency.floor.errors
    );
    let calls = std::mem::take(&mut *CALLS.lock().unwrap_or_else(|e| e.into_inner()));
    let mut kinds: Vec<&str> = calls.iter().map(|(k, _)| *k).collect();
    kinds.sort_unstable();
    kinds.dedup();
    println!("floor's calls, under the same load:");
    for kind in kinds {
        let samples: Vec<Duration> = calls
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, d)| *d)
            .collect();
        println!(
            "  {kind:<28} p50 {:>7.1} ms  p99 {:>7.1} ms  ({} calls)",
            percentile(&samples, 50),
            percentile(&samples, 99),
            samples.len()
        );
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let n = setting("LOADTEST_N", 1000);
    let c = setting("LOADTEST_C", 16);
    let (mut stack, endpoints) = start_stack("loadtest-logs")?;
    let services = stack.services();
    let resources = Resources::named(&format!("load{}", Uuid::new_v4().simple()));
    let mut world = World::provision(&endpoints, &resources).await?;
    let tee = Arc::new(Tee {
        inner: world.services.sms.clone(),
        codes: Mutex::default(),
    });
    world.services.sms = tee.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = host::router(world.host_state(JWT_SECRET));
    let serving = router.clone();
    // As `make run` serves: no Nagle delay on the answers.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, serving).await;
    });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(c)
        .build()?;
    let floor = Floor {
        dynamodb: world.clients.dynamodb.clone(),
        sns: world.clients.sns.clone(),
        sqs: world.clients.sqs.clone(),
        table: world.settings.table.clone(),
        topic: match &world.settings.events {
            corpnum::aws::config::EventsTarget::Topic(arn) => arn.clone(),
            corpnum::aws::config::EventsTarget::Queue(_) => {
                return Err("a local world publishes to a topic".into());
            }
        },
        queue: world.review_queue_url.clone(),
    };
    let drain = drain_queues(
        world.clients.sqs.clone(),
        vec![
            world.review_queue_url.clone(),
            world.events_queue_url.clone(),
        ],
    );
    let numbers = Arc::new(Numbers {
        base: (Uuid::new_v4().as_u128() % 5_000_000) as u64,
    });

    // Warm both paths (connections, DynamoDB Local's JIT), then measure each in turn.
    let warm = 8 * c;
    let api = Api::InProcess(router.clone());
    let corpnum_run = |offset: usize, count: usize| {
        let (api, tee, numbers) = (api.clone(), tee.clone(), numbers.clone());
        drive(count, c, move |i| {
            corpnum_flow(api.clone(), tee.clone(), numbers.phone(offset + i))
        })
    };
    let floor_run = |offset: usize, count: usize| {
        let (floor, numbers) = (floor.clone(), numbers.clone());
        drive(count, c, move |i| {
            let (floor, phone) = (floor.clone(), numbers.phone(offset + i));
            async move { floor.flow(phone).await }
        })
    };
    // DynamoDB Local's JIT compiler is still at work long after the first requests (its C1
    // and C2 threads took a quarter of the CPU of a whole run when the warm-up was one
    // round each), and the first measured round paid for it: warm both paths in groups of
    // four rounds (c f f c), 8C flows a round, until the stack has settled: each path's
    // last round at most WARM_SETTLED faster than its round before. On a machine that ran
    // three times slower than usual, one group was not enough: the flows/s kept rising
    // by a quarter into the measured rounds, and the first of them (corpnum's) paid for it.
    let mut by_round = Vec::new();
    let mut rates: (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    let mut offset = 0;
    for _ in 0..WARM_GROUPS_MAX {
        for corpnum in ROUNDS {
            let (samples, elapsed) = if corpnum {
                corpnum_run(offset, warm).await
            } else {
                floor_run(offset, warm).await
            };
            offset += warm;
            let rate = warm as f64 / elapsed.as_secs_f64();
            by_round.push(format!("{} {rate:.1}", round_figure(corpnum, &samples)));
            if corpnum {
                rates.0.push(rate);
            } else {
                rates.1.push(rate);
            }
        }
        let settled = |r: &[f64]| r.len() >= 2 && r[r.len() - 1] <= r[r.len() - 2] * WARM_SETTLED;
        if settled(&rates.0) && settled(&rates.1) {
            break;
        }
    }
    println!(
        "warm-up, status p50 ms and flows/s by round (c corpnum, f floor): {}",
        by_round.join(", ")
    );
    // Throughput: each path alone, N/2 flows each over four rounds in THROUGHPUT_ROUNDS' order
    // (shorter rounds would count their ramp-down, when fewer than C flows are left).
    let (mut ours, mut theirs) = (
        (Samples::default(), Duration::ZERO),
        (Samples::default(), Duration::ZERO),
    );
    let mut flows_cpu = (Cpu::default(), Cpu::default());
    let mut left = (n / 2, n / 2);
    let mut by_round = Vec::new();
    for (round, corpnum) in THROUGHPUT_ROUNDS.into_iter().enumerate() {
        // This path's share of what it has left over its remaining rounds.
        let rounds_left = THROUGHPUT_ROUNDS[round..]
            .iter()
            .filter(|&&o| o == corpnum)
            .count();
        let remaining = if corpnum { &mut left.0 } else { &mut left.1 };
        let count = *remaining / rounds_left;
        *remaining -= count;
        let cpu = Cpu::now(&services);
        let (samples, elapsed) = if corpnum {
            corpnum_run(offset, count).await
        } else {
            floor_run(offset, count).await
        };
        let used = Cpu::now(&services).since(cpu);
        by_round.push(round_figure(corpnum, &samples));
        let (run, cpu) = if corpnum {
            (&mut ours, &mut flows_cpu.0)
        } else {
            (&mut theirs, &mut flows_cpu.1)
        };
        run.0.merge(samples);
        run.1 += elapsed;
        cpu.add(used);
        offset += count;
    }
    // Latency: N flows of each path, alternating on the same clients. Rounds of one path
    // at a time met a stack still speeding up (DynamoDB Local's JIT compiler kept at it
    // for the whole first measured round, whoever ran it); flows mixed this way meet the
    // same stack at the same moment, whatever its drift.
    let (latency, _) = {
        let (api, tee, numbers, floor) = (api.clone(), tee.clone(), numbers.clone(), floor.clone());
        drive(2 * n, c, move |i| {
            let (api, tee, floor) = (api.clone(), tee.clone(), floor.clone());
            let phone = numbers.phone(offset + i);
            async move {
                if i % 2 == 0 {
                    Paired {
                        corpnum: corpnum_flow(api, tee, phone).await,
                        floor: Samples::default(),
                    }
                } else {
                    Paired {
                        corpnum: Samples::default(),
                        floor: floor.flow(phone).await,
                    }
                }
            }
        })
        .await
    };
    report(n, c, &latency, &ours, &theirs);
    println!("status p50 by throughput round: {}", by_round.join(", "));
    let show = |cpu: Cpu| {
        format!(
            "{:.2} ms in this process, DynamoDB Local {:.2}, moto {:.2}, machine-wide {:.2}",
            cpu.process, cpu.dynamodb, cpu.moto, cpu.machine
        )
    };
    println!(
        "CPU per flow in the throughput rounds: corpnum {}; floor {}",
        show(flows_cpu.0.per(ours.0.verify.len())),
        show(flows_cpu.1.per(theirs.0.verify.len()))
    );
    for (path, samples) in [("corpnum", &latency.corpnum), ("floor", &latency.floor)] {
        let quantiles: Vec<String> = [10, 25, 40, 50, 60, 75, 90]
            .iter()
            .map(|&p| format!("p{p} {:.1}", percentile(&samples.status, p)))
            .collect();
        println!("status {path:<8} {}", quantiles.join(", "));
    }
    // The reads below go over every application either run made.
    ours.0.made.extend(latency.corpnum.made);
    theirs.0.made.extend(latency.floor.made);

    // Status reads alone (DynamoDB only, moto idle): what a read costs beside the query.
    // In the ROUNDS order again, each over half the applications, read READ_PASSES times
    // (so the CPU counters, in 10 ms ticks, resolve a read's cost), after the same rounds
    // once over unmeasured: reads alone get faster for a while (DynamoDB Local compiles
    // its query path further), and the first round would pay for it.
    let (mut ours_reads, mut floor_reads) = (
        (Samples::default(), Duration::ZERO),
        (Samples::default(), Duration::ZERO),
    );
    let (mut ours_cpu, mut floor_cpu) = (Cpu::default(), Cpu::default());
    for (round, corpnum) in ROUNDS.into_iter().chain(ROUNDS).enumerate() {
        let warming = round < ROUNDS.len();
        let round = round % ROUNDS.len();
        let made = if corpnum {
            &ours.0.made
        } else {
            &theirs.0.made
        };
        let half = made.len() / 2;
        let half = if round < 2 {
            &made[..half]
        } else {
            &made[half..]
        };
        let part: Arc<Vec<_>> = Arc::new(
            std::iter::repeat_n(half, if warming { 1 } else { READ_PASSES })
                .flatten()
                .cloned()
                .collect(),
        );
        let cpu = Cpu::now(&services);
        let (samples, elapsed) = if corpnum {
            let api = api.clone();
            drive(part.len(), c, move |i| {
                let (api, part) = (api.clone(), part.clone());
                async move {
                    let (id, token, _) = &part[i];
                    timed_status_read(&api, id, token).await
                }
            })
            .await
        } else {
            let floor = floor.clone();
            drive(part.len(), c, move |i| {
                let (floor, part) = (floor.clone(), part.clone());
                async move {
                    let mut s = Samples::default();
                    let t = Instant::now();
                    match floor.read(&part[i].0).await {
                        true => s.status.push(t.elapsed()),
                        false => s.errors += 1,
                    }
                    s
                }
            })
            .await
        };
        let used = Cpu::now(&services).since(cpu);
        if warming {
            continue;
        }
        let (run, cpu) = if corpnum {
            (&mut ours_reads, &mut ours_cpu)
        } else {
            (&mut floor_reads, &mut floor_cpu)
        };
        run.0.merge(samples);
        run.1 += elapsed;
        cpu.add(used);
    }
    if let (Some(ours_app), Some(floor_app)) = (ours.0.made.first(), theirs.0.made.first()) {
        let (ours_items, ours_bytes) = floor.partition(&ours_app.0).await;
        let (floor_items, floor_bytes) = floor.partition(&floor_app.0).await;
        println!(
            "an application's partition, as a status read returns it: corpnum {ours_items} items, {ours_bytes} B; floor {floor_items} items, {floor_bytes} B"
        );
        let (ours_names, floor_names) = (
            floor.stored_names(&ours_app.0).await,
            floor.stored_names(&floor_app.0).await,
        );
        println!(
            "attributes its items store: corpnum {}; floor {}",
            ours_names.join(" "),
            floor_names.join(" ")
        );
    }
    let show = |cpu: Cpu| {
        format!(
            "{:.0} µs in this process, DynamoDB Local {:.0}, machine-wide {:.0}",
            cpu.process * 1000.0,
            cpu.dynamodb * 1000.0,
            cpu.machine * 1000.0
        )
    };
    println!(
        "CPU per status read alone: corpnum {}; floor {}",
        show(ours_cpu.per(ours_reads.0.status.len())),
        show(floor_cpu.per(floor_reads.0.status.len()))
    );
    let host_reads = http_reads(
        client.clone(),
        base.clone(),
        ours.0
            .made
            .iter()
            .map(|(id, token, _)| (id.clone(), token.clone()))
            .collect(),
        c,
        "over HTTP to the local host",
    )
    .await?;
    let server_reads = server_reads(&world, &ours.0.made, c).await?;
    let rate = |run: &(Samples, Duration)| run.0.status.len() as f64 / run.1.as_secs_f64();
    println!(
        "status reads alone: corpnum p50 {:.1} ms p99 {:.1} ms {:.0}/s; floor p50 {:.1} ms p99 {:.1} ms {:.0}/s; p50 {:.2}x, throughput {:.2}x",
        percentile(&ours_reads.0.status, 50),
        percentile(&ours_reads.0.status, 99),
        rate(&ours_reads),
        percentile(&floor_reads.0.status, 50),
        percentile(&floor_reads.0.status, 99),
        rate(&floor_reads),
        percentile(&ours_reads.0.status, 50) / percentile(&floor_reads.0.status, 50),
        rate(&ours_reads) / rate(&floor_reads),
    );
    let beside_floor = |what: &str, run: &(Samples, Duration)| {
        println!(
            "status reads alone {what}: p50 {:.1} ms p99 {:.1} ms {:.0}/s; p50 {:.2}x the floor, throughput {:.2}x",
            percentile(&run.0.status, 50),
            percentile(&run.0.status, 99),
            rate(run),
            percentile(&run.0.status, 50) / percentile(&floor_reads.0.status, 50),
            rate(run) / rate(&floor_reads),
        );
    };
    beside_floor(
        "over HTTP to the local host (the socket API Gateway stands in for)",
        &host_reads,
    );
    beside_floor(
        "through corpnum-server (no gateway event; RS256 tokens checked against a JWKS)",
        &server_reads,
    );
    server.abort();
    drain.abort();
    stack.stop();
    Ok(())
}

/// Status reads over HTTP, once each of `reads` (application id, token), at concurrency
/// `c`, after `c` of them one by one to warm the connections (and a server's key cache),
/// as the other runs were warmed. `what` names the server in the error if any read failed.
async fn http_reads(
    client: reqwest::Client,
    base: String,
    reads: Vec<(String, String)>,
    c: usize,
    what: &str,
) -> Result<(Samples, Duration), Error> {
    let api = Api::Http { client, base };
    for (id, token) in reads.iter().take(c) {
        let _ = timed_status_read(&api, id, token).await;
    }
    let reads = Arc::new(reads);
    let run = drive(reads.len(), c, move |i| {
        let (api, reads) = (api.clone(), reads.clone());
        async move {
            let (id, token) = &reads[i];
            timed_status_read(&api, id, token).await
        }
    })
    .await;
    if run.0.errors > 0 {
        return Err(format!("{} status reads {what} failed", run.0.errors).into());
    }
    Ok(run)
}

/// One status read through `api`, timed.
async fn timed_status_read(api: &Api, id: &str, token: &str) -> Samples {
    let mut s = Samples::default();
    let t = Instant::now();
    match api
        .call("GET", &format!("/v1/applications/{id}"), token, None)
        .await
    {
        Some((200, _)) => s.status.push(t.elapsed()),
        _ => s.errors += 1,
    }
    s
}

/// The status reads again, through `corpnum-server` in this process (the same handlers and
/// clients; no API Gateway event, tokens signed by a test issuer whose JWKS it fetches):
/// what the local host's event conversion costs, by difference.
async fn server_reads(
    world: &World,
    made: &[(String, String, String)],
    c: usize,
) -> Result<(Samples, Duration), Error> {
    use corpnum_server::issuer::{Issuer, SigningKey};
    let issuer = Issuer::new(vec![SigningKey::rsa("load")]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let issuer_url = format!("http://{}", listener.local_addr()?);
    let discovery = json!({ "issuer": issuer_url, "jwks_uri": format!("{issuer_url}/keys") });
    let jwks = issuer.jwks();
    let site = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(move || async move { discovery.to_string() }),
        )
        .route(
            "/keys",
            axum::routing::get(move || async move { jwks.to_string() }),
        );
    let site = tokio::spawn(async move {
        let _ = axum::serve(listener, site).await;
    });
    let address = format!("127.0.0.1:{}", free_port()?);
    let vars = |name: &'static str| -> Option<String> {
        match name {
            "CORPNUM_SERVER_ADDR" => Some(address.clone()),
            "CORPNUM_OIDC_ISSUER" => Some(issuer_url.clone()),
            "CORPNUM_OIDC_AUDIENCE" => Some("corpnum".into()),
            "CORPNUM_REVIEW_CONSUMER" => Some("false".into()),
            "CORPNUM_SWEEP_INTERVAL_SECONDS" => Some("0".into()),
            _ => None,
        }
    };
    let config = corpnum_server::ServerConfig::from_vars(&vars)?;
    let deps = corpnum_server::Deps {
        settings: world.settings.clone(),
        clients: world.clients.clone(),
        services: world.services.clone(),
        queue: corpnum_server::mq::QueueClient::Sdk(world.clients.sqs.clone()),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(corpnum_server::serve(config, deps, async {
        let _ = stopped.await;
    }));
    let base = format!("http://{address}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(c)
        .build()?;
    let ready = Instant::now();
    while !client
        .get(format!("{base}/health"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
    {
        if ready.elapsed() > Duration::from_secs(10) {
            return Err("corpnum-server did not become ready".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let exp = chrono::Utc::now().timestamp() + 3600;
    let reads = made
        .iter()
        .map(|(id, _, inn)| {
            let claims = json!({
                "iss": issuer_url, "aud": "corpnum", "exp": exp,
                "sub": format!("rep-{inn}"), "org_inn": inn, "scope": "corpnum/org",
            });
            (id.clone(), issuer.sign("load", &claims))
        })
        .collect();
    let run = http_reads(client, base, reads, c, "through corpnum-server").await;
    let _ = stop.send(());
    let _ = serving.await;
    site.abort();
    run
}
