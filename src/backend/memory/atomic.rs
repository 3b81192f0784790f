//! `memory-atomic`: check and add in one compare-and-swap — the conditional UPDATE.

use super::checkout::Books;
use super::{StockTable, Strategy};
use crate::backend::{Hooks, Reply};
use crate::scenario::BackendOptions;
use crate::scenario::SkuIdx;
use std::sync::Arc;

pub struct Atomic;

impl Strategy for Atomic {
    fn open(
        _table: &Arc<StockTable>,
        _books: &Arc<Books>,
        _: &BackendOptions,
        _hooks: Hooks,
    ) -> Self {
        Atomic
    }

    async fn reserve(&self, table: &StockTable, sku: SkuIdx, qty: u64) -> Reply {
        if table.cell(sku).try_reserve(qty) {
            Reply::Granted
        } else {
            Reply::SoldOut
        }
    }
}
