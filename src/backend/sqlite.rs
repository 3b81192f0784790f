//! `sqlite-naive` and `sqlite-atomic`: the two patterns on an embedded SQL store.
//!
//! A temporary database *file* (`:memory:` would give each pooled connection a
//! database of its own), WAL, an explicit busy timeout. Naive = two autocommit
//! statements, so the race is real (inside one transaction WAL would raise
//! busy-snapshot errors instead). `SQLITE_BUSY`/`SQLITE_LOCKED` are conflicts.
//! `sqlite-atomic` also keeps the checkout calls (`orders.rs`).

mod orders;

use super::checkout::{Confirmed, OrderRef, Released, StockState, Take};
use super::sql::orders::{self as decide, Call};
use super::{Backend, BackendError, Hooks, Reply, SentFlag};
use crate::scenario::{AfterExpiry, BackendSpec, Sku, SkuIdx};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::Executor;
use sqlx::Row;
use std::time::Duration;

const SCHEMA: &str = include_str!("../../backends/sqlite/schema.sql");
const RESET: &str = include_str!("../../backends/sqlite/reset.sql");
const INSERT: &str = include_str!("../../backends/sqlite/insert.sql");
const NAIVE_READ: &str = include_str!("../../backends/sqlite/naive_read.sql");
const NAIVE_WRITE: &str = include_str!("../../backends/sqlite/naive_write.sql");
const ATOMIC: &str = include_str!("../../backends/sqlite/atomic.sql");
const SNAPSHOT: &str = include_str!("../../backends/sqlite/snapshot.sql");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Naive,
    Atomic,
}

pub struct Sqlite {
    name: String,
    strategy: Strategy,
    pool: SqlitePool,
    hooks: Hooks,
    environment: serde_json::Value,
    /// Catalogue size, for the checkout state read.
    skus: usize,
    /// The first message behind an `Error` or `Unknown` checkout reply.
    first_error: std::sync::OnceLock<String>,
    /// Owns the database file; removed when the backend is dropped.
    _dir: tempfile::TempDir,
}

impl Sqlite {
    pub async fn open(
        spec: &BackendSpec,
        skus: &[Sku],
        strategy: Strategy,
        hooks: Hooks,
    ) -> Result<Self, BackendError> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            BackendError::new(&spec.name, format!("{what}: {e}"))
        };
        let dir = tempfile::Builder::new()
            .prefix("atpsim-sqlite-")
            .tempdir()
            .map_err(|e| fail("cannot create a temporary directory", &e))?;
        let path = dir.path().join("atpsim.db");
        let connect = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // The usual pairing with WAL: commits survive a crash of atpsim,
            // not of the machine — the harness measures contention, not fsync.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(spec.options.busy_timeout);
        let pool_size = spec.options.pool;
        let pool = SqlitePoolOptions::new()
            .max_connections(pool_size)
            .min_connections(pool_size)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(connect)
            .await
            .map_err(|e| fail(&format!("cannot open {}", path.display()), &e))?;
        // Hold every connection at once, so all of them are open before t0
        // (the pool's own minimum is filled in the background).
        let mut warm = Vec::with_capacity(pool_size as usize);
        for _ in 0..pool_size {
            warm.push(
                pool.acquire()
                    .await
                    .map_err(|e| fail("cannot open a pooled connection", &e))?,
            );
        }
        drop(warm);
        sqlx::query(SCHEMA)
            .execute(&pool)
            .await
            .map_err(|e| fail("cannot create atpsim_stock", &e))?;
        let environment = read_environment(&pool, pool_size, spec.options.busy_timeout)
            .await
            .map_err(|e| fail("cannot read settings", &e))?;
        let backend = Sqlite {
            name: spec.name.clone(),
            strategy,
            pool,
            hooks,
            environment,
            skus: skus.len(),
            first_error: Default::default(),
            _dir: dir,
        };
        backend
            .create_orders()
            .await
            .map_err(|e| fail("cannot create atpsim_orders", &e))?;
        backend.prepare(skus).await?;
        Ok(backend)
    }

    async fn naive(
        &self,
        conn: &mut sqlx::SqliteConnection,
        sku: SkuIdx,
        qty: u64,
    ) -> Result<Reply, sqlx::Error> {
        let row = sqlx::query(NAIVE_READ)
            .bind(sku as i64)
            .fetch_one(&mut *conn)
            .await?;
        let limit: i64 = row.try_get(0)?;
        let reserved: i64 = row.try_get(1)?;
        self.hooks.after_read().await;
        if limit - reserved < qty as i64 {
            return Ok(Reply::SoldOut);
        }
        sqlx::query(NAIVE_WRITE)
            .bind(reserved + qty as i64)
            .bind(sku as i64)
            .execute(&mut *conn)
            .await?;
        Ok(Reply::Granted)
    }

    async fn atomic(
        &self,
        conn: &mut sqlx::SqliteConnection,
        sku: SkuIdx,
        qty: u64,
    ) -> Result<Reply, sqlx::Error> {
        let done = sqlx::query(ATOMIC)
            .bind(qty as i64)
            .bind(sku as i64)
            .execute(&mut *conn)
            .await?;
        Ok(if done.rows_affected() == 1 {
            Reply::Granted
        } else {
            Reply::SoldOut
        })
    }
}

