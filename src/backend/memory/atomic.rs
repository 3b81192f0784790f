//! `memory-atomic`: check and add in one compare-and-swap — the conditional UPDATE.

use super::{round_trip, StockTable};
use crate::backend::{Backend, BackendError, Reply, SentFlag};
use crate::scenario::{BackendSpec, Sku, SkuIdx};
use std::time::Duration;

pub struct MemoryAtomic {
    name: String,
    table: StockTable,
    rtt: Duration,
}

impl MemoryAtomic {
    pub fn open(spec: &BackendSpec, skus: &[Sku]) -> Self {
        MemoryAtomic {
            name: spec.name.clone(),
            table: StockTable::new(skus),
            rtt: spec.options.rtt,
        }
    }
}

impl Backend for MemoryAtomic {
    async fn prepare(&self, skus: &[Sku]) -> Result<(), BackendError> {
        self.table.check_len(&self.name, skus)?;
        self.table.reset(skus);
        Ok(())
    }

    async fn reserve(&self, sku: SkuIdx, qty: u64, sent: &SentFlag) -> Reply {
        sent.mark();
        round_trip(self.rtt).await;
        if self.table.cell(sku).try_reserve(qty) {
            Reply::Granted
        } else {
            Reply::SoldOut
        }
    }

    async fn snapshot(&self) -> Result<Vec<u64>, BackendError> {
        Ok(self.table.snapshot())
    }

    async fn close(&self) {}

    fn environment(&self) -> serde_json::Value {
        super::environment(self.rtt)
    }
}
