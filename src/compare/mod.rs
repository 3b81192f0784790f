//! Baseline comparison: two `run.json` files of the same schedule, side by
//! side per backend, and whether the current one regressed.
//!
//! Invariant: runs of different schedules are never compared unless
//! forced; a backend of the baseline missing from the current run, or a
//! figure that has a baseline value but none now, is a regression.

pub mod render;
pub mod tolerance;
pub mod verdicts;

use crate::gate::catalogue::Worse;
use crate::gate::eval;
use crate::summary::RunSummary;
use tolerance::{Rule, Tolerance};

/// One metric of one backend in both runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub backend: String,
    pub metric: String,
    pub unit: crate::gate::catalogue::Unit,
    pub baseline: Option<f64>,
    pub current: Option<f64>,
    /// The worst value the current run may have; `None` without a baseline.
    pub allowed: Option<f64>,
    pub worse: Worse,
    pub regressed: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Comparison {
    pub rows: Vec<Row>,
    /// Backends of the baseline the current run does not have (regressions).
    pub missing: Vec<String>,
    /// Differences that make the comparison weaker, not wrong.
    pub warnings: Vec<String>,
}

impl Comparison {
    pub fn regressed(&self) -> bool {
        !self.missing.is_empty() || self.rows.iter().any(|r| r.regressed)
    }
}

/// Why the two runs cannot be compared, unless forced.
pub fn refusal(base: &RunSummary, cur: &RunSummary) -> Option<String> {
    (base.scenario.schedule_hash != cur.scenario.schedule_hash).then(|| {
        format!(
            "the runs have different schedules (schedule hash {} against {}): the orders differ, so their figures are not comparable; rerun with the baseline's scenario and seed, or pass --force to compare anyway",
            short(&base.scenario.schedule_hash),
            short(&cur.scenario.schedule_hash)
        )
    })
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

pub fn compare(base: &RunSummary, cur: &RunSummary, rules: &[Rule]) -> Comparison {
    let mut out = Comparison {
        warnings: environment_warnings(base, cur),
        ..Default::default()
    };
    for (run, which) in [(base, "the baseline"), (cur, "the current run")] {
        if run.interrupted {
            out.warnings.push(format!(
                "{which} was interrupted: its figures cover only the part of the scenario it ran, so rates and counts do not compare like for like"
            ));
        }
    }
    let min_orders = |r: &RunSummary| r.scenario.settings().min_window_orders.unwrap_or(100);
    for b in &base.backends {
        let Some(c) = cur.backends.iter().find(|c| c.name == b.name) else {
            out.missing.push(b.name.clone());
            continue;
        };
        let (bv, cv) = (
            serde_json::to_value(b).unwrap_or_default(),
            serde_json::to_value(c).unwrap_or_default(),
        );
        for rule in rules {
            let baseline = eval::scalar(rule.metric, &bv, min_orders(base));
            let current = eval::scalar(rule.metric, &cv, min_orders(cur));
            let allowed = baseline.map(|v| allowed(v, rule));
            let regressed = match (allowed, current) {
                (Some(limit), Some(now)) => match rule.worse {
                    Worse::Higher => now > limit,
                    Worse::Lower => now < limit,
                },
                (Some(_), None) => true,
                (None, _) => false,
            };
            out.rows.push(Row {
                backend: b.name.clone(),
                metric: rule.metric.path.clone(),
                unit: rule.metric.unit,
                baseline,
                current,
                allowed,
                worse: rule.worse,
                regressed,
            });
        }
    }
    for c in &cur.backends {
        if !base.backends.iter().any(|b| b.name == c.name) {
            out.warnings
                .push(format!("{}: not in the baseline, not compared", c.name));
        }
    }
    out
}

fn allowed(baseline: f64, rule: &Rule) -> f64 {
    let sign = match rule.worse {
        Worse::Higher => 1.0,
        Worse::Lower => -1.0,
    };
    match rule.tolerance {
        Tolerance::Relative(r) => baseline + sign * r * baseline.abs(),
        Tolerance::Absolute(a) => baseline + sign * a,
    }
}

/// Machine and server differences between the runs: the CPU count, the
/// OS, and each backend's recorded environment (server version and the
/// settings that change the answer), leaving out the per-run namespace.
pub fn environment_warnings(base: &RunSummary, cur: &RunSummary) -> Vec<String> {
    let (a, b) = (&base.environment, &cur.environment);
    let mut w = Vec::new();
    if a.cpu_count != b.cpu_count {
        w.push(format!(
            "CPU count differs: {} in the baseline, {} now",
            a.cpu_count, b.cpu_count
        ));
    }
    if a.os != b.os || a.arch != b.arch {
        w.push(format!(
            "OS differs: {} {} in the baseline, {} {} now",
            a.os, a.arch, b.os, b.arch
        ));
    }
    for (name, then) in &a.backends {
        let Some(now) = b.backends.get(name) else {
            continue;
        };
        let (Some(then), Some(now)) = (then.as_object(), now.as_object()) else {
            continue;
        };
        for (key, was) in then {
            let is = now.get(key).unwrap_or(&serde_json::Value::Null);
            if is != was && !differs_every_run(key, was, is) {
                w.push(format!(
                    "{name}: environment `{key}` differs: {was} in the baseline, {is} now"
                ));
            }
        }
    }
    w
}

/// Environment keys that name the run itself (its namespace, its session
/// names, a private server's socket in its own temporary directory): they
/// differ between any two runs and say nothing about the setup.
fn differs_every_run(key: &str, was: &serde_json::Value, is: &serde_json::Value) -> bool {
    let private_socket =
        |v: &serde_json::Value| v.as_str().is_some_and(|s| s.contains("/atpsim-redis-"));
    match key {
        "namespace" | "run_id" | "application_name" | "client_name" => true,
        "url" => private_socket(was) && private_socket(is),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
