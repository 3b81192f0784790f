//! `memory-batch`: one queue server per SKU drains the SKU's pending orders
//! and settles each batch with one compare-and-swap on the SKU's cell —
//! first-fit in arrival order (`backend::batch`).

use super::checkout::Books;
use super::{StockTable, Strategy};
use crate::backend::batch::{first_fit, BatchConfig, BatchQueue, Settle, Settled, MAX_SERVERS};
use crate::backend::{Hooks, Reply, SentFlag};
use crate::scenario::{BackendOptions, SkuIdx};
use crate::summary::Batches;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub struct Batch {
    queue: BatchQueue,
}

/// The conditional step: read the cell, fit the batch into what is free,
/// and add the granted units only if nobody changed the cell meanwhile.
struct CellSettler {
    table: Arc<StockTable>,
}

impl Settle for CellSettler {
    async fn settle(&self, sku: SkuIdx, quantities: &[u64]) -> Settled {
        let cell = self.table.cell(sku);
        let limit = cell.limit.load(Ordering::SeqCst);
        let mut reserved = cell.reserved.load(Ordering::SeqCst);
        loop {
            let (granted, units) = first_fit(limit.saturating_sub(reserved), quantities);
            // The server owns the SKU, so this succeeds first time; the
            // compare keeps the step conditional should anything else write.
            match cell.reserved.compare_exchange(
                reserved,
                reserved + units,
                Ordering::SeqCst,
                Ordering::SeqCst,
            ) {
                Ok(_) => return Settled::Each(granted),
                Err(now) => reserved = now,
            }
        }
    }
}

impl Strategy for Batch {
    fn open(
        table: &Arc<StockTable>,
        _books: &Arc<Books>,
        options: &BackendOptions,
        _hooks: Hooks,
    ) -> Self {
        let config = BatchConfig {
            max_orders: options.batch_size as usize,
            max_wait: options.batch_wait,
        };
        let settler = Arc::new(CellSettler {
            table: Arc::clone(table),
        });
        let servers = MAX_SERVERS.min(table.len().max(1));
        Batch {
            queue: BatchQueue::spawn(settler, servers, config),
        }
    }

    async fn reserve(&self, _table: &StockTable, sku: SkuIdx, qty: u64) -> Reply {
        // `Memory::reserve` marked the order sent as it left the harness.
        self.queue.reserve(sku, qty, &SentFlag::default()).await
    }

    fn batches(&self) -> Option<Batches> {
        Some(self.queue.batches())
    }
}
