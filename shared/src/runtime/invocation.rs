//! Facts about the current invocation that every function's telemetry records.

use std::sync::atomic::{AtomicBool, Ordering};

/// Whether this process has served an invocation yet.
static COLD: AtomicBool = AtomicBool::new(true);

/// True exactly once per process: on its first invocation.
pub fn cold_start() -> bool {
    COLD.swap(false, Ordering::Relaxed)
}
