//! The PostgreSQL backends over sqlx: naive, atomic, for-update, advisory,
//! tx@isolation, sharded and custom, one strategy each (`strategies.rs`),
//! and batch, whose queue servers settle many orders per statement
//! (`batch.rs`).
//!
//! Each run gets its own namespace (`atpsim_*_<run id>` tables and an
//! `atpsim_meta` row), a pool of one connection per client (their pids
//! recorded at connect, the run id in `application_name`, server timeouts
//! below the client's) and a separate admin connection that sets up, checks
//! for quiet, reads the final state and drops the namespace.
//!
//! `postgres-atomic` also keeps the checkout calls (`orders.rs`), with an orders
//! table in the namespace beside the stock.
//!
//! Invariant: the final state is read after the pool is closed and none of
//! its sessions remains (`quiesce`); only this run's namespace is touched.

mod batch;
mod orders;
mod setup;
pub mod sql;
mod strategies;

use super::batch::BatchQueue;
use super::checkout::{Confirmed, OrderRef, Released, StockState, Take};
use super::sql::checkout::Checkout;
use super::sql::custom::CustomStatements;
use super::sql::orders::{self as decide, Call};
use super::sql::session::{self, SessionIds};
use super::{Backend, BackendError, Hooks, OpenContext, Reply, SentFlag, StoredIds, UnknownOrder};
use crate::scenario::{AfterExpiry, BackendSpec, Isolation, Sku, SkuIdx};
use sqlx::postgres::PgPool;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

/// Which pattern a `Postgres` backend runs.
#[derive(Debug, Clone)]
pub enum Strategy {
    Naive,
    Atomic,
    ForUpdate,
    Advisory,
    Tx(Isolation),
    Sharded {
        buckets: u32,
    },
    /// The team's own statements (`BackendOptions::custom`).
    Custom,
    /// Per-SKU queue servers settling batches of orders (`batch.rs`).
    Batch,
}

impl Strategy {
    /// Strategies whose reservation can store the order's id in the same
    /// statement or transaction as its stock change. The naive one writes
    /// outside any transaction; sharded, batch and custom are left to bounds.
    fn can_store_ids(&self) -> bool {
        matches!(
            self,
            Strategy::Atomic | Strategy::ForUpdate | Strategy::Advisory | Strategy::Tx(_)
        )
    }
}

pub struct Postgres {
    name: String,
    /// Redacted, for messages.
    url: String,
    /// The raw URL, only to scrub its password out of driver messages.
    raw_url: String,
    strategy: Strategy,
    /// Each grant stores its order id (`Strategy::can_store_ids` and the
    /// backend's `order_ids`).
    stores_ids: bool,
    pool: PgPool,
    admin: PgPool,
    sessions: SessionIds,
    run_id: String,
    sql: sql::Statements,
    /// `postgres-atomic`'s checkout statements, rendered for this run.
    orders: orders::Statements,
    hooks: Hooks,
    keep: bool,
    client_timeout: Duration,
    /// Bucket rows per SKU (`postgres-sharded`), decided from each SKU's stock.
    buckets: Vec<u32>,
    /// Spreads the first bucket a sharded reservation tries.
    next_bucket: AtomicU64,
    environment: serde_json::Value,
    /// The first message behind an `Error` or `Unknown` reply.
    first_error: std::sync::OnceLock<String>,
    /// SKU ids, for a custom reserve's `:sku_id`; empty for the other
    /// kinds, since a copy of a million ids takes over 50 MB.
    sku_ids: Vec<String>,
    /// SKUs in the catalogue.
    sku_count: usize,
    /// A custom backend's statements, rendered for this run's namespace.
    custom: Option<CustomStatements>,
    /// Whether a custom reserve's last statement returns a row that decides.
    reserve_returns_rows: bool,
    /// `postgres-batch`'s queue servers and the settler they share.
    batch: Option<(BatchQueue, Arc<batch::PgSettler>)>,
}

impl Postgres {
    pub async fn open(
        spec: &BackendSpec,
        skus: &[Sku],
        strategy: Strategy,
        ctx: &OpenContext,
    ) -> Result<Self, BackendError> {
        let mut created = None;
        let opened = setup::open(spec, skus, strategy, ctx, &mut created).await;
        if let (Err(_), Some(namespace)) = (&opened, created) {
            namespace.abandon().await;
        }
        opened
    }

    /// `pg_terminate_backend` every session the pool opened that is still
    /// on the server (by the pids recorded at connect and the run's
    /// `application_name`, so a pid reused by another session is spared).
    async fn terminate_sessions(&self) -> Result<(), String> {
        let pids: Vec<i32> = self.sessions.all().iter().map(|&p| p as i32).collect();
        sqlx::query(sql::TERMINATE)
            .bind(&pids)
            .bind(format!("atpsim-{}", self.run_id))
            .execute(&self.admin)
            .await
            .map(|_| ())
            .map_err(|e| crate::redact::message(&e.to_string(), &self.raw_url))
    }

