//! The runner: each backend in turn, on the same schedule, against freshly
//! reset stock — connected and warmed before `t0`, drained and audited after.
//!
//! Invariant: one `match` on the backend kind (in `backend::with_backend`),
//! generic code below it; results of every finished backend survive a later
//! backend's failure or an interrupt.

mod checkout;
mod clock;
mod faults;
mod summarize;
pub(crate) mod ticker;
mod unrecorded;
pub mod worker;

use crate::audit::{audit_each, audit_sku, resolutions, Resolution};
use crate::backend::{
    with_backend, AsyncBackendFn, Backend, BackendError, Hooks, OpenContext, StoredIds,
    UnknownOrder,
};
use crate::ledger::Ledger;
use crate::metrics::Recorders;
use crate::plan::Plan;
use crate::scenario::{BackendSpec, Scenario};
use crate::summary::BackendSummary;
use crate::trace::TraceSink;
use crate::traffic::{workload_for_phase, Schedule};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;
pub use worker::Stop;
use worker::{closed_loop_client, closed_loop_phases, open_loop_client, Padded, Shared};

/// Head start between spawning the clients and `t0`, so none is late at the start.
pub(crate) const LEAD: Duration = Duration::from_millis(20);

/// How a run is carried out (not what it offers: that is the scenario).
#[derive(Clone)]
pub struct RunOptions {
    pub progress: bool,
    pub hooks: Hooks,
    pub trace: Option<TraceSink>,
    /// Moves on at an interrupt: clients drain, then abandon requests in flight.
    pub stop: watch::Receiver<Stop>,
    /// Leave each server backend's tables in place after the run.
    pub keep: bool,
}

impl RunOptions {
    /// A run with nothing beside the figures: no progress line, no test
    /// hooks, no trace, the tables dropped; `stop` as the caller drives it.
    pub fn quiet(stop: watch::Receiver<Stop>) -> Self {
        RunOptions {
            progress: false,
            hooks: Hooks::default(),
            trace: None,
            stop,
            keep: false,
        }
    }
}

/// Clients of a run: open-loop ones (never more than orders) plus every
/// closed-loop phase's. A server backend's pool has one connection each.
pub fn clients(scenario: &Scenario, plan: &Plan) -> u32 {
    let open = (scenario.concurrency as u64).min(plan.open_loop_orders) as u32;
    let closed: u32 = closed_loop_phases(scenario).iter().map(|p| p.3).sum();
    // A checkout run's customers and stock events call too: as many at
    // once as open-loop clients, plus the events.
    let customers = match &scenario.checkout {
        Some(_) => scenario.concurrency + 1,
        None => 0,
    };
    open + closed + customers
}

fn open_context(scenario: &Scenario, plan: &Plan, hooks: Hooks, keep: bool) -> OpenContext {
    OpenContext {
        hooks,
        clients: clients(scenario, plan),
        timeout: scenario.timeout,
        keep,
    }
}

/// One backend's result.
pub struct BackendRun {
    pub summary: BackendSummary,
    pub environment: serde_json::Value,
}

/// Open every backend once, reset its stock and close it: a backend that cannot
/// be reached fails the run before any measuring starts.
pub async fn check_backends(scenario: &Scenario, plan: &Plan) -> Result<(), BackendError> {
    let ctx = open_context(scenario, plan, Hooks::default(), false);
    for spec in &scenario.backends {
        with_backend(spec, &scenario.skus, &ctx, Check(&scenario.skus)).await??;
    }
    Ok(())
}

struct Check<'a>(&'a [crate::scenario::Sku]);

impl AsyncBackendFn<Result<(), BackendError>> for Check<'_> {
    async fn call<B: Backend>(self, backend: B) -> Result<(), BackendError> {
        // The same steps a run takes before t0, so a reset or snapshot that
        // cannot work fails the run before anything is measured.
        let result = match backend.prepare(self.0).await {
            Ok(()) => backend.snapshot().await.map(|_| ()),
            Err(e) => Err(e),
        };
        backend.close().await;
        result
    }
}

