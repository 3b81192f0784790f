//! The commands: wire scenario → plan → runner → reports, and choose the exit code.
//!
//! Invariant: bad input is refused before anything runs (exit 2, nothing
//! written); once a run starts, every finished backend's results are on disk
//! before the next one starts.

use crate::cli::{Cli, Command, RunArgs};
use crate::error::{exit, AppError};
use crate::plan::Plan;
use crate::report::{self, files::ResultsDir};
use crate::runner::{self, RunOptions};
use crate::scenario::{self, Scenario, Shape};
use crate::summary::{Environment, RunSummary, ScenarioInfo, Tool, SCHEMA_VERSION};
use crate::trace::TraceWriter;
use crate::traffic::sample::GENERATOR_VERSION;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use tokio::sync::watch;

/// Run the parsed command line; the result is the process exit code.
pub fn main(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Validate { file } => validate(file),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

fn validate(file: PathBuf) -> Result<i32, AppError> {
    let scenario = scenario::load(&file)?;
    let plan = Plan::measure(&scenario);
    print!("{}", describe_plan(&scenario, &plan));
    Ok(exit::OK)
}

/// The resolved plan as `atpsim validate` prints it.
pub fn describe_plan(s: &Scenario, plan: &Plan) -> String {
    let stock: u64 = s.skus.iter().map(|k| k.stock).sum();
    let mut out = format!(
        "scenario {} (seed {}): valid\n  skus: {} with {} units of stock; hottest: {}\n  phases:\n",
        s.name,
        s.seed,
        s.skus.len(),
        stock,
        s.skus[plan.hot_sku as usize].id
    );
    for (phase, orders) in s.phases.iter().zip(&plan.phase_orders) {
        let kind = match phase.shape {
            Shape::Instant { .. } => "instant",
            Shape::Spread { .. } => "spread",
            Shape::Constant { .. } => "constant",
            Shape::Ramp { .. } => "ramp",
            Shape::Poisson { .. } => "poisson",
            Shape::Closed { .. } => "closed",
        };
        let orders = match (orders, &phase.shape) {
            (Some(n), _) => format!("{n} orders"),
            (None, Shape::Closed { clients, .. }) => format!("{clients} closed-loop clients"),
            (None, _) => "closed loop".to_string(),
        };
        out.push_str(&format!(
            "    {:<16} {:<8} at {:>8.1} ms  {}\n",
            phase.name,
            kind,
            phase.at.as_secs_f64() * 1000.0,
            orders
        ));
    }
    out.push_str(&format!(
        "  open-loop orders: {}\n  span: {:.1} ms in {} windows of {:.1} ms{}\n  peak: {} orders in one window ({:.0} orders/s)\n",
        plan.open_loop_orders,
        plan.span_ns as f64 / 1e6,
        plan.grid.count,
        plan.grid.window_ns as f64 / 1e6,
        if plan.widened { " (widened to keep at most 2000 windows)" } else { "" },
        plan.peak_window_orders,
        plan.peak_rate_per_s,
    ));
    out.push_str(&format!(
        "  concurrency {}, timeout {} ms, retries {}\n  backends: {}\n  schedule hash: {}\n",
        s.concurrency,
        s.timeout.as_millis(),
        s.retries,
        s.backends
            .iter()
            .map(|b| b.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        plan.schedule_hash
    ));
    out
}

fn run(args: RunArgs) -> Result<i32, AppError> {
    let scenario = scenario::load(&args.file)?;
    let plan = Plan::measure(&scenario);
    let started = std::time::SystemTime::now();
    let run_id = run_id(started);
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&scenario.name).join(&run_id));
    let results = ResultsDir::create(&out_dir).map_err(|source| AppError::Output {
        path: out_dir.clone(),
        source,
    })?;
    let trace = match &args.trace {
        Some(path) => Some(
            TraceWriter::create(
                path,
                scenario.skus.iter().map(|s| s.id.clone()).collect(),
                scenario.backends.iter().map(|b| b.name.clone()).collect(),
            )
            .map_err(|source| AppError::Output {
                path: path.clone(),
                source,
            })?,
        ),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(AppError::Runtime)?;
    let mut summary = RunSummary {
        schema_version: SCHEMA_VERSION,
        run_id,
        started_at: crate::timefmt::rfc3339(started),
        tool: Tool {
            name: "atpsim".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            git_commit: env!("ATPSIM_GIT_COMMIT").into(),
        },
        environment: Environment {
            os: os_description(),
            arch: std::env::consts::ARCH.into(),
            cpu_count: std::thread::available_parallelism().map_or(1, |n| n.get()),
            backends: Default::default(),
        },
        scenario: ScenarioInfo {
            name: scenario.name.clone(),
            file: args.file.display().to_string(),
            seed: scenario.seed,
            schedule_hash: plan.schedule_hash.clone(),
            generator_version: GENERATOR_VERSION,
            effective: serde_json::to_value(&scenario).unwrap_or_default(),
        },
        interrupted: false,
        thresholds: Vec::new(),
        repeats: Vec::new(),
        backends: Vec::new(),
    };
    let progress = !args.quiet && std::io::stderr().is_terminal();
    let code = runtime.block_on(async {
        let (stop_tx, stop_rx) = watch::channel(false);
        let signal = Arc::new(AtomicI32::new(0));
        spawn_signal_handler(stop_tx, Arc::clone(&signal));
        // Every backend must be reachable before the first one runs.
        runner::check_backends(&scenario).await?;
        let options = RunOptions {
            progress,
            hooks: Default::default(),
            trace: trace.as_ref().and_then(|t| t.sink()),
            stop: stop_rx.clone(),
        };
        let mut code = exit::OK;
        for (index, spec) in scenario.backends.iter().enumerate() {
            if *stop_rx.borrow() {
                break;
            }
            if !args.quiet {
                eprintln!(
                    "running {} ({}/{})",
                    spec.name,
                    index + 1,
                    scenario.backends.len()
                );
            }
            match runner::run_backend(&scenario, &plan, spec, index, &options).await {
                Ok(run) => {
                    if run.summary.aborted {
                        code = exit::BACKEND;
                    }
                    summary
                        .environment
                        .backends
                        .insert(spec.name.clone(), run.environment);
                    summary.backends.push(run.summary);
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    code = exit::BACKEND;
                    summary.backends.push(runner::not_run(
                        &scenario,
                        &plan,
                        spec,
                        e.message.clone(),
                    ));
                }
            }
            summary.interrupted = *stop_rx.borrow();
            if let Err(e) = results.write(&summary) {
                eprintln!(
                    "error: cannot write results to {}: {e}",
                    results.path().display()
                );
            }
        }
        match signal.load(Ordering::SeqCst) {
            2 => code = exit::SIGINT,
            15 => code = exit::SIGTERM,
            _ => {}
        }
        Ok::<i32, AppError>(code)
    });
    let code = match code {
        Ok(code) => code,
        Err(e) => {
            // Nothing was measured yet: say which backend and leave no results behind.
            let _ = std::fs::remove_dir(results.path());
            eprintln!("error: {e}");
            return Ok(e.exit_code());
        }
    };
    if let Some(trace) = trace {
        let path = trace.path().to_path_buf();
        if let Err(e) = trace.finish() {
            eprintln!("error: trace {} is incomplete: {e}", path.display());
        }
    }
    print!("{}", report::table::render(&summary));
    eprintln!("results: {}", results.path().display());
    Ok(code)
}

/// First SIGINT/SIGTERM: stop taking orders, drain, write what was measured.
/// A second one exits at once (every finished backend is already on disk).
fn spawn_signal_handler(stop: watch::Sender<bool>, signal: Arc<AtomicI32>) {
    use tokio::signal::unix::{signal as listen, SignalKind};
    tokio::spawn(async move {
        let (Ok(mut int), Ok(mut term)) = (
            listen(SignalKind::interrupt()),
            listen(SignalKind::terminate()),
        ) else {
            return;
        };
        for _ in 0..2 {
            let code = tokio::select! {
                _ = int.recv() => 2,
                _ = term.recv() => 15,
            };
            if signal.swap(code, Ordering::SeqCst) != 0 {
                std::process::exit(if code == 2 {
                    exit::SIGINT
                } else {
                    exit::SIGTERM
                });
            }
            eprintln!("\ninterrupted: draining requests in flight, then writing results (again to quit now)");
            let _ = stop.send(true);
        }
    });
}

fn run_id(at: std::time::SystemTime) -> String {
    let nanos = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let stamp = crate::timefmt::compact(at);
    format!("{stamp}-{:04x}", (nanos ^ std::process::id()) & 0xffff)
}

fn os_description() -> String {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{} {}", std::env::consts::OS, release.trim())
        .trim()
        .to_string()
}
