//! `run`'s gate: the thresholds of the scenario and the command line,
//! checked before the run (exit 2) and against it after (exit 1).
//!
//! Invariant: every threshold is parsed and its selector matched against
//! the scenario's backends before anything runs.

use crate::cli::GateArgs;
use crate::error::AppError;
use crate::gate::{self, ThresholdSet, Verdict};
use crate::scenario::Scenario;
use crate::summary::{BackendSummary, RunSummary};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The scenario's threshold sets followed by the command line's.
pub fn sets(args: &GateArgs, scenario: &Scenario) -> Result<Vec<ThresholdSet>, AppError> {
    let names: Vec<&str> = scenario.backends.iter().map(|b| b.name.as_str()).collect();
    let mut sets = scenario.thresholds.clone();
    for arg in &args.thresholds {
        let refuse = |at: usize, message: String| {
            AppError::Usage(format!(
                "--threshold {arg:?} (column {}): {message}",
                arg[..at.min(arg.len())].chars().count() + 1
            ))
        };
        let set = gate::parse_arg(arg).map_err(|e| refuse(e.at, e.message))?;
        if let Some(message) = gate::unmatched(&set.backends, &names) {
            return Err(refuse(0, message));
        }
        sets.push(set);
    }
    Ok(sets)
}

/// Checks `sets` against the finished run (every repetition of it) and
/// records the verdicts in it.
pub fn apply(
    sets: &[ThresholdSet],
    scenario: &Scenario,
    repetitions: &[Vec<BackendSummary>],
    run: &mut RunSummary,
) -> Vec<Verdict> {
    let verdicts = gate::check_repeated(sets, run, repetitions, scenario.min_window_orders);
    run.thresholds = verdicts
        .iter()
        .map(|v| serde_json::to_value(v).unwrap_or_default())
        .collect();
    verdicts
}

/// Adds the key figures of a finished repetition to `run.repeats`.
pub fn record_repeat(
    repeat: usize,
    backends: &[BackendSummary],
    sets: &[ThresholdSet],
    scenario: &Scenario,
    run: &mut RunSummary,
) {
    let named: Vec<String> = sets
        .iter()
        .flat_map(|s| s.checks.iter())
        .flat_map(|c| [Some(c.metric), c.per].into_iter().flatten())
        .map(|m| m.path.clone())
        .collect();
    for b in backends {
        run.repeats.push(gate::repeat::figures(
            repeat,
            b,
            scenario.min_window_orders,
            &named,
        ));
    }
}

/// `, repeat k/N` after the progress line's backend count, when repeating.
pub fn repeat_note(repeat: usize, of: u32) -> String {
    if of > 1 {
        format!(", repeat {}/{of}", repeat + 1)
    } else {
        String::new()
    }
}

/// The output files of `args`, refused before the run when they cannot be
/// written (a missing directory, a directory in the file's place).
pub fn check_outputs(args: &GateArgs) -> Result<(), AppError> {
    for path in [&args.junit, &args.markdown].into_iter().flatten() {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let problem = if path.is_dir() {
            Some("is a directory; give a file name")
        } else if !parent.is_dir() {
            Some("its directory does not exist; create it first")
        } else {
            None
        };
        if let Some(why) = problem {
            return Err(AppError::Output {
                path: path.clone(),
                source: std::io::Error::other(why),
            });
        }
    }
    Ok(())
}

/// Writes the JUnit and Markdown files and appends to the GitHub step
/// summary; false when one could not be written (said on stderr), since a
/// gate whose report is missing must not pass quietly.
pub fn write_outputs(args: &GateArgs, run: &RunSummary) -> bool {
    let mut ok = true;
    let mut write = |path: &PathBuf, text: String, append: bool| {
        let result = if append {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .and_then(|mut f| f.write_all(text.as_bytes()))
        } else {
            crate::report::files::write_atomic(path, text.as_bytes())
        };
        if let Err(e) = result {
            eprintln!("error: cannot write {}: {e}", path.display());
            ok = false;
        }
    };
    if let Some(path) = &args.junit {
        write(path, crate::report::junit::render(run), false);
    }
    let markdown = crate::report::markdown::render(run);
    if let Some(path) = &args.markdown {
        write(path, markdown.clone(), false);
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        write(&PathBuf::from(path), markdown, true);
    }
    ok
}
