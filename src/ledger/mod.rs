//! The harness's own ledger of what it was promised, per SKU.
//!
//! Invariant: every figure here comes from what the harness sent and what it
//! was told — never from the backend's opinion of its own state. Events in
//! flight are judged in the backend's favour (results/README.md): a request still in
//! flight counts as taking stock when a refusal is judged.

pub mod checkout;

use crate::backend::UnknownOrder;
use crate::scenario::{Sku, SkuIdx};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::Mutex;

/// Unknown orders the ledger lists for the audit to look up by id; past
/// this many (24 MB of them) none is settled, since a list with holes would
/// settle the missing ones as not taken.
pub const MAX_LOOKED_UP: usize = 1_000_000;

/// Oversold grants kept as samples for the report.
pub const OVERSELL_SAMPLES: usize = 20;

pub struct Ledger {
    skus: Vec<SkuLedger>,
    /// Every order whose outcome was unknown, for the audit to look up
    /// among the ids the backend stored. Unknowns are rare: a lock is fine.
    unknown_orders: Mutex<Vec<UnknownOrder>>,
    /// (SKU, refused quantity) → count: candidates for `wrongly_refused`,
    /// in `REFUSED_SHARDS` shards by SKU.
    refused: Vec<Mutex<BTreeMap<(SkuIdx, u64), u64>>>,
    samples: Mutex<Vec<GrantSample>>,
    sample_count: AtomicUsize,
}

/// What a grant reads and writes comes first (`repr(C)` keeps the order),
/// so it touches as few cache lines as it can.
#[repr(C)]
struct SkuLedger {
    /// Units of every attempt sent: what the backend may have taken, until
    /// the attempt settles. At most 10^9 orders × 10^6 units × 101
    /// attempts: far inside a u64.
    sent: AtomicU64,
    /// `C`: granted units.
    committed: AtomicU64,
    /// Earliest intended time of a refusal made while `free` covered it.
    earliest_covered_refusal: AtomicU64,
    /// `S + B`: the most a correct backend may grant.
    limit: u64,
    /// Units of attempts that settled taking nothing: refused, failed, or a
    /// conflict to retry. `sent − settled_empty` is what the backend holds
    /// at best: committed, unknown and still in flight. Two counters that
    /// only grow replace an in-flight gauge, so a grant costs two writes
    /// instead of three.
    settled_empty: AtomicU64,
    /// `U`: units of unknown outcomes.
    unknown: AtomicU64,
    unknown_orders: AtomicU64,
    /// Largest `C − S − B` seen, 0 while never overcommitted.
    peak_over: AtomicU64,
}

/// Shards of the refused quantities, by SKU index. One map per SKU (a lock
/// and a map, 32 bytes) would take 32 MB for a million SKUs; a refusal locks
/// its SKU's shard, which the SKU's other refusals would lock anyway.
const REFUSED_SHARDS: usize = 64;

/// What the ledger concluded about one grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GrantVerdict {
    /// Units of this grant beyond `S + B` (its share of `oversold_at_grant`).
    pub oversold_units: u64,
    /// An order for the same SKU with an earlier intended time was refused
    /// while stock covered it.
    pub fairness_inversion: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GrantSample {
    pub order_id: u64,
    pub sku: SkuIdx,
    pub qty: u64,
    pub intended_ns: u64,
    pub acknowledged_ns: u64,
}

/// The ledger's final state of one SKU, input to the audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkuTotals {
    pub stock: u64,
    pub buffer: u64,
    pub committed: u64,
    pub unknown: u64,
    pub unknown_orders: u64,
    /// Largest `C − S − B` seen, 0 if never positive.
    pub peak_over: u64,
    /// `(quantity, orders)` of every refusal.
    pub refused: Vec<(u64, u64)>,
}

