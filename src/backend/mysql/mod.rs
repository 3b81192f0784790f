//! The MariaDB/MySQL backends over sqlx: naive, atomic, for-update,
//! tx@isolation and custom, one strategy each (`strategies.rs`).
//!
//! Each run gets its own namespace (`atpsim_*_<run id>` InnoDB tables and an
//! `atpsim_meta` row), a pool of one connection per client (their
//! `CONNECTION_ID()`s recorded at connect, server timeouts below the
//! client's, and for `mysql-tx` the session's isolation level) and a
//! separate admin connection that sets up, checks for quiet, reads the final
//! state and drops the namespace.
//!
//! `mysql-atomic` also keeps the checkout calls (`orders.rs`), with an orders
//! table in the namespace beside the stock.
//!
//! Invariant: the final state is read after the pool is closed and none of
//! its sessions remains (`quiesce`); only this run's namespace is touched.

mod batch;
mod orders;
mod setup;
pub mod sql;
mod strategies;

use super::checkout::{Confirmed, OrderRef, Released, StockState, Take};
use super::sql::checkout::Checkout;
use super::sql::custom::CustomStatements;
use super::sql::orders::{self as decide, Call};
use super::sql::session::{self, SessionIds};
use super::{Backend, BackendError, Hooks, OpenContext, Reply, SentFlag, StoredIds, UnknownOrder};
use crate::scenario::{AfterExpiry, BackendSpec, Isolation, Sku, SkuIdx};
use sqlx::mysql::{MySqlDatabaseError, MySqlPool};
use sqlx::Executor;
use std::time::Duration;

/// Which pattern a `Mysql` backend runs.
#[derive(Debug, Clone)]
pub enum Strategy {
    Naive,
    Atomic,
    ForUpdate,
    /// The naive read-then-write in a transaction at this level, set once
    /// per session at connect.
    Tx(Isolation),
    /// The team's own statements (`BackendOptions::custom`).
    Custom,
}

impl Strategy {
    /// Strategies whose reservation can store the order's id in the same
    /// transaction as its stock change: not the naive one (no transaction)
    /// nor a custom one (the team's SQL).
    fn can_store_ids(&self) -> bool {
        matches!(
            self,
            Strategy::Atomic | Strategy::ForUpdate | Strategy::Tx(_)
        )
    }
}

pub struct Mysql {
    name: String,
    /// Redacted, for messages.
    url: String,
    /// The raw URL, only to scrub its password out of driver messages.
    raw_url: String,
    strategy: Strategy,
    /// Each grant stores its order id (`Strategy::can_store_ids` and the
    /// backend's `order_ids`).
    stores_ids: bool,
    pool: MySqlPool,
    admin: MySqlPool,
    sessions: SessionIds,
    run_id: String,
    sql: sql::Statements,
    /// `mysql-atomic`'s checkout statements, rendered for this run.
    orders: orders::Statements,
    hooks: Hooks,
    keep: bool,
    client_timeout: Duration,
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
}

impl Mysql {
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

    fn fail(&self, what: &str, e: &sqlx::Error) -> BackendError {
        let message = crate::redact::message(&e.to_string(), &self.raw_url);
        BackendError::new(&self.name, format!("{what} on {}: {message}", self.url))
    }
}

/// The server's error number, if the server answered with an error.
fn error_number(error: &sqlx::Error) -> Option<u16> {
    match error {
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<MySqlDatabaseError>()
            .map(MySqlDatabaseError::number),
        _ => None,
    }
}

/// ER_UNKNOWN_SYSTEM_VARIABLE: a setting this server does not have.
const UNKNOWN_VARIABLE: u16 = 1193;
/// ER_NO_SUCH_THREAD: `KILL` of a session that has already gone.
const NO_SUCH_THREAD: u16 = 1094;

