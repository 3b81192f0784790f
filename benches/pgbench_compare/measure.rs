//! The measurement: connect to the server, create pgbench's table, run the
//! rounds at each client count with the two sides alternating, and drop the
//! table again.
//!
//! Invariant: the sides alternate (A B, B A, A B, …) so neither always goes
//! first, and the table is dropped whatever the rounds did, a panic
//! included.

use crate::harness::{closed_scenario, run_atpsim, toml_string};
use crate::pgbench::{libpq_env, pgbench_script, run_pgbench, script_file, Pgbench, PgbenchTable};
use crate::services::Stopped;
use crate::session::with_pgbench_table;
use crate::{thousands, Args, Level};
use atpsim::plan::Plan;
use sqlx::postgres::PgPool;
use std::time::Instant;
use tokio::runtime::Runtime;

/// The whole measurement; the levels to report, once the table is dropped.
pub(crate) fn bench(args: &Args) -> Result<Vec<Level>, Stopped> {
    let mode = if args.quick { "quick" } else { "full" };
    let clients_list = args
        .clients
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let header = format!(
        "pgbench_compare ({mode}): postgres-atomic vs pgbench, clients {clients_list}, \
         {} round(s) of {} s each side, atpsim timeout {} s, order ids {}",
        args.rounds,
        args.secs,
        args.timeout_secs,
        args.order_ids_text()
    );
    with_pgbench_table(&header, args.smoke, |runtime, admin, table, url| {
        measure(args, runtime, admin, table, url)
    })
}

fn measure(
    args: &Args,
    runtime: &Runtime,
    admin: &PgPool,
    table: &PgbenchTable,
    url: &str,
) -> Result<Vec<Level>, Stopped> {
    let broken = Stopped::Broken;
    let script_text = pgbench_script(table, 1, args.order_ids).map_err(broken)?;
    let script = script_file(&script_text).map_err(broken)?;
    let env = libpq_env(url, &format!("atpsim-pgbench-{}", table.run_id)).map_err(broken)?;
    let pgbench = Pgbench {
        script: script.path(),
        env: &env,
        qty: 1,
        ids: args.order_ids,
    };
    println!(
        "pgbench script ({}):\n  {}",
        table.name,
        script_text.trim_end().replace('\n', "\n  ")
    );
    println!();

    let started = Instant::now();
    let mut levels = Vec::with_capacity(args.clients.len());
    for &clients in &args.clients {
        let scenario = closed_scenario(
            "pgbench-compare",
            atpsim::scenario::MAX_UNITS,
            &format!(
                "kind = \"postgres-atomic\"\nurl = {}\norder_ids = {}",
                toml_string(url),
                args.order_ids
            ),
            clients,
            args.secs,
            args.timeout_secs,
        )
        .map_err(broken)?;
        let plan = Plan::measure(&scenario);
        let mut level = Level {
            clients,
            atpsim: Vec::with_capacity(args.rounds),
            pgbench: Vec::with_capacity(args.rounds),
        };
        for round in 0..args.rounds {
            // A B, B A, A B, …: neither side always goes first.
            let atpsim_first = round % 2 == 0;
            for atpsim_turn in [atpsim_first, !atpsim_first] {
                let started = Instant::now();
                let line = if atpsim_turn {
                    let s = run_atpsim(runtime, &scenario, &plan)?;
                    let line = format!(
                        "atpsim {} orders/s ({} granted in {:.1} s)",
                        thousands(s.orders_per_s),
                        s.granted,
                        s.duration_ms / 1000.0
                    );
                    level.atpsim.push(s);
                    line
                } else {
                    let s = run_pgbench(runtime, admin, table, &pgbench, clients, args.secs)?;
                    let line = format!(
                        "pgbench {} tps ({} transactions)",
                        thousands(s.tps),
                        s.processed
                    );
                    level.pgbench.push(s);
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
