//! `--repeat N`: the key figures of each repetition (`repeats[]` in
//! `run.json`), their spread, and the choice of the worst repetition per
//! threshold.
//!
//! Invariant: a threshold on repeated runs reports the repetition that
//! fails it, and among several the one whose value is worst in the
//! metric's schema direction, so one bad run in N is never averaged away.

use super::catalogue::{self, Worse};
use super::Verdict;
use crate::summary::BackendSummary;
use serde_json::{json, Map, Value};

/// Figures kept for every repetition, beside those the thresholds name.
pub const KEY_FIGURES: [&str; 10] = [
    "units.oversold",
    "units.oversold_possible",
    "units.lost_updates",
    "units.undersold",
    "orders.error",
    "orders.unknown",
    "latency_us.p99",
    "peak.latency_us.p99",
    "windows.max.latency_us.p99",
    "throughput_per_s",
];

/// One `repeats[]` entry: repetition `repeat` (from 0) of one backend.
pub fn figures(
    repeat: usize,
    b: &BackendSummary,
    min_window_orders: u64,
    extra: &[String],
) -> Value {
    let record = serde_json::to_value(b).unwrap_or_default();
    let mut figures = Map::new();
    for path in KEY_FIGURES
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
    {
        if let Some(m) = catalogue::get(path).filter(|m| m.kind != catalogue::Kind::Boolean) {
            let v = super::eval::scalar(m, &record, min_window_orders);
            figures.insert(path.to_string(), v.map_or(Value::Null, |v| json!(v)));
        }
    }
    json!({
        "repeat": repeat,
        "backend": b.name,
        "aborted": b.aborted,
        "cut_short": b.cut_short,
        "figures": figures,
    })
}

/// Of one threshold's verdicts over the repetitions, the one to report: a
/// failing one before a passing one, then the worst value.
pub fn worst(mut verdicts: Vec<Verdict>, worse: Option<Worse>) -> Option<Verdict> {
    let value = |v: &Verdict| v.measured.as_f64().unwrap_or(0.0);
    let sign = match worse {
        Some(Worse::Lower) => -1.0,
        _ => 1.0,
    };
    verdicts.sort_by(|a, b| {
        a.passed
            .cmp(&b.passed)
            .then((sign * value(b)).total_cmp(&(sign * value(a))))
    });
    verdicts.into_iter().next()
}

/// Per backend and figure, the smallest, median and largest value over the
/// repetitions; empty without `--repeat`.
pub fn spread(repeats: &[Value]) -> String {
    // A repetition an interrupt cut short covers part of the scenario: its
    // figures would skew the spread, so it is left out.
    let whole = |r: &&Value| r["cut_short"] != true;
    let repetitions = repeats
        .iter()
        .filter(whole)
        .filter_map(|r| r["repeat"].as_u64())
        .max()
        .map_or(0, |m| m + 1);
    if repetitions < 2 {
        return String::new();
    }
    let mut out = format!("\nspread over {repetitions} repetitions (min / median / max):\n");
    if let Some(cut) = repeats.iter().find(|r| r["cut_short"] == true) {
        out.push_str(&format!(
            "  (repetition {} was cut short by the interrupt and is left out)\n",
            cut["repeat"].as_u64().unwrap_or(0) + 1
        ));
    }
    let mut backends: Vec<&str> = Vec::new();
    for r in repeats {
        if let Some(name) = r["backend"].as_str() {
            if !backends.contains(&name) {
                backends.push(name);
            }
        }
    }
    for name in backends {
        let mine: Vec<&Value> = repeats
            .iter()
            .filter(whole)
            .filter(|r| r["backend"] == name)
            .collect();
        let mut cells = Vec::new();
        for path in KEY_FIGURES {
            let mut values: Vec<f64> = mine
                .iter()
                .filter_map(|r| r["figures"][path].as_f64())
                .collect();
            if values.is_empty() {
                continue;
            }
            values.sort_by(f64::total_cmp);
            let show = |v: f64| match catalogue::get(path).map(|m| m.unit) {
                Some(catalogue::Unit::Microseconds) => crate::report::human_us(v),
                _ if v.fract() == 0.0 => format!("{v:.0}"),
                _ => format!("{v:.1}"),
            };
            let (lo, mid, hi) = (values[0], median(&values), values[values.len() - 1]);
            cells.push(format!(
                "{path} {} / {} / {}",
                show(lo),
                show(mid),
                show(hi)
            ));
        }
        out.push_str(&format!("  {name}: {}\n", cells.join(", ")));
    }
    out
}