/// The reply a failed statement stands for, by the server's error number
/// (SQLSTATE is too coarse here: HY000 covers most of them).
fn classify(error: &sqlx::Error) -> Reply {
    match error {
        sqlx::Error::Database(_) => match error_number(error) {
            // ER_LOCK_DEADLOCK: the transaction was rolled back.
            // ER_LOCK_WAIT_TIMEOUT: only the statement was.
            // ER_CHECKREAD: a snapshot-isolation write conflict (MariaDB's
            // innodb_snapshot_isolation), the transaction rolled back.
            // ER_STATEMENT_TIMEOUT (MariaDB max_statement_time),
            // ER_QUERY_TIMEOUT (MySQL max_execution_time), ER_QUERY_INTERRUPTED.
            Some(1213 | 1205 | 1020 | 1969 | 3024 | 1317) => Reply::Conflict,
            // ER_CONNECTION_KILLED (MariaDB), ER_SERVER_SHUTDOWN: the server
            // ended the session while the statement was in flight; one that
            // reached its commit may have applied.
            Some(1927 | 1053) => Reply::Unknown,
            // Any other refusal: the server answered and nothing applied.
            _ => Reply::Error,
        },
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => Reply::Error,
        // I/O or protocol trouble after sending: it may have applied.
        _ => Reply::Unknown,
    }
}

impl Mysql {
    /// `KILL CONNECTION` every session the pool opened, by the ids recorded
    /// at connect; one already gone is skipped (the server never hands an
    /// id out twice, so no other session is named).
    async fn terminate_sessions(&self) -> Result<(), String> {
        for id in self.sessions.all() {
            match self.admin.execute(sql::terminate(id).as_str()).await {
                Ok(_) => {}
                Err(e) if error_number(&e) == Some(NO_SUCH_THREAD) => {}
                Err(e) => return Err(crate::redact::message(&e.to_string(), &self.raw_url)),
            }
        }
        Ok(())
    }
}

impl Backend for Mysql {
    async fn prepare(&self, skus: &[Sku]) -> Result<(), BackendError> {
        setup::load_stock(self, skus)
            .await
            .map_err(|e| self.fail("cannot reset stock", &e))
    }

    async fn reserve(&self, order: u64, sku: SkuIdx, qty: u64, sent: &SentFlag) -> Reply {
        let Some(mut checkout) = Checkout::acquire(&self.pool, &self.first_error).await else {
            return Reply::Error;
        };
        sent.mark();
        let attempt = strategies::reserve(self, checkout.conn(), order, sku, qty).await;
        checkout.settle(attempt, classify, &self.first_error)
    }

    async fn quiesce(&self) -> Result<(), BackendError> {
        session::close_fully(&self.pool).await;
        let ids = self.sessions.all();
        let Some(remaining) = sql::sessions(&ids) else {
            return Ok(());
        };
        let (pool, admin) = (&self.pool, &self.admin);
        let raw_url = &self.raw_url;
        let scrub = |e: sqlx::Error| crate::redact::message(&e.to_string(), raw_url);
        session::wait_quiet(
            &self.name,
            session::quiet_deadline(self.client_timeout),
            || async {
                // A connection still on its way back when the pool closed
                // can land in it afterwards, idle and open; close again.
                pool.close().await;
                sqlx::query_scalar::<_, i64>(remaining.as_str())
                    .fetch_one(admin)
                    .await
                    .map_err(scrub)
            },
            || self.terminate_sessions(),
        )
        .await
        .map_err(|e| BackendError::new(&self.name, format!("{} ({})", e.message, self.url)))
    }

    async fn stored_orders(&self, unknown: &[UnknownOrder]) -> Result<StoredIds, BackendError> {
        let read = strategies::stored_orders(self, unknown);
        crate::backend::sql::stored_ids::stored_ids(&self.name, self.stores_ids, read).await
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
        strategies::snapshot(self).await.map_err(|e| {
            BackendError::new(
                &self.name,
                format!("cannot read final stock on {}: {e}", self.url),
            )
        })
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
        let message = self.first_error.get()?;
        Some(crate::redact::message(message, &self.raw_url))
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
