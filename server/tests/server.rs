//! `corpnum-server` as a container platform runs it: the real binary, started with its
//! settings in the environment, against DynamoDB Local and moto, its tokens signed by a
//! test issuer whose JWKS is served on loopback.

// Test scaffolding: a failed set-up step should stop the test loudly.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use corpnum_local::setup::Resources;
use corpnum_local::stack::{LocalStack, StackConfig, free_port};
use corpnum_local::{Endpoints, World};
use corpnum_server::issuer::{Issuer, SigningKey};
use corpnum_tests::{Org, application_body, random_phone, signed_body};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const AUDIENCE: &str = "corpnum";
const SNILS: &str = "112-233-445 95";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// DynamoDB Local and moto, once for this test binary; they stop when it exits.
fn stack() -> &'static LocalStack {
    static STACK: OnceLock<LocalStack> = OnceLock::new();
    STACK.get_or_init(|| {
        let config = StackConfig {
            root: root(),
            dynamodb_port: free_port().unwrap_or(18100),
            moto_port: free_port().unwrap_or(15100),
            moto_store_port: None,
            data_dir: None,
            log_dir: root().join(".local/test-logs"),
            purge_queues_anytime: false,
        };
        LocalStack::start(&config).unwrap_or_else(|e| panic!("local AWS stack: {e}"))
    })
}

/// The test issuer: its keys can be swapped (a rotation); counts the JWKS fetches.
#[derive(Clone)]
struct IssuerSite {
    url: String,
    current: Arc<Mutex<Arc<Issuer>>>,
    fetches: Arc<AtomicU64>,
}

impl IssuerSite {
    async fn start(issuer: Issuer) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let site = Self {
            url,
            current: Arc::new(Mutex::new(Arc::new(issuer))),
            fetches: Arc::default(),
        };
        type Json = ([(&'static str, &'static str); 1], String);
        fn reply(value: Value) -> Json {
            ([("content-type", "application/json")], value.to_string())
        }
        async fn discovery(State(site): State<IssuerSite>) -> Json {
            reply(json!({ "issuer": site.url, "jwks_uri": format!("{}/keys", site.url) }))
        }
        async fn keys(State(site): State<IssuerSite>) -> Json {
            site.fetches.fetch_add(1, Ordering::SeqCst);
            reply(site.issuer().jwks())
        }
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/keys", get(keys))
            .with_state(site.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        site
    }

    fn issuer(&self) -> Arc<Issuer> {
        self.current.lock().unwrap().clone()
    }

    fn rotate(&self, issuer: Issuer) {
        *self.current.lock().unwrap() = Arc::new(issuer);
    }

    fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }

    fn claims(&self, org: &Org) -> Value {
        json!({
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": format!("rep-{}", org.inn),
            "org_inn": org.inn,
            "scope": "corpnum/org",
            "exp": chrono::Utc::now().timestamp() + 3600,
        })
    }

    fn token(&self, kid: &str, org: &Org) -> String {
        self.issuer().sign(kid, &self.claims(org))
    }
}

/// A TCP proxy whose requests can be held up (a dependency that has become slow), keeping
/// what the client sent (to tell which wire protocol went through).
struct SlowProxy {
    address: String,
    delay_ms: Arc<AtomicU64>,
    sent: Arc<std::sync::Mutex<Vec<u8>>>,
}

impl SlowProxy {
    async fn start(upstream: &str) -> Self {
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let delay_ms = Arc::new(AtomicU64::new(0));
        let sent = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (delay, record) = (delay_ms.clone(), sent.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, delay, record) = (upstream.clone(), delay.clone(), record.clone());
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let forward = async {
                        let mut buffer = vec![0u8; 64 * 1024];
                        loop {
                            let n = match client_read.read(&mut buffer).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => n,
                            };
                            record
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .extend_from_slice(&buffer[..n]);
                            let ms = delay.load(Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(ms)).await;
                            if server_write.write_all(&buffer[..n]).await.is_err() {
                                break;
                            }
                        }
                    };
                    let back = tokio::io::copy(&mut server_read, &mut client_write);
                    let _ = tokio::join!(forward, back);
                });
            }
        });
        Self {
            address,
            delay_ms,
            sent,
        }
    }

    /// Everything clients sent through the proxy so far.
    fn sent(&self) -> String {
        String::from_utf8_lossy(&self.sent.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }

    fn hold(&self, ms: u64) {
        self.delay_ms.store(ms, Ordering::SeqCst);
    }
}