/// The median of sorted `values` (not empty): the mean of the middle two
/// when there is an even number of them.
fn median(values: &[f64]) -> f64 {
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::{eval::Measured, expr};

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[31.0, 32.0]), 31.5);
        assert_eq!(median(&[1.0, 2.0, 9.0]), 2.0);
        assert_eq!(median(&[1.0, 2.0, 4.0, 9.0]), 3.0);
    }

    fn verdict(text: &str, measured: f64, passed: bool, repeat: usize) -> Verdict {
        let check = expr::parse(text).unwrap();
        let m = Measured {
            value: Some(expr::Limit::Number(measured)),
            passed,
            reason: None,
            window: None,
        };
        let mut v = Verdict::new(&check, "b", m);
        v.repeat = Some(repeat);
        v
    }

    #[test]
    fn the_worst_repetition_decides() {
        // Oversell: higher is worse; one failing run in three fails the gate.
        let pick = worst(
            vec![
                verdict("units.oversold == 0", 0.0, true, 0),
                verdict("units.oversold == 0", 2.0, false, 1),
                verdict("units.oversold == 0", 5.0, false, 2),
            ],
            Some(Worse::Higher),
        )
        .unwrap();
        assert_eq!((pick.repeat, pick.passed), (Some(2), false));
        // Throughput: lower is worse.
        let pick = worst(
            vec![
                verdict("throughput_per_s > 10", 300.0, true, 0),
                verdict("throughput_per_s > 10", 100.0, true, 1),
                verdict("throughput_per_s > 10", 200.0, true, 2),
            ],
            Some(Worse::Lower),
        )
        .unwrap();
        assert_eq!(pick.repeat, Some(1));
        // A failure beats a worse-looking pass (a check against the direction).
        let pick = worst(
            vec![
                verdict("latency_us.p99 > 1ms", 5000.0, true, 0),
                verdict("latency_us.p99 > 1ms", 500.0, false, 1),
            ],
            Some(Worse::Higher),
        )
        .unwrap();
        assert_eq!(pick.repeat, Some(1));
        assert!(worst(Vec::new(), None).is_none());
    }

    #[test]
    fn the_spread_gives_min_median_and_max() {
        let repeats: Vec<Value> = [3.0, 1.0, 2.0]
            .iter()
            .enumerate()
            .map(|(k, v)| json!({"repeat": k, "backend": "b", "aborted": false, "figures": {"units.oversold": v}}))
            .collect();
        let text = spread(&repeats);
        assert!(text.contains("spread over 3 repetitions"), "{text}");
        assert!(text.contains("b: units.oversold 1 / 2 / 3"), "{text}");
        assert_eq!(spread(&repeats[..1]), "");
    }

    #[test]
    fn a_repetition_cut_short_is_left_out_of_the_spread() {
        let mut repeats: Vec<Value> = [3.0, 1.0, 2.0]
            .iter()
            .enumerate()
            .map(|(k, v)| json!({"repeat": k, "backend": "b", "aborted": false, "cut_short": false, "figures": {"units.oversold": v}}))
            .collect();
        repeats.push(json!({"repeat": 3, "backend": "b", "aborted": false, "cut_short": true, "figures": {"units.oversold": 90.0}}));
        let text = spread(&repeats);
        assert!(text.contains("spread over 3 repetitions"), "{text}");
        assert!(text.contains("repetition 4 was cut short"), "{text}");
        assert!(text.contains("b: units.oversold 1 / 2 / 3"), "{text}");
    }
}
