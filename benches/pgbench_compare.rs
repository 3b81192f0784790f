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
//! hit both; medians are reported with the ratio atpsim / pgbench. A ratio
//! below the target is reported, not fatal: only a broken measurement (an
//! aborted run, orders not granted, pgbench failing or not updating the row)
//! makes the binary exit non-zero. A missing server or `pgbench` binary
//! skips, unless `ATPSIM_REQUIRE_SERVICES=1` or `CI=true`.
//!
//! `cargo bench --bench pgbench_compare` (full) or
//! `cargo bench --bench pgbench_compare -- --quick` (smoke); see benches/README.md.

use atpsim::backend::postgres::sql::{self as pg_sql, Statements};
use atpsim::backend::sql::namespace::new_run_id;
use atpsim::plan::Plan;
use atpsim::runner::{run_backend, RunOptions, Stop};
use atpsim::scenario::{self, Scenario, Server, MAX_UNITS};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Executor, Row};
use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::str::FromStr;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio::sync::watch;

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
/// The quick mode's few clients answer in milliseconds. A shorter timeout
/// also shortens the backend's wait for its sessions to go quiet after the
/// run (0.9 × timeout + 5 s), which it sometimes sits out in full when a
/// pooled connection outlives the pool's close.
const QUICK_TIMEOUT_SECS: u64 = 2;
/// atpsim orders/s over pgbench tps, at every C.
const RATIO_TARGET: f64 = 0.9;
/// The only SKU: index 0 in the table, as the backend numbers SKUs.
const SKU: i64 = 0;

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

/// Why the benchmark could not measure.
enum Stopped {
    /// A service is missing: skip, unless services are required.
    Missing(String),
    /// Something is wrong with a measurement or its setup.
    Broken(String),
}

/// Whether a missing server or pgbench is a failure rather than a skip.
fn services_required() -> Option<&'static str> {
    if std::env::var("ATPSIM_REQUIRE_SERVICES").as_deref() == Ok("1") {
        Some("ATPSIM_REQUIRE_SERVICES=1")
    } else if std::env::var("CI").as_deref() == Ok("true") {
        Some("CI=true")
    } else {
        None
    }
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
    match bench(&args) {
        Ok(()) => ExitCode::SUCCESS,
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

/// The server's URL, as the scenario validator would pick it.
fn server_url() -> String {
    std::env::var(Server::Postgres.url_variable())
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| Server::Postgres.default_url().to_string())
}

/// Whether anything accepts a TCP connection at the URL's host and port, as
/// the server tests check. A URL naming a socket directory (`?host=/…`) is
/// left to the driver.
fn server_answers(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return true;
    };
    if parsed
        .query_pairs()
        .any(|(k, v)| k == "host" && v.starts_with('/'))
    {
        return true;
    }
    let host = parsed
        .host_str()
        .unwrap_or("127.0.0.1")
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed.port().unwrap_or(5432);
    std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|addr| {
            std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
        })
}

