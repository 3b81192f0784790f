//! The open-loop schedule: every phase's arrivals merged in time order, lazily.
//!
//! Invariant: the same scenario yields the same orders, in the same order, with
//! the same ids — regenerated afresh for every backend, never stored whole.

use super::arrival::Arrivals;
use super::sample::{phase_rng, GENERATOR_VERSION};
use super::workload::Workload;
use crate::scenario::{Scenario, SkuIdx};
use sha2::{Digest, Sha256};
use std::cmp::Reverse;
use std::collections::binary_heap::{BinaryHeap, PeekMut};

/// Orders the schedule hash covers.
pub const HASHED_ORDERS: usize = 100_000;

/// One order as the schedule intends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    /// Open-loop ids count from 0 in schedule order; closed-loop ids from
    /// `CLOSED_LOOP_ID_BASE`, in the order clients take them.
    pub id: u64,
    /// Intended time, nanoseconds after `t0`.
    pub intended_ns: u64,
    pub sku: SkuIdx,
    pub qty: u64,
    pub phase: u16,
}

/// First id of closed-loop orders, above any open-loop id.
pub const CLOSED_LOOP_ID_BASE: u64 = crate::scenario::MAX_ORDERS;

/// Arrival stream of phase `p` is `2p`, its workload stream `2p + 1`.
pub fn workload_for_phase(scenario: &Scenario, phase: usize) -> Workload {
    Workload::new(
        &scenario.phases[phase],
        scenario.skus.len(),
        phase_rng(scenario.seed, 2 * phase as u64 + 1),
    )
}

/// Most orders a client takes from the schedule at once.
pub const RUN_MAX: usize = 16;

/// Orders a client took from the schedule at once, handed out in order.
pub struct OrderRun {
    orders: [Order; RUN_MAX],
    pos: usize,
    len: usize,
}

impl Default for OrderRun {
    fn default() -> Self {
        OrderRun {
            orders: [NO_ORDER; RUN_MAX],
            pos: 0,
            len: 0,
        }
    }
}

impl Iterator for OrderRun {
    type Item = Order;

    fn next(&mut self) -> Option<Order> {
        let order = *self.orders[..self.len].get(self.pos)?;
        self.pos += 1;
        Some(order)
    }
}

/// A placeholder for slots not yet filled.
const NO_ORDER: Order = Order {
    id: 0,
    intended_ns: 0,
    sku: 0,
    qty: 0,
    phase: 0,
};

/// The open-loop orders of a run, generated as clients take them. Clients
/// share it behind one lock and take runs of orders, so it touches few
/// lines per run: the generator's state, and the order it peeked at.
pub struct Schedule {
    /// Orders handed out so far.
    taken: u64,
    /// Generated and not yet handed out: a run stops before an order not
    /// yet due.
    peeked: Option<Order>,
    phases: Vec<(Arrivals, Workload)>,
    /// Next due time of each phase that still has orders: (time, phase).
    heads: BinaryHeap<Reverse<(u64, usize)>>,
    /// Orders generated so far: the id of the next.
    next_id: u64,
}

impl Schedule {
    pub fn new(scenario: &Scenario) -> Self {
        let mut phases = Vec::new();
        let mut heads = BinaryHeap::new();
        for (p, phase) in scenario.phases.iter().enumerate() {
            let mut arrivals = Arrivals::new(phase, phase_rng(scenario.seed, 2 * p as u64));
            if let Some(first) = arrivals.next() {
                heads.push(Reverse((first, p)));
            }
            phases.push((arrivals, workload_for_phase(scenario, p)));
        }
        Schedule {
            taken: 0,
            peeked: None,
            phases,
            heads,
            next_id: 0,
        }
    }

    /// Orders handed out so far.
    pub fn taken(&self) -> u64 {
        self.taken
    }

