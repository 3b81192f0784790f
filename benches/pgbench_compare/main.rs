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

mod harness;
mod measure;
mod pgbench;
mod services;

use harness::AtpsimSample;
use pgbench::PgbenchSample;
use services::{services_required, Stopped};
use std::process::ExitCode;

const FULL_CLIENTS: &[u32] = &[1, 16, 64];
const QUICK_CLIENTS: &[u32] = &[1, 4];
const FULL_ROUNDS: usize = 3;
const QUICK_ROUNDS: usize = 1;
const FULL_SECS: u64 = 30;
const QUICK_SECS: u64 = 2;
/// Worker threads of the runtime the harness runs on; pgbench gets as many
/// threads (`-j`), or C when fewer.
const WORKER_THREADS: usize = 2;
/// Per attempt. One row under 64 clients answers in tens of milliseconds;
/// an attempt near this is a stuck server, not a measurement.
const FULL_TIMEOUT_SECS: u64 = 10;
/// The quick mode's few clients answer in milliseconds; a short timeout
/// keeps a stuck server from stalling the smoke run.
const QUICK_TIMEOUT_SECS: u64 = 2;
/// atpsim orders/s over pgbench tps, at every C.
const RATIO_TARGET: f64 = 0.9;

struct Args {
    quick: bool,
    /// Run by `cargo test`, not `cargo bench`: a smoke run, not a measurement.
    smoke: bool,
    clients: Vec<u32>,
    rounds: usize,
    secs: u64,
    timeout_secs: u64,
}

const USAGE: &str = "usage: pgbench_compare [--quick] [--rounds R] [--secs S] [--clients C,C,...]
  --quick         smoke mode: clients 1 and 4, 1 round, 2 s each side
  --rounds R      rounds per client count; the median is reported (default 3, or 1 with --quick)
  --secs S        seconds of each measurement, both sides (default 30, or 2 with --quick)
  --clients LIST  client counts, comma-separated, 1 to 64 (default 1,16,64, or 1,4 with --quick)";

fn parse_args() -> Result<Args, String> {
    let mut quick = false;
    let mut under_cargo_bench = false;
    let mut clients = None;
    let mut rounds = None;
    let mut secs = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut text = |name: &str| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args.next().ok_or(format!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "--quick" => quick = true,
            "--rounds" => rounds = Some(whole("--rounds", &text("--rounds")?, 1, 100)? as usize),
            "--secs" => secs = Some(whole("--secs", &text("--secs")?, 1, 3600)?),
            "--clients" => {
                let list = text("--clients")?;
                let parsed = list
                    .split(',')
                    .map(|c| whole("--clients", c.trim(), 1, 64).map(|n| n as u32))
                    .collect::<Result<Vec<_>, _>>()?;
                clients = Some(parsed);
            }
            // `cargo bench` passes `--bench` to every bench binary.
            "--bench" => under_cargo_bench = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    // Without `--bench` the binary runs under `cargo test --all-targets`:
    // a smoke run that proves the benchmark works, not a measurement.
    let quick = quick || !under_cargo_bench;
    Ok(Args {
        quick,
        smoke: !under_cargo_bench,
        clients: clients
            .unwrap_or_else(|| if quick { QUICK_CLIENTS } else { FULL_CLIENTS }.to_vec()),
        rounds: rounds.unwrap_or(if quick { QUICK_ROUNDS } else { FULL_ROUNDS }),
        secs: secs.unwrap_or(if quick { QUICK_SECS } else { FULL_SECS }),
        timeout_secs: if quick {
            QUICK_TIMEOUT_SECS
        } else {
            FULL_TIMEOUT_SECS
        },
    })
}

fn whole(name: &str, text: &str, min: u64, max: u64) -> Result<u64, String> {
    let n: u64 = text
        .replace('_', "")
        .parse()
        .map_err(|_| format!("{name}: `{text}` is not a whole number"))?;
    if !(min..=max).contains(&n) {
        return Err(format!("{name} must be {min} to {max}; got {n}"));
    }
    Ok(n)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if e.is_empty() {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match measure::bench(&args) {
        Ok(levels) => {
            report(&args, &levels);
            ExitCode::SUCCESS
        }
        Err(Stopped::Missing(why)) => match services_required() {
            Some(setting) => {
                eprintln!("error: {why}, and {setting} makes a missing service a failure");
                ExitCode::FAILURE
            }
            None => {
                println!("skipped: {why}");
                ExitCode::SUCCESS
            }
        },
        Err(Stopped::Broken(why)) => {
            eprintln!("error: {why}");
            ExitCode::FAILURE
        }
    }
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// 1234567.8 → "1,234,568".
fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x);
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", digits.as_str()),
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
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
    println!();
    println!(
        "target atpsim/pgbench >= {RATIO_TARGET} at every C: {}",
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
        "ratio_target": RATIO_TARGET,
        "all_met": all_met,
        "levels": results,
    });
    println!("RESULT {result}");
}