impl Ledger {
    pub fn new(skus: &[Sku]) -> Self {
        Ledger {
            skus: skus
                .iter()
                .map(|s| SkuLedger {
                    sent: AtomicU64::new(0),
                    committed: AtomicU64::new(0),
                    earliest_covered_refusal: AtomicU64::new(u64::MAX),
                    limit: s.stock + s.buffer,
                    settled_empty: AtomicU64::new(0),
                    unknown: AtomicU64::new(0),
                    unknown_orders: AtomicU64::new(0),
                    peak_over: AtomicU64::new(0),
                })
                .collect(),
            unknown_orders: Mutex::new(Vec::new()),
            refused: (0..REFUSED_SHARDS)
                .map(|_| Mutex::new(BTreeMap::new()))
                .collect(),
            samples: Mutex::new(Vec::new()),
            sample_count: AtomicUsize::new(0),
        }
    }

    /// An attempt for `qty` units is about to be sent.
    pub fn sent(&self, sku: SkuIdx, qty: u64) {
        self.skus[sku as usize].sent.fetch_add(qty, SeqCst);
    }

    /// An attempt ended without a verdict on stock (error, or a conflict to retry).
    pub fn no_effect(&self, sku: SkuIdx, qty: u64) {
        self.skus[sku as usize].settled_empty.fetch_add(qty, SeqCst);
    }

    /// The backend granted `qty` units; `intended_ns` orders fairness.
    pub fn granted(&self, sku: SkuIdx, qty: u64, intended_ns: u64) -> GrantVerdict {
        let s = &self.skus[sku as usize];
        let prev = s.committed.fetch_add(qty, SeqCst);
        let over = |c: u64| c.saturating_sub(s.limit);
        let now = prev + qty;
        if now > s.limit {
            // Only overcommitting grants pay for this update.
            s.peak_over.fetch_max(now - s.limit, SeqCst);
        }
        GrantVerdict {
            oversold_units: over(now) - over(prev),
            fairness_inversion: s.earliest_covered_refusal.load(SeqCst) < intended_ns,
        }
    }

    /// The order was finally refused (sold out, or conflicts past the retry budget).
    pub fn refused(&self, sku: SkuIdx, qty: u64, intended_ns: u64) {
        let s = &self.skus[sku as usize];
        // Free as the backend's best case sees it: everything in flight
        // succeeds, so it holds `sent − settled_empty`. `settled_empty` is
        // read first (with this refusal added): an attempt is counted in
        // `sent` before it can settle, so whatever settled by that read is
        // in `sent` by the next, and sends in between only count in the
        // backend's favour.
        let settled_empty = s.settled_empty.fetch_add(qty, SeqCst) + qty;
        let taken = s.sent.load(SeqCst).saturating_sub(settled_empty);
        if s.limit.saturating_sub(taken) >= qty {
            s.earliest_covered_refusal.fetch_min(intended_ns, SeqCst);
        }
        *self.refused[sku as usize % REFUSED_SHARDS]
            .lock()
            .expect("ledger lock")
            .entry((sku, qty))
            .or_insert(0) += 1;
    }

    /// Order `id`'s attempt was sent and no answer came: it may have taken effect.
    pub fn unknown(&self, id: u64, sku: SkuIdx, qty: u64) {
        let s = &self.skus[sku as usize];
        s.unknown.fetch_add(qty, SeqCst);
        s.unknown_orders.fetch_add(1, SeqCst);
        let mut listed = self.unknown_orders.lock().expect("unknown orders lock");
        // One past the limit marks the list as incomplete.
        if listed.len() <= MAX_LOOKED_UP {
            listed.push(UnknownOrder { id, sku, qty });
        }
    }

    /// The orders whose outcome was unknown, in no particular order; `None`
    /// when there were more than `MAX_LOOKED_UP`.
    pub fn unknown_orders(&self) -> Option<Vec<UnknownOrder>> {
        let listed = self.unknown_orders.lock().expect("unknown orders lock");
        (listed.len() <= MAX_LOOKED_UP).then(|| listed.clone())
    }

