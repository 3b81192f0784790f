//! The backend contract: prepare stock, reserve, snapshot the final state.
//!
//! Invariant: a backend classifies every reply at its own boundary into a typed
//! `Reply`; it never reports oversell — the audit works that out from the ledger.

pub mod batch;
pub mod checkout;
pub mod memory;
pub mod mysql;
pub mod postgres;
pub mod redis;
pub mod sql;
pub mod sqlite;

use crate::scenario::{AfterExpiry, BackendKind, BackendSpec, Sku, SkuIdx};
use checkout::{Confirmed, OrderRef, Released, StockState, Take};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Barrier;

/// A backend's answer to one attempt, as classified at its boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    Granted,
    SoldOut,
    /// Aborted by the store (busy, serialization failure, deadlock): may be retried.
    Conflict,
    /// Failed before it could have taken effect (no connection, never sent).
    Error,
    /// Sent, and the answer was lost: it may or may not have taken effect.
    Unknown,
}

/// Test hooks that force an interleaving; production runs pass `Hooks::default()`.
#[derive(Clone, Default)]
pub struct Hooks {
    /// Naive backends (and `-tx`, the naive pair in a transaction) wait here
    /// between their read and their write, so a test can make every client
    /// read before any writes. Backends whose read takes a lock never wait
    /// here: the second client would block in its read and never arrive.
    pub between_read_and_write: Option<Arc<Barrier>>,
}

impl Hooks {
    pub(crate) async fn after_read(&self) {
        if let Some(barrier) = &self.between_read_and_write {
            barrier.wait().await;
        }
    }
}

/// What opening a backend needs to know beyond its spec.
#[derive(Clone, Default)]
pub struct OpenContext {
    pub hooks: Hooks,
    /// Clients that may call at once: a server backend's pool holds one
    /// connection for each.
    pub clients: u32,
    /// The client's per-attempt timeout; server-side timeouts sit below it.
    pub timeout: Duration,
    /// Leave the run's tables on the server (`--keep`).
    pub keep: bool,
}

/// Marks the moment a request leaves the harness, so a timeout can tell an
/// `error` (never sent) from an `unknown` (sent, no answer).
#[derive(Default)]
pub struct SentFlag(AtomicBool);

impl SentFlag {
    pub fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_sent(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// An order whose outcome was unknown, as the ledger saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownOrder {
    pub id: u64,
    pub sku: SkuIdx,
    pub qty: u64,
}

/// Whether a backend stored order ids, and what they show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredIds {
    /// The backend stores none: unknowns stay bounds.
    NotStored,
    /// It stored them, and lost them with the rest of its data (a server
    /// restarted without persistence): unknowns stay bounds.
    Lost,
    Stored(StoredOrders),
}

/// What a backend's stored order ids show (see `Backend::stored_orders`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredOrders {
    /// Per SKU, the units of every order id stored for it.
    pub units: Vec<u64>,
    /// The ids of the unknown orders asked about that the backend stored.
    pub found: Vec<u64>,
}

/// Why a backend could not be set up, reached or read.
#[derive(Debug, thiserror::Error)]
#[error("backend {backend}: {message}")]
pub struct BackendError {
    pub backend: String,
    pub message: String,
    /// The fault is in the scenario's own files (a script the server cannot
    /// compile), not in reaching the backend: exit 2, not 3.
    pub bad_input: bool,
}

impl BackendError {
    pub fn new(backend: &str, message: impl std::fmt::Display) -> Self {
        BackendError {
            backend: backend.to_string(),
            message: message.to_string(),
            bad_input: false,
        }
    }

    /// A fault in the team's own code that the server found before the run.
    pub fn bad_input(backend: &str, message: impl std::fmt::Display) -> Self {
        BackendError {
            bad_input: true,
            ..BackendError::new(backend, message)
        }
    }
}