    fn fail(&self, what: &str, e: &sqlx::Error) -> BackendError {
        let message = crate::redact::message(&e.to_string(), &self.raw_url);
        BackendError::new(&self.name, format!("{what} on {}: {message}", self.url))
    }
}

/// The reply a failed statement stands for, by PostgreSQL's SQLSTATE.
fn classify(error: &sqlx::Error) -> Reply {
    match error {
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // serialization_failure, deadlock_detected: the transaction was
            // rolled back; lock_not_available (lock_timeout) and
            // query_canceled (statement_timeout): the statement was.
            Some("40001" | "40P01" | "55P03" | "57014") => Reply::Conflict,
            // admin_shutdown, crash_shutdown: the server ended the session
            // (`pg_terminate_backend`, a restart) while the statement was in
            // flight; one that reached its commit may have applied.
            Some("57P01" | "57P02") => Reply::Unknown,
            // Any other refusal: the server answered and nothing applied.
            _ => Reply::Error,
        },
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => Reply::Error,
        // I/O or protocol trouble after sending: it may have applied.
        _ => Reply::Unknown,
    }
}

impl Backend for Postgres {
    async fn prepare(&self, skus: &[Sku]) -> Result<(), BackendError> {
        setup::load_stock(self, skus)
            .await
            .map_err(|e| self.fail("cannot reset stock", &e))
    }

    async fn reserve(&self, order: u64, sku: SkuIdx, qty: u64, sent: &SentFlag) -> Reply {
        if let Some((queue, _)) = &self.batch {
            return queue.reserve(sku, qty, sent).await;
        }
        let Some(mut checkout) = Checkout::acquire(&self.pool, &self.first_error).await else {
            return Reply::Error;
        };
        sent.mark();
        let attempt = strategies::reserve(self, checkout.conn(), order, sku, qty).await;
        checkout.settle(attempt, classify, &self.first_error)
    }

    async fn quiesce(&self) -> Result<(), BackendError> {
        session::close_fully(&self.pool).await;
        let pids: Vec<i32> = self.sessions.all().iter().map(|&p| p as i32).collect();
        let (pool, admin) = (&self.pool, &self.admin);
        let application = format!("atpsim-{}", self.run_id);
        let application = &application;
        let raw_url = &self.raw_url;
        let scrub = |e: sqlx::Error| crate::redact::message(&e.to_string(), raw_url);
        session::wait_quiet(
            &self.name,
            session::quiet_deadline(self.client_timeout),
            || async {
                // A connection still on its way back when the pool closed
                // can land in it afterwards, idle and open; close again.
                pool.close().await;
                sqlx::query_scalar::<_, i64>(sql::SESSIONS)
                    .bind(&pids)
                    .bind(application)
                    .fetch_one(admin)
                    .await
                    .map_err(scrub)
            },
            || self.terminate_sessions(),
        )
        .await
    }

    async fn kill_connections(&self) -> Result<(), String> {
        self.terminate_sessions().await
    }

    async fn stall_row(&self, sku: SkuIdx, hold: Duration) -> Result<(), String> {
        super::sql::stall::hold_row(&self.admin, &self.sql.for_update_read, sku, hold)
            .await
            .map_err(|e| crate::redact::message(&e.to_string(), &self.raw_url))
    }

    async fn snapshot(&self) -> Result<Vec<u64>, BackendError> {
        strategies::snapshot(self)
            .await
            .map_err(|e| BackendError::new(&self.name, format!("cannot read final stock: {e}")))
    }

    async fn stored_orders(&self, unknown: &[UnknownOrder]) -> Result<StoredIds, BackendError> {
        let read = strategies::stored_orders(self, unknown);
        crate::backend::sql::stored_ids::stored_ids(&self.name, self.stores_ids, read).await
    }

    async fn close(&self) {
        session::close_fully(&self.pool).await;
        if let Err(e) = setup::drop_namespace(self).await {
            eprintln!(
                "warning: {}: could not drop tables atpsim_*_{} on {}: {e}",
                self.name, self.run_id, self.url
            );
        }
        session::close_fully(&self.admin).await;
    }

    fn first_error(&self) -> Option<String> {
        let batch = self.batch.as_ref().and_then(|(_, s)| s.first_error.get());
        let message = self.first_error.get().or(batch)?;
        Some(crate::redact::message(message, &self.raw_url))
    }

    fn environment(&self) -> serde_json::Value {
        self.environment.clone()
    }

    fn batches(&self) -> Option<crate::summary::Batches> {
        self.batch.as_ref().map(|(queue, _)| queue.batches())
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
