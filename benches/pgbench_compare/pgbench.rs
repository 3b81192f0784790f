//! pgbench's side: the bench's own one-row table and order-id table, the
//! script (`atomic_with_id.sql`, or the plain UPDATE of `atomic.sql`, with
//! pgbench variables), libpq's environment for the server, running pgbench
//! and reading its output.
//!
//! Invariant: every run starts from a freshly loaded row and no stored id,
//! and is checked against them afterwards: the row's `reserved` (and, with
//! ids, the ids stored) must equal the transactions pgbench counts, since
//! pgbench counts an UPDATE that matched no row as a success.

use crate::services::Stopped;
use crate::WORKER_THREADS;
use atpsim::backend::postgres::sql::{self as pg_sql, Statements};
use atpsim::backend::sql::namespace::new_run_id;
use atpsim::scenario::MAX_UNITS;
use sqlx::postgres::PgPool;
use sqlx::{Executor, Row};
use std::path::Path;
use std::process::Command;
use tokio::runtime::Runtime;

/// The only SKU: index 0 in the table, as the backend numbers SKUs.
const SKU: i64 = 0;

/// The bench's own table on the server; dropped by `drop_table`.
pub(crate) struct PgbenchTable {
    pub(crate) run_id: String,
    pub(crate) name: String,
    /// The table of stored order ids, as the backend's `{{reservations}}`.
    pub(crate) ids_name: String,
    pub(crate) statements: Statements,
}

impl PgbenchTable {
    pub(crate) async fn create(admin: &PgPool) -> Result<Self, sqlx::Error> {
        let run_id = new_run_id();
        let statements = Statements::render(&run_id);
        let name = format!("atpsim_pgbench_{run_id}");
        // A marker row, as the backends leave, so a leftover of a killed run
        // is recognisable as atpsim's. Two creators of atpsim_meta can race.
        if admin.execute(pg_sql::META).await.is_err() {
            admin.execute(pg_sql::META).await?;
        }
        sqlx::query(pg_sql::MARK)
            .bind(&run_id)
            .bind("pgbench_compare")
            .bind(format!("atpsim {} bench", env!("CARGO_PKG_VERSION")))
            .execute(admin)
            .await?;
        let table = PgbenchTable {
            name,
            ids_name: format!("atpsim_pgbench_ids_{run_id}"),
            statements,
            run_id,
        };
        for schema in [
            &table.statements.schema,
            &table.statements.reservations_schema,
        ] {
            if let Err(e) = admin.execute(table.sql(schema).as_str()).await {
                let _ = table.drop_table(admin).await;
                return Err(e);
            }
        }
        Ok(table)
    }

    /// A statement of the backend's tables, on this bench's tables.
    fn sql(&self, statement: &str) -> String {
        statement
            .replace(&format!("atpsim_stock_{}", self.run_id), &self.name)
            .replace(
                &format!("atpsim_reservations_{}", self.run_id),
                &self.ids_name,
            )
    }

    /// Fresh storage with the one row, as a backend's run starts from.
    async fn reset(&self, admin: &PgPool) -> Result<(), sqlx::Error> {
        admin
            .execute(format!("TRUNCATE \"{}\", \"{}\"", self.name, self.ids_name).as_str())
            .await?;
        sqlx::query(&self.sql(&self.statements.load))
            .bind(vec![SKU])
            .bind(vec![MAX_UNITS as i64])
            .bind(vec![0i64])
            .execute(admin)
            .await?;
        Ok(())
    }

    async fn reserved(&self, admin: &PgPool) -> Result<i64, sqlx::Error> {
        let row = sqlx::query(&self.sql(&self.statements.snapshot))
            .fetch_one(admin)
            .await?;
        row.try_get(1)
    }

