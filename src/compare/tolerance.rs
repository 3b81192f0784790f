//! `--max-regression METRIC=TOLERANCE`: how much worse than the baseline a
//! metric may get, relative (`10%`) or absolute in the metric's unit (`5ms`,
//! `3`), and the defaults that apply without the option.
//!
//! Invariant: every rule names a numeric metric with a worse direction in
//! the schema, so "worse" is never guessed.

use crate::gate::catalogue::{self, Kind, Metric, Scope, Worse};
use crate::gate::expr::{self, Limit};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tolerance {
    /// A share of the baseline value.
    Relative(f64),
    /// In the metric's own unit.
    Absolute(f64),
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub metric: &'static Metric,
    pub worse: Worse,
    pub tolerance: Tolerance,
}

/// Short names for the figures compared by default.
const SHORT: [(&str, &str); 5] = [
    ("oversold", "units.oversold"),
    ("lost_updates", "units.lost_updates"),
    ("p99", "latency_us.p99"),
    ("peak_p99", "peak.latency_us.p99"),
    ("throughput", "throughput_per_s"),
];

/// Oversell and lost updates may not grow at all; latency and throughput
/// may move by 20%, run-to-run noise on a shared machine.
pub fn defaults() -> Vec<Rule> {
    SHORT
        .iter()
        .map(|(_, path)| {
            let tolerance = if path.starts_with("units.") {
                Tolerance::Absolute(0.0)
            } else {
                Tolerance::Relative(0.2)
            };
            rule(path, tolerance).expect("the default metrics are in the schema")
        })
        .collect()
}

fn rule(path: &str, tolerance: Tolerance) -> Result<Rule, String> {
    let metric = catalogue::get(path).ok_or_else(|| expr::unknown_metric(path))?;
    if metric.kind == Kind::Boolean || metric.scope == Scope::EveryWindow {
        return Err(format!(
            "`{path}` has no single value to compare; name a number such as `latency_us.p99` or `windows.max.latency_us.p99`"
        ));
    }
    let worse = metric.worse.ok_or_else(|| {
        format!("`{path}` has no worse direction in the schema, so it cannot regress")
    })?;
    Ok(Rule {
        metric,
        worse,
        tolerance,
    })
}

/// The default rules with `args` applied: each replaces the default for
/// its metric or adds one.
pub fn rules(args: &[String]) -> Result<Vec<Rule>, String> {
    let mut rules = defaults();
    for arg in args {
        let r = parse(arg).map_err(|e| format!("--max-regression {arg:?}: {e}"))?;
        match rules.iter_mut().find(|x| x.metric.path == r.metric.path) {
            Some(existing) => *existing = r,
            None => rules.push(r),
        }
    }
    Ok(rules)
}

/// `METRIC=TOLERANCE`, METRIC a path or a short name (`p99`, `oversold`, …).
pub fn parse(arg: &str) -> Result<Rule, String> {
    let (name, value) = arg.split_once('=').ok_or_else(|| {
        "expected METRIC=TOLERANCE, e.g. p99=10% or peak.latency_us.p99=5ms".to_string()
    })?;
    let (name, value) = (name.trim(), value.trim());
    let path = SHORT
        .iter()
        .find(|(short, _)| *short == name)
        .map_or(name, |(_, path)| path);
    // The metric first: a tolerance means nothing on a figure that cannot regress.
    rule(path, Tolerance::Absolute(0.0))?;
    if let Some(percent) = value.strip_suffix('%') {
        let share: f64 = percent
            .trim()
            .parse()
            .ok()
            .filter(|p: &f64| p.is_finite() && *p >= 0.0)
            .ok_or_else(|| format!("{value:?} is not a percentage of 0% or more"))?;
        return rule(path, Tolerance::Relative(share / 100.0));
    }
    // An absolute tolerance reads like a threshold's limit, units and all.
    let check = expr::parse(&format!("{path} <= {value}")).map_err(|e| e.message)?;
    match check.limit {
        Limit::Number(n) if n >= 0.0 => rule(path, Tolerance::Absolute(n)),
        _ => Err(format!("{value:?} is not a tolerance of 0 or more")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_paths_relative_and_absolute() {
        let r = parse("p99=10%").unwrap();
        assert_eq!(
            (r.metric.path.as_str(), r.tolerance),
            ("latency_us.p99", Tolerance::Relative(0.1))
        );
        let r = parse("peak.latency_us.p99=5ms").unwrap();
        assert_eq!(r.tolerance, Tolerance::Absolute(5000.0));
        let r = parse("throughput=15%").unwrap();
        assert_eq!(
            (r.worse, r.tolerance),
            (Worse::Lower, Tolerance::Relative(0.15))
        );
        assert_eq!(
            parse("oversold=3").unwrap().tolerance,
            Tolerance::Absolute(3.0)
        );
        assert_eq!(
            parse("windows.max.latency_us.p99=1ms")
                .unwrap()
                .metric
                .scope,
            Scope::WindowsMax
        );
    }

    #[test]
    fn bad_tolerances_say_why() {
        for (arg, needle) in [
            ("p99", "METRIC=TOLERANCE"),
            ("p99=-5%", "0% or more"),
            ("p99=lots", "not a number"),
            ("units.oversould=0", "did you mean `units.oversold`"),
            ("units.stock=0", "no worse direction"),
            ("harness_saturated=0", "no single value"),
            ("oversold=-1", "0 or more"),
        ] {
            let e = parse(arg).unwrap_err();
            assert!(e.contains(needle), "{arg}: {e}");
        }
    }

    #[test]
    fn an_option_replaces_its_default() {
        let rules = rules(&["p99=50%".into(), "units.phantom=0".into()]).unwrap();
        assert_eq!(rules.len(), defaults().len() + 1);
        let p99 = rules
            .iter()
            .find(|r| r.metric.path == "latency_us.p99")
            .unwrap();
        assert_eq!(p99.tolerance, Tolerance::Relative(0.5));
    }
}
