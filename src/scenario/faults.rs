//! `[[fault]]`: trouble staged at a time of the run — added latency on the
//! harness's call path, the backend's server sessions killed, the hot row
//! locked, or a private Redis paused or restarted.
//!
//! Invariant: a `Fault` value has passed validation: its `at` lies before
//! the schedule's end, its name is unique in the scenario, every backend it
//! names is one of the run's, and a `kill_connections` fault names only
//! backends with server sessions to kill.

use serde::Serialize;
use std::time::Duration;

/// Most characters of a fault's name (it labels windows, charts and CSV cells).
pub const MAX_FAULT_NAME: usize = 64;

/// One `[[fault]]` table.
#[derive(Debug, Clone, Serialize)]
pub struct Fault {
    /// Unique in the scenario; defaults to `<kind>@<at>`, e.g. `latency@1s`.
    pub name: String,
    /// Offset from `t0` at which the fault begins.
    #[serde(serialize_with = "as_ms")]
    pub at: Duration,
    #[serde(flatten)]
    pub action: FaultAction,
    /// Names of the backends it applies to; every backend of the run when
    /// the scenario did not narrow it.
    pub backends: Vec<String>,
}

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// Every attempt sent during `[at, at + duration)` takes `latency` ±
    /// `jitter` longer: half before the request reaches the backend, half
    /// after it answered.
    Latency {
        #[serde(serialize_with = "as_ms")]
        duration: Duration,
        #[serde(serialize_with = "as_ms")]
        latency: Duration,
        #[serde(serialize_with = "as_ms")]
        jitter: Duration,
    },
    /// At `at`, every server session the backend's clients opened is ended.
    KillConnections,
    /// A transaction holds the hottest SKU's row lock for `duration`.
    StallRow {
        #[serde(serialize_with = "as_ms")]
        duration: Duration,
    },
    /// A private redis-server holds every write for `duration`.
    PauseWrites {
        #[serde(serialize_with = "as_ms")]
        duration: Duration,
    },
    /// A private redis-server is killed at `at` and starts again on its own
    /// directory: only what its persistence kept comes back.
    RestartServer,
}

impl Fault {
    pub fn applies_to(&self, backend: &str) -> bool {
        self.backends.iter().any(|b| b == backend)
    }

    /// The span of the run it affects, in nanoseconds from `t0`: a kill
    /// occupies the one instant it happens at.
    pub fn span_ns(&self) -> (u64, u64) {
        let at = self.at.as_nanos() as u64;
        match self.action {
            FaultAction::Latency { duration, .. }
            | FaultAction::StallRow { duration }
            | FaultAction::PauseWrites { duration } => (at, at + duration.as_nanos() as u64),
            FaultAction::KillConnections | FaultAction::RestartServer => (at, at + 1),
        }
    }
}

fn as_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}
