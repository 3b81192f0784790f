//! atpsim's side of a peer comparison: a closed-loop scenario built in the
//! bench, and one run of the crate's runner on it.
//!
//! Invariant: the one SKU's stock never runs out, so every order must be
//! granted; anything else (sold out, conflict, error, unknown, oversold, an
//! aborted run) is a broken measurement, not a figure.

use super::common::Stopped;
use atpsim::plan::Plan;
use atpsim::runner::{run_backend, RunOptions, Stop};
use atpsim::scenario::{self, Scenario};
use std::path::Path;
use tokio::runtime::Runtime;
use tokio::sync::watch;

/// `url` as a TOML basic string, properly escaped.
pub(crate) fn toml_string(url: &str) -> String {
    toml::Value::String(url.to_string()).to_string()
}

/// One closed loop of `clients` clients for `secs` on one SKU of `stock`
/// (more than the run can sell), against the `[[backend]]` table `backend`.
pub(crate) fn closed_scenario(
    name: &str,
    stock: u64,
    backend: &str,
    clients: u32,
    secs: u64,
    timeout_secs: u64,
) -> Result<Scenario, String> {
    let text = format!(
        r#"name = "{name}"
seed = 1
timeout = "{timeout_secs}s"
retries = 0

[[sku]]
id = "HOT"
stock = {stock}

[[phase]]
kind = "closed"
clients = {clients}
duration = "{secs}s"
skus = {{ pick = "one", sku = "HOT" }}
quantity = {{ fixed = 1 }}

[[backend]]
{backend}
"#
    );
    scenario::parse(&text, Path::new(&format!("benches/{name}.toml")))
        .map_err(|e| format!("bench scenario does not validate: {e}"))
}

/// One atpsim measurement.
pub(crate) struct AtpsimSample {
    pub(crate) orders_per_s: f64,
    pub(crate) granted: u64,
    pub(crate) duration_ms: f64,
    pub(crate) latency_p50_us: f64,
    pub(crate) latency_p99_us: f64,
    /// The median batch of a batching backend (`batches.size_p50`).
    // Only `batch_compare` reads it; the other benches include this file too.
    #[allow(dead_code)]
    pub(crate) batch_p50: Option<u64>,
    /// Connections the backend's pool held (`environment.pool`), where it says.
    #[allow(dead_code)]
    pub(crate) pool: Option<u64>,
}

pub(crate) fn run_atpsim(
    runtime: &Runtime,
    scenario: &Scenario,
    plan: &Plan,
) -> Result<AtpsimSample, Stopped> {
    let run = runtime.block_on(async {
        // The sender stays alive for the whole run: a dropped sender is not a stop.
        let (_stop_tx, stop) = watch::channel(Stop::Run);
        let options = RunOptions::quiet(stop);
        run_backend(scenario, plan, &scenario.backends[0], 0, &options).await
    });
    let run = run.map_err(|e| Stopped::Broken(format!("atpsim could not set up: {e}")))?;
    let s = &run.summary;
    if s.aborted {
        return Err(Stopped::Broken(format!(
            "atpsim run aborted: {}",
            s.abort_reason.as_deref().unwrap_or("no reason given")
        )));
    }
    let o = &s.orders;
    if o.granted == 0 || o.granted != o.offered || o.oversold != 0 {
        return Err(Stopped::Broken(format!(
            "atpsim: of {} orders {} were granted (sold_out {}, conflict {}, error {}, \
             unknown {}, oversold {}); with stock that never runs out every order \
             should be granted",
            o.offered, o.granted, o.sold_out, o.conflict, o.error, o.unknown, o.oversold
        )));
    }
    Ok(AtpsimSample {
        orders_per_s: s.throughput_per_s,
        granted: o.granted,
        duration_ms: s.duration_ms,
        latency_p50_us: s.latency_us.p50,
        latency_p99_us: s.latency_us.p99,
        batch_p50: s.batches.as_ref().map(|b| b.size_p50),
        pool: run.environment["pool"].as_u64(),
    })
}