/// A provisioned world (own table and queues) and the settings to run the server on it.
struct Setup {
    world: World,
    issuer: IssuerSite,
    /// Where the server's DynamoDB client connects (DynamoDB Local, or a proxy to it).
    dynamodb: String,
    consumer: bool,
    sweep_seconds: u64,
    /// Events to this queue instead of the world's topic (as where topics reach no queue).
    events_queue: Option<String>,
    triggers: bool,
    /// `CORPNUM_SQS_PROTOCOL`, and where the server's queue calls go (moto, or a proxy to it).
    sqs_protocol: &'static str,
    sqs: String,
}

impl Setup {
    async fn new(issuer: Issuer) -> Self {
        let stack = stack();
        let endpoints = Endpoints {
            dynamodb: stack.dynamodb_endpoint.clone(),
            sns: stack.moto_endpoint.clone(),
            sqs: stack.moto_endpoint.clone(),
        };
        let mut resources = Resources::named(&format!("s{}", uuid::Uuid::new_v4().simple()));
        resources.subscribe_events = false;
        let world = World::provision(&endpoints, &resources)
            .await
            .unwrap_or_else(|e| panic!("provisioning: {e}"));
        Self {
            world,
            issuer: IssuerSite::start(issuer).await,
            dynamodb: stack.dynamodb_endpoint.clone(),
            consumer: false,
            sweep_seconds: 0,
            events_queue: None,
            triggers: false,
            sqs_protocol: "json",
            sqs: stack.moto_endpoint.clone(),
        }
    }

    /// Events to a new queue of their own (as where topics reach no queue); its URL.
    async fn events_to_a_queue(&mut self) -> String {
        let url = self
            .world
            .clients
            .sqs
            .create_queue()
            .queue_name(format!("events-{}", uuid::Uuid::new_v4().simple()))
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        self.events_queue = Some(url.clone());
        url
    }

    /// The events on the events queue now (up to 10): each body and its `type` attribute.
    async fn received_events(&self) -> Vec<(Value, String)> {
        let Some(queue) = self.events_queue.as_deref() else {
            panic!("the events go to a topic, not a queue");
        };
        self.world
            .clients
            .sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
            .iter()
            .map(|m| {
                let event: Value = serde_json::from_str(m.body().unwrap_or("")).unwrap();
                let kind = m
                    .message_attributes()
                    .and_then(|a| a.get("type"))
                    .and_then(|v| v.string_value())
                    .unwrap_or_default()
                    .to_owned();
                (event, kind)
            })
            .collect()
    }

