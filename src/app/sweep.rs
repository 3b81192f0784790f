//! `atpsim sweep`: the scenario at each point of a list, every backend at
//! every point, each through the same runner as `atpsim run`.
//!
//! Invariant: everything that can be refused is refused before the first
//! point runs (exit 2, nothing written): the list, a flag the scenario has
//! nothing for, a point the validator would refuse, a point above a
//! server's `max_connections`. Once a point runs, `sweep.json` and
//! `sweep.md` are rewritten (atomically) after every backend × point, so an
//! interrupt or a failure keeps what was measured.

use super::signals;
use crate::cli::SweepArgs;
use crate::error::{exit, AppError};
use crate::plan::Plan;
use crate::report::files::{write_atomic, ResultsDir, WRITING};
use crate::runner::{self, RunOptions, Stop};
use crate::scenario::{self, BackendSpec, Scenario};
use crate::sweep::{points, slots, table, Axis, PointRecord, Status, SweepSummary};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use tokio::sync::watch;

/// One point, ready to run: its value, its scenario and that scenario's plan.
struct Point {
    value: f64,
    scenario: Scenario,
    plan: Plan,
}

pub fn sweep(args: SweepArgs) -> Result<i32, AppError> {
    let scenario = scenario::load(&args.file)?;
    let (axis, applied) = points_of(&args, &scenario)?;
    let values: Vec<f64> = applied.iter().map(|(v, _)| *v).collect();
    if !scenario.thresholds.is_empty() {
        eprintln!(
            "note: a sweep does not check the scenario's [[threshold]] tables; gate on `atpsim run` at the point that matters"
        );
    }
    let started = SystemTime::now();
    let run_id = super::run::run_id(started);
    let out_dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("results")
            .join(&scenario.name)
            .join(format!("sweep-{run_id}"))
    });
    if out_dir.join("sweep.json").exists() {
        return Err(AppError::Output {
            path: out_dir,
            source: std::io::Error::other(
                "already holds a sweep.json from an earlier sweep; choose another directory or remove it",
            ),
        });
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(AppError::Runtime)?;
    let (stop_tx, stop) = watch::channel(Stop::Run);
    let interrupt = signals::listen(&runtime, stop_tx).map_err(AppError::Runtime)?;
    let mut sweep_points = Vec::new();
    for (value, scenario) in applied {
        let Some(plan) = Plan::measure_until(&scenario, &|| interrupt.received()) else {
            eprintln!("interrupted while planning: nothing ran");
            return Ok(interrupt.exit_code().unwrap_or(exit::SIGINT));
        };
        sweep_points.push(Point {
            value,
            scenario,
            plan,
        });
    }
    // Servers first: a point no server could hold is bad input, and an
    // unreachable one ends the sweep before anything runs (exit 3).
    let checked = runtime.block_on(async {
        refuse_oversized(&scenario, axis, &sweep_points).await?;
        let first = &sweep_points[0];
        runner::check_backends(&first.scenario, &first.plan).await?;
        Ok::<(), AppError>(())
    });
    if let Err(e) = checked {
        // An interrupt outranks the failure (README.md, "Exit codes").
        return match interrupt.exit_code() {
            Some(code) => {
                eprintln!("error: {e}");
                Ok(code)
            }
            None => Err(e),
        };
    }
    let results = ResultsDir::create(&out_dir).map_err(|source| AppError::Output {
        path: out_dir.clone(),
        source,
    })?;
    let mut sweep = new_summary(&args, &scenario, axis, values, run_id, started);
    let options = RunOptions {
        progress: !args.quiet && std::io::stderr().is_terminal(),
        hooks: Default::default(),
        trace: None,
        stop: stop.clone(),
        keep: false,
    };
    let sweeper = Sweeper {
        options: &options,
        axis,
        quiet: args.quiet,
        runs: sweep_points.len() * scenario.backends.len(),
    };
    let mut write_failed = false;
    let code = runtime.block_on(async {
        let mut code = exit::OK;
        'points: for point in &sweep_points {
            for (index, spec) in point.scenario.backends.iter().enumerate() {
                if *stop.borrow() != Stop::Run {
                    break 'points;
                }
                let record = sweeper.run_point(point, spec, index, &mut sweep).await;
                if record.status == Status::Failed
                    || record.summary.as_ref().is_some_and(|s| s.aborted)
                {
                    code = exit::BACKEND;
                }
                sweep.records.push(record);
                sweep.interrupted = *stop.borrow() != Stop::Run;
                sweep.find_knees();
                write_failed |= !write(results.path(), &sweep);
            }
        }
        code
    });
    if sweep.records.is_empty() {
        results.discard();
        eprintln!("interrupted before the first point ran: nothing measured, nothing written");
        return Ok(interrupt.exit_code().unwrap_or(code));
    }
    let (signalled, marked) = interrupt.settle(&mut sweep.interrupted);
    if marked {
        write_failed |= !write(results.path(), &sweep);
    }
    if !args.no_charts {
        for w in crate::report::charts::render_sweep(&sweep, results.path()).warnings {
            eprintln!("warning: {w}");
        }
    }
    print!("{}", table::render(&sweep));
    eprintln!("results: {}", results.path().display());
    // Results that could not be written must not pass as a clean sweep.
    let code = if write_failed && code == exit::OK {
        exit::GATE
    } else {
        code
    };
    Ok(signalled.unwrap_or(code))
}

