//! The faults of one backend's run: a task started with the clients that
//! stages each `[[fault]]` at `t0 + at` on the run clock — turning latency
//! up and down on the call path, killing the backend's server sessions,
//! locking the hot row, pausing or restarting a private server — and stops
//! at an interrupt as the clients do.
//!
//! Invariant: a fault that fails (a kill the server refuses) never ends the
//! run; the task keeps the first failure for the backend's record.

mod latency;

pub use latency::{delayed, LatencyKnob};

use super::worker::{Shared, Stop, StopSignal};
use crate::backend::Backend;
use crate::scenario::{Fault, FaultAction, SkuIdx};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The faults of `scenario` that apply to `backend`, in the order they begin.
pub fn for_backend<'a>(faults: &'a [Fault], backend: &str) -> Vec<&'a Fault> {
    faults.iter().filter(|f| f.applies_to(backend)).collect()
}

/// The knob the clients read, `None` when no latency fault applies: the
/// per-attempt path then costs one test of an `Option`, nothing more.
pub fn knob(faults: &[&Fault]) -> Option<LatencyKnob> {
    faults
        .iter()
        .any(|f| matches!(f.action, FaultAction::Latency { .. }))
        .then(LatencyKnob::default)
}

/// One change the task makes, at `at_ns` from `t0`.
struct Step {
    at_ns: u64,
    name: String,
    change: Change,
}

enum Change {
    /// A latency fault begins (`+`) or ends (`-`): the knob carries the sum
    /// of the active ones, so overlapping faults add up.
    Latency {
        sign: i8,
        latency: Duration,
        jitter: Duration,
    },
    Kill,
    /// Lock the hottest SKU's row for this long, in a task of its own so
    /// later faults keep their times.
    Stall(Duration),
    Pause(Duration),
    Restart,
}

fn steps(faults: &[&Fault]) -> Vec<Step> {
    let mut steps = Vec::new();
    for f in faults {
        let (begin, end) = f.span_ns();
        let name = f.name.clone();
        match f.action {
            FaultAction::Latency {
                latency, jitter, ..
            } => {
                for (at_ns, sign) in [(begin, 1), (end, -1)] {
                    steps.push(Step {
                        at_ns,
                        name: name.clone(),
                        change: Change::Latency {
                            sign,
                            latency,
                            jitter,
                        },
                    });
                }
            }
            FaultAction::KillConnections => steps.push(Step {
                at_ns: begin,
                name,
                change: Change::Kill,
            }),
            FaultAction::StallRow { duration } => steps.push(Step {
                at_ns: begin,
                name,
                change: Change::Stall(duration),
            }),
            FaultAction::PauseWrites { duration } => steps.push(Step {
                at_ns: begin,
                name,
                change: Change::Pause(duration),
            }),
            FaultAction::RestartServer => steps.push(Step {
                at_ns: begin,
                name,
                change: Change::Restart,
            }),
        }
    }
    // Stable: a fault that ends as another begins keeps file order.
    steps.sort_by_key(|s| s.at_ns);
    steps
}

/// The running task of one backend's faults.
pub struct FaultTask {
    handle: JoinHandle<()>,
    /// Stalls still holding their row, each in a task of its own.
    stalls: Stalls,
    /// The first fault that failed, with why.
    failure: Arc<OnceLock<String>>,
}

type Stalls = Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>;

impl FaultTask {
    /// Stop the task (a fault later than the last order would meet
    /// nobody) and any stall still holding its row — its transaction rolls
    /// back as it is dropped, so the final state can be read — and say
    /// which fault failed first, if any.
    pub fn finish(self) -> Option<String> {
        self.handle.abort();
        for stall in self.stalls.lock().expect("stalls").drain(..) {
            stall.abort();
        }
        self.failure.get().cloned()
    }
}

