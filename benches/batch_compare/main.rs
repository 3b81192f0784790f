//! Batching comparison: `postgres-batch` against the database's own limit
//! for settling k units per row-lock acquisition, and against
//! `postgres-atomic` and `postgres-sharded` on the same hot SKU.
//!
//! For each client count C, R rounds of four measurements of the same length:
//!
//! - atpsim `postgres-batch`, `postgres-atomic` and `postgres-sharded`: one
//!   closed-loop phase of C clients on one SKU whose stock never runs out,
//!   one unit per order, through `atpsim::runner::run_backend` on a
//!   two-worker tokio runtime; throughput is granted orders per second.
//! - pgbench: `pgbench -n -M prepared -c B -j B -T secs -f script`, B being
//!   the connections `postgres-batch` holds (one per SKU's queue server: 1
//!   here), the script `atomic.sql` reserving k units per transaction, k the
//!   median batch `postgres-batch` reached in the same round
//!   (`batches.size_p50`). The limit is pgbench's tps × k: units per second
//!   the row takes when every lock acquisition settles k of them.
//!
//! Each round runs batch, pgbench, atomic, sharded in odd rounds and
//! pgbench, batch, sharded, atomic in even ones (pgbench then uses the k of
//! the round before), so slow drifts of the server hit every side.
//!
//! Invariant: a ratio below its target is reported, not fatal; only a
//! broken measurement exits non-zero, and a missing server or `pgbench`
//! skips unless services are required (as the other comparisons).
//!
//! `cargo bench --bench batch_compare` (full) or
//! `cargo bench --bench batch_compare -- --quick` (smoke); see benches/README.md.

// Shared with the other comparisons, which use parts this one does not.
#[allow(dead_code)]
#[path = "../compare/common.rs"]
mod common;
#[allow(dead_code)]
#[path = "../compare/harness.rs"]
mod harness;
mod measure;
#[allow(dead_code)]
#[path = "../pgbench_compare/pgbench.rs"]
mod pgbench;
#[path = "../pgbench_compare/services.rs"]
mod services;
#[path = "../pgbench_compare/session.rs"]
mod session;

use common::{median, thousands, Args, Defaults};
use harness::AtpsimSample;
use pgbench::PgbenchSample;
use std::process::ExitCode;

/// Worker threads of the runtime the harness runs on.
const WORKER_THREADS: usize = 2;
/// postgres-batch orders/s over pgbench's tps × k.
const LIMIT_TARGET: f64 = 0.7;
/// postgres-batch orders/s over postgres-atomic's.
const ATOMIC_TARGET: f64 = 10.0;

const DEFAULTS: Defaults = Defaults {
    name: "batch_compare",
    full_secs: 15,
    secs_note: "",
    full_clients: &[64],
    quick_clients: &[8],
};

fn main() -> ExitCode {
    common::main(&DEFAULTS, measure::bench, |args, levels| {
        report(args, levels)
    })
}

/// One round's pgbench run and the k it reserved per transaction.
struct Limit {
    sample: PgbenchSample,
    k: u64,
    clients: u32,
}

impl Limit {
    fn units_per_s(&self) -> f64 {
        self.sample.tps * self.k as f64
    }
}

/// The rounds of one client count.
struct Level {
    clients: u32,
    batch: Vec<AtpsimSample>,
    limit: Vec<Limit>,
    atomic: Vec<AtpsimSample>,
    sharded: Vec<AtpsimSample>,
}

fn med(samples: &[AtpsimSample], f: impl Fn(&AtpsimSample) -> f64) -> f64 {
    median(&samples.iter().map(f).collect::<Vec<_>>())
}

impl Level {
    fn limit_median(&self) -> f64 {
        median(
            &self
                .limit
                .iter()
                .map(Limit::units_per_s)
                .collect::<Vec<_>>(),
        )
    }
    fn throughput(samples: &[AtpsimSample]) -> f64 {
        med(samples, |s| s.orders_per_s)
    }
    fn p99(samples: &[AtpsimSample]) -> f64 {
        med(samples, |s| s.latency_p99_us)
    }
}

