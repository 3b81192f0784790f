//! The ledger of a checkout run: holds, sales, confirmations, releases,
//! refunds and stock events, kept from what the harness sent and was told.
//!
//! Invariants (results/README.md, "The ledger"):
//! - `C` (committed) follows holds and sales: a hold is committed from its
//!   grant until it is sold, released or lapses at its deadline (every
//!   backend frees a hold at exactly its deadline on the harness clock), a
//!   sale until it is refunded. `S` follows restocks and corrections.
//! - Events in flight are judged in the backend's favour, so a correct
//!   backend scores 0 both ways: a release, refund or restock counts from
//!   the moment it is sent when oversell is judged and from its
//!   acknowledgement when undersell is; a correction the other way round.
//! - Everything sits behind one lock: a checkout run exercises the
//!   lifecycle, not the harness's top speed, and one lock keeps every
//!   figure exact.

use super::{GrantSample, GrantVerdict, SkuTotals, OVERSELL_SAMPLES};
use crate::backend::checkout::{merged, Confirmed, Line, Released};
use crate::backend::Reply;
use crate::metrics::windows::WindowGrid;
use crate::scenario::{Sku, SkuIdx};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};
use std::sync::Mutex;

pub struct CheckoutLedger {
    state: Mutex<State>,
}

/// Lifecycle counts of a run (`holds.*` in run.json).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HoldCounts {
    pub created: u64,
    pub confirmed: u64,
    pub reacquired: u64,
    pub expired: u64,
    pub cancelled: u64,
    pub confirm_refused: u64,
    pub confirmed_after_expiry: u64,
    pub double_releases: u64,
    /// Holds whose confirmation or cancellation went unanswered.
    pub unknown: u64,
    pub live_at_end: u64,
    pub refunded: u64,
    /// Σ over holds never sold of units × µs from grant to release or deadline.
    pub stranded_unit_us: u128,
}

/// Everything the audit and the summary need from a checkout run.
pub struct CheckoutTotals {
    /// Per SKU, in the shape of the plain ledger's totals; `refused` holds
    /// the refusals whose SKU's free stock never fell below them.
    pub skus: Vec<SkuTotals>,
    pub holds: HoldCounts,
    pub correction_shortfall: u64,
    pub sold_out_while_held: u64,
    /// Holds live when each window closed.
    pub holds_live: Vec<u64>,
    /// Keys of earlier attempts that ended unknown (idempotency keys off):
    /// each one the backend applied is a duplicate grant.
    pub unknown_attempt_keys: Vec<(u64, u64)>,
    /// Per SKU: a restock or correction went unanswered, so the backend's
    /// stock may rightly differ from S.
    pub stock_uncertain: Vec<bool>,
}

struct State {
    clock_us: u64,
    skus: Vec<SkuBook>,
    orders: HashMap<u64, OrderBook>,
    /// What falls due at a time: (time, sequence) → `Due`.
    due: BinaryHeap<Reverse<(u64, u64)>>,
    due_items: HashMap<u64, Due>,
    next_due: u64,
    /// Sold orders in the order they were sold, for refund events.
    sold: VecDeque<u64>,
    holds: HoldCounts,
    shortfall: u64,
    live: u64,
    grid: WindowGrid,
    /// Live holds after the last change inside each window, `None` where
    /// nothing changed (the window then closes as the one before it).
    holds_live: Vec<Option<u64>>,
    /// (order id, key) of earlier attempts that ended unknown (keys off).
    unknown_attempt_keys: Vec<(u64, u64)>,
    last_deadline: u64,
    samples: Vec<GrantSample>,
    /// Sold-out refusals: when, and per line its SKU, quantity and the
    /// SKU's free stock then (in flight counted as taken).
    sold_outs: Vec<(u64, Vec<RefusedLine>)>,
}

