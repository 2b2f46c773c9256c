//! `corpnum-server`: settings from the environment (failing fast on a missing one), the
//! clients built once, then serving until SIGTERM or Ctrl-C.

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
    let config = ServerConfig::from_env()?;
    let sdk = sdk_config().await;
    // The server handles codes: the key from CORPNUM_OTP_SECRET, or the secret named by
    // CORPNUM_OTP_SECRET_ARN.
    let settings = Settings::load::<true>(&sdk).await?;
    corpnum_server::serve(config, Deps::new(&sdk, settings), terminated()).await
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