    async fn stored_ids(&self, admin: &PgPool) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(&format!("SELECT count(*) FROM \"{}\"", self.ids_name))
            .fetch_one(admin)
            .await
    }

    pub(crate) async fn drop_table(&self, admin: &PgPool) -> Result<(), sqlx::Error> {
        for name in [&self.name, &self.ids_name] {
            admin
                .execute(format!("DROP TABLE IF EXISTS \"{name}\"").as_str())
                .await?;
        }
        sqlx::query(pg_sql::UNMARK)
            .bind(&self.run_id)
            .execute(admin)
            .await?;
        Ok(())
    }
}

/// The pgbench script: with `ids`, `atomic_with_id.sql` on the bench's
/// tables, else `atomic.sql`; `$1` (the quantity, `qty` units per
/// transaction), `$2` (the SKU) and `$3` (the order id) as pgbench
/// variables. pgbench keeps no counter, so each transaction's id is drawn
/// from 63 bits: a repeat among a few million is about as likely as one in
/// 10^6 runs, and would show as a failed transaction, not a figure.
pub(crate) fn pgbench_script(table: &PgbenchTable, qty: u64, ids: bool) -> Result<String, String> {
    let (file, statement) = if ids {
        ("atomic_with_id.sql", &table.statements.atomic_with_id)
    } else {
        ("atomic.sql", &table.statements.atomic)
    };
    let body: Vec<&str> = statement
        .lines()
        .map(|l| l.split("--").next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    let update = table
        .sql(&body.join(" "))
        .replace("$1", ":qty")
        .replace("$2", ":sku")
        .replace("$3", ":id");
    if update.contains('$') || update.contains('\'') || !update.contains(&table.name) {
        return Err(format!(
            "{file} no longer has the shape this bench expects \
             (the stock table, parameters $1 quantity, $2 sku, $3 order id): {update}"
        ));
    }
    let id = if ids {
        "\\set id random(1, 9223372036854775806)\n"
    } else {
        ""
    };
    Ok(format!("\\set qty {qty}\n\\set sku {SKU}\n{id}{update};\n"))
}

/// `text` in a temporary `.sql` file for `pgbench -f`, removed when dropped.
pub(crate) fn script_file(text: &str) -> Result<tempfile::NamedTempFile, String> {
    use std::io::Write;
    let mut script = tempfile::Builder::new()
        .prefix("atpsim-pgbench-")
        .suffix(".sql")
        .tempfile()
        .map_err(|e| format!("cannot create the pgbench script: {e}"))?;
    script
        .write_all(text.as_bytes())
        .and_then(|()| script.flush())
        .map_err(|e| format!("cannot write the pgbench script: {e}"))?;
    Ok(script)
}

/// `%41` → `A`; invalid escapes are left as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// libpq's environment for the server of `url`: pgbench reads host, port,
/// user, password and database from it (the password stays out of argv).
pub(crate) fn libpq_env(url: &str, app: &str) -> Result<Vec<(&'static str, String)>, String> {
    let parsed = url::Url::parse(url)
        .map_err(|e| format!("{} is not a URL: {e}", atpsim::redact::url(url)))?;
    let mut env = vec![("PGAPPNAME", app.to_string())];
    if let Some(host) = parsed.host_str() {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        env.push(("PGHOST", host.to_string()));
    }
    env.push(("PGPORT", parsed.port().unwrap_or(5432).to_string()));
    if !parsed.username().is_empty() {
        env.push(("PGUSER", percent_decode(parsed.username())));
    }
    if let Some(password) = parsed.password() {
        env.push(("PGPASSWORD", percent_decode(password)));
    }
    let db = parsed.path().trim_start_matches('/');
    if !db.is_empty() {
        env.push(("PGDATABASE", percent_decode(db)));
    }
    // The query parameters the driver also takes from a URL.
    for (key, value) in parsed.query_pairs() {
        let var = match key.as_ref() {
            "host" => "PGHOST",
            "port" => "PGPORT",
            "user" => "PGUSER",
            "password" => "PGPASSWORD",
            "dbname" => "PGDATABASE",
            "sslmode" => "PGSSLMODE",
            "sslrootcert" => "PGSSLROOTCERT",
            "options" => "PGOPTIONS",
            _ => continue,
        };
        env.retain(|(k, _)| *k != var);
        env.push((var, value.into_owned()));
    }
    Ok(env)
}

/// One pgbench measurement.
pub(crate) struct PgbenchSample {
    pub(crate) tps: f64,
    pub(crate) processed: u64,
    pub(crate) latency_avg_ms: f64,
}

/// The number after `prefix` on the first line that starts with it.
fn field(output: &str, prefix: &str) -> Option<f64> {
    output
        .lines()
        .find_map(|l| l.trim().strip_prefix(prefix))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

pub(crate) struct Pgbench<'a> {
    pub(crate) script: &'a Path,
    pub(crate) env: &'a [(&'static str, String)],
    /// Units each transaction of the script reserves.
    pub(crate) qty: u64,
    /// Whether the script stores an order id per transaction.
    pub(crate) ids: bool,
}

