//! `run`'s gate: the thresholds of the scenario and the command line,
//! checked before the run (exit 2) and against it after (exit 1).
//!
//! Invariant: every threshold is parsed and its selector matched against
//! the scenario's backends before anything runs.

use crate::cli::GateArgs;
use crate::error::AppError;
use crate::gate::{self, ThresholdSet, Verdict};
use crate::scenario::Scenario;
use crate::summary::RunSummary;

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

/// Checks `sets` against the finished run and records the verdicts in it;
/// true when any failed.
pub fn apply(sets: &[ThresholdSet], scenario: &Scenario, run: &mut RunSummary) -> Vec<Verdict> {
    let verdicts = gate::check(sets, run, scenario.min_window_orders);
    run.thresholds = verdicts
        .iter()
        .map(|v| serde_json::to_value(v).unwrap_or_default())
        .collect();
    verdicts
}
