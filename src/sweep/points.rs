//! The points of a sweep: the command-line list, checked, and the scenario
//! with one point applied.
//!
//! Invariant: a point scenario is what the validator would have accepted —
//! every limit it enforces on the values a point changes (concurrency and
//! clients ≤ `MAX_CONCURRENCY`, every open-loop phase sending at least one
//! order, at most `MAX_ORDERS` orders) is checked here again, so the runner
//! never sees a scenario the validator would have refused.

use crate::scenario::{expected_orders, Scenario, Shape, MAX_CONCURRENCY, MAX_ORDERS};
use serde::{Deserialize, Serialize};

/// At most this many points in one sweep: each one runs every backend.
pub const MAX_POINTS: usize = 64;

/// The knob a sweep turns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    /// The client pool (`concurrency`) and every closed phase's `clients`.
    Concurrency,
    /// The offered load of every open-loop phase with a rate.
    Rate,
}

impl Axis {
    pub fn flag(self) -> &'static str {
        match self {
            Axis::Concurrency => "--concurrency",
            Axis::Rate => "--rate",
        }
    }

    /// The axis in a sentence: "knee at rate 8000".
    pub fn name(self) -> &'static str {
        match self {
            Axis::Concurrency => "concurrency",
            Axis::Rate => "rate",
        }
    }

    /// The axis label of tables and charts, with its unit.
    pub fn label(self) -> &'static str {
        match self {
            Axis::Concurrency => "concurrency",
            Axis::Rate => "rate (orders/s)",
        }
    }

    /// A point as JSON: a concurrency is an integer, a rate a number.
    pub fn json(self, value: f64) -> serde_json::Value {
        match self {
            Axis::Concurrency => serde_json::Value::from(value as u64),
            Axis::Rate => serde_json::Value::from(value),
        }
    }

    /// A point as the tables print it.
    pub fn show(self, value: f64) -> String {
        match self {
            Axis::Concurrency => format!("{}", value as u64),
            Axis::Rate => format!("{value}"),
        }
    }
}

/// Parse `--concurrency 1,4,16` or `--rate 100,500`: every item positive and
/// within the validator's limits, none listed twice. The points come back
/// sorted ascending, since the knee compares each point with the one below.
pub fn parse(axis: Axis, text: &str) -> Result<Vec<f64>, String> {
    let flag = axis.flag();
    let mut values = Vec::new();
    for item in text.split(',') {
        let item = item.trim();
        if item.is_empty() {
            return Err(format!(
                "{flag} {text}: an empty item; give a comma-separated list such as {}",
                example(axis)
            ));
        }
        values.push(parse_one(axis, item).map_err(|why| format!("{flag} {text}: {why}"))?);
    }
    if values.len() > MAX_POINTS {
        return Err(format!(
            "{flag}: {} points, more than the {MAX_POINTS} a sweep runs; split it into several sweeps",
            values.len()
        ));
    }
    values.sort_by(f64::total_cmp);
    if let Some(w) = values.windows(2).find(|w| w[0] == w[1]) {
        return Err(format!(
            "{flag} {text}: {} is listed twice; each point runs once",
            axis.show(w[0])
        ));
    }
    Ok(values)
}

fn example(axis: Axis) -> &'static str {
    match axis {
        Axis::Concurrency => "1,4,16,64,256",
        Axis::Rate => "100,500,1000",
    }
}

fn parse_one(axis: Axis, item: &str) -> Result<f64, String> {
    match axis {
        Axis::Concurrency => {
            let n: u64 = item
                .parse()
                .map_err(|_| format!("`{item}` is not a whole number of clients"))?;
            if n == 0 || n > u64::from(MAX_CONCURRENCY) {
                return Err(format!(
                    "{n} is outside 1..={MAX_CONCURRENCY}, the clients a scenario may have"
                ));
            }
            Ok(n as f64)
        }
        Axis::Rate => {
            let r: f64 = item
                .parse()
                .map_err(|_| format!("`{item}` is not a number of orders per second"))?;
            if !r.is_finite() || r <= 0.0 {
                return Err(format!(
                    "{item} must be a finite number of orders per second, above 0"
                ));
            }
            Ok(r)
        }
    }
}

/// Refuse a sweep whose flag finds nothing to set in the scenario.
pub fn check_applicable(scenario: &Scenario, axis: Axis) -> Result<(), String> {
    if axis == Axis::Rate && !scenario.phases.iter().any(|p| has_rate(&p.shape)) {
        return Err(format!(
            "--rate: scenario {} has no phase with a rate (constant, poisson or ramp), so there is \
             no offered load to set; sweep closed-loop phases with --concurrency",
            scenario.name
        ));
    }
    Ok(())
}

fn has_rate(shape: &Shape) -> bool {
    matches!(
        shape,
        Shape::Constant { .. } | Shape::Poisson { .. } | Shape::Ramp { .. }
    )
}

/// The scenario at one point.
///
/// Concurrency `c`: the client pool is `c` and every closed phase has `c`
/// clients. Rate `r`: every constant and poisson phase runs at `r` orders/s
/// and every ramp is scaled so that its peak (the larger of `from` and `to`)
/// is `r`, keeping its shape; instant and spread phases (a number of orders,
/// not a rate) and closed phases are left as they are.
pub fn apply(scenario: &Scenario, axis: Axis, value: f64) -> Result<Scenario, String> {
    let mut s = scenario.clone();
    match axis {
        Axis::Concurrency => {
            s.concurrency = value as u32;
            for p in &mut s.phases {
                if let Shape::Closed { clients, .. } = &mut p.shape {
                    *clients = value as u32;
                }
            }
        }
        Axis::Rate => {
            for p in &mut s.phases {
                match &mut p.shape {
                    Shape::Constant { rate, .. } | Shape::Poisson { rate, .. } => *rate = value,
                    Shape::Ramp { from, to, .. } => {
                        let scale = value / from.max(*to);
                        *from *= scale;
                        *to *= scale;
                    }
                    Shape::Instant { .. } | Shape::Spread { .. } | Shape::Closed { .. } => {}
                }
            }
        }
    }
    check_point(&s, axis, value)?;
    Ok(s)
}