impl Pgbench<'_> {
    fn run(&self, clients: u32, secs: u64) -> Result<PgbenchSample, String> {
        let threads = clients.min(WORKER_THREADS as u32);
        let mut command = Command::new("pgbench");
        command
            .args(["-n", "-M", "prepared"])
            .args(["-c", &clients.to_string()])
            .args(["-j", &threads.to_string()])
            .args(["-T", &secs.to_string()])
            .arg("-f")
            .arg(self.script);
        for (k, v) in self.env {
            command.env(k, v);
        }
        let out = command
            .output()
            .map_err(|e| format!("cannot start pgbench: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            return Err(format!(
                "pgbench -c {clients} failed ({}):\n{}\n{}",
                out.status,
                stdout.trim_end(),
                stderr.trim_end()
            ));
        }
        let tps = stdout
            .lines()
            .filter(|l| l.contains("(without initial connection time)"))
            .find_map(|l| field(l, "tps = "));
        let processed = field(&stdout, "number of transactions actually processed:");
        let (Some(tps), Some(processed)) = (tps, processed) else {
            return Err(format!(
                "cannot find \"tps = N (without initial connection time)\" and the \
                 transactions processed in pgbench's output:\n{stdout}"
            ));
        };
        // pgbench 15 counts failed transactions; older versions have no such line.
        if let Some(failed) = field(&stdout, "number of failed transactions:") {
            if failed > 0.0 {
                return Err(format!(
                    "pgbench -c {clients}: {failed} transactions failed:\n{stdout}"
                ));
            }
        }
        Ok(PgbenchSample {
            tps,
            processed: processed as u64,
            latency_avg_ms: field(&stdout, "latency average =").unwrap_or(f64::NAN),
        })
    }
}

/// One pgbench run on a freshly reset table, checked against the row: every
/// transaction it counts must have reserved `qty` units (the script's), and
/// with `ids` stored one order id.
pub(crate) fn run_pgbench(
    runtime: &Runtime,
    admin: &PgPool,
    table: &PgbenchTable,
    pgbench: &Pgbench,
    clients: u32,
    secs: u64,
) -> Result<PgbenchSample, Stopped> {
    let (qty, ids) = (pgbench.qty, pgbench.ids);
    let db = |e: sqlx::Error| Stopped::Broken(format!("pgbench table {}: {e}", table.name));
    runtime.block_on(table.reset(admin)).map_err(db)?;
    let sample = pgbench.run(clients, secs).map_err(Stopped::Broken)?;
    let reserved = runtime.block_on(table.reserved(admin)).map_err(db)?;
    if reserved != (sample.processed * qty) as i64 || sample.processed == 0 {
        return Err(Stopped::Broken(format!(
            "pgbench -c {clients} reports {} transactions of {qty} units but the row's \
             reserved is {reserved}: the script did not update the row once per transaction",
            sample.processed
        )));
    }
    let stored = runtime.block_on(table.stored_ids(admin)).map_err(db)?;
    let expected = if ids { sample.processed as i64 } else { 0 };
    if stored != expected {
        return Err(Stopped::Broken(format!(
            "pgbench -c {clients} reports {} transactions but {stored} order ids are stored \
             (expected {expected})",
            sample.processed
        )));
    }
    Ok(sample)
}
