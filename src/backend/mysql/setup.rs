//! Opening a MariaDB/MySQL backend: connect, check the free connection
//! slots, create the namespace, open and warm the pool, read the settings;
//! and at the end, drop the namespace.

use super::{error_number, sql, Mysql, Strategy, UNKNOWN_VARIABLE};
use crate::backend::sql::custom::{self, CustomStatements};
use crate::backend::sql::marker;
use crate::backend::sql::namespace::{self, new_run_id};
use crate::backend::sql::session::{server_timeout, SessionIds};
use crate::backend::sql::template::Dialect;
use crate::backend::{BackendError, OpenContext};
use crate::scenario::{BackendSpec, Isolation, Sku};
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlPool, MySqlPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, Row};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// Rows per `INSERT` when loading stock: 3 placeholders each, well under
/// the protocol's 65,535 per statement.
const LOAD_BATCH: usize = 1000;

/// A namespace created on the server by an `open` that may still fail.
pub(super) struct Namespace {
    admin: MySqlPool,
    run_id: String,
}

impl Namespace {
    /// Undo a failed open: drop the namespace's tables and marker row, close
    /// the admin connection. Best effort: the open's own error is what counts.
    pub(super) async fn abandon(self) {
        let _ = drop_tables(&self.admin, &self.run_id).await;
        crate::backend::sql::session::close_fully(&self.admin).await;
    }
}

pub(super) async fn open(
    spec: &BackendSpec,
    skus: &[Sku],
    strategy: Strategy,
    ctx: &OpenContext,
    created: &mut Option<Namespace>,
) -> Result<Mysql, BackendError> {
    let raw_url = spec.options.url.clone();
    let url = spec.options.redacted_url();
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        let message = crate::redact::message(&e.to_string(), &raw_url);
        BackendError::new(&spec.name, format!("{what} {url}: {message}"))
    };
    let base = MySqlConnectOptions::from_str(&raw_url).map_err(|e| fail("invalid URL", &e))?;
    let run_id = new_run_id();
    // One plain connection first: the pool would retry a refused connection
    // until its acquire timeout, and an unreachable server should fail at once.
    let probe = base
        .connect()
        .await
        .map_err(|e| fail("cannot connect to", &e))?;
    let _ = probe.close().await;
    let admin = MySqlPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(base.clone())
        .await
        .map_err(|e| fail("cannot connect to", &e))?;
    let clients = ctx.clients.max(1);
    check_free_slots(&admin, clients)
        .await
        .map_err(|e| fail("cannot use", &e))?;
    let custom = spec
        .options
        .custom
        .as_ref()
        .filter(|_| matches!(strategy, Strategy::Custom))
        .map(|sql| CustomStatements::render(sql, &run_id, Dialect::Mysql));
    // Before anything is written, so that the cleanup of a failed open
    // (below) can only ever reach tables this run created.
    claim_namespace(&admin, &run_id).await.map_err(|e| {
        let message = crate::redact::message(&e, &raw_url);
        BackendError::new(&spec.name, format!("cannot use {url}: {message}"))
    })?;
    // From here on, a failure drops what was created (see `Namespace`).
    *created = Some(Namespace {
        admin: admin.clone(),
        run_id: run_id.clone(),
    });
    let stores_ids = strategy.can_store_ids() && spec.options.order_ids;
    create_namespace(
        &admin,
        &run_id,
        &spec.name,
        &strategy,
        custom.as_ref(),
        stores_ids,
    )
    .await
    .map_err(|e| {
        let error = fail("cannot create tables on", &e);
        custom::blame_refusal(error, &e, spec, |sql| &sql.schema)
    })?;

    let sessions = SessionIds::default();
    let setup = Arc::new(SessionSetup::new(server_timeout(ctx.timeout), &strategy));
    let recorder = sessions.clone();
    let pool = MySqlPoolOptions::new()
        .max_connections(clients)
        .min_connections(0)
        // One connection per client: a ping on every acquire would only add a round trip.
        .test_before_acquire(false)
        .acquire_timeout(ctx.timeout.max(Duration::from_secs(1)))
        .after_connect(move |conn, _meta| {
            let recorder = recorder.clone();
            let setup = setup.clone();
            Box::pin(async move {
                let id: u64 = sqlx::query_scalar("SELECT CONNECTION_ID()")
                    .fetch_one(&mut *conn)
                    .await?;
                recorder.record(id as i64);
                setup.apply(conn).await
            })
        })
        .connect_lazy_with(base);
    crate::backend::sql::session::warm(&pool, clients)
        .await
        .map_err(|e| fail("cannot fill the pool on", &e))?;
    let environment = match read_environment(&pool, &url, &run_id, clients, ctx.keep).await {
        Ok(environment) => environment,
        Err(e) => {
            pool.close().await;
            return Err(fail("cannot read settings of", &e));
        }
    };
    let reserve_returns_rows = match &custom {
        Some(custom) => {
            let last = custom.reserve.last().expect("validated: not empty");
            match admin.describe(last.sql.as_str()).await {
                Ok(described) => !described.columns().is_empty(),
                Err(e) => {
                    pool.close().await;
                    return Err(custom::blame_refusal(
                        fail("the custom reserve statement does not prepare on", &e),
                        &e,
                        spec,
                        |sql| &sql.reserve,
                    ));
                }
            }
        }
        None => false,
    };
    let sku_ids = match strategy {
        Strategy::Custom => skus.iter().map(|s| s.id.clone()).collect(),
        _ => Vec::new(),
    };
    let backend = Mysql {
        name: spec.name.clone(),
        url,
        raw_url: raw_url.clone(),
        strategy,
        stores_ids,
        pool,
        admin,
        sessions,
        sql: sql::Statements::render(&run_id),
        orders: super::orders::render(&run_id),
        hooks: ctx.hooks.clone(),
        keep: ctx.keep,
        client_timeout: ctx.timeout,
        environment,
        first_error: Default::default(),
        sku_ids,
        sku_count: skus.len(),
        reserve_returns_rows,
        custom,
        run_id,
    };
    Ok(backend)
}

