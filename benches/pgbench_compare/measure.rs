//! The measurement: connect to the server, create pgbench's table, run the
//! rounds at each client count with the two sides alternating, and drop the
//! table again.
//!
//! Invariant: the sides alternate (A B, B A, A B, …) so neither always goes
//! first, and the table is dropped whatever the rounds did, a panic
//! included.

use crate::harness::{closed_scenario, run_atpsim, toml_string};
use crate::pgbench::{libpq_env, pgbench_script, run_pgbench, Pgbench, PgbenchTable};
use crate::services::{pgbench_version, server_answers, server_settings, server_url, Stopped};
use crate::{thousands, Args, Level, WORKER_THREADS};
use atpsim::plan::Plan;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::io::Write;
use std::str::FromStr;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// The whole measurement; the levels to report, once the table is dropped.
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
        "pgbench_compare ({mode}): postgres-atomic vs pgbench, clients {clients_list}, \
         {} round(s) of {} s each side, atpsim timeout {} s",
        args.rounds, args.secs, args.timeout_secs
    );
    if args.smoke {
        println!(
            "smoke run under cargo test (debug build): checks that both sides run and \
             their counts add up; the figures are not measurements"
        );
    }
    let pgbench_version = pgbench_version()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKER_THREADS)
        .enable_all()
        .build()
        .map_err(|e| Stopped::Broken(format!("cannot build the tokio runtime: {e}")))?;
    let options = PgConnectOptions::from_str(&url)
        .map_err(|e| Stopped::Broken(format!("{shown} is not a PostgreSQL URL: {e}")))?;
    if !server_answers(&url) {
        return Err(Stopped::Missing(format!("no PostgreSQL at {shown}")));
    }
    // The server is there: failing to log in is a broken setup, not a skip.
    let admin = runtime
        .block_on(
            PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options.application_name("atpsim-pgbench-compare-admin")),
        )
        .map_err(|e| {
            let message = atpsim::redact::message(&e.to_string(), &url);
            Stopped::Broken(format!(
                "cannot connect to PostgreSQL at {shown}: {message}"
            ))
        })?;
    let settings = runtime
        .block_on(server_settings(&admin))
        .map_err(|e| Stopped::Broken(format!("cannot read settings of {shown}: {e}")))?;
    println!("server: {shown} ({settings})");
    println!("client: {pgbench_version}; atpsim on {WORKER_THREADS} tokio worker threads");

    let table = runtime
        .block_on(PgbenchTable::create(&admin))
        .map_err(|e| Stopped::Broken(format!("cannot create the pgbench table on {shown}: {e}")))?;
    // Measure, then drop the table whatever happened (a panic included).
    let measured = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        measure(args, &runtime, &admin, &table, &url)
    }));
    if let Err(e) = runtime.block_on(table.drop_table(&admin)) {
        eprintln!(
            "warning: could not drop table {} on {shown}: {e}",
            table.name
        );
    }
    runtime.block_on(admin.close());
    match measured {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

fn measure(
    args: &Args,
    runtime: &Runtime,
    admin: &PgPool,
    table: &PgbenchTable,
    url: &str,
) -> Result<Vec<Level>, Stopped> {
    let broken = Stopped::Broken;
    let script_text =
        pgbench_script(&table.statements, &table.run_id, &table.name).map_err(broken)?;
    let mut script = tempfile::Builder::new()
        .prefix("atpsim-pgbench-")
        .suffix(".sql")
        .tempfile()
        .map_err(|e| Stopped::Broken(format!("cannot create the pgbench script: {e}")))?;
    script
        .write_all(script_text.as_bytes())
        .and_then(|()| script.flush())
        .map_err(|e| Stopped::Broken(format!("cannot write the pgbench script: {e}")))?;
    let env = libpq_env(url, &format!("atpsim-pgbench-{}", table.run_id)).map_err(broken)?;
    let pgbench = Pgbench {
        script: script.path(),
        env: &env,
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
            &format!("kind = \"postgres-atomic\"\nurl = {}", toml_string(url)),
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
