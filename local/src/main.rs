//! `corpnum-local`: runs the whole system on this machine (`serve`), prints a token
//! (`token`), the latest code sent to a phone (`otp`), or the events published so far
//! (`events`).

use std::path::PathBuf;

use axum::serve::ListenerExt as _;
use corpnum_local::setup::Resources;
use corpnum_local::stack::{LocalStack, StackConfig};
use corpnum_local::{Endpoints, World, host, jobs, jwt};
use serde_json::{Map, Value, json};

type Error = Box<dyn std::error::Error + Send + Sync>;

fn env(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn port(name: &str, default: u16) -> Result<u16, Error> {
    Ok(env(name, &default.to_string())
        .parse()
        .map_err(|_| format!("{name} must be a port number"))?)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => serve().await,
        Some("token") => token(&args[1..]),
        Some("otp") => otp(&args[1..]).await,
        Some("events") => events().await,
        Some(other) => {
            Err(format!("unknown command {other}; use serve, token, otp or events").into())
        }
    };
    if let Err(e) = result {
        eprintln!("corpnum-local: {e}");
        std::process::exit(1);
    }
}

/// Starts DynamoDB Local and moto, provisions, and serves every function until Ctrl-C.
async fn serve() -> Result<(), Error> {
    corpnum::runtime::telemetry::init();
    let root = PathBuf::from(env("CORPNUM_ROOT", "."));
    let api_port = port("CORPNUM_API_PORT", 3000)?;
    let mut stack = LocalStack::start(&StackConfig {
        root: root.clone(),
        dynamodb_port: port("CORPNUM_DYNAMODB_PORT", 8000)?,
        moto_port: port("CORPNUM_MOTO_PORT", 5000)?,
        moto_store_port: None,
        // CORPNUM_DATA_DIR=memory keeps nothing (the contract fuzz uses that).
        data_dir: match env("CORPNUM_DATA_DIR", ".local/dynamodb").as_str() {
            "memory" => None,
            dir => Some(root.join(dir)),
        },
        log_dir: root.join(".local/logs"),
        purge_queues_anytime: false,
    })?;
    tracing::info!(dynamodb = %stack.dynamodb_endpoint, moto = %stack.moto_endpoint, "local AWS stack up");
    // moto keeps nothing between runs: neither do the events `make events` kept.
    let _ = std::fs::remove_file(root.join(".local/events.jsonl"));
    let endpoints = Endpoints {
        dynamodb: stack.dynamodb_endpoint.clone(),
        sns: stack.moto_endpoint.clone(),
        sqs: stack.moto_endpoint.clone(),
    };
    let world = World::provision(
        &endpoints,
        &Resources::named(&env("CORPNUM_TABLE", "corpnum")),
    )
    .await?;
    let state = world.host_state(&env("LOCAL_JWT_SECRET", jwt::DEFAULT_SECRET));
    let consumer = tokio::spawn(jobs::run_review_consumer(
        world.clients.sqs.clone(),
        world.review_queue_url.clone(),
        world.services.clone(),
    ));
    let sweep_every = std::time::Duration::from_secs(
        env("CORPNUM_SWEEP_INTERVAL_SECONDS", "900")
            .parse()
            .unwrap_or(900),
    );
    let schedule = tokio::spawn(jobs::run_schedule(world.services.clone(), sweep_every));
    tracing::info!(
        every_seconds = sweep_every.as_secs(),
        "review consumer and sweeper schedule running"
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", api_port)).await?;
    tracing::info!(url = %format!("http://127.0.0.1:{api_port}"), "corpnum API listening; Ctrl-C stops everything");
    // Small JSON answers go out at once, not after the client's delayed ACK.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, host::router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    consumer.abort();
    schedule.abort();
    tracing::info!("stopping the local AWS stack");
    stack.stop();
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return ctrl_c.await.unwrap_or(()),
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// `token [--org-inn INN] [--scope SCOPES] [--sub SUB] [--ttl SECONDS]`
fn token(args: &[String]) -> Result<(), Error> {
    let mut claims = Map::new();
    let mut ttl: i64 = 3600;
    let mut sub = "local-user".to_owned();
    let mut scope = "corpnum/org".to_owned();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--org-inn" => {
                if !value.is_empty() {
                    claims.insert("org_inn".into(), json!(value));
                }
            }
            "--scope" => scope = value.clone(),
            "--sub" => sub = value.clone(),
            "--ttl" => ttl = value.parse().map_err(|_| "--ttl takes seconds")?,
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    claims.insert("sub".into(), json!(sub));
    claims.insert("scope".into(), json!(scope));
    claims.insert("exp".into(), json!(chrono::Utc::now().timestamp() + ttl));
    println!(
        "{}",
        jwt::issue(claims, &env("LOCAL_JWT_SECRET", jwt::DEFAULT_SECRET))
    );
    Ok(())
}

/// `otp PHONE`: the latest code moto recorded for that number.
async fn otp(args: &[String]) -> Result<(), Error> {
    let raw = args.first().ok_or("usage: otp PHONE")?;
    let phone = corpnum::domain::PhoneNumber::parse(raw)
        .map_err(|_| format!("not a Russian phone number: {raw}"))?;
    let url = format!(
        "http://127.0.0.1:{}/moto-api/data.json",
        port("CORPNUM_MOTO_PORT", 5000)?
    );
    let data: Value = reqwest::get(&url).await?.json().await?;
    let code = latest_code(&data, phone.as_ref())
        .ok_or_else(|| format!("no code has been sent to {}", phone.masked()))?;
    println!("{code}");
    Ok(())
}

/// `events`: every event the events topic delivered to `make run`'s subscribed queue so
/// far, one JSON document a line. Messages taken off the queue are kept in
/// `.local/events.jsonl`, so each call prints them all.
async fn events() -> Result<(), Error> {
    let root = PathBuf::from(env("CORPNUM_ROOT", "."));
    let moto = format!("http://127.0.0.1:{}", port("CORPNUM_MOTO_PORT", 5000)?);
    let clients = corpnum_local::local_clients(&Endpoints {
        dynamodb: moto.clone(),
        sns: moto.clone(),
        sqs: moto,
    })
    .await;
    let names = Resources::named(&env("CORPNUM_TABLE", "corpnum"));
    let url = clients
        .sqs
        .get_queue_url()
        .queue_name(&names.events_queue)
        .send()
        .await
        .map_err(|e| format!("no events queue (is `make run` running?): {e}"))?
        .queue_url
        .unwrap_or_default();
    let kept = root.join(".local/events.jsonl");
    let mut lines = std::fs::read_to_string(&kept).unwrap_or_default();
    for event in jobs::drain_events(&clients.sqs, &url).await? {
        lines.push_str(&event["event"].to_string());
        lines.push('\n');
    }
    if let Some(dir) = kept.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&kept, &lines)?;
    print!("{lines}");
    Ok(())
}

/// Finds the last SMS to `phone` in moto's `data.json` and returns its code.
pub fn latest_code(data: &Value, phone: &str) -> Option<String> {
    let messages = data.pointer("/sns/SMS")?.as_array()?;
    messages
        .iter()
        .rev()
        .find(|m| m.get("phone_number").and_then(Value::as_str) == Some(phone))
        .and_then(|m| m.get("message").and_then(Value::as_str))
        .and_then(corpnum::domain::code_in_sms)
}
