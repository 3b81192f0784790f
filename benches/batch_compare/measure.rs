//! The rounds: at each client count, postgres-batch, pgbench with its k,
//! postgres-atomic and postgres-sharded, in alternating order.
//!
//! Invariant: pgbench always runs with the k and the connection count of a
//! postgres-batch run already measured, so the limit it gives is the one for
//! the batches atpsim really formed.

use crate::harness::{closed_scenario, run_atpsim, toml_string, AtpsimSample};
use crate::pgbench::{libpq_env, pgbench_script, run_pgbench, script_file, Pgbench, PgbenchTable};
use crate::services::Stopped;
use crate::session::with_pgbench_table;
use crate::{thousands, Args, Level, Limit};
use atpsim::plan::Plan;
use atpsim::scenario::Scenario;
use sqlx::postgres::PgPool;
use std::time::Instant;
use tokio::runtime::Runtime;

pub(crate) fn bench(args: &Args) -> Result<Vec<Level>, Stopped> {
    let mode = if args.quick { "quick" } else { "full" };
    let clients_list = args
        .clients
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let header = format!(
        "batch_compare ({mode}): postgres-batch vs pgbench's k-unit limit, postgres-atomic \
         and postgres-sharded; clients {clients_list}, {} round(s) of {} s each, atpsim \
         timeout {} s",
        args.rounds, args.secs, args.timeout_secs
    );
    with_pgbench_table(&header, args.smoke, |runtime, admin, table, url| {
        println!();
        measure(args, runtime, admin, table, url)
    })
}

/// The three atpsim backends, as `[[backend]]` bodies.
const KINDS: [&str; 3] = ["postgres-batch", "postgres-atomic", "postgres-sharded"];

fn measure(
    args: &Args,
    runtime: &Runtime,
    admin: &PgPool,
    table: &PgbenchTable,
    url: &str,
) -> Result<Vec<Level>, Stopped> {
    let started = Instant::now();
    let mut levels = Vec::with_capacity(args.clients.len());
    for &clients in &args.clients {
        let runs: Vec<(Scenario, Plan)> = KINDS
            .iter()
            .map(|kind| {
                let scenario = closed_scenario(
                    "batch-compare",
                    atpsim::scenario::MAX_UNITS,
                    &format!("kind = \"{kind}\"\nurl = {}", toml_string(url)),
                    clients,
                    args.secs,
                    args.timeout_secs,
                )
                .map_err(Stopped::Broken)?;
                let plan = Plan::measure(&scenario);
                Ok((scenario, plan))
            })
            .collect::<Result<_, Stopped>>()?;
        let mut level = Level {
            clients,
            batch: Vec::new(),
            limit: Vec::new(),
            atomic: Vec::new(),
            sharded: Vec::new(),
        };
        let mut last_batch: Option<(u64, u32)> = None;
        for round in 0..args.rounds {
            // Odd rounds: batch, pgbench, atomic, sharded; even: the reverse
            // order, pgbench using the k of the round before.
            let order: [usize; 4] = if round % 2 == 0 {
                [0, 3, 1, 2]
            } else {
                [3, 0, 2, 1]
            };
            for side in order {
                let started = Instant::now();
                let line = if side == 3 {
                    let (k, connections) = last_batch.expect("a batch run came first");
                    let limit = limit(runtime, admin, table, url, args, k, connections)?;
                    let line = format!(
                        "pgbench -c {connections}, k = {k}: {} tps = {} units/s",
                        thousands(limit.sample.tps),
                        thousands(limit.units_per_s())
                    );
                    level.limit.push(limit);
                    line
                } else {
                    let (scenario, plan) = &runs[side];
                    let s = run_atpsim(runtime, scenario, plan)?;
                    let line = format!(
                        "{} {} orders/s, p99 {:.0} us",
                        KINDS[side],
                        thousands(s.orders_per_s),
                        s.latency_p99_us
                    );
                    if side == 0 {
                        last_batch = Some(batch_shape(&s)?);
                    }
                    [&mut level.batch, &mut level.atomic, &mut level.sharded][side].push(s);
                    line
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

/// The median batch and the pool size of a postgres-batch run.
fn batch_shape(s: &AtpsimSample) -> Result<(u64, u32), Stopped> {
    match (s.batch_p50, s.pool) {
        (Some(k), Some(pool)) if k > 0 && pool > 0 => Ok((k, pool as u32)),
        _ => Err(Stopped::Broken(format!(
            "postgres-batch reported no batches or no pool size (batch p50 {:?}, pool {:?})",
            s.batch_p50, s.pool
        ))),
    }
}

/// pgbench with `connections` clients reserving `k` units per transaction.
fn limit(
    runtime: &Runtime,
    admin: &PgPool,
    table: &PgbenchTable,
    url: &str,
    args: &Args,
    k: u64,
    connections: u32,
) -> Result<Limit, Stopped> {
    let broken = Stopped::Broken;
    let text = pgbench_script(table, k, false).map_err(broken)?;
    let script = script_file(&text).map_err(broken)?;
    let env = libpq_env(url, &format!("atpsim-pgbench-{}", table.run_id)).map_err(broken)?;
    let pgbench = Pgbench {
        script: script.path(),
        env: &env,
        qty: k,
        ids: false,
    };
    let sample = run_pgbench(runtime, admin, table, &pgbench, connections, args.secs)?;
    Ok(Limit {
        sample,
        k,
        clients: connections,
    })
}