/// What every client session sets once, at connect.
struct SessionSetup {
    /// `max_statement_time` and the lock wait (MariaDB).
    timeouts: String,
    /// The same where `max_statement_time` is unknown (MySQL).
    timeouts_mysql: String,
    /// `mysql-tx`: the level of every transaction of the session, so an
    /// attempt opens with one `BEGIN`. `mysql-atomic`: READ COMMITTED, so
    /// a checkout call's reads after its row locks see every committed
    /// order and take no gap locks (which would tie unrelated SKUs
    /// together); its plain reservation is one statement either way.
    isolation: Option<String>,
}

impl SessionSetup {
    fn new(timeout: Duration, strategy: &Strategy) -> Self {
        SessionSetup {
            timeouts: sql::session_timeouts(timeout),
            timeouts_mysql: sql::session_timeouts_mysql(timeout),
            isolation: match strategy {
                Strategy::Tx(isolation) => Some(sql::session_isolation(*isolation)),
                Strategy::Atomic => Some(sql::session_isolation(Isolation::ReadCommitted)),
                _ => None,
            },
        }
    }

    async fn apply(&self, conn: &mut MySqlConnection) -> Result<(), sqlx::Error> {
        match conn.execute(self.timeouts.as_str()).await {
            Ok(_) => {}
            Err(e) if error_number(&e) == Some(UNKNOWN_VARIABLE) => {
                conn.execute(self.timeouts_mysql.as_str()).await?;
            }
            Err(e) => return Err(e),
        }
        if let Some(isolation) = &self.isolation {
            conn.execute(isolation.as_str()).await?;
        }
        Ok(())
    }
}