/// `pgbench --version`, or why there is none to run.
fn pgbench_version() -> Result<String, Stopped> {
    match Command::new("pgbench").arg("--version").output() {
        Ok(out) if out.status.success() => {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        Ok(out) => Err(Stopped::Missing(format!(
            "`pgbench --version` failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
        Err(e) => Err(Stopped::Missing(format!(
            "no `pgbench` binary to run ({e}); it comes with the PostgreSQL client \
             packages (postgresql-contrib or postgresql-client)"
        ))),
    }
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
fn libpq_env(url: &str, app: &str) -> Result<Vec<(&'static str, String)>, String> {
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

/// The pgbench script: `atomic.sql` on the bench's table, its `$1` (the
/// quantity) and `$2` (the SKU) as pgbench variables.
fn pgbench_script(statements: &Statements, run_id: &str, table: &str) -> Result<String, String> {
    let body: Vec<&str> = statements
        .atomic
        .lines()
        .map(|l| l.split("--").next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    let update = body
        .join(" ")
        .replace(&format!("atpsim_stock_{run_id}"), table)
        .replace("$1", ":qty")
        .replace("$2", ":sku");
    if update.contains('$') || update.contains('\'') || !update.contains(table) {
        return Err(format!(
            "atomic.sql no longer has the shape this bench expects \
             (one table, parameters $1 quantity and $2 sku): {update}"
        ));
    }
    Ok(format!("\\set qty 1\n\\set sku {SKU}\n{update};\n"))
}

/// One closed loop of `clients` clients for `secs` on a SKU that never sells out.
fn closed_scenario(
    clients: u32,
    secs: u64,
    timeout_secs: u64,
    url: &str,
) -> Result<Scenario, String> {
    // A TOML basic string with the URL properly escaped.
    let url_toml = toml::Value::String(url.to_string()).to_string();
    let text = format!(
        r#"name = "pgbench-compare"
seed = 1
timeout = "{timeout_secs}s"
retries = 0

[[sku]]
id = "HOT"
stock = {MAX_UNITS}

[[phase]]
kind = "closed"
clients = {clients}
duration = "{secs}s"
skus = {{ pick = "one", sku = "HOT" }}
quantity = {{ fixed = 1 }}

[[backend]]
kind = "postgres-atomic"
url = {url_toml}
"#
    );
    scenario::parse(&text, Path::new("benches/pgbench_compare.toml"))
        .map_err(|e| format!("bench scenario does not validate: {e}"))
}

/// One atpsim measurement.
struct AtpsimSample {
    orders_per_s: f64,
    granted: u64,
    duration_ms: f64,
    latency_p50_us: f64,
    latency_p99_us: f64,
}

fn run_atpsim(
    runtime: &Runtime,
    scenario: &Scenario,
    plan: &Plan,
) -> Result<AtpsimSample, Stopped> {
    let run = runtime.block_on(async {
        // The sender stays alive for the whole run: a dropped sender is not a stop.
        let (_stop_tx, stop) = watch::channel(Stop::Run);
        let options = RunOptions {
            progress: false,
            hooks: Default::default(),
            trace: None,
            stop,
            keep: false,
        };
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
    })
}

/// The bench's own table on the server; dropped by `drop_table`.
struct PgbenchTable {
    run_id: String,
    name: String,
    statements: Statements,
}

impl PgbenchTable {
    async fn create(admin: &PgPool) -> Result<Self, sqlx::Error> {
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
            statements,
            run_id,
        };
        let created = admin
            .execute(table.sql(&table.statements.schema).as_str())
            .await;
        if let Err(e) = created {
            let _ = table.drop_table(admin).await;
            return Err(e);
        }
        Ok(table)
    }

    /// A statement of the stock table, on this table.
    fn sql(&self, statement: &str) -> String {
        statement.replace(&format!("atpsim_stock_{}", self.run_id), &self.name)
    }

    /// Fresh storage with the one row, as a backend's run starts from.
    async fn reset(&self, admin: &PgPool) -> Result<(), sqlx::Error> {
        admin
            .execute(format!("TRUNCATE \"{}\"", self.name).as_str())
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

    async fn drop_table(&self, admin: &PgPool) -> Result<(), sqlx::Error> {
        admin
            .execute(format!("DROP TABLE IF EXISTS \"{}\"", self.name).as_str())
            .await?;
        sqlx::query(pg_sql::UNMARK)
            .bind(&self.run_id)
            .execute(admin)
            .await?;
        Ok(())
    }
}

/// One pgbench measurement.
struct PgbenchSample {
    tps: f64,
    processed: u64,
    latency_avg_ms: f64,
}

/// The number after `prefix` on the first line that starts with it.
fn field(output: &str, prefix: &str) -> Option<f64> {
    output
        .lines()
        .find_map(|l| l.trim().strip_prefix(prefix))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

struct Pgbench<'a> {
    script: &'a Path,
    env: &'a [(&'static str, String)],
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

/// Server settings that decide what one UPDATE costs.
async fn server_settings(admin: &PgPool) -> Result<String, sqlx::Error> {
    let mut parts = Vec::new();
    for name in [
        "server_version",
        "synchronous_commit",
        "fsync",
        "max_connections",
    ] {
        let value: String = sqlx::query_scalar("SELECT current_setting($1)")
            .bind(name)
            .fetch_one(admin)
            .await?;
        parts.push(format!("{name} {value}"));
    }
    Ok(parts.join(", "))
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

fn bench(args: &Args) -> Result<(), Stopped> {
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
    let levels = match measured {
        Ok(result) => result?,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    report(args, &levels);
    Ok(())
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
        let scenario =
            closed_scenario(clients, args.secs, args.timeout_secs, url).map_err(broken)?;
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

/// One pgbench run on a freshly reset table, checked against the row: every
/// transaction it counts must have reserved one unit.
fn run_pgbench(
    runtime: &Runtime,
    admin: &PgPool,
    table: &PgbenchTable,
    pgbench: &Pgbench,
    clients: u32,
    secs: u64,
) -> Result<PgbenchSample, Stopped> {
    let db = |e: sqlx::Error| Stopped::Broken(format!("pgbench table {}: {e}", table.name));
    runtime.block_on(table.reset(admin)).map_err(db)?;
    let sample = pgbench.run(clients, secs).map_err(Stopped::Broken)?;
    let reserved = runtime.block_on(table.reserved(admin)).map_err(db)?;
    if reserved != sample.processed as i64 || sample.processed == 0 {
        return Err(Stopped::Broken(format!(
            "pgbench -c {clients} reports {} transactions but the row's reserved is \
             {reserved}: the script did not update the row once per transaction",
            sample.processed
        )));
    }
    Ok(sample)
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