struct SkuBook {
    /// `S` as oversell is judged (restocks from send, corrections from ack).
    stock_over: u64,
    /// `S` as undersell is judged (restocks from ack, corrections from send).
    stock_under: u64,
    buffer: u64,
    committed: u64,
    unknown: u64,
    unknown_orders: u64,
    in_flight: u64,
    /// Units of releases and refunds sent and not yet acknowledged.
    returning: u64,
    peak_over: u64,
    /// Units a correction pushed `S + B` below what was committed or in
    /// flight when it was answered: promises the scenario broke, not the
    /// backend (`correction_shortfall`), so not over-commitment while they
    /// last. Units leaving `C` use them up first.
    excused: u64,
    /// Refused quantity → orders, dropped once free stock falls below it.
    candidates: BTreeMap<u64, u64>,
    earliest_covered_refusal: u64,
    /// Units of holds the ledger lapsed, by deadline: a refusal sent at an
    /// earlier clock than the ledger's was judged with them still live.
    lapses: BTreeMap<u64, u64>,
    /// Units freed by acknowledged releases, refunds and restocks, by the
    /// harness time of the answer, for the same reason.
    frees: BTreeMap<u64, u64>,
    stock_uncertain: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Live,
    /// A release was sent: out of `C` already.
    Releasing,
    Sold,
    Refunding,
    /// Lapsed, released or refunded.
    Over,
    /// A confirmation went unanswered: sold or lapsing, nobody knows.
    ConfirmUnknown,
}

struct OrderBook {
    key: u64,
    lines: Vec<Line>,
    /// (granted, deadline) of a hold.
    hold: Option<(u64, u64)>,
    phase: Phase,
    lapsed: bool,
    /// When the ledger counted the hold expired (undone if it was sold after all).
    expired_at: Option<u64>,
    /// Stranded unit-µs a release in flight added (taken back if it fails).
    release_stranded: u128,
}

/// A refused line: its SKU, quantity and the SKU's free stock then.
type RefusedLine = (SkuIdx, u64, i128);

enum Due {
    /// A hold's deadline.
    Deadline(u64),
    /// Units of an unknown hold stop being possible at its deadline.
    UnknownEnds(Vec<Line>),
}

impl SkuBook {
    fn limit(&self) -> u64 {
        self.stock_over + self.buffer
    }

    /// Free stock as undersell is judged.
    fn free_under(&self) -> i128 {
        self.stock_under as i128 + self.buffer as i128
            - self.committed as i128
            - self.unknown as i128
            - self.returning as i128
    }

    /// Free stock as a refusal sent at `sent_us` is judged, in the backend's
    /// best case: what is in flight takes stock, and holds that lapsed after
    /// `sent_us` (by a later call's clock) were still live for it.
    fn free_for_refusal(&self, sent_us: u64) -> i128 {
        let since = |m: &BTreeMap<u64, u64>| m.range(sent_us + 1..).map(|(_, u)| *u).sum::<u64>();
        self.free_under()
            - self.in_flight as i128
            - (since(&self.lapses) + since(&self.frees)) as i128
    }

    /// `units` became free for undersell when an answer came at `now_us`.
    fn freed(&mut self, now_us: u64, units: u64) {
        *self.frees.entry(now_us).or_insert(0) += units;
    }

    /// Refusals stop being candidates once free stock falls below them.
    fn drop_candidates(&mut self) {
        let free = self.free_under();
        if free < 0 {
            self.candidates.clear();
        } else {
            self.candidates.split_off(&(free as u64 + 1));
        }
    }

    /// `qty` more units committed; returns the units beyond `S + B`.
    fn commit(&mut self, qty: u64) -> u64 {
        let limit = self.limit() + self.excused;
        let over = |c: u64| c.saturating_sub(limit);
        let prev = self.committed;
        self.committed += qty;
        self.peak_over = self.peak_over.max(over(self.committed));
        self.drop_candidates();
        over(self.committed) - over(prev)
    }

    fn uncommit(&mut self, qty: u64) {
        self.committed = self.committed.saturating_sub(qty);
        self.excused = self.excused.min(self.above_limit());
    }

    /// Units committed or in flight beyond `S + B`.
    fn above_limit(&self) -> u64 {
        (self.committed + self.in_flight).saturating_sub(self.limit())
    }
}

