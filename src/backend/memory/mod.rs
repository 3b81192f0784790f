//! In-process stores: one shared stock table, four strategies over it.
//!
//! Invariant: every memory backend pays the same simulated network trip
//! (`rtt`, once per call, before the call reaches the store; `late_reply`
//! for a share of calls after it), so their
//! latencies compare like for like. tokio timers tick in milliseconds, so any
//! non-zero `rtt` ends on the first tick at or after it (up to about 1 ms more).

mod atomic;
mod batch;
mod book;
mod cart;
mod checkout;
mod lock;
mod naive;
mod queue;

pub use atomic::Atomic;
pub use batch::Batch;
pub use lock::Lock;
pub use naive::Naive;
pub use queue::Queue;

pub type MemoryNaive = Memory<Naive>;
pub type MemoryAtomic = Memory<Atomic>;
pub type MemoryLock = Memory<Lock>;
pub type MemoryQueue = Memory<Queue>;
pub type MemoryBatch = Memory<Batch>;

use super::checkout::{Confirmed, OrderRef, Released, StockState, Take};
use super::{Backend, BackendError, Hooks, Reply, SentFlag};
use crate::scenario::{AfterExpiry, BackendOptions, BackendSpec, Sku, SkuIdx};
use crate::summary::Batches;
use checkout::{Access, Books};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Per-SKU stock: the limit a backend may sell up to and what it has reserved.
pub struct StockTable {
    cells: Vec<StockCell>,
}

pub(crate) struct StockCell {
    /// `on_hand + buffer`: the most a correct backend grants.
    limit: AtomicU64,
    reserved: AtomicU64,
}

impl StockTable {
    pub(crate) fn new(skus: &[Sku]) -> Self {
        let table = StockTable {
            cells: skus
                .iter()
                .map(|_| StockCell {
                    limit: AtomicU64::new(0),
                    reserved: AtomicU64::new(0),
                })
                .collect(),
        };
        table.reset(skus);
        table
    }

    pub(crate) fn reset(&self, skus: &[Sku]) {
        for (cell, sku) in self.cells.iter().zip(skus) {
            cell.limit.store(sku.stock + sku.buffer, Ordering::SeqCst);
            cell.reserved.store(0, Ordering::SeqCst);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.cells.len()
    }

    pub(crate) fn cell(&self, sku: u32) -> &StockCell {
        &self.cells[sku as usize]
    }

    pub(crate) fn snapshot(&self) -> Vec<u64> {
        self.cells
            .iter()
            .map(|c| c.reserved.load(Ordering::SeqCst))
            .collect()
    }
}

impl StockCell {
    /// The naive read: what a client sees before it decides.
    pub(crate) fn read(&self) -> (u64, u64) {
        (
            self.limit.load(Ordering::SeqCst),
            self.reserved.load(Ordering::SeqCst),
        )
    }

    /// The naive write: an absolute value computed by the client.
    pub(crate) fn write_reserved(&self, value: u64) {
        self.reserved.store(value, Ordering::SeqCst);
    }

    /// Check and add in one atomic step: the correct conditional update.
    pub(crate) fn try_reserve(&self, qty: u64) -> bool {
        let limit = self.limit.load(Ordering::SeqCst);
        self.reserved
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |r| {
                (limit.saturating_sub(r) >= qty).then_some(r + qty)
            })
            .is_ok()
    }
}

/// How one memory backend decides; the store, the round trip and the
/// snapshot are the same for all of them (`Memory<S>`).
pub trait Strategy: Send + Sync + Sized + 'static {
    /// Must be called inside a tokio runtime (a strategy may spawn tasks).
    fn open(
        table: &Arc<StockTable>,
        books: &Arc<Books>,
        options: &BackendOptions,
        hooks: Hooks,
    ) -> Self;

    /// How the checkout calls reach the books (`checkout.rs`).
    fn access(&self) -> Access<'_> {
        Access::Locked {
            yield_inside: false,
        }
    }

    /// Decide one request that has just reached the store.
    fn reserve(
        &self,
        table: &StockTable,
        sku: SkuIdx,
        qty: u64,
    ) -> impl Future<Output = Reply> + Send;

    /// How full the batches were, for a batching strategy.
    fn batches(&self) -> Option<Batches> {
        None
    }
}

/// A memory backend: the shared stock table under strategy `S`.
pub struct Memory<S> {
    name: String,
    table: Arc<StockTable>,
    /// The checkout state: holds, sales and stock per SKU.
    books: Arc<Books>,
    rtt: Duration,
    late: LateReplies,
    strategy: S,
}