/// Refuse up front a pool the server has no room for.
async fn check_free_slots(admin: &MySqlPool, clients: u32) -> Result<(), String> {
    let row = sqlx::query(sql::FREE_SLOTS)
        .fetch_one(admin)
        .await
        .map_err(|e| e.to_string())?;
    let max: i64 = row.try_get(0).map_err(|e| e.to_string())?;
    let used: i64 = row.try_get(1).map_err(|e| e.to_string())?;
    let free = (max - used).max(0);
    if i64::from(clients) > free {
        return Err(format!(
            "the run needs {clients} connections (one per client) but the server has {free} free \
             (max_connections {max}, {used} in use); \
             lower `concurrency` (or a closed phase's `clients`) or raise max_connections"
        ));
    }
    Ok(())
}

/// Refuses a foreign `atpsim_meta` and a namespace whose tables exist
/// already (`marker.rs`); the message is redacted of the URL's password.
async fn claim_namespace(admin: &MySqlPool, run_id: &str) -> Result<(), String> {
    let columns: Vec<String> = sqlx::query_scalar(sql::META_COLUMNS)
        .fetch_all(admin)
        .await
        .map_err(|e| e.to_string())?;
    marker::check_meta_columns(&columns)?;
    let existing: Vec<String> = sqlx::query_scalar(sql::TABLES)
        .bind(namespace::table_pattern(run_id))
        .fetch_all(admin)
        .await
        .map_err(|e| e.to_string())?;
    marker::check_namespace_free(&existing, run_id)
}

async fn create_namespace(
    admin: &MySqlPool,
    run_id: &str,
    backend: &str,
    strategy: &Strategy,
    custom: Option<&CustomStatements>,
    stores_ids: bool,
) -> Result<(), sqlx::Error> {
    admin.execute(sql::META).await?;
    let tool = format!("atpsim {}", env!("CARGO_PKG_VERSION"));
    sqlx::query(sql::MARK)
        .bind(run_id)
        .bind(backend)
        .bind(tool)
        .execute(admin)
        .await?;
    let mut schema: Vec<String> = match strategy {
        Strategy::Custom => custom
            .expect("custom SQL rendered")
            .schema
            .iter()
            .map(|r| r.sql.clone())
            .collect(),
        Strategy::Atomic => {
            let orders = super::orders::render(run_id);
            vec![
                sql::Statements::render(run_id).schema,
                orders.schema,
                orders.index,
            ]
        }
        _ => vec![sql::Statements::render(run_id).schema],
    };
    if stores_ids {
        schema.push(sql::Statements::render(run_id).reservations_schema);
    }
    for statement in schema {
        if let Err(e) = admin.execute(statement.as_str()).await {
            let _ = drop_tables(admin, run_id).await;
            return Err(e);
        }
    }
    Ok(())
}

/// Reset the namespace's stock to the scenario's, in one transaction.
pub(super) async fn load_stock(b: &Mysql, skus: &[Sku]) -> Result<(), sqlx::Error> {
    let mut tx = b.admin.begin().await?;
    match &b.strategy {
        Strategy::Custom => {
            let custom = b.custom.as_ref().expect("custom SQL");
            crate::backend::sql::custom::reset::<sqlx::MySql>(&mut tx, &custom.reset, skus).await?
        }
        _ => {
            tx.execute(b.sql.reset.as_str()).await?;
            if b.has_orders() {
                tx.execute(b.orders.reset.as_str()).await?;
            }
            if b.stores_ids {
                tx.execute(b.sql.reservations_reset.as_str()).await?;
            }
            for (n, batch) in skus.chunks(LOAD_BATCH).enumerate() {
                let statement = b.sql.load(batch.len());
                let mut query = sqlx::query(&statement);
                for (i, s) in batch.iter().enumerate() {
                    query = query
                        .bind((n * LOAD_BATCH + i) as i64)
                        .bind(s.stock as i64)
                        .bind(s.buffer as i64);
                }
                query.execute(&mut *tx).await?;
            }
        }
    }
    tx.commit().await
}