    /// The next order in schedule order, generated now.
    fn generate(&mut self) -> Option<Order> {
        // Ties in time go to the lower phase index, so the merge is
        // deterministic. The head is replaced in place: one sift instead of
        // a pop and a push.
        let mut head = self.heads.peek_mut()?;
        let Reverse((intended_ns, p)) = *head;
        let (arrivals, workload) = &mut self.phases[p];
        let (sku, qty) = workload.draw();
        match arrivals.next() {
            Some(next) => *head = Reverse((next, p)),
            None => {
                PeekMut::pop(head);
            }
        }
        let id = self.next_id;
        self.next_id += 1;
        Some(Order {
            id,
            intended_ns,
            sku,
            qty,
            phase: p as u16,
        })
    }

    /// Replace `run` with the next order and, up to `max` orders in all
    /// (at most `RUN_MAX`), the ones after it that are due by `due_ns`:
    /// orders the client would send at once anyway. `run` is left empty
    /// when the schedule is.
    pub fn take_run(&mut self, max: usize, due_ns: u64, run: &mut OrderRun) {
        run.pos = 0;
        run.len = 0;
        while run.len < max.min(RUN_MAX) {
            let Some(order) = self.peeked.take().or_else(|| self.generate()) else {
                break;
            };
            if run.len > 0 && order.intended_ns > due_ns {
                self.peeked = Some(order);
                break;
            }
            self.taken += 1;
            run.orders[run.len] = order;
            run.len += 1;
        }
    }
}

impl Iterator for Schedule {
    type Item = Order;

    fn next(&mut self) -> Option<Order> {
        let order = self.peeked.take().or_else(|| self.generate())?;
        self.taken += 1;
        Some(order)
    }
}

