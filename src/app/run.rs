//! `atpsim run`: check everything that can be checked, then run each backend
//! in turn, writing the results after every one.
//!
//! Invariant: until the first backend has run, a failure leaves nothing on
//! disk (directories this command created are removed again).

use super::signals;
use crate::cli::RunArgs;
use crate::error::{exit, AppError};
use crate::plan::Plan;
use crate::report::{self, files::ResultsDir};
use crate::runner::{self, RunOptions, Stop};
use crate::scenario::{self, Scenario};
use crate::summary::{Environment, RunSummary, ScenarioInfo, Tool, SCHEMA_VERSION};
use crate::trace::TraceWriter;
use crate::traffic::sample::GENERATOR_VERSION;
use std::cell::Cell;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tokio::sync::watch;

pub fn run(args: RunArgs) -> Result<i32, AppError> {
    let scenario = scenario::load(&args.file)?;
    let thresholds = super::gate::sets(&args.gate, &scenario)?;
    super::gate::check_outputs(&args.gate)?;
    if args.gate.repeat > 1 && args.trace.is_some() {
        return Err(AppError::Usage(
            "--trace and --repeat: the trace of one run is the audit's evidence, and repetitions would mix theirs; trace a single run".into(),
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(AppError::Runtime)?;
    let (stop_tx, stop) = watch::channel(Stop::Run);
    let interrupt = signals::listen(&runtime, stop_tx).map_err(AppError::Runtime)?;
    // One pass over the schedule; interruptible, since a huge one takes a while.
    let Some(plan) = Plan::measure_until(&scenario, &|| interrupt.received()) else {
        eprintln!("interrupted while planning: nothing ran");
        return Ok(interrupt.exit_code().unwrap_or(exit::SIGINT));
    };
    let baseline = super::compare::baseline(
        args.gate.baseline.as_deref(),
        &args.gate.compare,
        &plan.schedule_hash,
    )?;
    let started = SystemTime::now();
    let run_id = run_id(started);
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&scenario.name).join(&run_id));
    let results = ResultsDir::create(&out_dir).map_err(|source| AppError::Output {
        path: out_dir.clone(),
        source,
    })?;
    let trace = match open_trace(&args, &scenario, &results) {
        Ok(trace) => trace,
        Err(e) => {
            results.discard();
            return Err(e);
        }
    };
    let mut summary = new_summary(&args, &scenario, &plan, run_id, started);
    let write_failed = Cell::new(false);
    let options = RunOptions {
        progress: !args.quiet && std::io::stderr().is_terminal(),
        hooks: Default::default(),
        trace: trace.as_ref().and_then(|t| t.sink()),
        stop: stop.clone(),
        keep: args.keep,
    };
    let outcome = runtime.block_on(async {
        // Every backend must be reachable before the first one runs.
        runner::check_backends(&scenario, &plan).await?;
        let mut code = exit::OK;
        let mut repetitions = Vec::new();
        for repeat in 0..args.gate.repeat as usize {
            if repeat > 0 {
                let done = std::mem::take(&mut summary.backends);
                super::gate::record_repeat(repeat - 1, &done, &thresholds, &scenario, &mut summary);
                repetitions.push(done);
            }
            for (index, spec) in scenario.backends.iter().enumerate() {
                if *stop.borrow() != Stop::Run {
                    break;
                }
                if !args.quiet {
                    eprintln!(
                        "running {} ({}/{}){}",
                        spec.name,
                        index + 1,
                        scenario.backends.len(),
                        super::gate::repeat_note(repeat, args.gate.repeat)
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
                summary.interrupted = *stop.borrow() != Stop::Run;
                if summary.interrupted {
                    // The signal came while this backend ran: it is the one cut short.
                    if let Some(last) = summary.backends.last_mut() {
                        last.cut_short = true;
                    }
                }
                write_while_running(&results, &mut summary, &scenario, &write_failed);
            }
            if *stop.borrow() != Stop::Run {
                break;
            }
        }
        if args.gate.repeat > 1 {
            let done = summary.backends.clone();
            super::gate::record_repeat(
                repetitions.len(),
                &done,
                &thresholds,
                &scenario,
                &mut summary,
            );
            summary.interrupted = *stop.borrow() != Stop::Run;
            write_while_running(&results, &mut summary, &scenario, &write_failed);
        }
        repetitions.push(summary.backends.clone());
        Ok::<(i32, Vec<_>), AppError>((code, repetitions))
    });
    // The clients' copies of the trace sink are gone; this is the last one.
    drop(options);
    if let Some(trace) = trace {
        let path = trace.path().to_path_buf();
        if let Err(e) = trace.finish() {
            eprintln!("error: trace {} is incomplete: {e}", path.display());
        }
    }
    let (mut code, repetitions) = match outcome {
        Ok(done) => done,
        Err(e) => {
            // Nothing was measured: say which backend, and leave nothing behind.
            results.discard();
            if let Some(path) = &args.trace {
                let _ = std::fs::remove_file(path);
            }
            eprintln!("error: {e}");
            return Ok(interrupt.exit_code().unwrap_or(e.exit_code()));
        }
    };
    // Every backend has run: from here on the summary keeps its effective scenario.
    summary.scenario.effective = ScenarioInfo::effective_of(&scenario);
    if summary.backends.is_empty() {
        // Interrupted before the first backend started.
        results.discard();
        eprintln!("interrupted before the first backend ran: nothing measured, nothing written");
        return Ok(interrupt.exit_code().unwrap_or(code));
    }
    let (signalled, marked) = interrupt.settle(&mut summary.interrupted);
    if marked {
        write_results(&results, &summary, &write_failed);
    }
    let mut verdicts = super::gate::apply(&thresholds, &scenario, &repetitions, &mut summary);
    let comparison = baseline.as_ref().map(|b| (b, b.compare(&summary)));
    if let Some((b, c)) = &comparison {
        // A regression is a failed verdict like any threshold's, so JUnit,
        // summary.md and report.html show it too.
        let against = b.verdicts(c);
        summary.thresholds.extend(
            against
                .iter()
                .map(|v| serde_json::to_value(v).unwrap_or_default()),
        );
        verdicts.extend(against);
    }
    if !verdicts.is_empty() || args.gate.repeat > 1 {
        write_results(&results, &summary, &write_failed);
    }
    write_review(&args, &summary, &results);
    print!("{}", report::table::render(&summary));
    print!("{}", crate::gate::repeat::spread(&summary.repeats));
    print!("{}", crate::gate::render(&verdicts));
    eprintln!("results: {}", results.path().display());
    let written = super::gate::write_outputs(&args.gate, &summary);
    // Results CI cannot read in full must not pass as a green run.
    let gate_failed = !written || write_failed.get() || verdicts.iter().any(|v| !v.passed);
    let regressed = comparison.is_some_and(|(b, c)| b.print(&c) != exit::OK);
    if (gate_failed || regressed) && code == exit::OK {
        code = exit::GATE;
    }
    Ok(signalled.unwrap_or(code))
}

/// `write_results` while backends still run: the effective scenario is
/// rendered for the write and dropped after it, so that a backend's run never
/// carries it beside its ledger (for a million SKUs, 42 MB of JSON).
fn write_while_running(
    results: &ResultsDir,
    summary: &mut RunSummary,
    scenario: &Scenario,
    failed: &Cell<bool>,
) {
    summary.scenario.effective = ScenarioInfo::effective_of(scenario);
    write_results(results, summary, failed);
    summary.scenario.effective = ScenarioInfo::effective_pending();
}

/// Write `run.json` and `summary.md` as they stand; a failure is reported
/// at once and remembered, so the run cannot end with exit 0.
fn write_results(results: &ResultsDir, summary: &RunSummary, failed: &Cell<bool>) {
    if let Err(e) = results.write(summary) {
        failed.set(true);
        eprintln!(
            "error: cannot write results to {}: {e}",
            results.path().display()
        );
    }
}

/// Charts and `report.html` beside `run.json`: a failure here is a
/// warning, since everything measured is already on disk.
fn write_review(args: &RunArgs, summary: &RunSummary, results: &ResultsDir) {
    let runs = std::slice::from_ref(summary);
    match report::review::write(runs, results.path(), !args.no_charts) {
        Ok(written) => {
            for w in written.warnings {
                eprintln!("warning: {w}");
            }
        }
        Err(e) => eprintln!(
            "warning: report.html not written to {}: {e}",
            results.path().display()
        ),
    }
}

/// Create the trace file, refusing a path that would overwrite the scenario
/// or a results file of this run.
fn open_trace(
    args: &RunArgs,
    scenario: &Scenario,
    results: &ResultsDir,
) -> Result<Option<TraceWriter>, AppError> {
    let Some(path) = &args.trace else {
        return Ok(None);
    };
    let refuse = |why: String| AppError::Output {
        path: path.clone(),
        source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, why),
    };
    if same_file(path, &args.file) {
        return Err(refuse(
            "it is the scenario file; choose another --trace path".into(),
        ));
    }
    if let Some(input) = scenario.input_files().find(|f| same_file(path, f)) {
        return Err(refuse(format!(
            "it is {}, a file the scenario reads; choose another --trace path",
            input.display()
        )));
    }
    if results.owns(path) {
        return Err(refuse(format!(
            "it is a results file of this run in {}; choose another --trace path",
            results.path().display()
        )));
    }
    TraceWriter::create(
        path,
        scenario.skus.iter().map(|s| s.id.clone()).collect(),
        scenario.backends.iter().map(|b| b.name.clone()).collect(),
    )
    .map(Some)
    .map_err(|source| AppError::Output {
        path: path.clone(),
        source,
    })
}

/// The same file under any name: symlinks, `..` and hard links included.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

fn new_summary(
    args: &RunArgs,
    scenario: &Scenario,
    plan: &Plan,
    run_id: String,
    started: SystemTime,
) -> RunSummary {
    RunSummary {
        schema_version: SCHEMA_VERSION,
        run_id,
        started_at: crate::timefmt::rfc3339(started),
        tool: tool(),
        environment: environment(),
        // The effective scenario is rendered when results are written
        // (`write_while_running`).
        scenario: ScenarioInfo {
            name: scenario.name.clone(),
            file: args.file.display().to_string(),
            seed: scenario.seed,
            schedule_hash: plan.schedule_hash.clone(),
            generator_version: GENERATOR_VERSION,
            effective: ScenarioInfo::effective_pending(),
        },
        interrupted: false,
        thresholds: Vec::new(),
        repeats: Vec::new(),
        backends: Vec::new(),
    }
}

pub(super) fn run_id(at: SystemTime) -> String {
    let nanos = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let stamp = crate::timefmt::compact(at);
    format!("{stamp}-{:04x}", (nanos ^ std::process::id()) & 0xffff)
}

/// This program, as every results file names it.
pub(super) fn tool() -> Tool {
    Tool {
        name: "atpsim".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        git_commit: env!("ATPSIM_GIT_COMMIT").into(),
    }
}

/// The machine the harness runs on; the backends add their own entries.
pub(super) fn environment() -> Environment {
    Environment {
        os: os_description(),
        arch: std::env::consts::ARCH.into(),
        cpu_count: std::thread::available_parallelism().map_or(1, |n| n.get()),
        backends: Default::default(),
    }
}

/// The scenario read from `file`, as run (`schedule_hash` of its schedule).
pub(super) fn scenario_info(
    scenario: &Scenario,
    file: &Path,
    schedule_hash: String,
) -> ScenarioInfo {
    ScenarioInfo {
        name: scenario.name.clone(),
        file: file.display().to_string(),
        seed: scenario.seed,
        schedule_hash,
        generator_version: GENERATOR_VERSION,
        effective: ScenarioInfo::effective_of(scenario),
    }
}

fn os_description() -> String {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!("{} {}", std::env::consts::OS, release.trim())
        .trim()
        .to_string()
}
