#![allow(clippy::expect_used)] // A benchmark over fixed inputs: a failure is a bug to see at once.

//! Handler work per request beyond the AWS calls (SPEC 10: under 1 ms). The real API layer
//! (parsing, validation, use case, hashing, rendering) runs over the in-memory ports, so
//! what is timed is corpnum's own work, not the network. Prints percentiles per route.
//!
//!     cargo bench -p corpnum --bench handler

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use corpnum::api::{self, ApiRequest, Claims, Function};
use corpnum::app::{Services, SupportContacts};
use corpnum::domain::{OtpPolicy, OtpSecret};
use corpnum::fakes::{ManualClock, MemoryStore, RecordingQueue, RecordingSms, SequenceRandom};
use serde_json::json;

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn request(method: &str, path: &str, body: Option<serde_json::Value>) -> ApiRequest {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    ApiRequest {
        method: method.into(),
        path: path.into(),
        route_key: None,
        path_params: Default::default(),
        query: vec![],
        headers,
        body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
        platform_request_id: "bench".into(),
        claims: Some(Claims {
            sub: Some("bench".into()),
            org_inn: Some("7707083893".into()),
            scope: Some("corpnum/org".into()),
        }),
        cold_start: false,
    }
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1e6;
    let mean = samples.iter().sum::<Duration>().as_secs_f64() * 1e6 / samples.len() as f64;
    println!(
        "{name:<28} n={:<6} mean {mean:7.1} µs  p50 {:7.1} µs  p99 {:7.1} µs  max {:7.1} µs",
        samples.len(),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let sms = Arc::new(RecordingSms::default());
    let services = Services {
        store: Arc::new(MemoryStore::default()),
        sms: sms.clone(),
        queue: Arc::new(RecordingQueue::default()),
        events: Arc::new(corpnum::fakes::RecordingEvents::default()),
        clock: Arc::new(ManualClock::new(Utc::now())),
        random: Arc::new(SequenceRandom::default()),
        secret: OtpSecret::new(b"benchmark-secret-0123456789".to_vec()).expect("secret"),
        policy: OtpPolicy {
            applications_per_org_per_day: u32::MAX,
            sends_per_phone_per_day: u32::MAX,
            ..OtpPolicy::default()
        },
        support: SupportContacts {
            phone: "8 800 555-35-35".into(),
            email: "support@corpnum.example".into(),
        },
    };
    let doc = |t: &str| json!({"type": t, "file_name": "a.pdf", "media_type": "application/pdf", "size_bytes": 1000, "sha256": SHA});
    let n = 5_000;
    let (mut submit, mut verify, mut status, mut invalid) = (vec![], vec![], vec![], vec![]);
    runtime.block_on(async {
        for i in 0..n {
            let phone = format!("+7916{:07}", i);
            let body = json!({
                "organization": {"inn": "7707083893", "ogrn": "1027700132195", "kpp": "773601001", "name": "ПАО Пример"},
                "phone": phone,
                "employee": {"snils": "112-233-445 95", "full_name": "Иванов Иван Иванович"},
                "documents": [doc("registration_certificate"), doc("charter"), doc("power_of_attorney")],
                "signature": null, "consent_personal_data": true
            });
            let t = Instant::now();
            let r = api::handle(Function::SubmitApplication, &services, request("POST", "/v1/applications", Some(body))).await;
            submit.push(t.elapsed());
            let created: serde_json::Value = serde_json::from_slice(r.body()).expect("json");
            let id = created["id"].as_str().expect("id").to_owned();
            let code = corpnum::domain::code_in_sms(&sms.messages().last().expect("sms").1).expect("code");

            let t = Instant::now();
            api::handle(Function::VerifyOtp, &services, request("POST", &format!("/v1/applications/{id}/otp"), Some(json!({"code": code})))).await;
            verify.push(t.elapsed());

            let t = Instant::now();
            api::handle(Function::CheckStatus, &services, request("GET", &format!("/v1/applications/{id}"), None)).await;
            status.push(t.elapsed());

            let t = Instant::now();
            api::handle(Function::SubmitApplication, &services, request("POST", "/v1/applications", Some(json!({"phone": "nope", "organization": {"inn": "1"}})))).await;
            invalid.push(t.elapsed());
        }
    });
    println!("handler work per request, in-memory ports (AWS calls excluded):");
    report("POST /v1/applications", submit);
    report("POST .../otp (correct)", verify);
    report("GET /v1/applications/{id}", status);
    report("POST (invalid, 422)", invalid);
    runtime.block_on(decode_stored(&services));

    // The PDF report of an application with 200 history entries (SPEC 4.5: < 20 ms).
    let (samples, size, pages) = runtime.block_on(report_with_history(&services, 200));
    println!("PDF report, 200 history entries: {size} bytes, {pages} pages");
    report("GET .../report.pdf", samples);
}

/// One of the applications the timed flows left under review.
async fn under_review(services: &Services) -> corpnum::domain::Application {
    let page = services
        .store
        .by_status(
            corpnum::domain::ApplicationStatus::UnderReview,
            None,
            1,
            None,
        )
        .await
        .expect("page");
    page.items.into_iter().next().expect("an application")
}

/// The DynamoDB store's share of a status read that the in-memory store skips: decoding
/// the application's JSON document and its history entries' (the items' `doc`).
async fn decode_stored(services: &Services) {
    use corpnum::domain::{Application, HistoryEntry};
    let app = under_review(services).await;
    let stored = services
        .store
        .get(app.id)
        .await
        .expect("get")
        .expect("stored");
    let doc = serde_json::to_string(&stored.application).expect("json");
    let history: Vec<String> = stored
        .history
        .iter()
        .map(|h| serde_json::to_string(h).expect("json"))
        .collect();
    let mut samples = Vec::new();
    for _ in 0..5_000 {
        let t = Instant::now();
        let application: Application = serde_json::from_str(&doc).expect("application");
        let entries: Vec<HistoryEntry> = history
            .iter()
            .map(|h| serde_json::from_str(h).expect("entry"))
            .collect();
        samples.push(t.elapsed());
        std::hint::black_box((application, entries));
    }
    report(
        &format!("decode ({} B + {} entries)", doc.len(), history.len()),
        samples,
    );
}

/// Times the report of one application given `entries` history entries with comments.
async fn report_with_history(services: &Services, entries: usize) -> (Vec<Duration>, usize, usize) {
    use corpnum::domain::{Actor, ApplicationStatus, HistoryEntry};
    use corpnum::ports::ApplicationUpdate;
    let mut app = under_review(services).await;
    let now = services.clock.now();
    for chunk in 0..entries / 20 {
        app.revision += 1;
        let history: Vec<HistoryEntry> = (0..20)
            .map(|i| HistoryEntry {
                at: now + chrono::Duration::seconds((chunk * 20 + i) as i64),
                from: Some(ApplicationStatus::UnderReview),
                to: ApplicationStatus::ManualReview,
                actor: Actor::Operator("operator-7".into()),
                comment: Some(format!(
                    "Проверены реквизиты и документы организации по выписке из реестра, запись {}",
                    chunk * 20 + i
                )),
            })
            .collect();
        services
            .store
            .update(
                ApplicationUpdate {
                    application: &app,
                    history: &history,
                    number: None,
                    replaced: None,
                    charges: &[],
                    now,
                },
                None,
            )
            .await
            .expect("update");
    }
    let path = format!("/v1/applications/{}/report.pdf", app.id);
    let (mut samples, mut size, mut pages) = (Vec::new(), 0, 0);
    for _ in 0..50 {
        let t = Instant::now();
        let r = api::handle(Function::CheckStatus, services, request("GET", &path, None)).await;
        samples.push(t.elapsed());
        size = r.body().len();
        pages = page_count(r.body());
    }
    (samples, size, pages)
}

/// Page objects in a PDF (`/Type /Page`, not the `/Type /Pages` tree).
fn page_count(pdf: &[u8]) -> usize {
    let needle = b"/Type /Page";
    pdf.windows(needle.len() + 1)
        .filter(|w| &w[..needle.len()] == needle && w[needle.len()] != b's')
        .count()
}
