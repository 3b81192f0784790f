//! In-process stores: one shared stock table, four strategies over it.
//!
//! Invariant: every memory backend pays the same simulated network trip
//! (`rtt`, once per call, before the call reaches the store), so their
//! latencies compare like for like. tokio timers tick in milliseconds, so any
//! non-zero `rtt` rounds up to the next millisecond.

mod atomic;
mod lock;
mod naive;
mod queue;

pub use atomic::MemoryAtomic;
pub use lock::MemoryLock;
pub use naive::MemoryNaive;
pub use queue::MemoryQueue;

use super::BackendError;
use crate::scenario::Sku;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Per-SKU stock: the limit a backend may sell up to and what it has reserved.
pub(crate) struct StockTable {
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

    pub(crate) fn cell(&self, sku: u32) -> &StockCell {
        &self.cells[sku as usize]
    }

    pub(crate) fn snapshot(&self) -> Vec<u64> {
        self.cells
            .iter()
            .map(|c| c.reserved.load(Ordering::SeqCst))
            .collect()
    }

    pub(crate) fn check_len(&self, backend: &str, skus: &[Sku]) -> Result<(), BackendError> {
        if skus.len() == self.cells.len() {
            Ok(())
        } else {
            Err(BackendError::new(backend, "catalogue changed after open"))
        }
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

/// The one simulated network trip a memory call makes.
pub(crate) async fn round_trip(rtt: Duration) {
    if !rtt.is_zero() {
        tokio::time::sleep(rtt).await;
    }
}

pub(crate) fn environment(rtt: Duration) -> serde_json::Value {
    serde_json::json!({ "store": "memory", "rtt_ms": rtt.as_secs_f64() * 1000.0 })
}