/// One store × strategy. Implementations are `async fn`s; the runner is generic
/// over this trait so the per-order path has no boxing.
pub trait Backend: Send + Sync + 'static {
    /// Create (or reset) this backend's own `atpsim_` tables or keys with the given stock.
    fn prepare(&self, skus: &[Sku]) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Try to reserve `qty` units of `sku` for order `order` (unique in the
    /// run). Call `sent.mark()` as the request leaves. A backend that stores
    /// order ids writes `order` in the same atomic step as the stock change.
    fn reserve(
        &self,
        order: u64,
        sku: SkuIdx,
        qty: u64,
        sent: &SentFlag,
    ) -> impl Future<Output = Reply> + Send;

    /// Close the clients' connections and wait until the run is quiet (no
    /// session of it left on the server); the final state is read after.
    fn quiesce(&self) -> impl Future<Output = Result<(), BackendError>> + Send {
        async { Ok(()) }
    }

    /// End every server session the clients' pool opened, the admin
    /// session aside (a `kill_connections` fault); the clients reconnect on
    /// their next call. `Err` says why it could not. Validation lets only
    /// kinds with `BackendKind::can_kill_connections` reach it.
    fn kill_connections(&self) -> impl Future<Output = Result<(), String>> + Send {
        async { Err("this backend has no server sessions to kill".to_string()) }
    }

    /// The units the backend's own final state shows as reserved, per SKU (`R`).
    fn snapshot(&self) -> impl Future<Output = Result<Vec<u64>, BackendError>> + Send;

    /// The order ids the backend stored with its reservations, read when
    /// quiet: per SKU the units they add up to, and which of `unknown` are
    /// among them.
    fn stored_orders(
        &self,
        unknown: &[UnknownOrder],
    ) -> impl Future<Output = Result<StoredIds, BackendError>> + Send {
        let _ = unknown;
        async { Ok(StoredIds::NotStored) }
    }

    /// Restart the server, the way a crash does (a `restart_server` fault;
    /// a private `redis-server` only: atpsim never restarts a server it did
    /// not start).
    fn restart_server(&self) -> impl Future<Output = Result<(), String>> + Send {
        async { Err("this backend cannot restart its server".to_string()) }
    }

    /// Hold every write on the server for `pause` (a `pause_writes` fault;
    /// a private `redis-server` only: `CLIENT PAUSE … WRITE`).
    fn pause_writes(&self, pause: Duration) -> impl Future<Output = Result<(), String>> + Send {
        let _ = pause;
        async { Err("this backend cannot pause its server".to_string()) }
    }

    /// Lift a `pause_writes` before its time (an interrupt: the drain must
    /// not wait it out). Nothing to do where nothing can be paused.
    fn unpause_writes(&self) -> impl Future<Output = Result<(), String>> + Send {
        async { Ok(()) }
    }

    /// Hold `sku`'s stock row locked for `hold`, in a transaction of the
    /// backend's own admin session (a `stall_row` fault), then roll it back.
    fn stall_row(
        &self,
        sku: SkuIdx,
        hold: Duration,
    ) -> impl Future<Output = Result<(), String>> + Send {
        let _ = (sku, hold);
        async { Err("this backend has no stock row to lock".to_string()) }
    }

    /// Close every connection and remove what the backend created (unless kept).
    fn close(&self) -> impl Future<Output = ()> + Send;

    /// The first message behind a reply of `Error` or `Unknown`, credentials
    /// redacted, so the report can show what went wrong.
    fn first_error(&self) -> Option<String> {
        None
    }

    /// Settings that change the answer (version, journal mode, …) for `run.json`.
    fn environment(&self) -> serde_json::Value;

    /// How full the batches were, for a batching backend; read after the run.
    fn batches(&self) -> Option<crate::summary::Batches> {
        None
    }

    // The checkout calls (`checkout.rs` states their rules). Kinds whose
    // `BackendKind::supports_checkout` is false keep these defaults, and
    // validation never lets a checkout scenario reach them.

    /// Take an order's lines, all or nothing, as a hold or sold at once.
    fn take(&self, take: &Take<'_>, sent: &SentFlag) -> impl Future<Output = Reply> + Send {
        let _ = (take, sent);
        async { Reply::Error }
    }

    /// Confirm a hold: sell it if live, else apply `policy`.
    fn confirm(
        &self,
        order: &OrderRef<'_>,
        policy: AfterExpiry,
        sent: &SentFlag,
    ) -> impl Future<Output = Confirmed> + Send {
        let _ = (order, policy, sent);
        async { Confirmed::Error }
    }

    /// Cancel a live hold: its units go back at once, exactly once.
    fn release(
        &self,
        order: &OrderRef<'_>,
        sent: &SentFlag,
    ) -> impl Future<Output = Released> + Send {
        let _ = (order, sent);
        async { Released::Error }
    }

    /// Cancel a sold order after purchase: its units go back, exactly once.
    fn refund(
        &self,
        order: &OrderRef<'_>,
        sent: &SentFlag,
    ) -> impl Future<Output = Released> + Send {
        let _ = (order, sent);
        async { Released::Error }
    }

    /// Add `delta` units to a SKU's stock (negative: a correction), in one
    /// atomic step that never overwrites a concurrent sale.
    fn adjust(
        &self,
        sku: SkuIdx,
        delta: i64,
        sent: &SentFlag,
    ) -> impl Future<Output = Reply> + Send {
        let _ = (sku, delta, sent);
        async { Reply::Error }
    }

    /// Free every hold lapsed at `now_us` (the final reap before the state is read).
    fn reap(&self, now_us: u64) -> impl Future<Output = Result<(), BackendError>> + Send {
        let _ = now_us;
        async { Ok(()) }
    }

    /// Whether the backend applied the take keyed `key` (read when quiet).
    fn took_effect(&self, key: u64) -> impl Future<Output = Result<bool, BackendError>> + Send {
        let _ = key;
        async { Ok(false) }
    }

    /// Per SKU: stock, held, sold and live holds, read when quiet.
    fn stock_state(&self) -> impl Future<Output = Result<Vec<StockState>, BackendError>> + Send {
        async {
            Ok(self
                .snapshot()
                .await?
                .into_iter()
                .map(|sold| StockState {
                    sold,
                    ..StockState::default()
                })
                .collect())
        }
    }
}

