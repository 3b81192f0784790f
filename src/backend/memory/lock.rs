//! `memory-lock`: the naive read-then-write, serialised by a per-SKU lock.
//!
//! Correct, and it shows the cost: every order for the hot SKU waits its turn.

use super::naive::read_then_write;
use super::{round_trip, StockTable};
use crate::backend::{Backend, BackendError, Hooks, Reply, SentFlag};
use crate::scenario::{BackendSpec, Sku, SkuIdx};
use std::time::Duration;
use tokio::sync::Mutex;

pub struct MemoryLock {
    name: String,
    table: StockTable,
    locks: Vec<Mutex<()>>,
    rtt: Duration,
    /// Always empty: a barrier inside the lock would deadlock.
    no_hooks: Hooks,
}

impl MemoryLock {
    pub fn open(spec: &BackendSpec, skus: &[Sku]) -> Self {
        MemoryLock {
            name: spec.name.clone(),
            table: StockTable::new(skus),
            locks: skus.iter().map(|_| Mutex::new(())).collect(),
            rtt: spec.options.rtt,
            no_hooks: Hooks::default(),
        }
    }
}

impl Backend for MemoryLock {
    async fn prepare(&self, skus: &[Sku]) -> Result<(), BackendError> {
        self.table.check_len(&self.name, skus)?;
        self.table.reset(skus);
        Ok(())
    }

    async fn reserve(&self, sku: SkuIdx, qty: u64, sent: &SentFlag) -> Reply {
        sent.mark();
        round_trip(self.rtt).await;
        // An async mutex: the holder yields between read and write, exactly as
        // the naive backend does, and other SKUs' clients keep running.
        let _guard = self.locks[sku as usize].lock().await;
        read_then_write(&self.table, sku, qty, &self.no_hooks).await
    }

    async fn snapshot(&self) -> Result<Vec<u64>, BackendError> {
        Ok(self.table.snapshot())
    }

    async fn close(&self) {}

    fn environment(&self) -> serde_json::Value {
        super::environment(self.rtt)
    }
}