fn report(args: &Args, levels: &[Level]) {
    println!();
    println!(
        "{:>3}  {:>5}  {:>12}  {:>9}  {:>4}  {:>3}  {:>11}  {:>12}  {:>12}  {:>9}  {:>12}  {:>9}",
        "C",
        "round",
        "batch ord/s",
        "p99 us",
        "k",
        "B",
        "pgbench tps",
        "limit u/s",
        "atomic ord/s",
        "p99 us",
        "sharded o/s",
        "p99 us"
    );
    for level in levels {
        for (i, (((b, l), a), s)) in level
            .batch
            .iter()
            .zip(&level.limit)
            .zip(&level.atomic)
            .zip(&level.sharded)
            .enumerate()
        {
            println!(
                "{:>3}  {:>5}  {:>12}  {:>9.0}  {:>4}  {:>3}  {:>11}  {:>12}  {:>12}  {:>9.0}  {:>12}  {:>9.0}",
                level.clients,
                i + 1,
                thousands(b.orders_per_s),
                b.latency_p99_us,
                l.k,
                l.clients,
                thousands(l.sample.tps),
                thousands(l.units_per_s()),
                thousands(a.orders_per_s),
                a.latency_p99_us,
                thousands(s.orders_per_s),
                s.latency_p99_us
            );
        }
    }
    println!();
    let mut results = Vec::new();
    let mut all_met = true;
    for level in levels {
        let batch = Level::throughput(&level.batch);
        let limit = level.limit_median();
        let atomic = Level::throughput(&level.atomic);
        let sharded = Level::throughput(&level.sharded);
        let (batch_p99, atomic_p99) = (Level::p99(&level.batch), Level::p99(&level.atomic));
        let of_limit = batch / limit;
        let of_atomic = batch / atomic;
        let mark = |met: bool| if met { "met" } else { "BELOW" };
        let limit_met = of_limit >= LIMIT_TARGET;
        let atomic_met = of_atomic >= ATOMIC_TARGET;
        let p99_met = batch_p99 <= atomic_p99;
        all_met &= limit_met && atomic_met && p99_met;
        println!(
            "C = {} (medians of {} round(s)):",
            level.clients,
            level.batch.len()
        );
        println!(
            "  postgres-batch / pgbench limit     {:>8.3}   ({} / {} units/s)   target >= {LIMIT_TARGET}: {}",
            of_limit,
            thousands(batch),
            thousands(limit),
            mark(limit_met)
        );
        println!(
            "  postgres-batch / postgres-atomic   {:>8.2}   ({} / {} orders/s)   target >= {ATOMIC_TARGET}: {}",
            of_atomic,
            thousands(batch),
            thousands(atomic),
            mark(atomic_met)
        );
        println!(
            "  p99 batch vs atomic                {:>8.0} us vs {:.0} us   target no worse: {}",
            batch_p99,
            atomic_p99,
            mark(p99_met)
        );
        println!(
            "  postgres-batch / postgres-sharded  {:>8.2}   ({} / {} orders/s, sharded p99 {:.0} us)",
            batch / sharded,
            thousands(batch),
            thousands(sharded),
            Level::p99(&level.sharded)
        );
        let r3 = |x: f64| (x * 1000.0).round() / 1000.0;
        results.push(serde_json::json!({
            "clients": level.clients,
            "batch_orders_per_s": batch.round(),
            "batch_p99_us": batch_p99.round(),
            "k": level.limit.iter().map(|l| l.k).collect::<Vec<_>>(),
            "pgbench_clients": level.limit.first().map(|l| l.clients),
            "limit_units_per_s": limit.round(),
            "atomic_orders_per_s": atomic.round(),
            "atomic_p99_us": atomic_p99.round(),
            "sharded_orders_per_s": sharded.round(),
            "sharded_p99_us": Level::p99(&level.sharded).round(),
            "batch_over_limit": r3(of_limit),
            "batch_over_atomic": r3(of_atomic),
            "batch_over_sharded": r3(batch / sharded),
            "limit_met": limit_met,
            "atomic_met": atomic_met,
            "p99_met": p99_met,
        }));
    }
    println!();
    println!(
        "targets (batch >= {LIMIT_TARGET}x the limit, >= {ATOMIC_TARGET}x atomic, p99 no worse, 0 oversold): {}",
        if all_met {
            "met"
        } else {
            "BELOW (a measurement, not a failure)"
        }
    );
    let result = serde_json::json!({
        "mode": if args.quick { "quick" } else { "full" },
        "rounds": args.rounds,
        "secs": args.secs,
        "all_met": all_met,
        "levels": results,
    });
    println!("RESULT {result}");
}
