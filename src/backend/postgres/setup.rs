//! Opening a PostgreSQL backend: connect, check the free connection slots,
//! create the namespace, open and warm the pool, read the settings; and at
//! the end, drop the namespace.

use super::batch::PgSettler;
use super::{sql, Postgres, Strategy};
use crate::backend::batch::{BatchConfig, BatchQueue};
use crate::backend::sql::custom::{self, CustomStatements};
use crate::backend::sql::marker;
use crate::backend::sql::namespace::{self, new_run_id};
use crate::backend::sql::session::{server_timeout, SessionIds};
use crate::backend::sql::template::Dialect;
use crate::backend::{BackendError, OpenContext};
use crate::scenario::{BackendSpec, Sku};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, Row};
use std::str::FromStr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

/// A namespace created on the server by an `open` that may still fail.
pub(super) struct Namespace {
    admin: PgPool,
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
) -> Result<Postgres, BackendError> {
    let raw_url = spec.options.url.clone();
    let url = spec.options.redacted_url();
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        let message = crate::redact::message(&e.to_string(), &raw_url);
        BackendError::new(&spec.name, format!("{what} {url}: {message}"))
    };
    let base = PgConnectOptions::from_str(&raw_url).map_err(|e| fail("invalid URL", &e))?;
    let run_id = new_run_id();
    // One plain connection first: the pool would retry a refused connection
    // until its acquire timeout, and an unreachable server should fail at once.
    let probe = base
        .connect()
        .await
        .map_err(|e| fail("cannot connect to", &e))?;
    let _ = probe.close().await;
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(
            base.clone()
                .application_name(&format!("atpsim-{run_id}-admin")),
        )
        .await
        .map_err(|e| fail("cannot connect to", &e))?;
    // One per client, or per queue server for postgres-batch.
    let clients = spec.connections(ctx.clients, skus.len());
    check_free_slots(&admin, clients)
        .await
        .map_err(|e| fail("cannot use", &e))?;
    let custom = spec
        .options
        .custom
        .as_ref()
        .filter(|_| matches!(strategy, Strategy::Custom))
        .map(|sql| CustomStatements::render(sql, &run_id, Dialect::Postgres));
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

    let timeout = server_timeout(ctx.timeout);
    let timeout_ms = format!("{}ms", timeout.as_millis().max(1));
    let sessions = SessionIds::default();
    let recorder = sessions.clone();
    let client_options = base.application_name(&format!("atpsim-{run_id}")).options([
        ("statement_timeout", timeout_ms.as_str()),
        ("lock_timeout", timeout_ms.as_str()),
        ("idle_in_transaction_session_timeout", timeout_ms.as_str()),
    ]);
    let pool = PgPoolOptions::new()
        .max_connections(clients)
        .min_connections(0)
        // One connection per client: a ping on every acquire would only add a round trip.
        .test_before_acquire(false)
        .acquire_timeout(ctx.timeout.max(Duration::from_secs(1)))
        .after_connect(move |conn, _meta| {
            let recorder = recorder.clone();
            Box::pin(async move {
                let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                    .fetch_one(&mut *conn)
                    .await?;
                recorder.record(pid as i64);
                Ok(())
            })
        })
        .connect_lazy_with(client_options);
    crate::backend::sql::session::warm(&pool, clients)
        .await
        .map_err(|e| fail("cannot fill the pool on", &e))?;
    let environment = read_environment(&pool, &url, &run_id, clients, ctx.keep)
        .await
        .map_err(|e| fail("cannot read settings of", &e))?;
    let reserve_returns_rows = match &custom {
        Some(custom) => {
            let last = custom.reserve.last().expect("validated: not empty");
            let described = admin.describe(last.sql.as_str()).await.map_err(|e| {
                custom::blame_refusal(
                    fail("the custom reserve statement does not prepare on", &e),
                    &e,
                    spec,
                    |sql| &sql.reserve,
                )
            })?;
            !described.columns().is_empty()
        }
        None => false,
    };
    let buckets = match &strategy {
        Strategy::Sharded { buckets } => skus
            .iter()
            .map(|s| (*buckets as u64).min(s.stock.max(1)) as u32)
            .collect(),
        _ => Vec::new(),
    };
    let sql = sql::Statements::render(&run_id);
    let batch = matches!(strategy, Strategy::Batch).then(|| {
        let settler = Arc::new(PgSettler::new(
            pool.clone(),
            sql.batch_take.clone(),
            sql.batch_reserve.clone(),
            skus.len(),
        ));
        let config = BatchConfig {
            max_orders: spec.options.batch_size as usize,
            max_wait: spec.options.batch_wait,
        };
        let queue = BatchQueue::spawn(Arc::clone(&settler), clients as usize, config);
        (queue, settler)
    });
    let sku_ids = match strategy {
        Strategy::Custom => skus.iter().map(|s| s.id.clone()).collect(),
        _ => Vec::new(),
    };
    let backend = Postgres {
        name: spec.name.clone(),
        url,
        raw_url: raw_url.clone(),
        strategy,
        stores_ids,
        pool,
        admin,
        sessions,
        sql,
        orders: super::orders::render(&run_id),
        hooks: ctx.hooks.clone(),
        keep: ctx.keep,
        client_timeout: ctx.timeout,
        buckets,
        next_bucket: AtomicU64::new(0),
        environment,
        first_error: Default::default(),
        sku_ids,
        sku_count: skus.len(),
        reserve_returns_rows,
        custom,
        run_id,
        batch,
    };
    Ok(backend)
}