/// A share of replies held back after the store applied the call.
struct LateReplies {
    /// `share × 2^64`: a call is late when its hashed number falls below.
    threshold: u64,
    delay: Duration,
    calls: AtomicU64,
}

impl LateReplies {
    async fn wait(&self) {
        if self.threshold == 0 {
            return;
        }
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        if mix(n) < self.threshold {
            tokio::time::sleep(self.delay).await;
        }
    }
}

/// SplitMix64's finaliser: spreads consecutive call numbers over u64.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl<S: Strategy> Memory<S> {
    pub fn open(spec: &BackendSpec, skus: &[Sku], hooks: Hooks) -> Self {
        let table = Arc::new(StockTable::new(skus));
        let books = Arc::new(Books::new(skus));
        Memory {
            name: spec.name.clone(),
            strategy: S::open(&table, &books, &spec.options, hooks),
            table,
            books,
            rtt: spec.options.rtt,
            late: LateReplies {
                threshold: (spec.options.late_replies * u64::MAX as f64) as u64,
                delay: spec.options.late_reply,
                calls: AtomicU64::new(0),
            },
        }
    }
}

impl<S: Strategy> Backend for Memory<S> {
    async fn prepare(&self, skus: &[Sku]) -> Result<(), BackendError> {
        if skus.len() != self.table.cells.len() {
            return Err(BackendError::new(
                &self.name,
                "catalogue changed after open",
            ));
        }
        self.table.reset(skus);
        self.books.reset(skus).await;
        Ok(())
    }

    async fn reserve(&self, _order: u64, sku: SkuIdx, qty: u64, sent: &SentFlag) -> Reply {
        sent.mark();
        if !self.rtt.is_zero() {
            tokio::time::sleep(self.rtt).await;
        }
        let reply = self.strategy.reserve(&self.table, sku, qty).await;
        self.late.wait().await;
        reply
    }

    async fn snapshot(&self) -> Result<Vec<u64>, BackendError> {
        Ok(self.table.snapshot())
    }

    async fn close(&self) {}

    fn environment(&self) -> serde_json::Value {
        serde_json::json!({ "store": "memory", "rtt_ms": self.rtt.as_secs_f64() * 1000.0 })
    }

    fn batches(&self) -> Option<Batches> {
        self.strategy.batches()
    }

    async fn take(&self, take: &Take<'_>, sent: &SentFlag) -> Reply {
        self.trip(sent).await;
        let reply = checkout::take(self.strategy.access(), &self.books, take).await;
        self.late.wait().await;
        reply
    }

    async fn confirm(
        &self,
        order: &OrderRef<'_>,
        policy: AfterExpiry,
        sent: &SentFlag,
    ) -> Confirmed {
        self.trip(sent).await;
        let reply = checkout::confirm(self.strategy.access(), &self.books, order, policy).await;
        self.late.wait().await;
        reply
    }

    async fn release(&self, order: &OrderRef<'_>, sent: &SentFlag) -> Released {
        self.trip(sent).await;
        let reply = checkout::release(self.strategy.access(), &self.books, order, false).await;
        self.late.wait().await;
        reply
    }

    async fn refund(&self, order: &OrderRef<'_>, sent: &SentFlag) -> Released {
        self.trip(sent).await;
        let reply = checkout::release(self.strategy.access(), &self.books, order, true).await;
        self.late.wait().await;
        reply
    }

    async fn adjust(&self, sku: SkuIdx, delta: i64, sent: &SentFlag) -> Reply {
        self.trip(sent).await;
        let reply = checkout::adjust(self.strategy.access(), &self.books, sku, delta).await;
        self.late.wait().await;
        reply
    }

    async fn reap(&self, now_us: u64) -> Result<(), BackendError> {
        self.books.reap(now_us).await;
        Ok(())
    }

    async fn took_effect(&self, key: u64) -> Result<bool, BackendError> {
        Ok(self.books.took_effect(key).await)
    }

    async fn stock_state(&self) -> Result<Vec<StockState>, BackendError> {
        Ok(self.books.states().await)
    }
}

impl<S: Strategy> Memory<S> {
    /// The simulated network trip every call pays before it reaches the store.
    async fn trip(&self, sent: &SentFlag) {
        sent.mark();
        if !self.rtt.is_zero() {
            tokio::time::sleep(self.rtt).await;
        }
    }
}
