//! Test support: one local AWS stack per test binary, and per test an isolated world
//! (own table, queues, phone numbers and clock) served over HTTP by the local host,
//! exactly as `make run` serves it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Utc};
use corpnum::fakes::ManualClock;
use corpnum_local::setup::Resources;
use corpnum_local::stack::{LocalStack, StackConfig, free_port};
use corpnum_local::{Endpoints, World, host, jwt};
use serde_json::{Map, Value, json};

pub const JWT_SECRET: &str = "integration-test-secret";
pub const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

struct Shared {
    stack: LocalStack,
}

static STACK: OnceLock<Shared> = OnceLock::new();
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Starts DynamoDB Local and moto once for this test binary. They stop when it exits.
fn stack() -> &'static LocalStack {
    &STACK
        .get_or_init(|| {
            let config = StackConfig {
                root: root(),
                dynamodb_port: free_port().unwrap_or(18000),
                moto_port: free_port().unwrap_or(15000),
                moto_store_port: Some(free_port().unwrap_or(15001)),
                data_dir: None,
                log_dir: root().join(".local/test-logs"),
                purge_queues_anytime: false,
            };
            match LocalStack::start(&config) {
                Ok(stack) => Shared { stack },
                Err(e) => panic!("local AWS stack: {e}"),
            }
        })
        .stack
}

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the production JSON log format, writing into a buffer the tests can read.
fn capture_logs() -> Arc<Mutex<Vec<u8>>> {
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(buffer.clone());
        let _ = tracing_subscriber::fmt()
            .json()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,aws=info,aws_smithy_runtime=info,hyper=info,h2=info,tower=info",
            ))
            .with_current_span(true)
            .flatten_event(true)
            .with_writer(move || writer.clone())
            .try_init();
        buffer
    })
    .clone()
}

/// Everything logged so far by this test binary.
pub fn logs() -> String {
    String::from_utf8_lossy(&capture_logs().lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

/// Faults to inject into a world's dependencies by pointing a client at a dead port.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    pub sns_down: bool,
    pub dynamodb_down: bool,
    pub sqs_down: bool,
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    /// Every AWS operation the app's handlers made (`Service.Operation`), for counting.
    pub calls: corpnum::aws::calls::CallRecorder,
    pub world: World,
    resources: Resources,
    moto: String,
    server: tokio::task::JoinHandle<()>,
    /// Events taken off the world's events queue so far (see [`TestApp::events`]).
    received: Arc<Mutex<Vec<Value>>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
        // Every call this world's handlers made must be one an AWS-compatible service in
        // Russia accepts (issue 12); a test that made another fails here, naming it.
        if !std::thread::panicking() {
            let outside = calls_outside_the_allow_list(&self.calls.shapes());
            assert!(
                outside.is_empty(),
                "calls outside tests/residency/allowed-calls.json: {outside:#?}"
            );
        }
    }
}

