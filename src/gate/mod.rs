//! CI gating: threshold sets from the scenario (`[[threshold]]`) and the
//! command line (`--threshold`), checked against a finished `RunSummary`.
//!
//! Invariant: nothing passes silently. An unknown metric, a selector that
//! matches no backend or a malformed expression is refused before the run;
//! after it, every threshold on a backend that is unfit for gating
//! (aborted, interrupted, too many errors and unknowns) fails with the reason.

pub mod catalogue;
pub mod eval;
pub mod expr;
pub mod glob;
pub mod repeat;
mod verdict;

pub use verdict::{recorded, render, show, Verdict};

use crate::summary::{BackendSummary, RunSummary};
use expr::Check;
use serde::Serialize;

/// Share of offered orders that may end `error` or `unknown` before a
/// backend's figures are unfit for gating: the oversell audit only sees
/// what got through.
pub const DEFAULT_MAX_FAILED: f64 = 0.01;

/// Checks on the backends one selector picks.
#[derive(Debug, Clone, Serialize)]
pub struct ThresholdSet {
    /// A backend name or a glob (`*`, `?`).
    pub backends: String,
    pub checks: Vec<Check>,
    /// The `max_failed` share of this set (a fraction).
    pub max_failed: f64,
}

impl Serialize for Check {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// A command-line threshold: `EXPR` or `BACKEND-GLOB: EXPR`. The error
/// carries the byte offset in `arg` it concerns.
pub fn parse_arg(arg: &str) -> Result<ThresholdSet, expr::ExprError> {
    // A metric path never holds a colon, so the first one ends the selector.
    let (backends, text, offset) = match arg.find(':') {
        Some(i) => (arg[..i].trim(), &arg[i + 1..], i + 1),
        None => ("*", arg, 0),
    };
    if backends.is_empty() {
        return Err(expr::ExprError {
            at: 0,
            message:
                "empty backend selector before `:`; name a backend or a glob such as `memory-*`"
                    .into(),
        });
    }
    let check = expr::parse(text).map_err(|e| expr::ExprError {
        at: e.at + offset,
        message: e.message,
    })?;
    Ok(ThresholdSet {
        backends: backends.to_string(),
        checks: vec![check],
        max_failed: DEFAULT_MAX_FAILED,
    })
}

/// An error message when `selector` matches none of `names`, else `None`.
pub fn unmatched(selector: &str, names: &[&str]) -> Option<String> {
    if names.iter().any(|n| glob::matches(selector, n)) {
        return None;
    }
    Some(format!(
        "backend selector {selector:?} matches no backend of this scenario; its backends are {}",
        names
            .iter()
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// Why a backend's figures cannot decide a gate, if they cannot.
pub fn unfit(run: &RunSummary, b: &BackendSummary, max_failed: f64) -> Option<String> {
    if run.interrupted {
        return Some("invalid for gating: the run was interrupted".into());
    }
    if b.aborted {
        let why = b.abort_reason.as_deref().unwrap_or("no reason recorded");
        return Some(format!(
            "invalid for gating: the backend was aborted ({why})"
        ));
    }
    let o = &b.orders;
    if o.offered == 0 {
        return Some("invalid for gating: no orders were offered".into());
    }
    let failed = o.error + o.unknown;
    if failed == o.offered {
        // Whatever `max_failed` allows: a backend that answered nothing has
        // shown nothing, so it cannot pass even `units.oversold == 0`.
        return Some(format!(
            "invalid for gating: none of its {} orders got an answer (error or unknown)",
            o.offered
        ));
    }
    if failed as f64 > max_failed * o.offered as f64 {
        return Some(format!(
            "invalid for gating: {failed} of {} orders ended error or unknown ({:.2}%), more than max_failed {}%",
            o.offered,
            100.0 * failed as f64 / o.offered as f64,
            max_failed * 100.0
        ));
    }
    None
}

/// Every check of every set against every backend it selects, in the order
/// the sets were given and the backends ran.
pub fn check(sets: &[ThresholdSet], run: &RunSummary, min_window_orders: u64) -> Vec<Verdict> {
    check_repeated(
        sets,
        run,
        std::slice::from_ref(&run.backends),
        min_window_orders,
    )
}

/// `check` over the backend records of every repetition (`--repeat`): each
/// threshold reports its worst repetition (see `repeat::worst`).
pub fn check_repeated(
    sets: &[ThresholdSet],
    run: &RunSummary,
    repetitions: &[Vec<BackendSummary>],
    min_window_orders: u64,
) -> Vec<Verdict> {
    let Some(last) = repetitions.last() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for set in sets {
        for name in last
            .iter()
            .map(|b| &b.name)
            .filter(|n| glob::matches(&set.backends, n))
        {
            for c in &set.checks {
                let mut each = Vec::new();
                for (k, backends) in repetitions.iter().enumerate() {
                    let Some(b) = backends.iter().find(|b| &b.name == name) else {
                        continue;
                    };
                    let record = serde_json::to_value(b).unwrap_or_default();
                    let mut measured = eval::evaluate(c, &record, min_window_orders);
                    if let Some(why) = unfit(run, b, set.max_failed) {
                        measured.passed = false;
                        measured.reason = Some(why);
                    }
                    let mut v = Verdict::new(c, name, measured);
                    if repetitions.len() > 1 {
                        v.repeat = Some(k);
                    }
                    each.push(v);
                }
                out.extend(repeat::worst(each, c.metric.worse));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