/// Refuse up front a pool the server has no room for.
async fn check_free_slots(admin: &PgPool, clients: u32) -> Result<(), String> {
    let row = sqlx::query(sql::FREE_SLOTS)
        .fetch_one(admin)
        .await
        .map_err(|e| e.to_string())?;
    let max: i32 = row.get(0);
    let reserved: i32 = row.get(1);
    let used: i32 = row.get(2);
    let free = (max - reserved - used).max(0);
    if clients as i32 > free {
        return Err(format!(
            "the run needs {clients} connections (one per client, or per queue server of a -batch kind) but the server has {free} free \
             (max_connections {max}, {reserved} reserved for superusers, {used} in use); \
             lower `concurrency` (or a closed phase's `clients`) or raise max_connections"
        ));
    }
    Ok(())
}

/// Refuses a foreign `atpsim_meta` and a namespace whose tables exist
/// already (`marker.rs`); the message is redacted of the URL's password.
async fn claim_namespace(admin: &PgPool, run_id: &str) -> Result<(), String> {
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
    admin: &PgPool,
    run_id: &str,
    backend: &str,
    strategy: &Strategy,
    custom: Option<&CustomStatements>,
    stores_ids: bool,
) -> Result<(), sqlx::Error> {
    // Two runs creating atpsim_meta at once can race in the catalogue; the
    // loser's IF NOT EXISTS fails with a unique violation, so try again.
    if admin.execute(sql::META).await.is_err() {
        admin.execute(sql::META).await?;
    }
    let tool = format!("atpsim {}", env!("CARGO_PKG_VERSION"));
    sqlx::query(sql::MARK)
        .bind(run_id)
        .bind(backend)
        .bind(tool)
        .execute(admin)
        .await?;
    let statements = sql::Statements::render(run_id);
    let mut schema: Vec<String> = match strategy {
        Strategy::Sharded { .. } => vec![statements.bucket_schema],
        Strategy::Custom => custom
            .expect("custom SQL rendered")
            .schema
            .iter()
            .map(|r| r.sql.clone())
            .collect(),
        Strategy::Atomic => {
            let orders = super::orders::render(run_id);
            vec![statements.schema, orders.schema, orders.index]
        }
        _ => vec![statements.schema],
    };
    if stores_ids {
        schema.push(statements.reservations_schema);
    }
    for statement in schema {
        admin.execute(statement.as_str()).await?;
    }
    Ok(())
}

/// Reset the namespace's stock to the scenario's.
pub(super) async fn load_stock(b: &Postgres, skus: &[Sku]) -> Result<(), sqlx::Error> {
    let mut tx = b.admin.begin().await?;
    match &b.strategy {
        Strategy::Custom => {
            let custom = b.custom.as_ref().expect("custom SQL");
            crate::backend::sql::custom::reset::<sqlx::Postgres>(&mut tx, &custom.reset, skus)
                .await?
        }
        Strategy::Sharded { .. } => {
            tx.execute(b.sql.bucket_reset.as_str()).await?;
            let (mut sku, mut bucket, mut on_hand, mut buffer) = (vec![], vec![], vec![], vec![]);
            for (i, s) in skus.iter().enumerate() {
                let k = b.buckets[i] as u64;
                for j in 0..k {
                    // Spread stock and buffer evenly; the first buckets take the remainder.
                    let share = |total: u64| (total / k + u64::from(j < total % k)) as i64;
                    sku.push(i as i64);
                    bucket.push(j as i32);
                    on_hand.push(share(s.stock));
                    buffer.push(share(s.buffer));
                }
            }
            sqlx::query(&b.sql.bucket_load)
                .bind(sku)
                .bind(bucket)
                .bind(on_hand)
                .bind(buffer)
                .execute(&mut *tx)
                .await?;
        }
        _ => {
            tx.execute(b.sql.reset.as_str()).await?;
            if b.has_orders() {
                tx.execute(b.orders.reset.as_str()).await?;
            }
            if b.stores_ids {
                tx.execute(b.sql.reservations_reset.as_str()).await?;
            }
            let sku: Vec<i64> = (0..skus.len() as i64).collect();
            let on_hand: Vec<i64> = skus.iter().map(|s| s.stock as i64).collect();
            let buffer: Vec<i64> = skus.iter().map(|s| s.buffer as i64).collect();
            sqlx::query(&b.sql.load)
                .bind(sku)
                .bind(on_hand)
                .bind(buffer)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await
}

/// Drop every table of the namespace and its marker row, unless kept.
pub(super) async fn drop_namespace(b: &Postgres) -> Result<(), String> {
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

async fn drop_tables(admin: &PgPool, run_id: &str) -> Result<(), sqlx::Error> {
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
        debug_assert!(table.ends_with(run_id));
        admin
            .execute(format!("DROP TABLE IF EXISTS \"{table}\"").as_str())
            .await?;
    }
    sqlx::query(sql::UNMARK).bind(run_id).execute(admin).await?;
    Ok(())
}

async fn read_environment(
    pool: &PgPool,
    url: &str,
    run_id: &str,
    clients: u32,
    keep: bool,
) -> Result<serde_json::Value, sqlx::Error> {
    let row = sqlx::query(sql::SETTINGS).fetch_one(pool).await?;
    let setting = |i: usize| -> String { row.get(i) };
    Ok(serde_json::json!({
        "store": "postgres",
        "url": url,
        "server_version": setting(0),
        "default_isolation": setting(1),
        "max_connections": setting(2).parse::<i64>().unwrap_or(-1),
        "synchronous_commit": setting(3),
        "statement_timeout": setting(4),
        "lock_timeout": setting(5),
        "idle_in_transaction_session_timeout": setting(6),
        "pool": clients,
        "namespace": run_id,
        "application_name": format!("atpsim-{run_id}"),
        "kept": keep,
    }))
}
