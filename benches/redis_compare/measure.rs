//! The measurement: connect to the server, create the bench's stock hash,
//! run the rounds at each client count with the sides alternating, and
//! delete the bench's keys again.
//!
//! Invariant: atpsim (dedicated) and redis-benchmark alternate (A B, B A,
//! …) so neither always goes first; the multiplexed run follows each pair
//! and is not part of the ratio; the keys are deleted whatever the rounds
//! did, a panic included.

use crate::harness::{closed_scenario, run_atpsim, toml_string};
use crate::rbench::{connect, run_rbench, BenchKeys};
use crate::services::{redis_benchmark_version, server_answers, server_url, Stopped};
use crate::STOCK;
use crate::{thousands, Args, Level, WORKER_THREADS};
use atpsim::plan::Plan;
use std::time::Instant;
use tokio::runtime::Runtime;

/// The whole measurement; the levels to report, once the keys are deleted.
pub(crate) fn bench(args: &Args) -> Result<Vec<Level>, Stopped> {
    let url = server_url();
    let shown = atpsim::redact::url(&url);
    let mode = if args.quick { "quick" } else { "full" };
    let clients_list = args
        .clients
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "redis_compare ({mode}): redis-lua vs redis-benchmark EVALSHA, clients {clients_list}, \
         {} round(s) of ~{} s each side, atpsim timeout {} s, order ids {}",
        args.rounds,
        args.secs,
        args.timeout_secs,
        args.order_ids_text()
    );
    if args.smoke {
        println!(
            "smoke run under cargo test (debug build): checks that both sides run and \
             their counts add up; the figures are not measurements"
        );
    }
    let version = redis_benchmark_version()?;
    if !server_answers(&url) {
        return Err(Stopped::Missing(format!("no Redis at {shown}")));
    }
    // The server is there: failing to connect is a broken setup, not a skip.
    let mut conn = connect(&url)
        .map_err(|e| Stopped::Broken(format!("cannot connect to Redis at {shown}: {e}")))?;
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query(&mut conn)
        .map_err(|e| Stopped::Broken(format!("INFO on {shown}: {e}")))?;
    let server_version = info
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .unwrap_or("unknown")
        .trim()
        .to_string();
    println!("server: {shown} (redis_version {server_version})");
    println!("client: {version}; atpsim on {WORKER_THREADS} tokio worker threads");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKER_THREADS)
        .enable_all()
        .build()
        .map_err(|e| Stopped::Broken(format!("cannot build the tokio runtime: {e}")))?;
    let mut keys = BenchKeys::create(&mut conn)?;
    println!(
        "redis-benchmark: {} (run {}, marker {})",
        keys.call(args.order_ids).join(" "),
        keys.run_id,
        keys.meta
    );
    println!();
    // Measure, then delete the keys whatever happened (a panic included).
    let measured = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        measure(args, &runtime, &mut conn, &mut keys, &url)
    }));
    keys.remove(&mut conn);
    match measured {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

fn measure(
    args: &Args,
    runtime: &Runtime,
    conn: &mut redis::Connection,
    keys: &mut BenchKeys,
    url: &str,
) -> Result<Vec<Level>, Stopped> {
    let broken = Stopped::Broken;
    let started = Instant::now();
    let mut levels = Vec::with_capacity(args.clients.len());
    for &clients in &args.clients {
        let scenario = |connection: &str| {
            let backend = format!(
                "kind = \"redis-lua\"\nurl = {}\nconnection = \"{connection}\"\norder_ids = {}",
                toml_string(url),
                args.order_ids
            );
            closed_scenario(
                "redis-compare",
                STOCK,
                &backend,
                clients,
                args.secs,
                args.timeout_secs,
            )
            .map_err(broken)
        };
        let dedicated = scenario("dedicated")?;
        let multiplexed = scenario("multiplexed")?;
        let dedicated_plan = Plan::measure(&dedicated);
        let multiplexed_plan = Plan::measure(&multiplexed);
        // redis-benchmark runs a number of requests, not a time: size it from
        // a short calibration run to last about as long as atpsim's side.
        let calibration = if args.quick { 2_000 } else { 20_000 };
        let probe = run_rbench(conn, keys, url, clients, calibration, args.order_ids)?;
        let requests = ((probe.rps * args.secs as f64).round() as u64).max(1_000);
        eprintln!(
            "  C={clients} calibration: {} rps over {calibration} requests; -n {requests}",
            thousands(probe.rps)
        );
        let mut level = Level {
            clients,
            requests,
            atpsim: Vec::with_capacity(args.rounds),
            rbench: Vec::with_capacity(args.rounds),
            multiplexed: Vec::with_capacity(args.rounds),
        };
        for round in 0..args.rounds {
            // A B, B A, A B, …: neither side always goes first; then M.
            let order: [u8; 3] = if round % 2 == 0 { [0, 1, 2] } else { [1, 0, 2] };
            for side in order {
                let started = Instant::now();
                let line = match side {
                    0 | 2 => {
                        let (scenario, plan, name) = if side == 0 {
                            (&dedicated, &dedicated_plan, "atpsim dedicated")
                        } else {
                            (&multiplexed, &multiplexed_plan, "atpsim multiplexed")
                        };
                        let s = run_atpsim(runtime, scenario, plan)?;
                        let line = format!(
                            "{name} {} orders/s ({} granted in {:.1} s)",
                            thousands(s.orders_per_s),
                            s.granted,
                            s.duration_ms / 1000.0
                        );
                        if side == 0 {
                            &mut level.atpsim
                        } else {
                            &mut level.multiplexed
                        }
                        .push(s);
                        line
                    }
                    _ => {
                        let s = run_rbench(conn, keys, url, clients, requests, args.order_ids)?;
                        let line = format!(
                            "redis-benchmark {} rps ({} requests, reserved checked)",
                            thousands(s.rps),
                            s.requests
                        );
                        level.rbench.push(s);
                        line
                    }
                };
                eprintln!(
                    "  C={clients} round {}: {line}; {:.1} s with setup and teardown",
                    round + 1,
                    started.elapsed().as_secs_f64()
                );
            }
        }
        levels.push(level);
    }
    eprintln!("  measured in {:.0} s", started.elapsed().as_secs_f64());
    Ok(levels)
}
