//! `memory-naive`: read available, yield, write `reserved` as an absolute value.
//!
//! The yield lets other tasks run between the read and the write, so on the
//! multi-threaded runtime two clients read the same `reserved` and both write:
//! the read-then-write race, for real.

use super::checkout::{Access, Books};
use super::{StockTable, Strategy};
use crate::backend::{Hooks, Reply};
use crate::scenario::BackendOptions;
use crate::scenario::SkuIdx;
use std::sync::Arc;

pub struct Naive {
    hooks: Hooks,
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

impl Strategy for Naive {
    fn open(
        _table: &Arc<StockTable>,
        _books: &Arc<Books>,
        _: &BackendOptions,
        hooks: Hooks,
    ) -> Self {
        Naive { hooks }
    }

    fn access(&self) -> Access<'_> {
        Access::Naive(&self.hooks)
    }

    async fn reserve(&self, table: &StockTable, sku: SkuIdx, qty: u64) -> Reply {
        read_then_write(table, sku, qty, &self.hooks).await
    }
}