/// SHA-256 over the generator version, the parts of the scenario that shape the
/// schedule (seed, SKUs, phases — not backends, concurrency or timeouts) and the
/// first `HASHED_ORDERS` orders. Two runs with equal hashes offered the same load.
pub fn schedule_hash(scenario: &Scenario) -> String {
    let mut h = Sha256::new();
    h.update(b"atpsim-schedule\0");
    h.update(GENERATOR_VERSION.to_le_bytes());
    h.update(scenario.seed.to_le_bytes());
    // SKUs field by field, so a big catalogue is never copied into a JSON tree.
    h.update((scenario.skus.len() as u64).to_le_bytes());
    for sku in &scenario.skus {
        h.update((sku.id.len() as u64).to_le_bytes());
        h.update(sku.id.as_bytes());
        h.update(sku.stock.to_le_bytes());
        h.update(sku.buffer.to_le_bytes());
    }
    // Phases as JSON with sorted keys: independent of field order in the code.
    let phases = serde_json::to_value(&scenario.phases).expect("phases serialise");
    h.update(phases.to_string().as_bytes());
    // The checkout draws carts and customers from the seed too, so the same
    // orders under another checkout are another schedule. Plain scenarios
    // hash as they always have.
    if let Some(checkout) = &scenario.checkout {
        let checkout = serde_json::to_value(checkout).expect("checkout serialises");
        h.update(b"checkout\0");
        h.update(checkout.to_string().as_bytes());
    }
    // Faults change what the backends face, so a run with them is another
    // scenario; plain scenarios hash as they always have.
    if !scenario.faults.is_empty() {
        let faults = serde_json::to_value(&scenario.faults).expect("faults serialise");
        h.update(b"faults\0");
        h.update(faults.to_string().as_bytes());
    }
    for order in Schedule::new(scenario).take(HASHED_ORDERS) {
        h.update(order.id.to_le_bytes());
        h.update(order.intended_ns.to_le_bytes());
        h.update(order.sku.to_le_bytes());
        h.update(order.qty.to_le_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;
    use std::path::Path;

    fn scenario(phases: &str) -> Scenario {
        let text = format!(
            "name = \"t\"\nseed = 9\n[[sku]]\nid = \"A\"\nstock = 10\n[[sku]]\nid = \"B\"\nstock = 10\n{phases}\n[[backend]]\nkind = \"memory-atomic\"\n"
        );
        parse(&text, Path::new("t.toml")).expect("valid test scenario")
    }

    #[test]
    fn phases_merge_in_time_order_with_sequential_ids() {
        let s = scenario(
            "[[phase]]\nkind = \"constant\"\nrate = 100\nduration = \"1s\"\n\
             [[phase]]\nkind = \"instant\"\norders = 50\nat = \"500ms\"\n",
        );
        let orders: Vec<Order> = Schedule::new(&s).collect();
        assert_eq!(orders.len(), 150);
        assert!(orders
            .windows(2)
            .all(|w| w[0].intended_ns <= w[1].intended_ns));
        assert!(orders.iter().enumerate().all(|(i, o)| o.id == i as u64));
        assert_eq!(orders.iter().filter(|o| o.phase == 1).count(), 50);
    }

    #[test]
    fn taken_counts_orders_handed_out_not_generated_ahead() {
        let s = scenario("[[phase]]\nkind = \"instant\"\norders = 40\n");
        let mut schedule = Schedule::new(&s);
        assert_eq!(schedule.taken(), 0);
        let first: Vec<Order> = schedule.by_ref().take(3).collect();
        assert_eq!(schedule.taken(), 3);
        assert_eq!(first.iter().map(|o| o.id).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(schedule.by_ref().count(), 37);
        assert_eq!(schedule.taken(), 40);
        assert_eq!(schedule.next(), None);
        assert_eq!(schedule.taken(), 40);
    }

    #[test]
    fn runs_take_the_next_order_then_only_those_already_due() {
        let s = scenario(
            "[[phase]]\nkind = \"instant\"\norders = 20\n\
             [[phase]]\nkind = \"instant\"\norders = 5\nat = \"1s\"\n",
        );
        let all: Vec<Order> = Schedule::new(&s).collect();
        let mut schedule = Schedule::new(&s);
        let mut run = OrderRun::default();
        let mut taken = Vec::new();
        // A run of one, then runs capped at RUN_MAX, all due at 0.
        schedule.take_run(1, 0, &mut run);
        taken.extend(run.by_ref());
        assert_eq!(taken.len(), 1);
        schedule.take_run(100, 0, &mut run);
        assert_eq!(run.by_ref().inspect(|o| taken.push(*o)).count(), RUN_MAX);
        // Three burst orders are left; the next phase is not due by 0.
        schedule.take_run(RUN_MAX, 0, &mut run);
        assert_eq!(run.by_ref().inspect(|o| taken.push(*o)).count(), 3);
        // The next order comes even when not yet due; those after it only when due.
        schedule.take_run(RUN_MAX, 0, &mut run);
        assert_eq!(run.by_ref().inspect(|o| taken.push(*o)).count(), 1);
        schedule.take_run(RUN_MAX, 1_000_000_000, &mut run);
        assert_eq!(run.by_ref().inspect(|o| taken.push(*o)).count(), 4);
        schedule.take_run(RUN_MAX, u64::MAX, &mut run);
        assert_eq!(run.next(), None);
        assert_eq!(taken, all, "runs hand out the schedule in order, once");
        assert_eq!(schedule.taken(), 25);
    }

    #[test]
    fn same_seed_same_schedule_other_seed_other_hash() {
        let a = scenario("[[phase]]\nkind = \"poisson\"\nrate = 500\nduration = \"1s\"\n");
        let mut b = a.clone();
        assert_eq!(schedule_hash(&a), schedule_hash(&b));
        assert_eq!(
            Schedule::new(&a).collect::<Vec<_>>(),
            Schedule::new(&b).collect::<Vec<_>>()
        );
        b.seed = 10;
        assert_ne!(schedule_hash(&a), schedule_hash(&b));
    }

    #[test]
    fn backends_do_not_change_the_hash() {
        let a = scenario("[[phase]]\nkind = \"instant\"\norders = 10\n");
        let mut b = a.clone();
        b.backends.clear();
        b.concurrency = 1;
        assert_eq!(schedule_hash(&a), schedule_hash(&b));
    }

    /// The golden hash of the demo scenario: a change here means every
    /// baseline taken with an earlier build no longer compares. Bump
    /// `GENERATOR_VERSION` on purpose, then update this value.
    #[test]
    fn flash_toml_schedule_hash_is_pinned() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/flash.toml");
        let s = crate::scenario::load(&path).expect("flash.toml parses");
        assert_eq!(
            schedule_hash(&s),
            "0079e27cb7d9f110fa4bbf22b33755c3e4cc67565127d8852fae5e63e3641fce"
        );
    }
}