/// Open the backend a spec names. Generic code below takes the concrete type;
/// this is the one `match` on the kind.
pub async fn with_backend<R>(
    spec: &BackendSpec,
    skus: &[Sku],
    ctx: &OpenContext,
    run: impl AsyncBackendFn<R>,
) -> Result<R, BackendError> {
    use mysql::{Mysql, Strategy as My};
    use postgres::{Postgres, Strategy as Pg};
    use redis::{Redis, Strategy as Rd};
    let hooks = ctx.hooks.clone();
    let pg = |strategy| Postgres::open(spec, skus, strategy, ctx);
    let my = |strategy| Mysql::open(spec, skus, strategy, ctx);
    let rd = |strategy| Redis::open(spec, skus, strategy, ctx);
    Ok(match spec.kind {
        BackendKind::MemoryNaive => run.call(memory::MemoryNaive::open(spec, skus, hooks)).await,
        BackendKind::MemoryAtomic => {
            run.call(memory::MemoryAtomic::open(spec, skus, hooks))
                .await
        }
        BackendKind::MemoryLock => run.call(memory::MemoryLock::open(spec, skus, hooks)).await,
        BackendKind::MemoryQueue => run.call(memory::MemoryQueue::open(spec, skus, hooks)).await,
        BackendKind::MemoryBatch => run.call(memory::MemoryBatch::open(spec, skus, hooks)).await,
        BackendKind::SqliteNaive => {
            run.call(sqlite::Sqlite::open(spec, skus, sqlite::Strategy::Naive, hooks).await?)
                .await
        }
        BackendKind::SqliteAtomic => {
            run.call(sqlite::Sqlite::open(spec, skus, sqlite::Strategy::Atomic, hooks).await?)
                .await
        }
        BackendKind::PostgresNaive => run.call(pg(Pg::Naive).await?).await,
        BackendKind::PostgresAtomic => run.call(pg(Pg::Atomic).await?).await,
        BackendKind::PostgresForUpdate => run.call(pg(Pg::ForUpdate).await?).await,
        BackendKind::PostgresAdvisory => run.call(pg(Pg::Advisory).await?).await,
        BackendKind::PostgresTx => run.call(pg(Pg::Tx(spec.options.isolation)).await?).await,
        BackendKind::PostgresSharded => {
            let buckets = spec.options.buckets;
            run.call(pg(Pg::Sharded { buckets }).await?).await
        }
        BackendKind::PostgresCustom => run.call(pg(Pg::Custom).await?).await,
        BackendKind::PostgresBatch => run.call(pg(Pg::Batch).await?).await,
        BackendKind::MysqlNaive => run.call(my(My::Naive).await?).await,
        BackendKind::MysqlAtomic => run.call(my(My::Atomic).await?).await,
        BackendKind::MysqlForUpdate => run.call(my(My::ForUpdate).await?).await,
        BackendKind::MysqlTx => run.call(my(My::Tx(spec.options.isolation)).await?).await,
        BackendKind::MysqlCustom => run.call(my(My::Custom).await?).await,
        BackendKind::RedisNaive => run.call(rd(Rd::Naive).await?).await,
        BackendKind::RedisWatch => run.call(rd(Rd::Watch).await?).await,
        BackendKind::RedisLua => run.call(rd(Rd::Lua).await?).await,
        BackendKind::RedisDecr => run.call(rd(Rd::Decr).await?).await,
        BackendKind::RedisCustom => run.call(rd(Rd::Custom).await?).await,
    })
}

/// A generic async callback over any backend (closures cannot be generic).
pub trait AsyncBackendFn<R> {
    fn call<B: Backend>(self, backend: B) -> impl Future<Output = R> + Send;
}