impl CheckoutLedger {
    pub fn new(skus: &[Sku], grid: WindowGrid) -> Self {
        let books = skus
            .iter()
            .map(|s| SkuBook {
                stock_over: s.stock,
                stock_under: s.stock,
                buffer: s.buffer,
                committed: 0,
                unknown: 0,
                unknown_orders: 0,
                in_flight: 0,
                returning: 0,
                peak_over: 0,
                excused: 0,
                candidates: BTreeMap::new(),
                earliest_covered_refusal: u64::MAX,
                lapses: BTreeMap::new(),
                frees: BTreeMap::new(),
                stock_uncertain: false,
            })
            .collect();
        CheckoutLedger {
            state: Mutex::new(State {
                clock_us: 0,
                skus: books,
                orders: HashMap::new(),
                due: BinaryHeap::new(),
                due_items: HashMap::new(),
                next_due: 0,
                sold: VecDeque::new(),
                holds: HoldCounts::default(),
                shortfall: 0,
                live: 0,
                holds_live: vec![None; grid.count],
                grid,
                unknown_attempt_keys: Vec::new(),
                last_deadline: 0,
                samples: Vec::new(),
                sold_outs: Vec::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("checkout ledger lock")
    }

    /// Move the ledger's clock to `now_us`, lapsing what fell due.
    pub fn advance(&self, now_us: u64) {
        self.lock().advance(now_us);
    }

    /// An attempt to take `lines` is about to be sent.
    pub fn take_sent(&self, lines: &[Line]) {
        let mut s = self.lock();
        for l in merged(lines) {
            s.skus[l.sku as usize].in_flight += l.qty;
        }
    }

    /// An attempt ended with no effect on stock (an error, a conflict to
    /// retry, or an unknown attempt retried under the same key).
    pub fn take_no_effect(&self, lines: &[Line]) {
        let mut s = self.lock();
        for l in merged(lines) {
            s.skus[l.sku as usize].in_flight -= l.qty;
        }
    }

    /// An attempt under its own key went unanswered and is retried under
    /// another: it may have taken effect, so its units stay possible (until
    /// its deadline, for a hold), and its key is checked after the run.
    pub fn take_unknown_attempt(
        &self,
        order_id: u64,
        key: u64,
        lines: &[Line],
        expires_us: Option<u64>,
    ) {
        let mut s = self.lock();
        s.unknown_take(lines, expires_us);
        s.unknown_attempt_keys.push((order_id, key));
    }

    /// The order's final take outcome. `sent_us` is when its last attempt
    /// was sent (the clock the backend judged it by).
    pub fn take_answered(&self, order: &TakeAnswer<'_>) -> GrantVerdict {
        let mut s = self.lock();
        s.advance(order.sent_us);
        let lines = merged(order.lines);
        match order.reply {
            Reply::Granted => s.granted(order, lines),
            Reply::SoldOut | Reply::Conflict => {
                s.refused(order, &lines);
                GrantVerdict::default()
            }
            Reply::Unknown => {
                s.unknown_take(order.lines, order.expires_us);
                GrantVerdict::default()
            }
            Reply::Error => {
                for l in lines {
                    s.skus[l.sku as usize].in_flight -= l.qty;
                }
                GrantVerdict::default()
            }
        }
    }

    /// The answer to a confirmation sent at `sent_us`.
    pub fn confirm_answered(&self, order_id: u64, sent_us: u64, reply: Confirmed) {
        let mut s = self.lock();
        s.advance(sent_us);
        s.confirmed(order_id, sent_us, reply);
    }

    /// A release of a hold is about to be sent; true when the ledger held it live.
    pub fn release_sent(&self, order_id: u64, now_us: u64) -> bool {
        let mut s = self.lock();
        s.advance(now_us);
        s.returning_sent(order_id, Phase::Live, Phase::Releasing, now_us)
    }

    /// The answer to a release, processed at harness time `now_us`.
    pub fn release_answered(&self, order_id: u64, was_live: bool, reply: Released, now_us: u64) {
        let mut s = self.lock();
        s.returned(order_id, was_live, reply, Phase::Live, false, now_us);
    }

    /// Up to `orders` sold orders whose first line is `sku` (any if `None`),
    /// the earliest sold first: the targets of a refund event.
    /// Each target is (order id, key, lines).
    pub fn refund_targets(&self, sku: Option<SkuIdx>, orders: u64) -> Vec<(u64, u64, Vec<Line>)> {
        let s = self.lock();
        s.sold
            .iter()
            .filter_map(|id| s.orders.get(id).map(|o| (*id, o)))
            .filter(|(_, o)| o.phase == Phase::Sold)
            .filter(|(_, o)| sku.is_none_or(|k| o.lines.first().map(|l| l.sku) == Some(k)))
            .take(orders as usize)
            .map(|(id, o)| (id, o.key, o.lines.clone()))
            .collect()
    }

    /// A refund is about to be sent; true when the ledger held the order sold.
    pub fn refund_sent(&self, order_id: u64, now_us: u64) -> bool {
        let mut s = self.lock();
        s.advance(now_us);
        s.returning_sent(order_id, Phase::Sold, Phase::Refunding, now_us)
    }

    /// The answer to a refund, processed at harness time `now_us`.
    pub fn refund_answered(&self, order_id: u64, was_sold: bool, reply: Released, now_us: u64) {
        let mut s = self.lock();
        s.returned(order_id, was_sold, reply, Phase::Sold, true, now_us);
    }

    /// A stock adjustment of `delta` units is about to be sent. Returns the
    /// units the send moved (a correction stops at 0), for the answer.
    pub fn adjust_sent(&self, sku: SkuIdx, delta: i64) -> u64 {
        let mut s = self.lock();
        let b = &mut s.skus[sku as usize];
        if delta >= 0 {
            b.stock_over += delta as u64;
            delta as u64
        } else {
            let before = b.stock_under;
            b.stock_under = b.stock_under.saturating_sub(delta.unsigned_abs());
            b.drop_candidates();
            before - b.stock_under
        }
    }

    /// The answer to an adjustment whose send moved `moved` units,
    /// processed at harness time `now_us`.
    pub fn adjust_answered(&self, sku: SkuIdx, delta: i64, moved: u64, reply: Reply, now_us: u64) {
        let mut s = self.lock();
        let mut shortfall = 0;
        let b = &mut s.skus[sku as usize];
        match (reply, delta >= 0) {
            (Reply::Granted, true) => {
                b.stock_under += moved;
                b.freed(now_us, moved);
            }
            (Reply::Granted, false) => {
                let below = |stock: u64| b.committed.saturating_sub(stock);
                let before = below(b.stock_over);
                b.stock_over = b.stock_over.saturating_sub(delta.unsigned_abs());
                shortfall = below(b.stock_over) - before;
                // Grants still in flight may have landed before the
                // correction did: they are excused too, in the backend's favour.
                b.excused = b.excused.max(b.above_limit());
            }
            // Unanswered: judged done for oversell, not done for undersell,
            // and the backend's stock can no longer be checked against S.
            (Reply::Unknown, _) => b.stock_uncertain = true,
            // Failed before it could take effect: undo what the send assumed.
            (_, true) => b.stock_over = b.stock_over.saturating_sub(moved),
            (_, false) => {
                b.stock_under += moved;
                b.freed(now_us, moved);
            }
        }
        s.shortfall += shortfall;
    }

    /// The run has stopped sending: the holds still live now are `live_at_end`.
    pub fn finish(&self, end_us: u64) {
        let mut s = self.lock();
        s.advance(end_us);
        s.holds.live_at_end = s.live;
    }

    pub fn samples(&self) -> Vec<GrantSample> {
        let mut samples = self.lock().samples.clone();
        samples.sort_by_key(|s| (s.acknowledged_ns, s.order_id));
        samples
    }

    /// The last deadline of any hold granted or possibly taken (unknown),
    /// the time the final reap must pass.
    pub fn last_deadline_us(&self) -> u64 {
        self.lock().last_deadline
    }

    /// Whether the order's take was granted (its final answer).
    pub fn was_granted(&self, order_id: u64) -> bool {
        self.lock().orders.contains_key(&order_id)
    }

    /// Final totals; call after `advance` past the last deadline, when quiet.
    pub fn totals(&self) -> CheckoutTotals {
        let s = self.lock();
        // Units per SKU in holds that lapsed for good, as steps over time:
        // +qty at the grant, -qty at the deadline.
        let mut steps: Vec<Vec<(u64, i128)>> = vec![Vec::new(); s.skus.len()];
        for o in s.orders.values() {
            if let (Some(at), Some((granted, _))) = (o.expired_at, o.hold) {
                for l in &o.lines {
                    steps[l.sku as usize].push((granted, l.qty as i128));
                    steps[l.sku as usize].push((at, -(l.qty as i128)));
                }
            }
        }
        let lapsing: Vec<UnitsOverTime> = steps.into_iter().map(UnitsOverTime::new).collect();
        // A refusal free stock alone did not cover and those units would
        // have, on every line.
        let sold_out_while_held = s
            .sold_outs
            .iter()
            .filter(|(at, lines)| {
                let short = lines.iter().any(|&(_, qty, free)| free < qty as i128);
                short
                    && lines.iter().all(|&(sku, qty, free)| {
                        free + lapsing[sku as usize].at(*at) >= qty as i128
                    })
            })
            .count() as u64;
        let skus = s
            .skus
            .iter()
            .map(|b| SkuTotals {
                stock: b.stock_over,
                buffer: b.buffer,
                committed: b.committed,
                unknown: b.unknown,
                unknown_orders: b.unknown_orders,
                peak_over: b.peak_over,
                refused: b.candidates.iter().map(|(q, n)| (*q, *n)).collect(),
            })
            .collect();
        CheckoutTotals {
            skus,
            holds: s.holds.clone(),
            correction_shortfall: s.shortfall,
            sold_out_while_held,
            holds_live: s
                .holds_live
                .iter()
                .scan(0, |live, w| {
                    *live = w.unwrap_or(*live);
                    Some(*live)
                })
                .collect(),
            unknown_attempt_keys: s.unknown_attempt_keys.clone(),
            stock_uncertain: s.skus.iter().map(|b| b.stock_uncertain).collect(),
        }
    }
}

/// One order's final take, as the ledger needs it.
pub struct TakeAnswer<'a> {
    pub order_id: u64,
    /// The key the backend applied it under (later calls name it).
    pub key: u64,
    pub lines: &'a [Line],
    pub reply: Reply,
    pub sent_us: u64,
    pub expires_us: Option<u64>,
    pub intended_ns: u64,
    pub acknowledged_ns: u64,
}

impl State {
    fn advance(&mut self, now_us: u64) {
        if now_us > self.clock_us {
            self.clock_us = now_us;
        }
        while let Some(&Reverse((at, seq))) = self.due.peek() {
            if at > self.clock_us {
                break;
            }
            self.due.pop();
            match self.due_items.remove(&seq) {
                Some(Due::Deadline(order_id)) => self.deadline(order_id, at),
                Some(Due::UnknownEnds(lines)) => {
                    for l in lines {
                        let b = &mut self.skus[l.sku as usize];
                        b.unknown = b.unknown.saturating_sub(l.qty);
                        // Like a lapse: possibly live for an earlier clock.
                        *b.lapses.entry(at).or_insert(0) += l.qty;
                    }
                }
                None => {}
            }
        }
    }

    fn schedule(&mut self, at: u64, due: Due) {
        let seq = self.next_due;
        self.next_due += 1;
        self.due.push(Reverse((at, seq)));
        self.due_items.insert(seq, due);
    }

    fn set_live(&mut self, delta: i64) {
        self.live = (self.live as i64 + delta).max(0) as u64;
        // Past the schedule's last window (customers paying, the final
        // reap) there is no window to close.
        let at_ns = self.clock_us * 1_000;
        if at_ns < self.grid.window_ns * self.grid.count as u64 {
            let w = self.grid.index(at_ns);
            self.holds_live[w] = Some(self.live);
        }
    }

    /// A hold's deadline passed.
    fn deadline(&mut self, order_id: u64, at: u64) {
        let Some(o) = self.orders.get_mut(&order_id) else {
            return;
        };
        let (granted, _) = o.hold.expect("a deadline belongs to a hold");
        match o.phase {
            Phase::Live => {
                o.phase = Phase::Over;
                o.lapsed = true;
                o.expired_at = Some(at);
                let lines = o.lines.clone();
                for l in &lines {
                    let b = &mut self.skus[l.sku as usize];
                    b.uncommit(l.qty);
                    *b.lapses.entry(at).or_insert(0) += l.qty;
                }
                self.holds.expired += 1;
                self.holds.stranded_unit_us +=
                    units(&lines) as u128 * at.saturating_sub(granted) as u128;
                self.set_live(-1);
            }
            Phase::ConfirmUnknown => {
                // Sold or lapsed: from here its units are unknown, not committed.
                self.holds.unknown += 1;
                o.phase = Phase::Over;
                o.lapsed = true;
                let lines = o.lines.clone();
                for l in &lines {
                    let b = &mut self.skus[l.sku as usize];
                    b.uncommit(l.qty);
                    b.unknown += l.qty;
                    b.unknown_orders += 1;
                }
                self.set_live(-1);
            }
            _ => o.lapsed = true,
        }
    }

    fn granted(&mut self, a: &TakeAnswer<'_>, lines: Vec<Line>) -> GrantVerdict {
        let mut verdict = GrantVerdict::default();
        for l in &lines {
            let b = &mut self.skus[l.sku as usize];
            b.in_flight -= l.qty;
            verdict.oversold_units += b.commit(l.qty);
            verdict.fairness_inversion |= b.earliest_covered_refusal < a.intended_ns;
        }
        if verdict.oversold_units > 0 && self.samples.len() < OVERSELL_SAMPLES {
            self.samples.push(GrantSample {
                order_id: a.order_id,
                sku: lines[0].sku,
                qty: units(&lines),
                intended_ns: a.intended_ns,
                acknowledged_ns: a.acknowledged_ns,
            });
        }
        let hold = a.expires_us.map(|deadline| (a.sent_us, deadline));
        let phase = if hold.is_some() {
            Phase::Live
        } else {
            self.sold.push_back(a.order_id);
            Phase::Sold
        };
        self.orders.insert(
            a.order_id,
            OrderBook {
                key: a.key,
                lines,
                hold,
                phase,
                lapsed: false,
                expired_at: None,
                release_stranded: 0,
            },
        );
        if let Some((_, deadline)) = hold {
            self.last_deadline = self.last_deadline.max(deadline);
            self.holds.created += 1;
            self.set_live(1);
            self.schedule(deadline, Due::Deadline(a.order_id));
        }
        verdict
    }

    fn refused(&mut self, a: &TakeAnswer<'_>, lines: &[Line]) {
        for l in lines {
            self.skus[l.sku as usize].in_flight -= l.qty;
        }
        let sent_us = a.sent_us;
        if a.reply == Reply::SoldOut {
            let free = |l: &Line| self.skus[l.sku as usize].free_for_refusal(sent_us);
            let lines = lines.iter().map(|l| (l.sku, l.qty, free(l))).collect();
            self.sold_outs.push((a.sent_us, lines));
        }
        // A cart over several SKUs may be refused for any one of them, so
        // only a one-SKU order can be judged wrongly refused.
        if let [l] = lines {
            let b = &mut self.skus[l.sku as usize];
            if b.free_for_refusal(sent_us) >= l.qty as i128 {
                *b.candidates.entry(l.qty).or_insert(0) += 1;
                b.earliest_covered_refusal = b.earliest_covered_refusal.min(a.intended_ns);
            }
        }
    }

    fn unknown_take(&mut self, lines: &[Line], expires_us: Option<u64>) {
        let lines = merged(lines);
        for l in &lines {
            let b = &mut self.skus[l.sku as usize];
            b.in_flight -= l.qty;
            b.unknown += l.qty;
            b.unknown_orders += 1;
            b.drop_candidates();
        }
        // An unknown hold can tie stock up only until its deadline.
        if let Some(deadline) = expires_us {
            self.last_deadline = self.last_deadline.max(deadline);
            self.schedule(deadline, Due::UnknownEnds(lines));
        }
    }

    fn confirmed(&mut self, order_id: u64, sent_us: u64, reply: Confirmed) {
        let Some(o) = self.orders.get_mut(&order_id) else {
            return;
        };
        let late = o.hold.is_some_and(|(_, deadline)| sent_us >= deadline);
        let (phase, lines) = (o.phase, o.lines.clone());
        match reply {
            Confirmed::Sold | Confirmed::Reacquired => {
                if reply == Confirmed::Sold {
                    self.holds.confirmed += 1;
                    self.unexpire(order_id);
                    // A live hold is sold as it stands; one that lapsed by
                    // the send's own clock was sold as if it had not.
                    if late {
                        self.holds.confirmed_after_expiry += 1;
                    }
                } else {
                    self.holds.reacquired += 1;
                }
                // A reacquired hold lapsed first, by another call's later
                // clock if the ledger still held it live: it counts as expired.
                let phase = if reply == Confirmed::Reacquired && phase == Phase::Live {
                    self.deadline(order_id, self.clock_us);
                    Phase::Over
                } else {
                    phase
                };
                match phase {
                    Phase::Live => self.set_live(-1),
                    Phase::ConfirmUnknown => self.set_live(-1),
                    // Lapsed in the ledger: the sale commits its units anew.
                    _ => {
                        for l in &lines {
                            self.skus[l.sku as usize].commit(l.qty);
                        }
                    }
                }
                self.set_phase(order_id, Phase::Sold);
                self.sold.push_back(order_id);
            }
            Confirmed::Lapsed | Confirmed::SoldOut => {
                self.holds.confirm_refused += 1;
                if phase == Phase::Live {
                    // The backend lapsed it by another call's later clock.
                    self.deadline(order_id, self.clock_us);
                }
            }
            Confirmed::AlreadySold | Confirmed::Error => {}
            Confirmed::Unknown => {
                if phase == Phase::Live {
                    self.set_phase(order_id, Phase::ConfirmUnknown);
                } else {
                    // Lapsed already: a sale would be new units, unknown.
                    for l in &lines {
                        let b = &mut self.skus[l.sku as usize];
                        b.unknown += l.qty;
                        b.unknown_orders += 1;
                        b.drop_candidates();
                    }
                }
            }
        }
    }

    /// The backend sold a hold the ledger had counted expired (a confirmation
    /// answered after the deadline): it did not expire after all.
    fn unexpire(&mut self, order_id: u64) {
        let Some(o) = self.orders.get_mut(&order_id) else {
            return;
        };
        if let (Some(at), Some((granted, _))) = (o.expired_at.take(), o.hold) {
            self.holds.expired -= 1;
            self.holds.stranded_unit_us -=
                units(&o.lines) as u128 * at.saturating_sub(granted) as u128;
            for l in &o.lines {
                let lapses = &mut self.skus[l.sku as usize].lapses;
                if let Some(units) = lapses.get_mut(&at) {
                    *units -= l.qty.min(*units);
                }
            }
        }
    }

    fn set_phase(&mut self, order_id: u64, phase: Phase) {
        if let Some(o) = self.orders.get_mut(&order_id) {
            o.phase = phase;
        }
    }

    /// A release (`Live` → `Releasing`) or refund (`Sold` → `Refunding`) is
    /// sent: its units leave `C` now, and stay taken for undersell until
    /// the answer.
    fn returning_sent(&mut self, order_id: u64, from: Phase, to: Phase, now_us: u64) -> bool {
        let Some(o) = self.orders.get_mut(&order_id) else {
            return false;
        };
        if o.phase != from {
            return false;
        }
        o.phase = to;
        let lines = o.lines.clone();
        let granted = o.hold.map(|h| h.0);
        for l in &lines {
            let b = &mut self.skus[l.sku as usize];
            b.uncommit(l.qty);
            b.returning += l.qty;
        }
        if let (Phase::Releasing, Some(granted)) = (to, granted) {
            let stranded = units(&lines) as u128 * now_us.saturating_sub(granted) as u128;
            self.holds.stranded_unit_us += stranded;
            if let Some(o) = self.orders.get_mut(&order_id) {
                o.release_stranded = stranded;
            }
            self.set_live(-1);
        }
        true
    }

    /// The answer to a release or refund. `owned` says whether the ledger
    /// held the order in phase `from` when it was sent.
    fn returned(
        &mut self,
        order_id: u64,
        owned: bool,
        reply: Released,
        from: Phase,
        refund: bool,
        now_us: u64,
    ) {
        let Some(o) = self.orders.get(&order_id) else {
            return;
        };
        let lines = o.lines.clone();
        if owned {
            for l in &lines {
                let b = &mut self.skus[l.sku as usize];
                b.returning -= l.qty;
                // Free for undersell from this answer on (an error puts the
                // units back in C below).
                if reply != Released::Error {
                    b.freed(now_us, l.qty);
                }
            }
        }
        match (reply, owned) {
            // Gave back units the ledger says it no longer had to give.
            (Released::Released, false) => self.holds.double_releases += 1,
            (Released::Released, true) | (Released::Nothing, true) => {
                if refund {
                    self.holds.refunded += u64::from(reply == Released::Released);
                } else {
                    self.holds.cancelled += 1;
                }
                self.set_phase(order_id, Phase::Over);
            }
            (Released::Error, true) => {
                // Never took effect: the order is as it was, and the hold's
                // stranded time is counted when it ends.
                for l in &lines {
                    self.skus[l.sku as usize].commit(l.qty);
                }
                if let Some(o) = self.orders.get_mut(&order_id) {
                    self.holds.stranded_unit_us -= std::mem::take(&mut o.release_stranded);
                }
                self.set_phase(order_id, from);
                if from == Phase::Live {
                    self.set_live(1);
                    let lapsed = self.orders.get(&order_id).is_some_and(|o| o.lapsed);
                    if lapsed {
                        self.deadline(order_id, self.clock_us);
                    }
                }
            }
            (Released::Unknown, true) => {
                // Returned or not: possible units, never committed ones.
                if !refund {
                    self.holds.unknown += 1;
                }
                for l in &lines {
                    let b = &mut self.skus[l.sku as usize];
                    b.unknown += l.qty;
                    b.unknown_orders += 1;
                    b.drop_candidates();
                }
                self.set_phase(order_id, Phase::Over);
                let deadline = self.orders.get(&order_id).and_then(|o| o.hold).map(|h| h.1);
                if let (false, Some(deadline)) = (refund, deadline) {
                    self.schedule(deadline, Due::UnknownEnds(lines));
                }
            }
            (_, false) => {}
        }
    }
}

fn units(lines: &[Line]) -> u64 {
    lines.iter().map(|l| l.qty).sum()
}

/// A step function of units over time, from (time, change) steps.
struct UnitsOverTime {
    /// (time, units from then on), sorted by time.
    totals: Vec<(u64, i128)>,
}

impl UnitsOverTime {
    fn new(mut steps: Vec<(u64, i128)>) -> Self {
        steps.sort_unstable();
        let mut running = 0;
        let totals = steps
            .into_iter()
            .map(|(t, d)| {
                running += d;
                (t, running)
            })
            .collect();
        UnitsOverTime { totals }
    }

    /// Units at time `t`: every step at or before it applied.
    fn at(&self, t: u64) -> i128 {
        let n = self.totals.partition_point(|&(at, _)| at <= t);
        if n == 0 {
            0
        } else {
            self.totals[n - 1].1
        }
    }
}

#[cfg(test)]
mod tests;
