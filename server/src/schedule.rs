//! The sweeper's schedule (EventBridge's `rate(15 minutes)` in the Lambda deployment), run
//! by the server itself through the sweeper function's handler. Several instances may each
//! run it: every job's writes are conditional, so concurrent sweeps do each thing once.

use std::time::Duration;

use corpnum::app::Services;
use tokio::sync::watch;

/// Sweeps every `every` (the first after one interval) until `stop` turns true; a sweep
/// under way is finished first.
pub async fn run(services: Services, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        tokio::select! {
            biased;
            _ = stop.wait_for(|stopped| *stopped) => break,
            _ = ticker.tick() => {}
        }
        if let Err(error) = corpnum::runtime::jobs::sweep_now(&services).await {
            tracing::warn!(error = %error, "scheduled sweep failed");
        }
    }
    tracing::info!("sweeper schedule stopped");
}
