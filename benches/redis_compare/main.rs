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

#[path = "../compare/common.rs"]
mod common;
#[path = "../compare/harness.rs"]
mod harness;
mod measure;
mod rbench;
mod report;
mod services;

pub(crate) use common::thousands;

use common::{Args, Defaults};
use report::{report, Level};
use std::process::ExitCode;

/// Worker threads of the runtime the harness runs on.
pub(crate) const WORKER_THREADS: usize = 2;
/// atpsim (dedicated) orders/s over redis-benchmark rps, at every C.
pub(crate) const RATIO_TARGET: f64 = 0.9;
/// The SKU's stock: never runs out, and below the validator's 2^53 − 1.
pub(crate) const STOCK: u64 = 9_000_000_000_000_000;

const DEFAULTS: Defaults = Defaults {
    name: "redis_compare",
    full_secs: 15,
    secs_note: ";\n                  redis-benchmark gets -n sized to about as long",
    full_clients: common::FULL_CLIENTS,
    quick_clients: common::QUICK_CLIENTS,
};

fn main() -> ExitCode {
    common::main(&DEFAULTS, measure::bench, |args, levels| {
        report(args, levels)
    })
}