async fn read_environment(
    pool: &SqlitePool,
    pool_size: u32,
    busy_timeout: Duration,
) -> Result<serde_json::Value, sqlx::Error> {
    let version: String = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(pool)
        .await?;
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await?;
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await?;
    Ok(serde_json::json!({
        "store": "sqlite",
        "server_version": version,
        "journal_mode": journal,
        "synchronous": synchronous,
        "busy_timeout_ms": busy_timeout.as_millis() as u64,
        "pool": pool_size,
    }))
}

/// The reply a failed statement stands for.
fn classify(error: &sqlx::Error) -> Reply {
    match error {
        sqlx::Error::Database(db) => {
            // Primary result code in the low byte: 5 SQLITE_BUSY, 6 SQLITE_LOCKED
            // (extended codes such as 517 BUSY_SNAPSHOT share it).
            let code: i32 = db.code().and_then(|c| c.parse().ok()).unwrap_or(-1);
            match code & 0xff {
                5 | 6 => Reply::Conflict,
                // Any other refusal by the engine: the statement did not apply.
                _ => Reply::Error,
            }
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => Reply::Error,
        // I/O or protocol trouble mid-call: it may have applied.
        _ => Reply::Unknown,
    }
}

impl Backend for Sqlite {
    async fn prepare(&self, skus: &[Sku]) -> Result<(), BackendError> {
        let fail =
            |e: sqlx::Error| BackendError::new(&self.name, format!("cannot reset stock: {e}"));
        let mut tx = self.pool.begin().await.map_err(fail)?;
        sqlx::query(RESET).execute(&mut *tx).await.map_err(fail)?;
        if self.has_orders() {
            tx.execute(orders::SQL.reset).await.map_err(fail)?;
        }
        for (i, sku) in skus.iter().enumerate() {
            sqlx::query(INSERT)
                .bind(i as i64)
                .bind(sku.stock as i64)
                .bind(sku.buffer as i64)
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
        }
        tx.commit().await.map_err(fail)
    }

    async fn reserve(&self, _order: u64, sku: SkuIdx, qty: u64, sent: &SentFlag) -> Reply {
        let mut conn = match self.pool.acquire().await {
            Ok(conn) => conn,
            Err(_) => return Reply::Error,
        };
        sent.mark();
        let result = match self.strategy {
            Strategy::Naive => self.naive(&mut conn, sku, qty).await,
            Strategy::Atomic => self.atomic(&mut conn, sku, qty).await,
        };
        result.unwrap_or_else(|e| classify(&e))
    }

    async fn snapshot(&self) -> Result<Vec<u64>, BackendError> {
        use futures_util::TryStreamExt;
        let fail =
            |e: sqlx::Error| BackendError::new(&self.name, format!("cannot read final stock: {e}"));
        // Row by row: a million rows fetched at once hold about 1 KB each.
        let mut rows = sqlx::query(SNAPSHOT).fetch(&self.pool);
        let mut reserved = Vec::new();
        while let Some(row) = rows.try_next().await.map_err(fail)? {
            let r: i64 = row
                .try_get(1)
                .map_err(|e| BackendError::new(&self.name, e))?;
            reserved.push(r.max(0) as u64);
        }
        Ok(reserved)
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    fn first_error(&self) -> Option<String> {
        self.first_error.get().cloned()
    }

    fn environment(&self) -> serde_json::Value {
        self.environment.clone()
    }

    async fn take(&self, take: &Take<'_>, sent: &SentFlag) -> Reply {
        decide::reply(self.order_call(Call::Take(take), sent).await)
    }

    async fn confirm(
        &self,
        order: &OrderRef<'_>,
        policy: AfterExpiry,
        sent: &SentFlag,
    ) -> Confirmed {
        decide::confirmed(self.order_call(Call::Confirm(order, policy), sent).await)
    }

    async fn release(&self, order: &OrderRef<'_>, sent: &SentFlag) -> Released {
        decide::released(self.order_call(Call::Release(order), sent).await)
    }

    async fn refund(&self, order: &OrderRef<'_>, sent: &SentFlag) -> Released {
        decide::released(self.order_call(Call::Refund(order), sent).await)
    }

    async fn adjust(&self, sku: SkuIdx, delta: i64, sent: &SentFlag) -> Reply {
        self.adjust_stock(sku, delta, sent).await
    }

    async fn reap(&self, now_us: u64) -> Result<(), BackendError> {
        self.reap_lapsed(now_us).await
    }

    async fn took_effect(&self, key: u64) -> Result<bool, BackendError> {
        self.order_took_effect(key).await
    }

    async fn stock_state(&self) -> Result<Vec<StockState>, BackendError> {
        match self.order_states().await? {
            Some(states) => Ok(states),
            // Without orders, all a strategy reserved reads as sold.
            None => Ok(decide::as_sold(self.snapshot().await?)),
        }
    }
}