/// The axis and each point (ascending) with the scenario at it, or the
/// usage error that names the flag.
fn points_of(
    args: &SweepArgs,
    scenario: &Scenario,
) -> Result<(Axis, Vec<(f64, Scenario)>), AppError> {
    let (axis, list) = match (&args.concurrency, &args.rate) {
        (Some(c), None) => (Axis::Concurrency, c),
        (None, Some(r)) => (Axis::Rate, r),
        // clap refuses both and neither; kept for a caller that does not.
        _ => {
            return Err(AppError::Usage(
                "give exactly one of --concurrency LIST and --rate LIST".into(),
            ))
        }
    };
    let values = points::parse(axis, list).map_err(AppError::Usage)?;
    points::check_applicable(scenario, axis).map_err(AppError::Usage)?;
    let applied = values
        .iter()
        .map(|&v| points::apply(scenario, axis, v).map(|s| (v, s)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(AppError::Usage)?;
    Ok((axis, applied))
}

/// The sweep before its first record: what `run.json` says of the tool,
/// the machine and the scenario (as written, before any point).
fn new_summary(
    args: &SweepArgs,
    scenario: &Scenario,
    axis: Axis,
    points: Vec<f64>,
    run_id: String,
    started: SystemTime,
) -> SweepSummary {
    SweepSummary {
        schema_version: crate::sweep::SWEEP_SCHEMA_VERSION,
        run_id,
        started_at: crate::timefmt::rfc3339(started),
        tool: super::run::tool(),
        environment: super::run::environment(),
        scenario: super::run::scenario_info(
            scenario,
            &args.file,
            crate::traffic::schedule_hash(scenario),
        ),
        axis,
        points,
        interrupted: false,
        records: Vec::new(),
        knees: Vec::new(),
    }
}

/// Refuse up front any point whose connections (its clients plus the
/// backend's admin connection) exceed a server's `max_connections` less
/// what it reserves: no amount of waiting would make that point fit.
async fn refuse_oversized(
    scenario: &Scenario,
    axis: Axis,
    points: &[Point],
) -> Result<(), AppError> {
    for spec in scenario.backends.iter() {
        let Some(slots) = slots::read(spec).await? else {
            continue;
        };
        for p in points {
            let clients = runner::clients(&p.scenario, &p.plan);
            let needed = spec.connections(clients, p.scenario.skus.len());
            if i64::from(needed) + 1 > slots.limit() {
                return Err(AppError::Usage(format!(
                    "{} {}: {} would need {needed} client connections + 1 admin, but {} allows {} \
                     (max_connections {}, {} reserved); drop the point or raise max_connections",
                    axis.flag(),
                    axis.show(p.value),
                    spec.name,
                    spec.options.redacted_url(),
                    slots.limit(),
                    slots.max,
                    slots.reserved
                )));
            }
        }
    }
    Ok(())
}

/// What every backend × point run shares.
struct Sweeper<'a> {
    options: &'a RunOptions,
    axis: Axis,
    quiet: bool,
    /// Backend × point runs in all, for the progress lines.
    runs: usize,
}

impl Sweeper<'_> {
    /// One backend at one point: skipped when its server has too few free
    /// slots right now, else run; a backend that cannot be set up is `failed`.
    async fn run_point(
        &self,
        point: &Point,
        spec: &BackendSpec,
        index: usize,
        sweep: &mut SweepSummary,
    ) -> PointRecord {
        let clients = runner::clients(&point.scenario, &point.plan);
        let record = PointRecord {
            backend: spec.name.clone(),
            point: point.value,
            clients,
            status: Status::Ran,
            reason: None,
            schedule_hash: point.plan.schedule_hash.clone(),
            summary: None,
        };
        let shown = format!("{} {}", self.axis.name(), self.axis.show(point.value));
        let not_run = |status, why: String, mut record: PointRecord| {
            let what = if status == Status::Skipped {
                "skipped"
            } else {
                "error"
            };
            eprintln!("{what}: {} at {shown}: {why}", spec.name);
            record.status = status;
            record.reason = Some(why);
            record
        };
        match slots::read(spec).await {
            Ok(Some(slots)) => {
                if let Some(why) =
                    slots.shortfall(spec.connections(clients, point.scenario.skus.len()))
                {
                    return not_run(Status::Skipped, why, record);
                }
            }
            Ok(None) => {}
            Err(e) => return not_run(Status::Failed, e.message, record),
        }
        if !self.quiet {
            eprintln!(
                "running {} at {shown} ({}/{})",
                spec.name,
                sweep.records.len() + 1,
                self.runs
            );
        }
        match runner::run_backend(&point.scenario, &point.plan, spec, index, self.options).await {
            Ok(run) => {
                sweep
                    .environment
                    .backends
                    .insert(spec.name.clone(), run.environment);
                // A stop during the run leaves figures for part of it only.
                let interrupted = *self.options.stop.borrow() != Stop::Run;
                PointRecord {
                    status: if interrupted {
                        Status::Interrupted
                    } else {
                        Status::Ran
                    },
                    reason: interrupted
                        .then(|| "interrupted: the figures cover the run until the stop".into()),
                    summary: Some(run.summary),
                    ..record
                }
            }
            Err(e) => not_run(Status::Failed, e.message, record),
        }
    }
}

/// Write `sweep.json` and `sweep.md` as they stand; false (and an `error:`
/// line) when the disk refused.
fn write(dir: &Path, sweep: &SweepSummary) -> bool {
    let written = (|| {
        let json = serde_json::to_vec_pretty(sweep).map_err(std::io::Error::other)?;
        let _writing = WRITING.lock().unwrap_or_else(|p| p.into_inner());
        write_atomic(&dir.join("sweep.json"), &json)?;
        write_atomic(&dir.join("sweep.md"), table::markdown(sweep).as_bytes())
    })();
    if let Err(e) = &written {
        eprintln!("error: cannot write results to {}: {e}", dir.display());
    }
    written.is_ok()
}