/// The committed allow-list (`tests/residency/allowed-calls.json`).
fn allow_list() -> &'static Value {
    static LIST: OnceLock<Value> = OnceLock::new();
    LIST.get_or_init(|| {
        let path = root().join("tests/residency/allowed-calls.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    })
}

/// What of `shapes` the allow-list does not allow, each with why.
pub fn calls_outside_the_allow_list(
    shapes: &std::collections::BTreeSet<corpnum::aws::calls::CallShape>,
) -> Vec<String> {
    let list = allow_list();
    let names = |key: &str| -> Vec<&str> {
        list[key]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    let (operations, functions, targets, projecting) = (
        names("operations"),
        names("expression_functions"),
        names("sns_targets"),
        names("projection_expression"),
    );
    let max_actions = list["max_transaction_actions"].as_u64().unwrap_or(0);
    let mut outside = Vec::new();
    for shape in shapes {
        let op = &shape.operation;
        if !operations.contains(&op.as_str()) {
            outside.push(format!("{op}: not an operation of the compatible services"));
        }
        if let Some(n) = shape.actions
            && n as u64 > max_actions
        {
            outside.push(format!("{op}: {n} actions (at most {max_actions})"));
        }
        for f in &shape.functions {
            if !functions.contains(&f.as_str()) {
                outside.push(format!("{op}: expression function {f}"));
            }
        }
        if let Some(index) = &shape.index
            && !index.starts_with("gsi")
        {
            outside.push(format!(
                "{op}: index {index} (global secondary indexes only)"
            ));
        }
        if shape.projection && !projecting.contains(&op.as_str()) {
            outside.push(format!("{op}: with a ProjectionExpression"));
        }
        if let Some(target) = shape.target
            && !targets.contains(&target)
        {
            outside.push(format!("{op}: to a {target}"));
        }
    }
    outside
}

/// `CORPNUM_TEST_STORE=moto`: every world's table in moto's DynamoDB (the stack's second
/// moto) instead of DynamoDB Local: `make test`'s third pass, a second engine. moto does
/// not isolate concurrent transactions, so that pass skips the tests that race them.
fn table_on_moto_by_setting() -> bool {
    std::env::var("CORPNUM_TEST_STORE").is_ok_and(|v| v == "moto")
}

fn dead_endpoint() -> String {
    // Nothing listens on a port we just released.
    format!("http://127.0.0.1:{}", free_port().unwrap_or(9))
}

impl TestApp {
    /// A fresh, isolated world.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}, |_| {}).await
    }

    /// A fresh, isolated world whose settings, then services, `settings` and `services`
    /// change before it starts serving (another SMS sender, the store's options, ...).
    pub async fn spawn_with(
        settings: impl FnOnce(&mut corpnum::aws::config::Settings),
        services: impl FnOnce(&mut corpnum::app::Services),
    ) -> Self {
        let mut resources = Resources::named(&format!("t{}", uuid::Uuid::new_v4().simple()));
        resources.subscribe_events = false;
        Self::start(
            resources,
            Faults::default(),
            None,
            settings,
            services,
            false,
        )
        .await
    }

    /// A fresh world whose events topic has a queue subscribed, as the portal's would be,
    /// for [`TestApp::events`].
    pub async fn spawn_with_events() -> Self {
        let resources = Resources::named(&format!("t{}", uuid::Uuid::new_v4().simple()));
        Self::start(resources, Faults::default(), None, |_| {}, |_| {}, false).await
    }

    /// A fresh world whose table is in moto's DynamoDB, a second implementation beside
    /// DynamoDB Local (the portability check of issue 12): without returned items, which
    /// moto does not give back with a cancelled transaction either.
    pub async fn on_moto_dynamodb() -> Self {
        let mut resources = Resources::named(&format!("m{}", uuid::Uuid::new_v4().simple()));
        resources.subscribe_events = false;
        Self::start(
            resources,
            Faults::default(),
            None,
            |s| s.store_returns_items = false,
            |_| {},
            true,
        )
        .await
    }

    /// Another host over the same table and queues, with some dependencies down.
    pub async fn with_faults(&self, faults: Faults) -> Self {
        Self::start(
            self.resources.clone(),
            faults,
            Some(self.clock.clone()),
            |_| {},
            |_| {},
            false,
        )
        .await
    }

    async fn start(
        resources: Resources,
        faults: Faults,
        clock: Option<Arc<ManualClock>>,
        configure_settings: impl FnOnce(&mut corpnum::aws::config::Settings),
        configure_services: impl FnOnce(&mut corpnum::app::Services),
        table_on_moto: bool,
    ) -> Self {
        let _ = capture_logs();
        let stack = stack();
        let healthy = Endpoints {
            dynamodb: if table_on_moto || table_on_moto_by_setting() {
                stack
                    .moto_store_endpoint
                    .clone()
                    .unwrap_or_else(|| panic!("the test stack has no moto for the store"))
            } else {
                stack.dynamodb_endpoint.clone()
            },
            sns: stack.moto_endpoint.clone(),
            sqs: stack.moto_endpoint.clone(),
        };
        let mut world = match World::provision(&healthy, &resources).await {
            Ok(w) => w,
            Err(e) => panic!("provisioning: {e}"),
        };
        let calls = corpnum::aws::calls::CallRecorder::default();
        let clients = corpnum_local::local_clients_recorded(
            &Endpoints {
                dynamodb: if faults.dynamodb_down {
                    dead_endpoint()
                } else {
                    healthy.dynamodb.clone()
                },
                sns: if faults.sns_down {
                    dead_endpoint()
                } else {
                    healthy.sns.clone()
                },
                sqs: if faults.sqs_down {
                    dead_endpoint()
                } else {
                    healthy.sqs.clone()
                },
            },
            Some(&calls),
        )
        .await;
        configure_settings(&mut world.settings);
        world.services = corpnum::aws::config::services(&world.settings, &clients);
        let clock = clock.unwrap_or_else(|| Arc::new(ManualClock::new(Utc::now())));
        world.services.clock = clock.clone();
        configure_services(&mut world.services);
        let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => panic!("bind: {e}"),
        };
        let address = format!(
            "http://{}",
            listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default()
        );
        let router = host::router(world.host_state(JWT_SECRET));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self {
            address,
            client: reqwest::Client::new(),
            clock,
            calls,
            world,
            resources,
            moto: stack.moto_endpoint.clone(),
            server,
            received: Arc::default(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        use corpnum::ports::Clock;
        self.clock.now()
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    pub fn table(&self) -> &str {
        &self.resources.table
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send(self.request(reqwest::Method::POST, path, token).json(body))
            .await
    }

    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut rb = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb
    }

    pub async fn send(&self, rb: reqwest::RequestBuilder) -> Response {
        let r = match rb.send().await {
            Ok(r) => r,
            Err(e) => panic!("request failed: {e}"),
        };
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Response {
            status,
            headers,
            body,
            text,
            bytes,
        }
    }

    pub async fn submit(&self, token: &str, body: &Value) -> Response {
        self.post_json("/v1/applications", Some(token), body).await
    }

    pub async fn submit_with_key(&self, token: &str, key: &str, body: &Value) -> Response {
        self.send(
            self.request(reqwest::Method::POST, "/v1/applications", Some(token))
                .header("Idempotency-Key", key)
                .json(body),
        )
        .await
    }

    pub async fn verify(&self, token: &str, id: &str, code: &str) -> Response {
        self.post_json(
            &format!("/v1/applications/{id}/otp"),
            Some(token),
            &json!({ "code": code }),
        )
        .await
    }

    pub async fn resend(&self, token: &str, id: &str) -> Response {
        self.send(self.request(
            reqwest::Method::POST,
            &format!("/v1/applications/{id}/otp/resend"),
            Some(token),
        ))
        .await
    }

    pub async fn application(&self, token: &str, id: &str) -> Response {
        self.send(self.request(
            reqwest::Method::GET,
            &format!("/v1/applications/{id}"),
            Some(token),
        ))
        .await
    }

    pub async fn number(&self, token: &str, phone: &str) -> Response {
        let path = format!("/v1/numbers/{}", phone.replace('+', "%2B"));
        self.send(self.request(reqwest::Method::GET, &path, Some(token)))
            .await
    }

    /// Every SMS moto recorded for `phone` (canonical form), oldest first.
    pub async fn sms_to(&self, phone: &str) -> Vec<String> {
        let data: Value = match reqwest::get(format!("{}/moto-api/data.json", self.moto)).await {
            Ok(r) => r.json().await.unwrap_or(Value::Null),
            Err(e) => panic!("moto: {e}"),
        };
        data.pointer("/sns/SMS")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter(|m| m.get("phone_number").and_then(Value::as_str) == Some(phone))
                    .filter_map(|m| m.get("message").and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The tables the store's moto holds in its DynamoDB (not DynamoDB Local's).
    pub async fn moto_dynamodb_tables(&self) -> Vec<String> {
        let store = stack()
            .moto_store_endpoint
            .clone()
            .unwrap_or_else(|| panic!("the test stack has no moto for the store"));
        let clients = corpnum_local::local_clients(&Endpoints {
            dynamodb: store,
            sns: self.moto.clone(),
            sqs: self.moto.clone(),
        })
        .await;
        match clients.dynamodb.list_tables().send().await {
            Ok(out) => out.table_names.unwrap_or_default(),
            Err(e) => panic!("moto dynamodb: {e:?}"),
        }
    }

    /// Every code SMS to `phone` (the notices left out).
    pub async fn codes_to(&self, phone: &str) -> Vec<String> {
        self.sms_to(phone)
            .await
            .into_iter()
            .filter(|m| corpnum::domain::code_in_sms(m).is_some())
            .collect()
    }

    /// Every SMS to `phone` that is not a code: the notices (SPEC 5.6).
    pub async fn notices_to(&self, phone: &str) -> Vec<String> {
        self.sms_to(phone)
            .await
            .into_iter()
            .filter(|m| corpnum::domain::code_in_sms(m).is_none())
            .collect()
    }

    /// Every event the world's events topic delivered to its subscribed queue so far,
    /// oldest first as far as SQS tells; each checked to carry its type as the `type`
    /// message attribute. Hosts over the same world share the queue, not this list.
    pub async fn events(&self) -> Vec<Value> {
        assert!(
            !self.world.events_queue_url.is_empty(),
            "this world has no events subscription: spawn it with TestApp::spawn_with_events"
        );
        let drained = corpnum_local::jobs::drain_events(
            &self.world.clients.sqs,
            &self.world.events_queue_url,
        )
        .await;
        let drained = match drained {
            Ok(d) => d,
            Err(e) => panic!("events queue: {e}"),
        };
        let mut received = self.received.lock().unwrap_or_else(|e| e.into_inner());
        for message in drained {
            assert_eq!(
                message["type_attribute"], message["event"]["type"],
                "the type attribute names the event's type"
            );
            received.push(message["event"].clone());
        }
        received.clone()
    }

    /// The types of the events so far about `subject` (an application id or a masked phone).
    pub async fn event_types(&self, subject: &str) -> Vec<String> {
        self.events()
            .await
            .iter()
            .filter(|e| e["application_id"] == subject || e["phone"] == subject)
            .filter_map(|e| e["type"].as_str().map(str::to_owned))
            .collect()
    }

    /// The code in the latest SMS to `phone`.
    pub async fn last_code(&self, phone: &str) -> String {
        let messages = self.sms_to(phone).await;
        match messages
            .last()
            .and_then(|m| corpnum::domain::code_in_sms(m))
        {
            Some(code) => code,
            None => panic!("no code was sent to {phone}"),
        }
    }

    /// Messages waiting on this world's review queue.
    pub async fn review_messages(&self) -> Vec<Value> {
        let out = self
            .world
            .clients
            .sqs
            .receive_message()
            .queue_url(&self.world.review_queue_url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .send()
            .await;
        match out {
            Ok(o) => o
                .messages
                .unwrap_or_default()
                .iter()
                .filter_map(|m| m.body.as_deref().and_then(|b| serde_json::from_str(b).ok()))
                .collect(),
            Err(e) => panic!("sqs: {e:?}"),
        }
    }
}

impl TestApp {
    /// Runs the review worker over everything on the queue, as the event source mapping
    /// would. Returns how many messages were handed to it.
    pub async fn run_review_worker(&self) -> usize {
        let mut total = 0;
        loop {
            let polled = corpnum_local::jobs::poll_reviews(
                &self.world.clients.sqs,
                &self.world.review_queue_url,
                &self.world.services,
                0,
                Some(0),
            )
            .await;
            match polled {
                Ok(0) => return total,
                Ok(n) => total += n,
                Err(e) => panic!("review poll: {e}"),
            }
            if total > 1000 {
                panic!("the review queue never drained");
            }
        }
    }

    /// One run of the scheduled sweeper.
    pub async fn sweep(&self) -> Value {
        match corpnum_local::jobs::sweep_once(&self.world.services).await {
            Ok(report) => report,
            Err(e) => panic!("sweep: {e}"),
        }
    }

    /// Submits and confirms an application; returns (token, id).
    pub async fn confirmed(&self, org: &Org, body: &Value) -> (String, String) {
        let token = org_token(org);
        let r = self.submit(&token, body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let id = r.id();
        let phone = r.body["phone"].as_str().unwrap_or_default().to_owned();
        let code = self.last_code(&phone).await;
        let v = self.verify(&token, &id, &code).await;
        assert_eq!(v.status, 200, "{}", v.text);
        (token, id)
    }

    /// An application taken all the way to an active number by automatic approval.
    pub async fn active_number(&self, org: &Org, phone: &str) -> (String, String) {
        let (token, id) = self
            .confirmed(org, &signed_body(org, phone, "2099-12-31"))
            .await;
        self.run_review_worker().await;
        let status = self.application(&token, &id).await;
        assert_eq!(status.body["status"], "approved", "{}", status.text);
        (token, id)
    }

    pub async fn decide(&self, token: &str, id: &str, body: &Value) -> Response {
        self.post_json(
            &format!("/v1/applications/{id}/decision"),
            Some(token),
            body,
        )
        .await
    }

    pub async fn reviews(&self, token: &str, query: &str) -> Response {
        self.send(self.request(
            reqwest::Method::GET,
            &format!("/v1/reviews{query}"),
            Some(token),
        ))
        .await
    }

    pub async fn add_documents(&self, token: &str, id: &str, body: &Value) -> Response {
        self.post_json(
            &format!("/v1/applications/{id}/documents"),
            Some(token),
            body,
        )
        .await
    }

    pub async fn request_deactivation(&self, token: &str, phone: &str, body: &Value) -> Response {
        self.post_json(
            &format!("/v1/numbers/{}/deactivation", phone.replace('+', "%2B")),
            Some(token),
            body,
        )
        .await
    }

    pub async fn confirm_deactivation(&self, token: &str, phone: &str, body: &Value) -> Response {
        self.post_json(
            &format!(
                "/v1/numbers/{}/deactivation/confirm",
                phone.replace('+', "%2B")
            ),
            Some(token),
            body,
        )
        .await
    }

    pub async fn rebind(
        &self,
        token: &str,
        phone: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut rb = self
            .request(
                reqwest::Method::PUT,
                &format!("/v1/numbers/{}/employee", phone.replace('+', "%2B")),
                Some(token),
            )
            .json(body);
        if let Some(tag) = if_match {
            rb = rb.header("If-Match", tag);
        }
        self.send(rb).await
    }

    /// Requests and confirms a deactivation of an active number; returns the act.
    pub async fn deactivate(&self, token: &str, phone: &str, reason: &str) -> Response {
        let r = self
            .request_deactivation(
                token,
                phone,
                &json!({ "reason": reason, "comment": "Закрыто" }),
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.text);
        let id = r.deactivation_id();
        let code = self.last_code(phone).await;
        let act = self
            .confirm_deactivation(
                token,
                phone,
                &json!({ "deactivation_id": id, "code": code }),
            )
            .await;
        assert_eq!(act.status, 200, "{}", act.text);
        act
    }

    /// `POST /v1/numbers/{phone}/<action>` (`suspension`, `resumption`, and their `/confirm`).
    pub async fn number_action(
        &self,
        token: &str,
        phone: &str,
        action: &str,
        body: &Value,
    ) -> Response {
        self.post_json(
            &format!("/v1/numbers/{}/{action}", phone.replace('+', "%2B")),
            Some(token),
            body,
        )
        .await
    }

    /// Requests a suspension or resumption (`kind`) by code and confirms it; returns the
    /// confirmation's response (the number).
    pub async fn by_code(&self, token: &str, phone: &str, kind: &str, body: &Value) -> Response {
        let r = self.number_action(token, phone, kind, body).await;
        assert_eq!(r.status, 202, "{}", r.text);
        let id_field = format!("{kind}_id");
        let id = r.body[id_field.as_str()]
            .as_str()
            .unwrap_or_else(|| panic!("no {id_field} in {}", r.text))
            .to_owned();
        let code = self.last_code(phone).await;
        let done = self
            .number_action(
                token,
                phone,
                &format!("{kind}/confirm"),
                &json!({ id_field: id, "code": code }),
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.text);
        done
    }

    /// `PUT /v1/numbers/{phone}/restriction`.
    pub async fn restrict(&self, token: &str, phone: &str, body: &Value) -> Response {
        let path = format!("/v1/numbers/{}/restriction", phone.replace('+', "%2B"));
        self.send(
            self.request(reqwest::Method::PUT, &path, Some(token))
                .json(body),
        )
        .await
    }

    /// `DELETE /v1/numbers/{phone}/restriction`.
    pub async fn lift_restriction(&self, token: &str, phone: &str) -> Response {
        let path = format!("/v1/numbers/{}/restriction", phone.replace('+', "%2B"));
        self.send(self.request(reqwest::Method::DELETE, &path, Some(token)))
            .await
    }

    /// `GET` of `path`.
    pub async fn get(&self, token: &str, path: &str) -> Response {
        self.send(self.request(reqwest::Method::GET, path, Some(token)))
            .await
    }

    /// `GET /v1/numbers/{phone}/acts/{act_number}`, the act number percent-encoded.
    pub async fn act(&self, token: &str, phone: &str, act_number: &str) -> Response {
        self.send(self.request(
            reqwest::Method::GET,
            &act_path(phone, act_number),
            Some(token),
        ))
        .await
    }

    /// Puts a raw message on the review queue.
    pub async fn enqueue_raw(&self, body: &str) {
        let sent = self
            .world
            .clients
            .sqs
            .send_message()
            .queue_url(&self.world.review_queue_url)
            .message_body(body)
            .send()
            .await;
        if let Err(e) = sent {
            panic!("sqs: {e:?}");
        }
    }

    /// Messages in the review dead-letter queue.
    pub async fn dead_letters(&self) -> Vec<String> {
        let url = self
            .world
            .clients
            .sqs
            .get_queue_url()
            .queue_name(format!("{}-review-dlq", self.table()))
            .send()
            .await
            .ok()
            .and_then(|o| o.queue_url)
            .unwrap_or_default();
        let out = self
            .world
            .clients
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await;
        out.ok()
            .and_then(|o| o.messages)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| m.body)
            .collect()
    }
}

/// A submission with a qualified signature valid until `valid_until`.
pub fn signed_body(org: &Org, phone: &str, valid_until: &str) -> Value {
    let mut body = application_body(org, phone);
    body["signature"] = json!({
        "certificate_thumbprint": "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2",
        "issuer": "Тестовый УЦ",
        "valid_until": valid_until,
    });
    body
}

pub struct Response {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
    /// The body as received (a PDF's bytes).
    pub bytes: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no id in {}", self.text))
    }

    /// The `deactivation_id` of a deactivation request's answer.
    pub fn deactivation_id(&self) -> String {
        self.body["deactivation_id"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no deactivation_id in {}", self.text))
    }

    /// The `code` of each field error.
    pub fn field_errors(&self) -> Vec<(String, String)> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or("").to_owned(),
                            e["code"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A token as API Gateway's authorizer would accept it.
pub fn token(org_inn: Option<&str>, scope: &str, sub: &str) -> String {
    let mut claims = Map::new();
    if let Some(inn) = org_inn {
        claims.insert("org_inn".into(), json!(inn));
    }
    claims.insert("sub".into(), json!(sub));
    claims.insert("scope".into(), json!(scope));
    claims.insert("exp".into(), json!(Utc::now().timestamp() + 3600));
    jwt::issue(claims, JWT_SECRET)
}

/// A representative of organization `org`.
pub fn org_token(org: &Org) -> String {
    token(Some(&org.inn), "corpnum/org", &format!("rep-{}", org.inn))
}

pub fn operator_token() -> String {
    token(None, "corpnum/operator", "operator-1")
}

/// A synthetic organization with valid identifiers.
#[derive(Debug, Clone)]
pub struct Org {
    pub inn: String,
    pub ogrn: String,
    pub kpp: Option<String>,
}

fn digits(n: u64, len: usize) -> Vec<u32> {
    format!("{n:0len$}")
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect()
}

fn render(d: &[u32]) -> String {
    d.iter().map(u32::to_string).collect()
}

impl Org {
    /// The SPEC's sample legal entity.
    pub fn sample() -> Self {
        Self {
            inn: "7707083893".into(),
            ogrn: "1027700132195".into(),
            kpp: Some("773601001".into()),
        }
    }

    /// The SPEC's sample entrepreneur.
    pub fn entrepreneur() -> Self {
        Self {
            inn: "500100732259".into(),
            ogrn: "304770000000031".into(),
            kpp: None,
        }
    }

    /// A random legal entity (valid check digits).
    pub fn random() -> Self {
        let seed = uuid::Uuid::new_v4().as_u128();
        let mut inn = digits((seed % 900_000_000) as u64 + 100_000_000, 9);
        let w = [2, 4, 10, 3, 5, 9, 4, 6, 8];
        let check: u32 = inn.iter().zip(w).map(|(d, w)| d * w).sum::<u32>() % 11 % 10;
        inn.push(check);
        let mut ogrn = digits(
            ((seed >> 40) % 900_000_000_000) as u64 + 100_000_000_000,
            12,
        );
        let rem = ogrn
            .iter()
            .fold(0u64, |acc, d| (acc * 10 + u64::from(*d)) % 11)
            % 10;
        ogrn.push(rem as u32);
        Self {
            inn: render(&inn),
            ogrn: render(&ogrn),
            kpp: Some("773601001".into()),
        }
    }
}

/// A random Russian mobile number, canonical, so tests never share SMS in moto.
pub fn random_phone() -> String {
    let n = uuid::Uuid::new_v4().as_u128() % 10_000_000;
    format!("+7916{n:07}")
}

pub fn document(doc_type: &str) -> Value {
    json!({ "type": doc_type, "file_name": format!("{doc_type}.pdf"), "media_type": "application/pdf",
            "size_bytes": 48213, "sha256": SHA })
}

/// A complete, valid submission for `org` and `phone`.
pub fn application_body(org: &Org, phone: &str) -> Value {
    let documents = if org.kpp.is_some() {
        vec![
            document("registration_certificate"),
            document("charter"),
            document("power_of_attorney"),
        ]
    } else {
        vec![document("registration_certificate")]
    };
    json!({
        "organization": { "inn": org.inn, "ogrn": org.ogrn, "kpp": org.kpp, "name": "ПАО Пример" },
        "phone": phone,
        "employee": { "snils": "112-233-445 95", "full_name": "Иванов Иван Иванович" },
        "documents": documents,
        "signature": null,
        "consent_personal_data": true,
    })
}

/// What one of poppler's tools (`pdftotext`, `pdfinfo`, `pdffonts`) says of a PDF, run on
/// a copy in a temporary file: the documents are checked with a real reader.
pub fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("corpnum-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&path, pdf).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    let out = std::process::Command::new(tool)
        .args(args)
        .arg(&path)
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils, installed by make deps): {e}"));
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{tool} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The path of a number's act, the act number percent-encoded (it carries Cyrillic letters).
pub fn act_path(phone: &str, act_number: &str) -> String {
    let encoded: String = act_number
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("/v1/numbers/{}/acts/{encoded}", phone.replace('+', "%2B"))
}

/// Validates `events` against the committed JSON Schema (`shared/events.schema.json`) with
/// the reference implementation (Python's `jsonschema`, in the venv `make deps` makes).
/// Returns the validator's complaints, empty if every event is valid.
pub fn schema_violations(events: &[Value]) -> String {
    let python = root().join(".venv/bin/python");
    let schema = root().join("shared/events.schema.json");
    let script = r#"
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
for i, event in enumerate(json.load(sys.stdin)):
    for error in validator.iter_errors(event):
        print(f"event {i} ({event.get('type')}): {error.message}")
"#;
    let mut child = match std::process::Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(&schema)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!("{}: {e} (run make deps)", python.display()),
    };
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        let _ = stdin.write_all(Value::from(events.to_vec()).to_string().as_bytes());
    }
    let out = match child.wait_with_output() {
        Ok(o) => o,
        Err(e) => panic!("jsonschema: {e}"),
    };
    assert!(
        out.status.success(),
        "jsonschema failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