/// Start the task staging `faults` on `shared`'s backend; `None` when
/// there are none. `hot_sku` is the row a stall locks.
pub fn spawn<B: Backend>(
    shared: &Arc<Shared<B>>,
    faults: &[&Fault],
    stop: watch::Receiver<Stop>,
    hot_sku: SkuIdx,
) -> Option<FaultTask> {
    if faults.is_empty() {
        return None;
    }
    let steps = steps(faults);
    let shared = Arc::clone(shared);
    let failure = Arc::new(OnceLock::new());
    let stalls = Stalls::default();
    let staged = Staged {
        failure: Arc::clone(&failure),
        stalls: Arc::clone(&stalls),
        hot_sku,
    };
    let handle =
        tokio::spawn(async move { stage(shared, steps, StopSignal::new(stop), staged).await });
    Some(FaultTask {
        handle,
        stalls,
        failure,
    })
}

/// What the staging task shares with its owner.
struct Staged {
    failure: Arc<OnceLock<String>>,
    stalls: Stalls,
    /// The row a stall locks.
    hot_sku: SkuIdx,
}

async fn stage<B: Backend>(
    shared: Arc<Shared<B>>,
    steps: Vec<Step>,
    mut stop: StopSignal,
    staged: Staged,
) {
    let Staged {
        failure,
        stalls,
        hot_sku,
    } = staged;
    let fail = |failure: &OnceLock<String>, name: &str, e: String| {
        let _ = failure.set(format!("fault {name} failed: {e}"));
    };
    let (mut latency, mut jitter) = (Duration::ZERO, Duration::ZERO);
    let mut paused = false;
    for step in steps {
        let due = shared.clock.instant_at(step.at_ns);
        let stopped = tokio::select! {
            _ = tokio::time::sleep_until(due) => false,
            _ = stop.reached(Stop::Drain) => true,
        };
        if stopped {
            break;
        }
        match step.change {
            Change::Latency {
                sign,
                latency: l,
                jitter: j,
            } => {
                if sign > 0 {
                    (latency, jitter) = (latency + l, jitter + j);
                } else {
                    (latency, jitter) = (latency.saturating_sub(l), jitter.saturating_sub(j));
                }
                if let Some(knob) = &*shared.latency {
                    knob.set(latency, jitter);
                }
            }
            Change::Kill => {
                if let Err(e) = shared.backend.kill_connections().await {
                    fail(&failure, &step.name, e);
                }
            }
            Change::Stall(hold) => {
                // Its own task, so later faults keep their times; it ends
                // once `hold` has passed, or when the run does.
                let (shared, failure) = (Arc::clone(&shared), Arc::clone(&failure));
                let stall = tokio::spawn(async move {
                    if let Err(e) = shared.backend.stall_row(hot_sku, hold).await {
                        fail(&failure, &step.name, e);
                    }
                });
                stalls.lock().expect("stalls").push(stall);
            }
            Change::Pause(pause) => {
                paused = true;
                if let Err(e) = shared.backend.pause_writes(pause).await {
                    fail(&failure, &step.name, e);
                }
            }
            Change::Restart => {
                if let Err(e) = shared.backend.restart_server().await {
                    fail(&failure, &step.name, e);
                }
            }
        }
    }
    // Requests drained after an interrupt are not slowed any further.
    if let Some(knob) = &*shared.latency {
        knob.set(Duration::ZERO, Duration::ZERO);
    }
    // Nor held up behind a stall: an interrupt ends every stall still
    // holding its row (its transaction rolls back as its task is dropped),
    // so the drain and the audit need not wait out its `duration`.
    stop.reached(Stop::Drain).await;
    for stall in stalls.lock().expect("stalls").drain(..) {
        stall.abort();
    }
    // Nor behind a write pause still in effect.
    if paused {
        if let Err(e) = shared.backend.unpause_writes().await {
            let _ = failure.set(format!(
                "lifting the write pause at the interrupt failed: {e}"
            ));
        }
    }
}

#[cfg(test)]
mod tests;
