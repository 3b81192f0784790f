//! redis-benchmark comparison: the `redis-lua` backend through the whole
//! harness against redis-benchmark running the same script, by EVALSHA, on
//! the same server.
//!
//! For each client count C, R rounds of three measurements of about the
//! same length:
//!
//! - atpsim (dedicated): one closed-loop phase of C clients on one SKU whose
//!   stock never runs out (9,000,000,000,000,000), one unit per order,
//!   `connection = "dedicated"` (one connection per client), run by
//!   `atpsim::runner::run_backend` on a two-worker tokio runtime.
//!   Throughput is granted orders per second (`throughput_per_s`).
//! - redis-benchmark: `redis-benchmark -u URL -c C -n N -q --csv EVALSHA
//!   <sha> 1 atpsim:<id>:sku:0 1`, the sha being `backends/redis/reserve.lua`
//!   loaded by `SCRIPT LOAD`, against a stock hash of the same fields and
//!   stock that this binary creates and deletes at the end. N is sized from
//!   a short calibration run to last about as long as atpsim's side.
//! - atpsim (multiplexed): as the first, with `connection = "multiplexed"`;
//!   reported beside, not part of the ratio.
//!
//! atpsim and redis-benchmark alternate (A B, B A, A B, …), the multiplexed
//! run follows; medians are reported with the ratio atpsim / redis-benchmark.
//!
//! This file holds the arguments and `main`; `services` decides whether
//! there is anything to measure against, `measure` runs the rounds,
//! `harness` the atpsim side, `rbench` the other, `report` the tables.
//!
//! Invariant: a ratio below the target is reported, not fatal. Only a broken
//! measurement (an aborted run, orders not granted, redis-benchmark failing
//! or not reserving once per request) makes the binary exit non-zero; a
//! missing server or `redis-benchmark` binary skips, unless
//! `ATPSIM_REQUIRE_SERVICES=1` or `CI=true`.
//!
//! `cargo bench --bench redis_compare` (full) or
//! `cargo bench --bench redis_compare -- --quick` (smoke); see benches/README.md.

mod harness;
mod measure;
mod rbench;
mod report;
mod services;

pub(crate) use report::thousands;

use report::{report, Level};
use services::{services_required, Stopped};
use std::process::ExitCode;

const FULL_CLIENTS: &[u32] = &[1, 16, 64];
const QUICK_CLIENTS: &[u32] = &[1, 4];
const FULL_ROUNDS: usize = 3;
const QUICK_ROUNDS: usize = 1;
const FULL_SECS: u64 = 15;
const QUICK_SECS: u64 = 2;
/// Worker threads of the runtime the harness runs on.
pub(crate) const WORKER_THREADS: usize = 2;
/// Per attempt. One script under 64 clients answers in milliseconds; an
/// attempt near this is a stuck server, not a measurement.
const FULL_TIMEOUT_SECS: u64 = 10;
/// The quick mode's few clients answer in milliseconds; a short timeout
/// keeps a stuck server from stalling the smoke run.
const QUICK_TIMEOUT_SECS: u64 = 2;
/// atpsim (dedicated) orders/s over redis-benchmark rps, at every C.
pub(crate) const RATIO_TARGET: f64 = 0.9;
/// The SKU's stock: never runs out, and below the validator's 2^53 − 1.
pub(crate) const STOCK: u64 = 9_000_000_000_000_000;

pub(crate) struct Args {
    pub(crate) quick: bool,
    /// Run by `cargo test`, not `cargo bench`: a smoke run, not a measurement.
    pub(crate) smoke: bool,
    pub(crate) clients: Vec<u32>,
    pub(crate) rounds: usize,
    pub(crate) secs: u64,
    pub(crate) timeout_secs: u64,
}

const USAGE: &str = "usage: redis_compare [--quick] [--rounds R] [--secs S] [--clients C,C,...]
  --quick         smoke mode: clients 1 and 4, 1 round, 2 s each side
  --rounds R      rounds per client count; the median is reported (default 3, or 1 with --quick)
  --secs S        seconds of each measurement, both sides (default 15, or 2 with --quick);
                  redis-benchmark gets -n sized to about as long
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
