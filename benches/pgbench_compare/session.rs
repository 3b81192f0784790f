//! The setup both PostgreSQL comparisons share: check the services, build
//! the runtime, connect the admin pool, read the settings, create pgbench's
//! table, run the measurement, and drop the table whatever it did.
//!
//! Invariant: the table is dropped after the measurement, a panic included.

use crate::pgbench::PgbenchTable;
use crate::services::{pgbench_version, server_answers, server_settings, server_url, Stopped};
use crate::WORKER_THREADS;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;
use tokio::runtime::Runtime;

/// Print `header`, set up, and run `measure(runtime, admin, table, url)`.
pub(crate) fn with_pgbench_table<T>(
    header: &str,
    smoke: bool,
    measure: impl FnOnce(&Runtime, &PgPool, &PgbenchTable, &str) -> Result<T, Stopped>,
) -> Result<T, Stopped> {
    let url = server_url();
    let shown = atpsim::redact::url(&url);
    println!("{header}");
    if smoke {
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
        measure(&runtime, &admin, &table, &url)
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
