//! One threshold's result on one backend, as `run.json` lists it under
//! `thresholds[]` and the terminal shows it.
//!
//! Invariant: `passed` is false whenever `measured` is null.

use super::catalogue::{Scope, Unit};
use super::eval::Measured;
use super::expr::{Check, Limit};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// The expression as written.
    pub expression: String,
    pub backend: String,
    pub scope: String,
    /// The compared figure: a path, or `a / b`.
    pub metric: String,
    pub operator: String,
    /// The limit in `unit` (latencies in microseconds, shares as fractions).
    pub limit: serde_json::Value,
    pub unit: String,
    /// What was measured, in `unit`; null when nothing could be.
    pub measured: serde_json::Value,
    /// The window the measured value comes from, for window scopes.
    pub window: Option<u64>,
    /// With `--repeat`, the repetition (from 0) the verdict comes from: the
    /// one that fails, or has the worst value; null otherwise.
    pub repeat: Option<usize>,
    pub passed: bool,
    /// Why it failed when the value alone does not say (invalid for gating,
    /// no window with enough orders); null otherwise.
    pub reason: Option<String>,
}

impl Verdict {
    pub fn new(check: &Check, backend: &str, m: Measured) -> Self {
        let scope = match check.scope() {
            Scope::Run => "run",
            Scope::Peak => "peak",
            Scope::Worst => "worst",
            Scope::WindowsMax => "windows.max",
            Scope::WindowsMin => "windows.min",
            Scope::EveryWindow => "every window",
        };
        let unit = match (check.unit, check.metric.kind) {
            (_, super::catalogue::Kind::Boolean) => "boolean",
            (Unit::Plain, _) => "count",
            (Unit::Ratio, _) => "fraction",
            (Unit::Microseconds, _) => "microseconds",
            (Unit::Milliseconds, _) => "milliseconds",
        };
        Verdict {
            expression: check.text.clone(),
            backend: backend.to_string(),
            scope: scope.to_string(),
            metric: check.subject(),
            operator: check.op.as_str().to_string(),
            limit: limit_json(check.limit),
            unit: unit.to_string(),
            measured: m.value.map_or(serde_json::Value::Null, limit_json),
            window: m.window,
            repeat: None,
            passed: m.passed && m.value.is_some(),
            reason: m.reason,
        }
    }

    /// The measured value in the unit a reader takes in at a glance.
    pub fn shown(&self) -> String {
        show(&self.measured, &self.unit)
    }
}

/// The verdicts recorded in `run.thresholds` (those this version wrote).
pub fn recorded(run: &crate::summary::RunSummary) -> Vec<Verdict> {
    run.thresholds
        .iter()
        .filter_map(|v| serde_json::from_value(v.clone()).ok())
        .collect()
}

fn limit_json(l: Limit) -> serde_json::Value {
    match l {
        Limit::Number(n) => serde_json::json!(n),
        Limit::Bool(b) => serde_json::Value::Bool(b),
    }
}

/// A value in `unit` as a reader takes it in: latencies with their unit,
/// shares as percentages, other figures to one decimal.
pub fn show(v: &serde_json::Value, unit: &str) -> String {
    let Some(n) = v.as_f64() else {
        return if v.is_null() {
            "—".into()
        } else {
            v.to_string()
        };
    };
    match unit {
        "microseconds" => crate::report::human_us(n),
        "milliseconds" => crate::report::human_us(n * 1000.0),
        "fraction" => format!("{:.3}%", n * 100.0),
        _ if n.fract() == 0.0 && n.abs() < 1e15 => format!("{n:.0}"),
        _ => format!("{n:.1}"),
    }
}

/// The terminal's threshold section: one line per verdict, failures saying why.
pub fn render(verdicts: &[Verdict]) -> String {
    if verdicts.is_empty() {
        return String::new();
    }
    let failed = verdicts.iter().filter(|v| !v.passed).count();
    let mut out = format!(
        "\nthresholds: {} passed, {failed} failed\n",
        verdicts.len() - failed
    );
    let name_width = verdicts
        .iter()
        .map(|v| v.backend.chars().count())
        .max()
        .unwrap_or(0);
    let expr_width = verdicts
        .iter()
        .map(|v| v.expression.chars().count())
        .max()
        .unwrap_or(0);
    for v in verdicts {
        let mut line = format!(
            "  {}  {:<name_width$}  {:<expr_width$}  measured {}",
            if v.passed { "pass" } else { "FAIL" },
            v.backend,
            v.expression,
            v.shown()
        );
        if let Some(w) = v.window {
            line.push_str(&format!(" (window {w})"));
        }
        if let Some(k) = v.repeat {
            line.push_str(&format!(" (repeat {})", k + 1));
        }
        if let Some(r) = &v.reason {
            line.push_str(&format!(": {r}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