    /// Keep the first oversold grants as samples (cheap once full).
    pub fn sample_oversold(&self, sample: GrantSample) {
        if self.sample_count.fetch_add(1, SeqCst) < OVERSELL_SAMPLES {
            self.samples.lock().expect("sample lock").push(sample);
        }
    }

    pub fn samples(&self) -> Vec<GrantSample> {
        let mut samples = self.samples.lock().expect("sample lock").clone();
        samples.sort_by_key(|s| (s.acknowledged_ns, s.order_id));
        samples
    }

    /// Final totals per SKU (call when the run is quiet).
    pub fn totals(&self, skus: &[Sku]) -> Vec<SkuTotals> {
        self.each_total(skus).collect()
    }

    /// As `totals`, one SKU at a time, for an audit that keeps none of them
    /// (a million SKUs' totals take 72 MB).
    pub fn each_total<'a>(
        &'a self,
        skus: &'a [Sku],
    ) -> impl ExactSizeIterator<Item = SkuTotals> + 'a {
        (0..skus.len()).map(|i| self.total(i, &skus[i]))
    }

    /// Final totals of SKU `i`, which is `sku`.
    pub fn total(&self, i: usize, sku: &Sku) -> SkuTotals {
        let l = &self.skus[i];
        SkuTotals {
            stock: sku.stock,
            buffer: sku.buffer,
            committed: l.committed.load(SeqCst),
            unknown: l.unknown.load(SeqCst),
            unknown_orders: l.unknown_orders.load(SeqCst),
            peak_over: l.peak_over.load(SeqCst),
            refused: self.refused[i % REFUSED_SHARDS]
                .lock()
                .expect("ledger lock")
                .range((i as SkuIdx, 0)..=(i as SkuIdx, u64::MAX))
                .map(|(&(_, q), &n)| (q, n))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(stock: u64, buffer: u64) -> Ledger {
        Ledger::new(&[Sku {
            id: "A".into(),
            stock,
            buffer,
        }])
    }

    #[test]
    fn past_the_listing_limit_no_unknown_is_looked_up() {
        let l = ledger(10, 0);
        for id in 0..MAX_LOOKED_UP as u64 {
            l.unknown(id, 0, 1);
        }
        assert_eq!(l.unknown_orders().map(|u| u.len()), Some(MAX_LOOKED_UP));
        l.unknown(u64::MAX, 0, 1);
        assert_eq!(
            l.unknown_orders(),
            None,
            "a list with holes settles nothing"
        );
    }

    #[test]
    fn oversold_at_grant_counts_only_units_past_the_limit() {
        let l = ledger(5, 1);
        l.sent(0, 4);
        assert_eq!(l.granted(0, 4, 0).oversold_units, 0);
        l.sent(0, 4);
        // 8 committed against a limit of 6: 2 of these 4 units are oversold.
        assert_eq!(l.granted(0, 4, 0).oversold_units, 2);
        l.sent(0, 1);
        assert_eq!(l.granted(0, 1, 0).oversold_units, 1);
        assert_eq!(
            l.totals(&[Sku {
                id: "A".into(),
                stock: 5,
                buffer: 1
            }])[0]
                .peak_over,
            3
        );
    }

    #[test]
    fn refusal_while_stock_covered_it_makes_later_grants_inversions() {
        let l = ledger(10, 0);
        l.sent(0, 1);
        l.refused(0, 1, 100);
        l.sent(0, 1);
        assert!(l.granted(0, 1, 200).fairness_inversion);
        l.sent(0, 1);
        assert!(
            !l.granted(0, 1, 50).fairness_inversion,
            "earlier order is no inversion"
        );
    }

    #[test]
    fn refusal_is_judged_with_in_flight_requests_taking_stock() {
        let l = ledger(1, 0);
        l.sent(0, 1); // another client's request, still in flight
        l.sent(0, 1);
        l.refused(0, 1, 100);
        l.granted(0, 1, 0);
        l.sent(0, 1);
        let later = l.granted(0, 1, 200);
        assert!(
            !later.fairness_inversion,
            "stock was spoken for when refused"
        );
    }
}
