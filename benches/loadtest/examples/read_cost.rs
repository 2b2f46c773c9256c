//! `make readcost`: the CPU a status read costs beyond its one query, in instructions.
//!
//! Time under load swings with the machine (two cores shared with DynamoDB Local's JVM and
//! moto); instructions do not. This starts its own local stack, makes `READCOST_APPS`
//! applications through the local host's router, then reads each `READCOST_PASSES` times
//! two ways, one after the other on a current-thread runtime (so every instruction of a
//! phase, the SDK's connection tasks included, runs inside that phase's function):
//! - [`corpnum_read`]: `GET /v1/applications/{id}` through the router in this process, as
//!   the load test drives it (the gateway event and token check, then the handler);
//! - [`floor_read`]: the same query with the SDK alone, as the load test's floor makes it.
//!
//! Both are warmed once over first (connections opened, lazy statics filled), then measured
//! in [`measured_corpnum_reads`] and [`measured_floor_reads`]. Under `valgrind
//! --tool=callgrind --toggle-collect=<one of them>` (what `scripts/read-cost.py`, `make
//! readcost`, runs), the instructions collected over the reads made are what a read takes;
//! the difference is the work corpnum adds to its query. Run plain, it prints the wall time
//! of each phase, nothing more.

use std::hint::black_box;

use corpnum_loadtest::{call_router, query_application, setting, start_stack};
use corpnum_local::setup::Resources;
use corpnum_local::{World, host};
use corpnum_tests::{JWT_SECRET, Org, application_body, org_token};
use uuid::Uuid;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// One call through the host's router; its status and body.
async fn call(
    router: &axum::Router,
    method: &str,
    path: &str,
    token: &str,
    body: Option<String>,
) -> Result<(u16, Vec<u8>), Error> {
    call_router(router, method, path, token, body)
        .await
        .ok_or_else(|| format!("{method} {path} got no answer").into())
}

/// One status read through the router, as the load test makes it.
async fn corpnum_read(router: &axum::Router, id: &str, token: &str) -> Result<(), Error> {
    let (status, body) = call(
        router,
        "GET",
        &format!("/v1/applications/{id}"),
        token,
        None,
    )
    .await?;
    if status != 200 {
        return Err(format!("status read answered {status}").into());
    }
    black_box(body);
    Ok(())
}

/// The floor's status read: one strongly consistent query of the application's partition.
async fn floor_read(
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    id: &str,
) -> Result<(), Error> {
    let items = query_application(dynamodb, table, id).await;
    if items.as_ref().is_none_or(Vec::is_empty) {
        return Err("the floor's query found no application".into());
    }
    black_box(items);
    Ok(())
}

/// `read(i)` for every application `i` of `apps`, `passes` times over, one at a time;
/// how many reads it made.
fn reads<F, Fut>(
    rt: &tokio::runtime::Runtime,
    apps: usize,
    passes: usize,
    read: F,
) -> Result<usize, Error>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), Error>>,
{
    rt.block_on(async {
        for _ in 0..passes {
            for i in 0..apps {
                read(i).await?;
            }
        }
        Ok(apps * passes)
    })
}

/// The measured reads through corpnum (callgrind collects inside this function only).
#[inline(never)]
fn measured_corpnum_reads(
    rt: &tokio::runtime::Runtime,
    router: &axum::Router,
    made: &[(String, String)],
    passes: usize,
) -> Result<usize, Error> {
    reads(rt, made.len(), passes, |i| {
        corpnum_read(router, &made[i].0, &made[i].1)
    })
}

/// The measured reads of the floor (callgrind collects inside this function only).
#[inline(never)]
fn measured_floor_reads(
    rt: &tokio::runtime::Runtime,
    dynamodb: &aws_sdk_dynamodb::Client,
    table: &str,
    made: &[(String, String)],
    passes: usize,
) -> Result<usize, Error> {
    reads(rt, made.len(), passes, |i| {
        floor_read(dynamodb, table, &made[i].0)
    })
}

fn main() -> Result<(), Error> {
    let apps = setting("READCOST_APPS", 20);
    let passes = setting("READCOST_PASSES", 5);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (mut stack, endpoints) = start_stack("readcost-logs")?;
    let resources = Resources::named(&format!("cost{}", Uuid::new_v4().simple()));
    let world = rt.block_on(World::provision(&endpoints, &resources))?;
    let router = host::router(world.host_state(JWT_SECRET));
    let base = (Uuid::new_v4().as_u128() % 5_000_000) as u64;
    let made = rt.block_on(async {
        let mut made = Vec::new();
        for i in 0..apps {
            let org = Org::random();
            let token = org_token(&org);
            let phone = format!("+7916{:07}", (base + i as u64) % 10_000_000);
            let body = application_body(&org, &phone).to_string();
            let (status, body) =
                call(&router, "POST", "/v1/applications", &token, Some(body)).await?;
            let body: serde_json::Value = serde_json::from_slice(&body)?;
            match (status, body["id"].as_str()) {
                (201, Some(id)) => made.push((id.to_owned(), token)),
                _ => return Err(format!("a submission answered {status}: {body}").into()),
            }
        }
        Ok::<_, Error>(made)
    })?;
    // Both paths once over, unmeasured: connections opened, lazy statics and caches filled.
    if let Some((id, token)) = made.first() {
        let path = format!("/v1/applications/{id}");
        let (_, body) = rt.block_on(call(&router, "GET", &path, token, None))?;
        println!("a status read's answer: {} B of JSON", body.len());
    }
    let (dynamodb, table) = (&world.clients.dynamodb, world.settings.table.as_str());
    reads(&rt, made.len(), 1, |i| {
        corpnum_read(&router, &made[i].0, &made[i].1)
    })?;
    reads(&rt, made.len(), 1, |i| {
        floor_read(dynamodb, table, &made[i].0)
    })?;

    let started = std::time::Instant::now();
    let ours = measured_corpnum_reads(&rt, &router, &made, passes)?;
    let ours_time = started.elapsed();
    let started = std::time::Instant::now();
    let floor = measured_floor_reads(&rt, dynamodb, table, &made, passes)?;
    let floor_time = started.elapsed();
    println!(
        "reads: corpnum {ours} in {:.0} ms, floor {floor} in {:.0} ms (wall time, one at a time)",
        ours_time.as_secs_f64() * 1000.0,
        floor_time.as_secs_f64() * 1000.0
    );
    stack.stop();
    Ok(())
}