/// Run one backend end to end. An error means it could not be set up; a
/// failure after `t0` comes back as an aborted `BackendRun` instead.
pub async fn run_backend(
    scenario: &Scenario,
    plan: &Plan,
    spec: &BackendSpec,
    index: usize,
    options: &RunOptions,
) -> Result<BackendRun, BackendError> {
    let job = RunOne {
        scenario,
        plan,
        spec,
        index,
        options,
    };
    let ctx = open_context(scenario, plan, options.hooks.clone(), options.keep);
    with_backend(spec, &scenario.skus, &ctx, job).await?
}

struct RunOne<'a> {
    scenario: &'a Scenario,
    plan: &'a Plan,
    spec: &'a BackendSpec,
    index: usize,
    options: &'a RunOptions,
}

impl AsyncBackendFn<Result<BackendRun, BackendError>> for RunOne<'_> {
    async fn call<B: Backend>(self, backend: B) -> Result<BackendRun, BackendError> {
        let RunOne {
            scenario,
            plan,
            spec,
            index,
            options,
        } = self;
        // Reset, then warm with one read through the path the audit will use;
        // a backend that fails here still gets to drop what it created.
        let ready = match backend.prepare(&scenario.skus).await {
            Ok(()) => backend.snapshot().await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = ready {
            backend.close().await;
            return Err(e);
        }
        if let Some(checkout) = &scenario.checkout {
            return checkout::run(backend, checkout, scenario, plan, spec, index, options).await;
        }
        let environment = backend.environment();
        let staged = faults::for_backend(&scenario.faults, &spec.name);
        let shared = Arc::new(Shared {
            backend,
            ledger: Ledger::new(&scenario.skus),
            recorders: Recorders::new(plan.grid, scenario.skus.len(), plan.hot_sku),
            schedule: Padded(Mutex::new(Schedule::new(scenario))),
            clock: clock::RunClock::starting_in(LEAD),
            timeout: scenario.timeout,
            retries: scenario.retries,
            trace: options.trace.clone(),
            backend_index: index as u16,
            closed_loop_ids: AtomicU64::new(0),
            latency: Padded(faults::knob(&staged)),
        });
        let clients = spawn_clients(&shared, scenario, plan, options);
        let fault_task = faults::spawn(&shared, &staged, options.stop.clone(), plan.hot_sku);
        let ticker = ticker::spawn(
            Arc::clone(&shared),
            spec.name.clone(),
            plan.open_loop_orders,
            options.progress,
        );
        for client in clients {
            // A panicking client loses only its own order; the rest stands.
            let _ = client.await;
        }
        let duration = Duration::from_nanos(shared.clock.now_ns());
        let fault_failure = fault_task.and_then(faults::FaultTask::finish);
        if let Some(failure) = &fault_failure {
            eprintln!("warning: {}: {failure}; the run went on", spec.name);
        }
        ticker.abort();
        if options.progress {
            ticker::clear();
        }
        let unknown = shared.ledger.unknown_orders();
        let final_state = read_final_state(&shared.backend, unknown.as_deref()).await;
        shared.backend.close().await;
        // The ledger's totals are audited one SKU at a time, never all held.
        let ledger = &shared.ledger;
        let (reserved, stored, abort_reason) = match final_state {
            Ok((r, stored)) => (r, stored, None),
            Err(e) => (
                // Without the final state, lost updates and phantoms are unmeasured.
                ledger
                    .each_total(&scenario.skus)
                    .map(|t| t.committed)
                    .collect(),
                StoredIds::NotStored,
                Some(format!("final state unreadable: {}", e.message)),
            ),
        };
        let ids = match &unknown {
            Some(unknown) => resolutions(scenario.skus.len(), unknown, &stored),
            None => Resolution::TooMany,
        };
        drop(stored);
        let audit = audit_each(ledger.each_total(&scenario.skus), &reserved, &ids);
        let sku_audit = |i: usize| {
            let r = reserved.get(i).copied().unwrap_or(0);
            audit_sku(&ledger.total(i, &scenario.skus[i]), r, ids.sku(i))
        };
        let recorder = shared.recorders.merged();
        let samples = shared.ledger.samples();
        let mut summary = summarize::backend_summary(&summarize::Measured {
            spec,
            scenario,
            plan,
            recorder: &recorder,
            audit: &audit,
            sku_audit: &sku_audit,
            samples: &samples,
            duration_ns: duration.as_nanos() as u64,
            abort_reason,
            // A failed fault is the harness's trouble, not the backend's:
            // it is named only when the backend reported nothing worse.
            first_error: shared.backend.first_error().or(fault_failure),
        });
        summary.batches = shared.backend.batches();
        Ok(BackendRun {
            summary,
            environment,
        })
    }
}

