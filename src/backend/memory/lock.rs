//! `memory-lock`: the naive read-then-write, serialised by a per-SKU lock.
//!
//! Correct, and it shows the cost: every order for the hot SKU waits its turn.

use super::checkout::{Access, Books};
use super::naive::read_then_write;
use super::{StockTable, Strategy};
use crate::backend::{Hooks, Reply};
use crate::scenario::BackendOptions;
use crate::scenario::SkuIdx;
use std::sync::Arc;
use tokio::sync::Mutex;

pub struct Lock {
    locks: Vec<Mutex<()>>,
    /// Always empty: a barrier inside the lock would deadlock.
    no_hooks: Hooks,
}

impl Strategy for Lock {
    fn open(
        table: &Arc<StockTable>,
        _books: &Arc<Books>,
        _: &BackendOptions,
        _hooks: Hooks,
    ) -> Self {
        Lock {
            locks: (0..table.len()).map(|_| Mutex::new(())).collect(),
            no_hooks: Hooks::default(),
        }
    }

    fn access(&self) -> Access<'_> {
        Access::Locked { yield_inside: true }
    }

    async fn reserve(&self, table: &StockTable, sku: SkuIdx, qty: u64) -> Reply {
        // An async mutex: the holder yields between read and write, exactly as
        // the naive backend does, and other SKUs' clients keep running.
        let _guard = self.locks[sku as usize].lock().await;
        read_then_write(table, sku, qty, &self.no_hooks).await
    }
}
