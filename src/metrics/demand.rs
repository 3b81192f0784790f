//! Orders and units offered per SKU: one shared count for every recorder
//! shard, reached through a small write-back cache in each shard.
//!
//! Why both: a dense copy per shard makes memory grow with SKUs × threads
//! (16 MB a thread for a million SKUs), while adding to the shared counts
//! on every order makes each order on a hot SKU pay two atomic adds on a
//! line every core writes. The cache keeps a few SKUs' counts per shard
//! and adds them to the shared ones only when a slot is taken over or the
//! run is merged, so a hot SKU touches the shared line about never.

use crate::scenario::SkuIdx;
use std::sync::atomic::{AtomicU64, Ordering};

/// Offered orders and units per SKU, summed over every shard.
pub struct Demand {
    per_sku: Vec<(AtomicU64, AtomicU64)>,
}

impl Demand {
    pub fn new(sku_count: usize) -> Self {
        Demand {
            per_sku: (0..sku_count)
                .map(|_| (AtomicU64::new(0), AtomicU64::new(0)))
                .collect(),
        }
    }

    fn add(&self, sku: SkuIdx, orders: u64, units: u64) {
        let (o, u) = &self.per_sku[sku as usize];
        o.fetch_add(orders, Ordering::Relaxed);
        u.fetch_add(units, Ordering::Relaxed);
    }

    /// (orders, units) of SKU `i`; exact once every cache is flushed.
    pub fn of(&self, i: usize) -> (u64, u64) {
        let (o, u) = &self.per_sku[i];
        (o.load(Ordering::Relaxed), u.load(Ordering::Relaxed))
    }
}

/// Slots of a shard's cache. A power of two, so the slot is a mask.
const SLOTS: usize = 64;

/// A shard's pending demand, direct-mapped by SKU index.
pub struct DemandCache {
    slots: [Pending; SLOTS],
}

#[derive(Clone, Copy, Default)]
struct Pending {
    sku: SkuIdx,
    /// 0 while the slot holds nothing.
    orders: u64,
    units: u64,
}

impl Default for DemandCache {
    fn default() -> Self {
        DemandCache {
            slots: [Pending::default(); SLOTS],
        }
    }
}

impl DemandCache {
    /// Count one order of `qty` units on `sku`.
    pub fn add(&mut self, sku: SkuIdx, qty: u64, shared: &Demand) {
        let slot = &mut self.slots[sku as usize & (SLOTS - 1)];
        if slot.sku != sku && slot.orders > 0 {
            shared.add(slot.sku, slot.orders, slot.units);
            slot.orders = 0;
            slot.units = 0;
        }
        slot.sku = sku;
        slot.orders += 1;
        slot.units += qty;
    }

    /// Add everything pending to the shared counts.
    pub fn flush(&mut self, shared: &Demand) {
        for slot in self.slots.iter_mut().filter(|s| s.orders > 0) {
            shared.add(slot.sku, slot.orders, slot.units);
            *slot = Pending::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_survive_evictions_and_reach_the_shared_totals_on_flush() {
        let shared = Demand::new(200);
        let mut a = DemandCache::default();
        let mut b = DemandCache::default();
        // SKUs 1, 65 and 129 share a slot: each takes it from the other.
        for round in 0..3u64 {
            for sku in [1, 65, 129, 1] {
                a.add(sku, 1 + round, &shared);
                b.add(sku, 2, &shared);
            }
        }
        assert_ne!(shared.of(1), (0, 0), "an eviction adds before the flush");
        a.flush(&shared);
        b.flush(&shared);
        // SKU 1: 6 orders, units (1+2+3)·2 from a and 2·6 from b.
        assert_eq!(shared.of(1), (12, 24));
        assert_eq!(shared.of(65), (6, 6 + 6));
        assert_eq!(shared.of(129), (6, 12));
        assert_eq!(shared.of(0), (0, 0));
        a.flush(&shared);
        assert_eq!(shared.of(1), (12, 24), "a second flush adds nothing");
    }
}