/// Quiet first (no session of the run left), then the final state: `R`,
/// and the stored order ids with which of the unknown orders are among them.
async fn read_final_state<B: Backend>(
    backend: &B,
    unknown: Option<&[UnknownOrder]>,
) -> Result<(Vec<u64>, StoredIds), BackendError> {
    backend.quiesce().await?;
    let reserved = backend.snapshot().await?;
    let stored = match unknown {
        Some(unknown) => backend.stored_orders(unknown).await?,
        // Too many to look up: none is settled (see `MAX_LOOKED_UP`).
        None => StoredIds::NotStored,
    };
    Ok((reserved, stored))
}

fn spawn_clients<B: Backend>(
    shared: &Arc<Shared<B>>,
    scenario: &Scenario,
    plan: &Plan,
    options: &RunOptions,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut handles = Vec::new();
    // No more open-loop clients than orders: each would only find the schedule empty.
    let open = (scenario.concurrency as u64).min(plan.open_loop_orders) as usize;
    debug_assert!(open as u32 <= clients(scenario, plan));
    for _ in 0..open {
        let shared = Arc::clone(shared);
        let stop = options.stop.clone();
        handles.push(tokio::spawn(async move {
            open_loop_client(&shared, stop).await
        }));
    }
    for (phase, start, end, clients) in closed_loop_phases(scenario) {
        let workload = Arc::new(Mutex::new(workload_for_phase(scenario, phase as usize)));
        for _ in 0..clients {
            let shared = Arc::clone(shared);
            let stop = options.stop.clone();
            let workload = Arc::clone(&workload);
            handles.push(tokio::spawn(async move {
                closed_loop_client(&shared, phase, start, end, &workload, stop).await
            }));
        }
    }
    handles
}

impl<B: Backend> ticker::Ticked for Shared<B> {
    fn recorders(&self) -> &Recorders {
        &self.recorders
    }

    fn t0(&self) -> Instant {
        self.clock.t0()
    }

    /// Read every tick, so the per-order path keeps no counter of its own for it.
    fn dispatched(&self) -> u64 {
        let open = self.schedule.lock().expect("schedule lock").taken();
        open + self.closed_loop_ids.load(Ordering::Relaxed)
    }
}

/// The record of a backend that could not be set up after the run began:
/// marked aborted, every figure zero, so the others' results still stand.
pub fn not_run(
    scenario: &Scenario,
    plan: &Plan,
    spec: &BackendSpec,
    reason: String,
) -> BackendSummary {
    let ledger = Ledger::new(&scenario.skus);
    let audit = audit_each(
        ledger.each_total(&scenario.skus),
        &[],
        &Resolution::NotStored,
    );
    let sku_audit = |i: usize| audit_sku(&ledger.total(i, &scenario.skus[i]), 0, None);
    let recorder = Recorders::new(plan.grid, scenario.skus.len(), plan.hot_sku).merged();
    summarize::backend_summary(&summarize::Measured {
        spec,
        scenario,
        plan,
        recorder: &recorder,
        audit: &audit,
        sku_audit: &sku_audit,
        samples: &[],
        duration_ns: 0,
        abort_reason: Some(format!("not run: {reason}")),
        first_error: None,
    })
}

#[cfg(test)]
mod id_tests;
#[cfg(test)]
mod tests;