    /// Starts the binary and waits until `/health` answers 200.
    async fn start(&self) -> Server {
        let port = free_port().unwrap();
        let log = std::env::temp_dir().join(format!("corpnum-server-{}.log", uuid::Uuid::new_v4()));
        let file = std::fs::File::create(&log).unwrap();
        // Everything that can fail before the child exists comes first: a panic after the
        // spawn and before `Server` owns the child would leave the process running.
        let client = reqwest::Client::new();
        let settings = &self.world.settings;
        let events = match (&self.events_queue, &settings.events) {
            (Some(queue), _) => ("CORPNUM_EVENTS_QUEUE_URL", queue.clone()),
            (None, corpnum::aws::config::EventsTarget::Topic(arn)) => {
                ("CORPNUM_EVENTS_TOPIC_ARN", arn.clone())
            }
            (None, corpnum::aws::config::EventsTarget::Queue(url)) => {
                ("CORPNUM_EVENTS_QUEUE_URL", url.clone())
            }
        };
        let child = Command::new(env!("CARGO_BIN_EXE_corpnum-server"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "info")
            .env("CORPNUM_SERVER_ADDR", format!("127.0.0.1:{port}"))
            .env("CORPNUM_OIDC_ISSUER", &self.issuer.url)
            .env("CORPNUM_OIDC_AUDIENCE", AUDIENCE)
            .env("CORPNUM_OIDC_MIN_REFRESH_SECONDS", "1")
            .env("CORPNUM_REVIEW_CONSUMER", self.consumer.to_string())
            .env("CORPNUM_REVIEW_WAIT_SECONDS", "1")
            .env("CORPNUM_TRIGGERS", self.triggers.to_string())
            .env(
                "CORPNUM_SWEEP_INTERVAL_SECONDS",
                self.sweep_seconds.to_string(),
            )
            .env("CORPNUM_SHUTDOWN_GRACE_SECONDS", "10")
            .env("CORPNUM_TABLE", &settings.table)
            .env("CORPNUM_REVIEW_QUEUE_URL", &settings.review_queue_url)
            .env(events.0, events.1)
            .env("CORPNUM_SUPPORT_PHONE", "8 800 555-35-35")
            .env("CORPNUM_SUPPORT_EMAIL", "support@corpnum.example")
            .env("CORPNUM_OTP_SECRET", "server-test-otp-secret-0123456789")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_ENDPOINT_URL", &stack().moto_endpoint)
            .env("AWS_ENDPOINT_URL_DYNAMODB", &self.dynamodb)
            .env("AWS_ENDPOINT_URL_SQS", &self.sqs)
            .env("CORPNUM_SQS_PROTOCOL", self.sqs_protocol)
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("corpnum-server: {e}"));
        let server = Server {
            child,
            address: format!("http://127.0.0.1:{port}"),
            log,
            client,
        };
        let started = Instant::now();
        loop {
            if let Ok(r) = server.client.get(server.url("/health")).send().await
                && r.status() == 200
            {
                return server;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "corpnum-server did not become healthy:\n{}",
                server.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every SMS moto recorded for `phone`, oldest first.
    async fn sms_to(&self, phone: &str) -> Vec<String> {
        let data: Value = reqwest::get(format!("{}/moto-api/data.json", stack().moto_endpoint))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        data.pointer("/sns/SMS")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|m| m["phone_number"] == phone)
            .filter_map(|m| m["message"].as_str().map(str::to_owned))
            .collect()
    }

    /// A signed application of a new organization, submitted and confirmed through
    /// `server` with a token signed by `kid`: (token, application id). Its review ticket is
    /// on the queue.
    async fn confirmed_signed(&self, server: &Server, kid: &str) -> (String, String) {
        let org = Org::random();
        let phone = random_phone();
        let token = self.issuer.token(kid, &org);
        let body = signed_body(&org, &phone, "2099-12-31");
        let submitted = server.post(&token, "/v1/applications", &body).await;
        assert_eq!(submitted.status, 201, "{}", submitted.text);
        let id = submitted.body["id"].as_str().unwrap().to_owned();
        let code = self.last_code(&phone).await;
        let otp = json!({ "code": code });
        let verified = server
            .post(&token, &format!("/v1/applications/{id}/otp"), &otp)
            .await;
        assert_eq!(verified.status, 200, "{}", verified.text);
        (token, id)
    }

    async fn last_code(&self, phone: &str) -> String {
        self.sms_to(phone)
            .await
            .iter()
            .rev()
            .find_map(|m| corpnum::domain::code_in_sms(m))
            .unwrap_or_else(|| panic!("no code was sent to {phone}"))
    }
}

struct Server {
    child: Child,
    address: String,
    log: PathBuf,
    client: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

struct Reply {
    status: u16,
    body: Value,
    text: String,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("request: {e}"));
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        Reply {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    async fn get(&self, token: Option<&str>, path: &str) -> Reply {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        self.send(request).await
    }

    async fn post(&self, token: &str, path: &str, body: &Value) -> Reply {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                .json(body),
        )
        .await
    }

    /// `POST /` as a Yandex Cloud trigger invokes the container.
    async fn trigger(&self, body: &Value) -> Reply {
        self.send(self.client.post(self.url("/")).json(body)).await
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit; its exit status.
    async fn exited(&mut self, within: Duration) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < within,
                "corpnum-server still running:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn issuer_with(keys: &[&str]) -> Issuer {
    Issuer::new(
        keys.iter()
            .map(|kid| {
                if kid.starts_with("ec") {
                    SigningKey::ec(kid)
                } else {
                    SigningKey::rsa(kid)
                }
            })
            .collect(),
    )
}

#[tokio::test]
async fn serves_the_api_to_tokens_signed_by_the_issuers_keys() {
    let mut setup = Setup::new(issuer_with(&["rsa-1", "ec-1"])).await;
    setup.events_to_a_queue().await;
    let server = setup.start().await;
    let health = server.get(None, "/health").await;
    assert_eq!(health.status, 200, "{}", health.text);
    assert_eq!(
        health.body,
        json!({ "status": "ok", "dependencies": { "store": true, "review_queue": true, "issuer_keys": true } })
    );

    // RS256: submit; the claims carry the organization.
    let org = Org::random();
    let phone = random_phone();
    let rsa = setup.issuer.token("rsa-1", &org);
    let submitted = server
        .post(&rsa, "/v1/applications", &application_body(&org, &phone))
        .await;
    assert_eq!(submitted.status, 201, "{}", submitted.text);
    let id = submitted.body["id"].as_str().unwrap().to_owned();
    assert_eq!(submitted.body["status"], "awaiting_otp");
    let view = server
        .get(Some(&rsa), &format!("/v1/applications/{id}"))
        .await;
    assert_eq!(view.status, 200, "{}", view.text);
    assert_eq!(
        view.body["organization"]["inn"],
        org.inn.as_str(),
        "{}",
        view.text
    );
    // ES256, the same organization: its application, with the code it was sent.
    let ec = setup.issuer.token("ec-1", &org);
    let code = setup.last_code(&phone).await;
    let verified = server
        .post(
            &ec,
            &format!("/v1/applications/{id}/otp"),
            &json!({ "code": code }),
        )
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(verified.body["status"], "under_review");
    // A path parameter encoded as clients encode it, decoded as API Gateway decodes it.
    let number = server
        .get(
            Some(&ec),
            &format!("/v1/numbers/{}", phone.replace('+', "%2B")),
        )
        .await;
    assert_eq!(number.status, 200, "{}", number.text);
    assert_eq!(number.body["state"], "pending", "{}", number.text);
    assert_eq!(number.body["application_id"], id.as_str());
    // Another organization's token does not see it (the claims are the organization's).
    let stranger = setup.issuer.token("rsa-1", &Org::random());
    let hidden = server
        .get(Some(&stranger), &format!("/v1/applications/{id}"))
        .await;
    assert_eq!(hidden.status, 404, "{}", hidden.text);

    // The outcome events went to the queue the portal reads, typed as on a topic.
    let mut kinds: Vec<(String, String)> = setup
        .received_events()
        .await
        .into_iter()
        .map(|(event, attribute)| {
            assert_eq!(event["application_id"], id.as_str(), "{event}");
            assert!(!event.to_string().contains(&phone[2..]), "{event}");
            (
                event["type"].as_str().unwrap_or_default().to_owned(),
                attribute,
            )
        })
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        [
            (
                "application.confirmed".to_owned(),
                "application.confirmed".to_owned()
            ),
            (
                "application.submitted".to_owned(),
                "application.submitted".to_owned()
            ),
        ]
    );

    // Every refusal is the API's own 401 problem.
    let mut tokens: Vec<(&str, String)> = Vec::new();
    let claims = setup.issuer.claims(&org);
    let issuer = setup.issuer.issuer();
    let mut wrong = claims.clone();
    wrong["iss"] = json!("http://127.0.0.1:1");
    tokens.push(("another issuer", issuer.sign("rsa-1", &wrong)));
    let mut wrong = claims.clone();
    wrong["aud"] = json!("another-api");
    tokens.push(("another audience", issuer.sign("rsa-1", &wrong)));
    let mut wrong = claims.clone();
    wrong["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    tokens.push(("expired", issuer.sign("ec-1", &wrong)));
    let forger = issuer_with(&["rsa-1", "ec-9"]);
    tokens.push((
        "signed by a key the issuer never published",
        forger.sign("ec-9", &claims),
    ));
    tokens.push((
        "another key under a published kid",
        forger.sign("rsa-1", &claims),
    ));
    tokens.push(("not a JWT", "not-a-token".to_owned()));
    for (what, token) in &tokens {
        let refused = server
            .get(Some(token), &format!("/v1/applications/{id}"))
            .await;
        assert_eq!(refused.status, 401, "{what}: {}", refused.text);
        assert_eq!(
            refused.body["code"], "unauthorized",
            "{what}: {}",
            refused.text
        );
    }
    let anonymous = server.get(None, &format!("/v1/applications/{id}")).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.text);
    // Trigger invocations are not taken unless asked for.
    let not_a_trigger = server.trigger(&json!({ "messages": [] })).await;
    assert_eq!(not_a_trigger.status, 404, "{}", not_a_trigger.text);
    let unrouted = server.get(Some(&rsa), "/v1/nothing-here").await;
    assert_eq!(unrouted.status, 404, "{}", unrouted.text);
    assert_eq!(unrouted.body["code"], "not_found", "{}", unrouted.text);

    // The logs name the request, never the number, the SNILS, the name or a code.
    let logs = server.logs();
    assert!(logs.contains("bearer token refused"), "{logs}");
    for secret in [phone.as_str(), SNILS, "Иванов", code.as_str(), rsa.as_str()] {
        assert!(!logs.contains(secret), "{secret} in the logs:\n{logs}");
    }
}

#[tokio::test]
async fn a_rotated_key_is_fetched_and_unknown_keys_do_not_flood_the_issuer() {
    let setup = Setup::new(issuer_with(&["rsa-old"])).await;
    let server = setup.start().await;
    let org = Org::random();
    let phone = random_phone();
    let path = "/v1/applications";
    let first = server
        .post(
            &setup.issuer.token("rsa-old", &org),
            path,
            &application_body(&org, &phone),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let id = first.body["id"].as_str().unwrap().to_owned();
    let fetched_at_start = setup.issuer.fetches();
    assert_eq!(fetched_at_start, 1, "the keys are fetched once at start");

    // The issuer rotates to a new key; the first token naming it makes one fetch.
    setup.issuer.rotate(issuer_with(&["ec-new"]));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let rotated = server
        .get(
            Some(&setup.issuer.token("ec-new", &org)),
            &format!("{path}/{id}"),
        )
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert_eq!(rotated.body["id"], id.as_str());
    assert_eq!(setup.issuer.fetches(), fetched_at_start + 1);
    // Known now: no further fetch.
    let again = server
        .get(
            Some(&setup.issuer.token("ec-new", &org)),
            &format!("{path}/{id}"),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(setup.issuer.fetches(), fetched_at_start + 1);

    // Twenty tokens under made-up kids at once: all refused, at most one more fetch.
    let forger = Arc::new(issuer_with(&["ec-forged"]));
    let claims = setup.issuer.claims(&org);
    let mut attempts = Vec::new();
    for i in 0..20 {
        let token = forger.sign_as("ec-forged", &format!("made-up-{i}"), &claims);
        let request = server
            .client
            .get(server.url(&format!("{path}/{id}")))
            .bearer_auth(token);
        attempts.push(tokio::spawn(request.send()));
    }
    let mut statuses = BTreeSet::new();
    for attempt in attempts {
        statuses.insert(attempt.await.unwrap().unwrap().status().as_u16());
    }
    assert_eq!(statuses, BTreeSet::from([401]));
    assert!(
        setup.issuer.fetches() <= fetched_at_start + 2,
        "{} fetches for 20 unknown kids",
        setup.issuer.fetches() - fetched_at_start - 1
    );
}

#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish_and_takes_no_new_ones() {
    let mut setup = Setup::new(issuer_with(&["rsa-1"])).await;
    let proxy = SlowProxy::start(&stack().dynamodb_endpoint).await;
    setup.dynamodb = proxy.address.clone();
    let mut server = setup.start().await;
    let org = Org::random();
    let token = setup.issuer.token("rsa-1", &org);
    let submitted = server
        .post(
            &token,
            "/v1/applications",
            &application_body(&org, &random_phone()),
        )
        .await;
    assert_eq!(submitted.status, 201, "{}", submitted.text);
    let id = submitted.body["id"].as_str().unwrap().to_owned();

    // The table becomes slow; a status read is under way when SIGTERM comes.
    proxy.hold(1500);
    let in_flight = tokio::spawn(
        server
            .client
            .get(server.url(&format!("/v1/applications/{id}")))
            .bearer_auth(&token)
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    let sent_at = Instant::now();
    server.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // No new connections once shutting down.
    let refused = reqwest::Client::new()
        .get(server.url("/health"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(refused.is_err(), "a new request was taken: {refused:?}");
    // The request in flight gets its whole answer.
    let response = in_flight.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["status"], "awaiting_otp");
    let status = server.exited(Duration::from_secs(10)).await;
    assert!(status.success(), "exit {status}:\n{}", server.logs());
    assert!(
        sent_at.elapsed() >= Duration::from_millis(700),
        "exited before the request in flight could finish"
    );
    let logs = server.logs();
    let shutdown = logs.find("shutting down").expect("no shutdown line");
    let stopped = logs
        .find("corpnum-server stopped")
        .expect("no stopped line");
    assert!(shutdown < stopped, "{logs}");
}

#[tokio::test]
async fn consumes_the_review_queue_keeping_what_failed_and_sweeps_on_schedule() {
    consumes_the_review_queue("json").await;
}

/// Message Queue takes only SQS's Query protocol (docs/residency.md): the same consumer,
/// events queue and health check, with every queue call form-encoded.
#[tokio::test]
async fn consumes_and_publishes_over_the_query_protocol() {
    consumes_the_review_queue("query").await;
}

async fn consumes_the_review_queue(protocol: &'static str) {
    let mut setup = Setup::new(issuer_with(&["ec-1"])).await;
    setup.consumer = true;
    setup.sweep_seconds = 1;
    setup.sqs_protocol = protocol;
    let proxy = SlowProxy::start(&stack().moto_endpoint).await;
    setup.sqs = proxy.address.clone();
    setup.events_to_a_queue().await;
    let server = setup.start().await;
    // A message the worker cannot read, beside a real review.
    let sqs = &setup.world.clients.sqs;
    let queue = &setup.world.settings.review_queue_url;
    let bad = sqs
        .send_message()
        .queue_url(queue)
        .message_body("{\"not\":\"a ticket\"}")
        .send()
        .await
        .unwrap()
        .message_id
        .unwrap();
    let (token, id) = setup.confirmed_signed(&server, "ec-1").await;

    // The consumer reviews the ticket the confirmation queued: approved automatically.
    let started = Instant::now();
    let approved = loop {
        let status = server
            .get(Some(&token), &format!("/v1/applications/{id}"))
            .await;
        if status.body["status"] == "approved" {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "not reviewed: {}\n{}",
            status.text,
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let last = approved.body["history"]
        .as_array()
        .and_then(|h| h.last())
        .cloned();
    assert_eq!(
        last.as_ref().map(|e| e["to"].clone()),
        Some(json!("approved")),
        "{}",
        approved.text
    );
    let actor = last
        .as_ref()
        .and_then(|e| e["actor"].as_str())
        .unwrap_or_default();
    assert!(
        actor.starts_with("system:"),
        "reviewed automatically: {actor}"
    );
    // The unreadable message was reported failed and left on the queue (invisible until
    // its visibility timeout), the reviewed one deleted.
    while !server.logs().contains(&bad) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{}",
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logs = server.logs();
    let failed_line = logs.lines().find(|l| l.contains(&bad)).unwrap_or_default();
    assert!(
        failed_line.contains("review message failed"),
        "{failed_line}"
    );
    // The reviewed message is deleted just after its outcome is written, so the count is
    // awaited; then it must hold (a failed message deleted too would take it to 0).
    let left = || async {
        use aws_sdk_sqs::types::QueueAttributeName as A;
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(queue)
            .attribute_names(A::All)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap_or_default();
        let count = |name: A| -> u64 {
            attributes
                .get(&name)
                .and_then(|v| v.parse().ok())
                .unwrap_or(u64::MAX)
        };
        (
            count(A::ApproximateNumberOfMessages),
            count(A::ApproximateNumberOfMessagesNotVisible),
        )
    };
    let waited = Instant::now();
    while left().await != (0, 1) && waited.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(left().await, (0, 1), "only the failed message is left");
    // The sweeper runs on its schedule.
    while !server.logs().contains("sweep finished") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{}",
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The outcome's events reached the events queue, typed.
    let mut kinds = Vec::new();
    while kinds.len() < 4 && started.elapsed() < Duration::from_secs(30) {
        for (event, attribute) in setup.received_events().await {
            assert_eq!(event["type"].as_str(), Some(attribute.as_str()), "{event}");
            kinds.push(attribute);
        }
    }
    kinds.sort();
    assert_eq!(
        kinds,
        [
            "application.approved",
            "application.confirmed",
            "application.submitted",
            "number.activated"
        ],
        "{}",
        server.logs()
    );
    // Every queue call went over the protocol configured.
    let sent = proxy.sent().to_ascii_lowercase();
    let actions = [
        "SendMessage",
        "ReceiveMessage",
        "DeleteMessageBatch",
        "GetQueueAttributes",
    ];
    for action in actions {
        let (query, json) = (
            format!("action={}&version=2012-11-05", action.to_ascii_lowercase()),
            format!("amazonsqs.{}", action.to_ascii_lowercase()),
        );
        match protocol {
            "query" => assert!(
                sent.contains(&query) && !sent.contains(&json),
                "{action} not over the Query protocol"
            ),
            _ => assert!(
                sent.contains(&json) && !sent.contains(&query),
                "{action} not over AWS JSON"
            ),
        }
    }
    if protocol == "query" {
        assert!(!sent.contains("x-amz-target"), "an AWS JSON call went out");
    }
}

/// A Message Queue trigger's message, as `yandex-cloud/docs` documents the format.
fn queue_message(message_id: &str, body: &str) -> Value {
    json!({
        "event_metadata": {
            "event_id": message_id,
            "event_type": "yandex.cloud.events.messagequeue.QueueMessage",
            "created_at": "2026-12-02T06:00:00.000000Z",
            "cloud_id": "b1gtest",
            "folder_id": "b1gtest",
        },
        "details": {
            "queue_id": "yrn:yc:ymq:ru-central1:b1gtest:corpnum-review",
            "message": {
                "message_id": message_id,
                "md5_of_body": "",
                "body": body,
                "attributes": { "SentTimestamp": "1764655200000" },
                "message_attributes": {},
                "md5_of_message_attributes": "",
            },
        },
    })
}

#[tokio::test]
async fn yandex_triggers_review_a_batch_and_start_a_sweep() {
    let mut setup = Setup::new(issuer_with(&["ec-1"])).await;
    setup.triggers = true;
    let server = setup.start().await;
    let (token, id) = setup.confirmed_signed(&server, "ec-1").await;
    // The trigger would take the confirmation's ticket off the queue and post it.
    let sqs = &setup.world.clients.sqs;
    let taken = sqs
        .receive_message()
        .queue_url(&setup.world.settings.review_queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(taken.len(), 1, "one ticket");
    let ticket = &taken[0];
    let batch = json!({ "messages": [queue_message(
        ticket.message_id().unwrap(),
        ticket.body().unwrap(),
    )] });
    let reviewed = server.trigger(&batch).await;
    assert_eq!(
        (reviewed.status, reviewed.body.clone()),
        (200, json!({ "reviewed": 1 }))
    );
    let status = server
        .get(Some(&token), &format!("/v1/applications/{id}"))
        .await;
    assert_eq!(status.body["status"], "approved", "{}", status.text);
    // The same batch again (the trigger retrying): nothing changes, still a success.
    let again = server.trigger(&batch).await;
    assert_eq!(again.status, 200, "{}", again.text);
    let unchanged = server
        .get(Some(&token), &format!("/v1/applications/{id}"))
        .await;
    assert_eq!(unchanged.body["history"], status.body["history"]);
    // A message the worker cannot read fails the invocation: the trigger puts it back.
    let bad = server
        .trigger(&json!({ "messages": [queue_message("m-bad", "{\"not\":\"a ticket\"}")] }))
        .await;
    assert_eq!(bad.status, 500, "{}", bad.text);
    assert_eq!(bad.body["failed"], json!(["m-bad"]));
    // A timer's tick runs one sweep and answers its report.
    let tick = server
        .trigger(&json!({ "messages": [{
            "event_metadata": {
                "event_id": "t-1",
                "event_type": "yandex.cloud.events.serverless.triggers.TimerMessage",
                "created_at": "2026-12-02T06:15:00.000000Z",
            },
            "details": { "trigger_id": "a1s-sweeper" },
        }] }))
        .await;
    assert_eq!(tick.status, 200, "{}", tick.text);
    assert_eq!(tick.body["sweep"]["expired"], 0, "{}", tick.text);
    assert_eq!(tick.body["sweep"]["truncated"], false, "{}", tick.text);
    assert!(server.logs().contains("sweep finished"));
    // Anything else is refused.
    for body in [
        json!({ "hello": 1 }),
        json!({ "messages": [{ "event_metadata": { "event_type": "other" } }] }),
    ] {
        let refused = server.trigger(&body).await;
        assert_eq!(refused.status, 400, "{body}: {}", refused.text);
    }
}

#[tokio::test]
async fn provision_creates_the_table_once() {
    let table = format!("p{}", uuid::Uuid::new_v4().simple());
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_corpnum-server"))
            .arg("provision")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CORPNUM_TABLE", &table)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "local")
            .env("AWS_SECRET_ACCESS_KEY", "local")
            .env("AWS_ENDPOINT_URL_DYNAMODB", &stack().dynamodb_endpoint)
            .output()
            .unwrap()
    };
    for round in 0..2 {
        let out = run();
        assert!(
            out.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("table ready"));
    }
    let endpoints = Endpoints {
        dynamodb: stack().dynamodb_endpoint.clone(),
        sns: stack().moto_endpoint.clone(),
        sqs: stack().moto_endpoint.clone(),
    };
    let clients = corpnum_local::local_clients(&endpoints).await;
    let described = clients
        .dynamodb
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let mut indexes: Vec<String> = described
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name().map(str::to_owned))
        .collect();
    indexes.sort();
    assert_eq!(indexes, ["gsi1", "gsi2", "gsi3"]);
    let ttl = clients
        .dynamodb
        .describe_time_to_live()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expires_at"));
}