/// The validator's limits on what a point changed.
fn check_point(s: &Scenario, axis: Axis, value: f64) -> Result<(), String> {
    let at = format!("{} {}", axis.flag(), axis.show(value));
    let closed: u64 = s
        .phases
        .iter()
        .filter_map(|p| match p.shape {
            Shape::Closed { clients, .. } => Some(u64::from(clients)),
            _ => None,
        })
        .sum();
    if closed > u64::from(MAX_CONCURRENCY) {
        return Err(format!(
            "{at}: the closed phases would have {closed} clients together, above {MAX_CONCURRENCY}"
        ));
    }
    let mut total = 0.0;
    for p in &s.phases {
        let Some(n) = expected_orders(&p.shape) else {
            continue;
        };
        if n < 1.0 {
            return Err(format!(
                "{at}: phase {} would send no orders at this rate over its duration; raise the lowest point",
                p.name
            ));
        }
        total += n;
    }
    if total > MAX_ORDERS as f64 {
        return Err(format!(
            "{at}: the scenario would have {total:.0} orders, above the limit of {MAX_ORDERS}; lower the highest point"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario(phases: &str) -> Scenario {
        let text = format!(
            "name = \"t\"\nseed = 1\nconcurrency = 8\n[[sku]]\nid = \"A\"\nstock = 10\n{phases}\n[[backend]]\nkind = \"memory-atomic\"\n"
        );
        crate::scenario::parse(&text, Path::new("t.toml")).unwrap_or_else(|e| panic!("{e}"))
    }

    const CLOSED: &str =
        "[[phase]]\nname = \"c\"\nkind = \"closed\"\nclients = 2\nduration = \"1s\"\n";
    const OPEN: &str =
        "[[phase]]\nname = \"k\"\nkind = \"constant\"\nrate = 100\nduration = \"1s\"\n\
        [[phase]]\nname = \"r\"\nkind = \"ramp\"\nfrom = 10\nto = 50\nduration = \"1s\"\n\
        [[phase]]\nname = \"i\"\nkind = \"instant\"\norders = 5\n";

    #[test]
    fn lists_are_sorted_and_checked() {
        assert_eq!(
            parse(Axis::Concurrency, "16, 1,4").unwrap(),
            vec![1.0, 4.0, 16.0]
        );
        assert_eq!(parse(Axis::Rate, "2.5,100").unwrap(), vec![2.5, 100.0]);
        for bad in ["", "1,,4", "0", "-1", "1.5", "x", "10001", "4,4"] {
            let e = parse(Axis::Concurrency, bad).unwrap_err();
            assert!(e.starts_with("--concurrency"), "{bad}: {e}");
        }
        for bad in ["0", "-5", "inf", "NaN", "fast"] {
            let e = parse(Axis::Rate, bad).unwrap_err();
            assert!(e.starts_with("--rate"), "{bad}: {e}");
        }
        let many = (1..=65)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",");
        assert!(parse(Axis::Concurrency, &many).is_err());
    }

    #[test]
    fn a_concurrency_point_sets_the_pool_and_every_closed_phase() {
        let s = scenario(&format!("{CLOSED}{}", CLOSED.replace("\"c\"", "\"d\"")));
        let p = apply(&s, Axis::Concurrency, 64.0).unwrap();
        assert_eq!(p.concurrency, 64);
        for phase in &p.phases {
            assert!(matches!(phase.shape, Shape::Closed { clients: 64, .. }));
        }
        let e = apply(&s, Axis::Concurrency, 6000.0).unwrap_err();
        assert!(e.contains("12000 clients"), "{e}");
    }

    #[test]
    fn a_rate_point_sets_rates_scales_ramps_to_their_peak_and_leaves_counts() {
        let s = scenario(OPEN);
        let p = apply(&s, Axis::Rate, 200.0).unwrap();
        assert!(matches!(p.phases[0].shape, Shape::Constant { rate, .. } if rate == 200.0));
        match p.phases[1].shape {
            Shape::Ramp { from, to, .. } => assert_eq!((from, to), (40.0, 200.0)),
            ref other => panic!("{other:?}"),
        }
        assert!(matches!(p.phases[2].shape, Shape::Instant { orders: 5 }));
        assert_eq!(p.concurrency, s.concurrency);
        // 0.5 orders/s over 1 s rounds down to no orders: refused, named.
        let e = apply(&s, Axis::Rate, 0.5).unwrap_err();
        assert!(e.starts_with("--rate 0.5") && e.contains("phase k"), "{e}");
        let e = apply(&s, Axis::Rate, 2e9).unwrap_err();
        assert!(e.contains("above the limit"), "{e}");
    }

    #[test]
    fn rate_needs_a_phase_with_a_rate() {
        let e = check_applicable(&scenario(CLOSED), Axis::Rate).unwrap_err();
        assert!(
            e.starts_with("--rate") && e.contains("no phase with a rate"),
            "{e}"
        );
        check_applicable(&scenario(CLOSED), Axis::Concurrency).unwrap();
        check_applicable(&scenario(OPEN), Axis::Rate).unwrap();
    }
}
