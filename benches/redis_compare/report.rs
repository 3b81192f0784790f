//! The report: medians of the rounds, the per-round rows, the summary table
//! with the ratio atpsim (dedicated) / redis-benchmark and the multiplexed
//! runs beside it, and the `RESULT {json}` line for scripts.
//!
//! Invariant: the ratio uses the dedicated runs only; a ratio below the
//! target is printed as `BELOW`, never turned into a failure.

use crate::harness::AtpsimSample;
use crate::rbench::RbenchSample;
use crate::{Args, RATIO_TARGET};

use crate::common::{self, median, thousands};

/// The rounds of one client count.
pub(crate) struct Level {
    pub(crate) clients: u32,
    /// redis-benchmark's `-n` at this C.
    pub(crate) requests: u64,
    pub(crate) atpsim: Vec<AtpsimSample>,
    pub(crate) rbench: Vec<RbenchSample>,
    pub(crate) multiplexed: Vec<AtpsimSample>,
}

fn orders(samples: &[AtpsimSample]) -> Vec<f64> {
    samples.iter().map(|s| s.orders_per_s).collect()
}

impl Level {
    fn atpsim_median(&self) -> f64 {
        median(&orders(&self.atpsim))
    }

    fn multiplexed_median(&self) -> f64 {
        median(&orders(&self.multiplexed))
    }

    fn rbench_median(&self) -> f64 {
        median(&self.rbench.iter().map(|s| s.rps).collect::<Vec<_>>())
    }

    fn ratio(&self) -> f64 {
        self.atpsim_median() / self.rbench_median()
    }
}

pub(crate) fn report(args: &Args, levels: &[Level]) {
    println!();
    println!(
        "{:>3}  {:>5}  {:>12}  {:>8}  {:>8}  {:>10}  {:>8}  {:>8}  {:>6}  {:>12}  {:>8}",
        "C",
        "round",
        "dedic ord/s",
        "p50 us",
        "p99 us",
        "r-b rps",
        "p50 us",
        "p99 us",
        "ratio",
        "multi ord/s",
        "p50 us"
    );
    for level in levels {
        let rows = level
            .atpsim
            .iter()
            .zip(&level.rbench)
            .zip(&level.multiplexed);
        for (i, ((a, r), m)) in rows.enumerate() {
            println!(
                "{:>3}  {:>5}  {:>12}  {:>8.0}  {:>8.0}  {:>10}  {:>8.0}  {:>8.0}  {:>6.3}  {:>12}  {:>8.0}",
                level.clients,
                i + 1,
                thousands(a.orders_per_s),
                a.latency_p50_us,
                a.latency_p99_us,
                thousands(r.rps),
                r.p50_ms * 1000.0,
                r.p99_ms * 1000.0,
                a.orders_per_s / r.rps,
                thousands(m.orders_per_s),
                m.latency_p50_us
            );
        }
    }
    println!();
    println!(
        "{:>3}  {:>16}  {:>14}  {:>12}  {:>12}  {:>16}  {:>10}",
        "C", "dedic med ord/s", "r-b med rps", "r-b -n", "atpsim/r-b", "multi med ord/s", "target"
    );
    let mut results = Vec::new();
    for level in levels {
        let ratio = level.ratio();
        let met = ratio >= RATIO_TARGET;
        println!(
            "{:>3}  {:>16}  {:>14}  {:>12}  {:>12.3}  {:>16}  {:>10}",
            level.clients,
            thousands(level.atpsim_median()),
            thousands(level.rbench_median()),
            thousands(level.requests as f64),
            ratio,
            thousands(level.multiplexed_median()),
            format!(">= {RATIO_TARGET}: {}", if met { "met" } else { "BELOW" })
        );
        let round = |v: Vec<f64>| v.into_iter().map(f64::round).collect::<Vec<_>>();
        results.push(serde_json::json!({
            "clients": level.clients,
            "requests": level.requests,
            "atpsim_orders_per_s": level.atpsim_median().round(),
            "redis_benchmark_rps": level.rbench_median().round(),
            "ratio": (ratio * 1000.0).round() / 1000.0,
            "met": met,
            "multiplexed_orders_per_s": level.multiplexed_median().round(),
            "atpsim_rounds": round(orders(&level.atpsim)),
            "redis_benchmark_rounds": round(level.rbench.iter().map(|s| s.rps).collect()),
            "multiplexed_rounds": round(orders(&level.multiplexed)),
        }));
    }
    let all_met = levels.iter().all(|l| l.ratio() >= RATIO_TARGET);
    common::verdict(
        args,
        RATIO_TARGET,
        "atpsim (dedicated) / redis-benchmark",
        all_met,
        results,
    );
}
