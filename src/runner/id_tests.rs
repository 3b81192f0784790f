//! The audit settles unknowns through stored order ids, end to end: a test
//! store that loses some answers before applying the reservation and some
//! after, and keeps (or, to test the check, misreports) the ids it stored.

use super::*;
use crate::backend::{Reply, SentFlag, StoredIds, StoredOrders};
use crate::scenario::{parse, Sku, SkuIdx};
use std::collections::HashMap;
use std::path::Path;

/// How the test store keeps its order ids.
#[derive(Clone, Copy, PartialEq)]
enum Ids {
    Kept,
    NotStored,
    /// It records one unit fewer per SKU than its stock shows.
    Misreported,
}

/// One SKU table with atomic check-and-add under a lock. Order `id % 3`:
/// 0 never reaches the store (its answer never comes), 1 is applied and
/// then its answer is lost, 2 is answered at once.
struct LossyStore {
    ids: Ids,
    state: Mutex<Books>,
}

/// Per SKU its limit and reserved units; the stored ids, id → (SKU, units).
type Books = (Vec<u64>, Vec<u64>, HashMap<u64, (SkuIdx, u64)>);

impl LossyStore {
    fn new(ids: Ids) -> Self {
        LossyStore {
            ids,
            state: Mutex::new((Vec::new(), Vec::new(), HashMap::new())),
        }
    }
}

/// Longer than any test scenario's timeout: the answer is lost.
const NEVER: Duration = Duration::from_secs(3600);

impl Backend for LossyStore {
    async fn prepare(&self, skus: &[Sku]) -> Result<(), BackendError> {
        let mut state = self.state.lock().unwrap();
        *state = (
            skus.iter().map(|s| s.stock + s.buffer).collect(),
            vec![0; skus.len()],
            HashMap::new(),
        );
        Ok(())
    }

    async fn reserve(&self, order: u64, sku: SkuIdx, qty: u64, sent: &SentFlag) -> Reply {
        sent.mark();
        if order.is_multiple_of(3) {
            tokio::time::sleep(NEVER).await;
        }
        let granted = {
            let (limit, reserved, ids) = &mut *self.state.lock().unwrap();
            let i = sku as usize;
            let fits = limit[i] - reserved[i] >= qty;
            if fits {
                reserved[i] += qty;
                ids.insert(order, (sku, qty));
            }
            fits
        };
        if order % 3 == 1 {
            tokio::time::sleep(NEVER).await;
        }
        if granted {
            Reply::Granted
        } else {
            Reply::SoldOut
        }
    }

    async fn snapshot(&self) -> Result<Vec<u64>, BackendError> {
        Ok(self.state.lock().unwrap().1.clone())
    }

    async fn stored_orders(&self, unknown: &[UnknownOrder]) -> Result<StoredIds, BackendError> {
        if self.ids == Ids::NotStored {
            return Ok(StoredIds::NotStored);
        }
        let (_, reserved, ids) = &*self.state.lock().unwrap();
        let mut units = vec![0; reserved.len()];
        for &(sku, qty) in ids.values() {
            units[sku as usize] += qty;
        }
        if self.ids == Ids::Misreported {
            units.iter_mut().for_each(|u| *u = u.saturating_sub(1));
        }
        let found = unknown
            .iter()
            .filter(|o| ids.contains_key(&o.id))
            .map(|o| o.id)
            .collect();
        Ok(StoredIds::Stored(StoredOrders { units, found }))
    }

    async fn close(&self) {}

    fn environment(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}

/// 30 single-unit orders at once against `stock` units, one client each.
fn run_lossy(stock: u64, ids: Ids) -> BackendSummary {
    let s = parse(
        &format!(
            "name = \"t\"\nseed = 1\nconcurrency = 30\ntimeout = \"1s\"\n\
             [[sku]]\nid = \"HOT\"\nstock = {stock}\n\
             [[phase]]\nkind = \"instant\"\norders = 30\nskus = {{ pick = \"one\", sku = \"HOT\" }}\n\
             [[backend]]\nkind = \"memory-atomic\"\n"
        ),
        Path::new("test.toml"),
    )
    .expect("test scenario");
    let plan = Plan::measure(&s);
    let (_stop_tx, stop) = watch::channel(Stop::Run);
    let options = RunOptions::quiet(stop);
    let job = RunOne {
        scenario: &s,
        plan: &plan,
        spec: &s.backends[0],
        index: 0,
        options: &options,
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(job.call(LossyStore::new(ids)))
        .expect("runs")
        .summary
}

#[test]
fn stored_ids_settle_each_unknown_the_way_it_went() {
    // Ids 0..30: ten never applied, ten applied with the answer lost, ten answered.
    let b = run_lossy(100, Ids::Kept);
    assert_eq!(b.orders.unknown, 20);
    assert_eq!(b.unknowns.order_ids, "exact");
    assert_eq!(b.unknowns.resolved_granted, 10);
    assert_eq!(b.unknowns.resolved_not, 10);
    assert_eq!(b.unknowns.unresolved, 0);
    assert_eq!((b.units.lost_updates, b.units.phantom), (0, 0));
    // C counts the ten that took effect beside the ten answered; U is empty.
    assert_eq!((b.units.granted, b.units.unknown), (20, 0));
    assert_eq!(b.skus[0].granted, 20);
}

#[test]
fn settled_unknowns_turn_the_oversell_bounds_into_one_figure() {
    // 20 units: the ten answered and the ten applied-then-lost take them all.
    let exact = run_lossy(20, Ids::Kept);
    assert_eq!(exact.orders.granted, 10);
    assert_eq!(exact.unknowns.resolved_granted, 10);
    assert_eq!(exact.units.oversold, 0);
    assert_eq!(
        exact.units.oversold_possible, 0,
        "no bound left once settled"
    );
    // Without ids the same run leaves every unknown a bound.
    let bounds = run_lossy(20, Ids::NotStored);
    assert_eq!(bounds.unknowns.order_ids, "not_stored");
    assert_eq!(bounds.unknowns.unresolved, 20);
    assert_eq!(bounds.units.oversold_possible, 10);
    assert_eq!((bounds.units.granted, bounds.units.unknown), (10, 20));
}

#[test]
fn ids_that_do_not_add_up_to_the_stock_rows_settle_nothing() {
    let b = run_lossy(100, Ids::Misreported);
    assert_eq!(b.unknowns.order_ids, "disagree");
    assert_eq!(b.unknowns.id_mismatch_skus, 1);
    assert_eq!(b.unknowns.unresolved, 20);
    assert_eq!(b.unknowns.resolved_granted + b.unknowns.resolved_not, 0);
}