/// Drop every table of the namespace and its marker row, unless kept.
pub(super) async fn drop_namespace(b: &Mysql) -> Result<(), String> {
    if b.keep {
        eprintln!(
            "note: {}: kept tables atpsim_*_{} on {} (--keep)",
            b.name, b.run_id, b.url
        );
        return Ok(());
    }
    drop_tables(&b.admin, &b.run_id)
        .await
        .map_err(|e| crate::redact::message(&e.to_string(), &b.raw_url))
}

async fn drop_tables(admin: &MySqlPool, run_id: &str) -> Result<(), sqlx::Error> {
    // Only a namespace that carries its marker row is atpsim's to drop.
    let marked: i64 = sqlx::query_scalar(sql::MARKED)
        .bind(run_id)
        .fetch_one(admin)
        .await?;
    if marked == 0 {
        return Ok(());
    }
    let tables: Vec<String> = sqlx::query_scalar(sql::TABLES)
        .bind(namespace::table_pattern(run_id))
        .fetch_all(admin)
        .await?;
    for table in tables {
        // Only names this run made: atpsim_<name>_<run id>, [a-z0-9_].
        if !table.ends_with(run_id)
            || !table
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            continue;
        }
        admin
            .execute(format!("DROP TABLE IF EXISTS `{table}`").as_str())
            .await?;
    }
    sqlx::query(sql::UNMARK).bind(run_id).execute(admin).await?;
    Ok(())
}

/// The settings as a client session sees them (read on a pooled
/// connection, after its session setup).
async fn read_environment(
    pool: &MySqlPool,
    url: &str,
    run_id: &str,
    clients: u32,
    keep: bool,
) -> Result<serde_json::Value, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let session = variables(&mut conn, sql::SETTINGS).await?;
    let global = variables(&mut conn, sql::DEFAULT_ISOLATION).await?;
    let isolation = |vars: &HashMap<String, String>| {
        vars.get("transaction_isolation")
            .or_else(|| vars.get("tx_isolation"))
            .cloned()
    };
    let text = |name: &str| session.get(name).cloned();
    let number = |name: &str| session.get(name).map(|v| as_number(v));
    Ok(serde_json::json!({
        "store": "mysql",
        "url": url,
        "server_version": text("version"),
        "default_isolation": isolation(&global),
        "session_isolation": isolation(&session),
        "max_connections": number("max_connections"),
        "innodb_flush_log_at_trx_commit": number("innodb_flush_log_at_trx_commit"),
        // Absent before MariaDB 10.6.18/10.11.8 (and on MySQL): behaves as OFF.
        "innodb_snapshot_isolation": text("innodb_snapshot_isolation"),
        "max_statement_time": number("max_statement_time"),
        "max_execution_time": number("max_execution_time"),
        "innodb_lock_wait_timeout": number("innodb_lock_wait_timeout"),
        "pool": clients,
        "namespace": run_id,
        "kept": keep,
    }))
}

/// `SHOW … VARIABLES` as name → value.
async fn variables(
    conn: &mut MySqlConnection,
    statement: &str,
) -> Result<HashMap<String, String>, sqlx::Error> {
    let rows = conn.fetch_all(statement).await?;
    let mut vars = HashMap::new();
    for row in rows {
        let name: String = row.try_get(0)?;
        let value: String = row.try_get(1)?;
        vars.insert(name.to_ascii_lowercase(), value);
    }
    Ok(vars)
}

/// A setting's value as a JSON number when it is one (`1.800000` → 1.8).
fn as_number(value: &str) -> serde_json::Value {
    if let Ok(n) = value.parse::<i64>() {
        return n.into();
    }
    match value.parse::<f64>() {
        Ok(x) if x.is_finite() => x.into(),
        _ => value.into(),
    }
}
