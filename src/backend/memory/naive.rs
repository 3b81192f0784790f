//! `memory-naive`: read available, yield, write `reserved` as an absolute value.
//!
//! The yield lets other tasks run between the read and the write, so on the
//! multi-threaded runtime two clients read the same `reserved` and both write:
//! the read-then-write race, for real.

use super::{round_trip, StockTable};
use crate::backend::{Backend, BackendError, Hooks, Reply, SentFlag};
use crate::scenario::{BackendSpec, Sku, SkuIdx};
use std::time::Duration;

pub struct MemoryNaive {
    name: String,
    table: StockTable,
    rtt: Duration,
    hooks: Hooks,
}

impl MemoryNaive {
    pub fn open(spec: &BackendSpec, skus: &[Sku], hooks: Hooks) -> Self {
        MemoryNaive {
            name: spec.name.clone(),
            table: StockTable::new(skus),
            rtt: spec.options.rtt,
            hooks,
        }
    }
}

/// The racy read-then-write shared by `memory-naive` and, under a lock, `memory-lock`.
pub(crate) async fn read_then_write(
    table: &StockTable,
    sku: SkuIdx,
    qty: u64,
    hooks: &Hooks,
) -> Reply {
    let cell = table.cell(sku);
    let (limit, reserved) = cell.read();
    tokio::task::yield_now().await;
    hooks.after_read().await;
    if limit.saturating_sub(reserved) < qty {
        return Reply::SoldOut;
    }
    cell.write_reserved(reserved + qty);
    Reply::Granted
}

impl Backend for MemoryNaive {
    async fn prepare(&self, skus: &[Sku]) -> Result<(), BackendError> {
        self.table.check_len(&self.name, skus)?;
        self.table.reset(skus);
        Ok(())
    }

    async fn reserve(&self, sku: SkuIdx, qty: u64, sent: &SentFlag) -> Reply {
        sent.mark();
        round_trip(self.rtt).await;
        read_then_write(&self.table, sku, qty, &self.hooks).await
    }

    async fn snapshot(&self) -> Result<Vec<u64>, BackendError> {
        Ok(self.table.snapshot())
    }

    async fn close(&self) {}

    fn environment(&self) -> serde_json::Value {
        super::environment(self.rtt)
    }
}
