//! `corpnum-server`: settings from the environment (failing fast on a missing one), the
//! clients built once, then serving until SIGTERM or Ctrl-C.
//!
//! `corpnum-server provision` creates the table (indexes, TTL) at the configured store if it
//! is not there yet, and exits: where no SAM template does it (docs/residency.md).

use std::process::ExitCode;

use corpnum::aws::config::{Settings, sdk_config};
use corpnum_server::{Deps, ServerConfig};

#[tokio::main]
async fn main() -> ExitCode {
    corpnum::runtime::telemetry::init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = %error, "corpnum-server failed");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => {}
        Some("provision") => return provision().await,
        Some(other) => {
            return Err(format!("unknown command {other}; use serve or provision").into());
        }
    }
    let config = ServerConfig::from_env()?;
    let sdk = sdk_config().await;
    // The server handles codes: the key from CORPNUM_OTP_SECRET, or the secret named by
    // CORPNUM_OTP_SECRET_ARN.
    let settings = Settings::load::<true>(&sdk).await?;
    let deps = Deps::new(&sdk, settings, config.sqs_protocol)?;
    corpnum_server::serve(config, deps, terminated()).await
}

/// Creates the table `CORPNUM_TABLE` names, with its indexes and TTL, unless it exists.
async fn provision() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let sdk = sdk_config().await;
    let table = std::env::var("CORPNUM_TABLE")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or("missing setting CORPNUM_TABLE")?;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    corpnum::aws::schema::ensure_table(&client, &table).await?;
    tracing::info!(table = %table, "table ready: indexes and TTL in place");
    Ok(())
}

/// SIGTERM (what a container platform sends before stopping an instance) or Ctrl-C.
async fn terminated() {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = ctrl_c => {}
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
}
