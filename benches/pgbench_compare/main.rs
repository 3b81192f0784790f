//! pgbench comparison: the `postgres-atomic` backend through the whole
//! harness against pgbench running the same UPDATE, on the same server.
//!
//! For each client count C, R rounds of two measurements of the same length:
//!
//! - atpsim: one closed-loop phase of C clients on one SKU whose stock never
//!   runs out (2^53 − 1, the most the validator allows), one unit per order,
//!   run by `atpsim::runner::run_backend` on a two-worker tokio runtime.
//!   Throughput is granted orders per second (`throughput_per_s`).
//! - pgbench: `pgbench -n -M prepared -c C -j min(C,2) -T secs -f script`,
//!   the script being `backends/postgres/atomic.sql` with `\set` variables
//!   for the quantity (1) and the SKU (0), against a one-row table of the
//!   same columns and stock that this binary creates (`atpsim_pgbench_<id>`)
//!   and drops at the end. Throughput is pgbench's "tps = N (without initial
//!   connection time)".
//!
//! The two sides alternate (A B, B A, A B, …) so slow drifts of the server
//! hit both; medians are reported with the ratio atpsim / pgbench.
//!
//! This file holds the arguments, `main`, the medians and the report table;
//! `services` decides whether there is anything to measure against,
//! `measure` runs the rounds, `harness` the atpsim side, `pgbench` the other.
//!
//! Invariant: a ratio below the target is reported, not fatal. Only a broken
//! measurement (an aborted run, orders not granted, pgbench failing or not
//! updating the row) makes the binary exit non-zero; a missing server or
//! `pgbench` binary skips, unless `ATPSIM_REQUIRE_SERVICES=1` or `CI=true`.
//!
//! `cargo bench --bench pgbench_compare` (full) or
//! `cargo bench --bench pgbench_compare -- --quick` (smoke); see benches/README.md.

#[path = "../compare/common.rs"]
mod common;
#[path = "../compare/harness.rs"]
mod harness;
mod measure;
mod pgbench;
mod services;
mod session;

use common::{median, thousands, Args, Defaults};
use harness::AtpsimSample;
use pgbench::PgbenchSample;
use std::process::ExitCode;

/// Worker threads of the runtime the harness runs on; pgbench gets as many
/// threads (`-j`), or C when fewer.
const WORKER_THREADS: usize = 2;
/// atpsim orders/s over pgbench tps, at every C.
const RATIO_TARGET: f64 = 0.9;

const DEFAULTS: Defaults = Defaults {
    name: "pgbench_compare",
    full_secs: 30,
    secs_note: "",
    full_clients: common::FULL_CLIENTS,
    quick_clients: common::QUICK_CLIENTS,
};

fn main() -> ExitCode {
    common::main(&DEFAULTS, measure::bench, |args, levels| {
        report(args, levels)
    })
}

/// The rounds of one client count.
struct Level {
    clients: u32,
    atpsim: Vec<AtpsimSample>,
    pgbench: Vec<PgbenchSample>,
}

impl Level {
    fn atpsim_median(&self) -> f64 {
        median(
            &self
                .atpsim
                .iter()
                .map(|s| s.orders_per_s)
                .collect::<Vec<_>>(),
        )
    }

    fn pgbench_median(&self) -> f64 {
        median(&self.pgbench.iter().map(|s| s.tps).collect::<Vec<_>>())
    }

    fn ratio(&self) -> f64 {
        self.atpsim_median() / self.pgbench_median()
    }
}

fn report(args: &Args, levels: &[Level]) {
    println!();
    println!(
        "{:>3}  {:>5}  {:>13}  {:>10}  {:>10}  {:>12}  {:>10}  {:>6}",
        "C", "round", "atpsim ord/s", "p50 us", "p99 us", "pgbench tps", "avg ms", "ratio"
    );
    for level in levels {
        for (i, (a, p)) in level.atpsim.iter().zip(&level.pgbench).enumerate() {
            println!(
                "{:>3}  {:>5}  {:>13}  {:>10.0}  {:>10.0}  {:>12}  {:>10.3}  {:>6.3}",
                level.clients,
                i + 1,
                thousands(a.orders_per_s),
                a.latency_p50_us,
                a.latency_p99_us,
                thousands(p.tps),
                p.latency_avg_ms,
                a.orders_per_s / p.tps
            );
        }
    }
    println!();
    println!(
        "{:>3}  {:>18}  {:>17}  {:>16}  {:>10}",
        "C", "atpsim med ord/s", "pgbench med tps", "atpsim/pgbench", "target"
    );
    let mut results = Vec::new();
    for level in levels {
        let ratio = level.ratio();
        let met = ratio >= RATIO_TARGET;
        println!(
            "{:>3}  {:>18}  {:>17}  {:>16.3}  {:>10}",
            level.clients,
            thousands(level.atpsim_median()),
            thousands(level.pgbench_median()),
            ratio,
            format!(">= {RATIO_TARGET}: {}", if met { "met" } else { "BELOW" })
        );
        results.push(serde_json::json!({
            "clients": level.clients,
            "atpsim_orders_per_s": level.atpsim_median().round(),
            "pgbench_tps": level.pgbench_median().round(),
            "ratio": (ratio * 1000.0).round() / 1000.0,
            "met": met,
            "atpsim_rounds": level.atpsim.iter().map(|s| s.orders_per_s.round()).collect::<Vec<_>>(),
            "pgbench_rounds": level.pgbench.iter().map(|s| s.tps.round()).collect::<Vec<_>>(),
        }));
    }
    let all_met = levels.iter().all(|l| l.ratio() >= RATIO_TARGET);
    common::verdict(args, RATIO_TARGET, "atpsim/pgbench", all_met, results);
}
