//! A baseline comparison as threshold verdicts (scope `baseline`), so a
//! regression reaches every place CI reads a verdict: `run.json`
//! `thresholds[]`, JUnit, `summary.md`, `report.html` and the terminal.
//!
//! Invariant: a row passes exactly when the comparison did not count it a
//! regression; a backend missing from the current run is a failing verdict.

use super::{Comparison, Row};
use crate::gate::catalogue::{Unit, Worse};
use crate::gate::Verdict;
use serde_json::Value;

pub fn verdicts(c: &Comparison, baseline_run: &str) -> Vec<Verdict> {
    let mut out: Vec<Verdict> = c.rows.iter().map(|r| row(r, baseline_run)).collect();
    out.extend(c.missing.iter().map(|name| Verdict {
        expression: format!("present, as in baseline {baseline_run}"),
        backend: name.clone(),
        scope: "baseline".into(),
        metric: "name".into(),
        operator: "==".into(),
        limit: Value::Bool(true),
        unit: "boolean".into(),
        measured: Value::Bool(false),
        window: None,
        repeat: None,
        passed: false,
        reason: Some("in the baseline, missing from this run".into()),
    }));
    out
}

fn row(r: &Row, baseline_run: &str) -> Verdict {
    let operator = match r.worse {
        Worse::Higher => "<=",
        Worse::Lower => ">=",
    };
    let unit = match r.unit {
        Unit::Plain => "count",
        Unit::Ratio => "fraction",
        Unit::Microseconds => "microseconds",
        Unit::Milliseconds => "milliseconds",
    };
    let number = |v: Option<f64>| v.map_or(Value::Null, |n| serde_json::json!(n));
    let reason = match (r.regressed, r.baseline, r.current) {
        (true, Some(b), Some(_)) => Some(format!(
            "regressed against the baseline's {} (allowed {})",
            crate::gate::show(&serde_json::json!(b), unit),
            crate::gate::show(&number(r.allowed), unit)
        )),
        (true, Some(_), None) => Some("measured in the baseline, not in this run".into()),
        _ => None,
    };
    Verdict {
        expression: format!("{} within baseline {baseline_run}", r.metric),
        backend: r.backend.clone(),
        scope: "baseline".into(),
        metric: r.metric.clone(),
        operator: operator.into(),
        // No baseline value: nothing to hold it to, and nothing regressed.
        limit: number(r.allowed.or(r.current))
            .as_f64()
            .map_or(Value::from(0), Value::from),
        unit: unit.into(),
        measured: number(r.current),
        window: None,
        repeat: None,
        passed: !r.regressed,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_of(current: Option<f64>, regressed: bool) -> Row {
        Row {
            backend: "b".into(),
            metric: "units.oversold".into(),
            unit: Unit::Plain,
            baseline: Some(3.0),
            current,
            allowed: Some(3.0),
            worse: Worse::Higher,
            regressed,
        }
    }

    #[test]
    fn regressions_fail_and_missing_backends_fail() {
        let c = Comparison {
            rows: vec![row_of(Some(3.0), false), row_of(Some(9.0), true)],
            missing: vec!["gone".into()],
            warnings: vec![],
        };
        let v = verdicts(&c, "r1");
        assert_eq!(v.len(), 3);
        assert!(v[0].passed && v[0].operator == "<=" && v[0].scope == "baseline");
        assert!(!v[1].passed);
        assert_eq!(v[1].measured, serde_json::json!(9.0));
        assert!(v[1].reason.as_deref().unwrap().contains("3"));
        assert!(!v[2].passed && v[2].backend == "gone");
    }
}
