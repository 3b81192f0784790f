//! `atpsim compare` and `run --baseline`: load both runs, refuse what
//! cannot be compared (exit 2), print the side-by-side diff, exit 1 on a
//! regression.
//!
//! Invariant: everything that can make the comparison impossible (an
//! unreadable baseline, a bad tolerance, a different schedule) is found
//! before `run` starts measuring.

use crate::cli::{CompareArgs, CompareRules};
use crate::compare::{self, tolerance::Rule};
use crate::error::{exit, AppError};
use crate::summary::{RunSummary, SCHEMA_VERSION};
use std::path::Path;

pub fn compare_command(args: CompareArgs) -> Result<i32, AppError> {
    let rules = rules(&args.rules)?;
    let base = load(&args.baseline, "the baseline")?;
    let cur = load(&args.current, "the current run")?;
    if let Some(why) = compare::refusal(&base, &cur).filter(|_| !args.rules.force) {
        return Err(AppError::Usage(format!(
            "cannot compare {} with {}: {why}",
            args.baseline.display(),
            args.current.display()
        )));
    }
    Ok(report(&base, &cur, &rules))
}

/// The baseline of `run --baseline`, checked against the schedule about to run.
pub struct Baseline {
    run: RunSummary,
    rules: Vec<Rule>,
}

pub fn baseline(
    path: Option<&Path>,
    opts: &CompareRules,
    schedule_hash: &str,
) -> Result<Option<Baseline>, AppError> {
    let Some(path) = path else {
        // They only shape a comparison: alone they would be silently ignored.
        if !opts.max_regression.is_empty() || opts.force {
            return Err(AppError::Usage(
                "--max-regression and --force apply to --baseline FILE; give one, or drop them"
                    .into(),
            ));
        }
        return Ok(None);
    };
    let rules = rules(opts)?;
    let run = load(path, "--baseline")?;
    if run.scenario.schedule_hash != schedule_hash && !opts.force {
        return Err(AppError::Usage(format!(
            "--baseline {}: it ran schedule hash {}, this scenario's is {}: the orders differ, so the figures are not comparable; use the baseline's scenario and seed, or pass --force",
            path.display(),
            run.scenario.schedule_hash,
            schedule_hash
        )));
    }
    Ok(Some(Baseline { run, rules }))
}

impl Baseline {
    /// The finished run against the baseline, computed once for the
    /// verdicts and the printed table.
    pub fn compare(&self, current: &RunSummary) -> compare::Comparison {
        compare::compare(&self.run, current, &self.rules)
    }

    /// Prints the comparison; its exit code.
    pub fn print(&self, c: &compare::Comparison) -> i32 {
        println!("\nagainst the baseline {}:", self.run.run_id);
        show(c)
    }

    /// The comparison as verdicts, for `thresholds[]` and every output
    /// that shows them.
    pub fn verdicts(&self, c: &compare::Comparison) -> Vec<crate::gate::Verdict> {
        compare::verdicts::verdicts(c, &self.run.run_id)
    }
}

fn rules(opts: &CompareRules) -> Result<Vec<Rule>, AppError> {
    compare::tolerance::rules(&opts.max_regression).map_err(AppError::Usage)
}

fn report(base: &RunSummary, cur: &RunSummary, rules: &[Rule]) -> i32 {
    show(&compare::compare(base, cur, rules))
}

/// Warnings to stderr, the table to stdout; exit 1 on a regression.
fn show(c: &compare::Comparison) -> i32 {
    for w in &c.warnings {
        eprintln!("warning: {w}");
    }
    print!("{}", compare::render::render(c));
    if c.regressed() {
        exit::GATE
    } else {
        exit::OK
    }
}

/// Read a run.json; `what` names the argument it came from in an error.
fn load(path: &Path, what: &str) -> Result<RunSummary, AppError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::Usage(format!("cannot read {what} {}: {e}", path.display())))?;
    let run: RunSummary = serde_json::from_str(&text).map_err(|e| {
        AppError::Usage(format!(
            "{}:{}:{}: not a run.json this version of atpsim reads: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    if run.schema_version != SCHEMA_VERSION {
        return Err(AppError::Usage(format!(
            "{}: `schema_version` is {}, this atpsim reads version {SCHEMA_VERSION}; compare it with the atpsim that wrote it",
            path.display(),
            run.schema_version
        )));
    }
    Ok(run)
}
