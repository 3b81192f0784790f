//! The per-order path: wait until due, attempt (with retries on conflict),
//! judge against the ledger, record. Shared by open- and closed-loop clients.
//!
//! Invariant: latency runs from the intended time, so orders that waited for a
//! free client (or behind a slow backend) carry that wait; nothing per order
//! outlives its own request.

use super::clock::RunClock;
use super::faults::{delayed, LatencyKnob};
use super::unrecorded::Unrecorded;
use crate::backend::{Backend, Reply, SentFlag};
use crate::ledger::{GrantSample, GrantVerdict, Ledger};
use crate::metrics::{OrderRecord, Outcome, Recorders};
use crate::scenario::Scenario;
use crate::trace::{AttemptLine, TraceSink};
use crate::traffic::{Order, OrderRun, Schedule, Workload, CLOSED_LOOP_ID_BASE, RUN_MAX};
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::task::Poll;
use std::time::Duration;
use tokio::sync::watch;

/// How far an interrupt has gone. At `Drain` clients take no new orders and
/// let those in flight finish; at `Abandon` they stop waiting for them too
/// (a request already sent then ends `unknown`: it may have taken effect).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stop {
    #[default]
    Run,
    Drain,
    Abandon,
}

/// A client's view of the stop signal. The per-order check reads only the
/// channel's version (`has_changed`, one load of a line nobody writes while
/// the run goes on) instead of taking the channel's lock (`borrow`, a write
/// to a line every client shares); the value is read again only when
/// something was sent. A second receiver does the waiting, so a wait that
/// saw a new value (and marked it seen) never hides it from the check.
pub struct StopSignal {
    checked: watch::Receiver<Stop>,
    last: Stop,
    waited: watch::Receiver<Stop>,
}

impl StopSignal {
    pub fn new(stop: watch::Receiver<Stop>) -> Self {
        let mut checked = stop.clone();
        let last = *checked.borrow_and_update();
        StopSignal {
            checked,
            last,
            waited: stop,
        }
    }

    /// The signal as it stands now.
    pub fn current(&mut self) -> Stop {
        // `Err` (the sender is gone) reads the last value sent, every time.
        if !matches!(self.checked.has_changed(), Ok(false)) {
            self.last = *self.checked.borrow_and_update();
        }
        self.last
    }

    fn running(&mut self) -> bool {
        self.current() == Stop::Run
    }

    /// Resolves once the signal has reached `at_least`.
    pub(super) async fn reached(&mut self, at_least: Stop) {
        let _ = self.waited.wait_for(|s| *s >= at_least).await;
    }
}

/// Keeps its value on cache lines of its own: the schedule's lock is
/// written by every run of orders, and read-only fields beside it (the
/// clock, the timeout, the ledger's table) would otherwise be fetched again
/// by every other core after each write.
#[repr(align(128))]
pub struct Padded<T>(pub T);

impl<T> std::ops::Deref for Padded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// What every client of one backend's run shares.
pub struct Shared<B> {
    pub backend: B,
    pub ledger: Ledger,
    pub recorders: Recorders,
    pub schedule: Padded<Mutex<Schedule>>,
    pub clock: RunClock,
    pub timeout: Duration,
    pub retries: u32,
    pub trace: Option<TraceSink>,
    pub backend_index: u16,
    pub closed_loop_ids: AtomicU64,
    /// The delay latency faults add to each attempt; `None` when the run
    /// has no latency fault for this backend, so the attempt pays one test
    /// of a line nobody writes. Padded: `closed_loop_ids` beside it is
    /// written by every closed-loop order.
    pub latency: Padded<Option<LatencyKnob>>,
}

impl<B: Backend> Shared<B> {
    fn now_ns(&self) -> u64 {
        self.clock.now_ns()
    }

    /// Sleep until `intended_ns`. Returns the moment it is due or later —
    /// the clock read the send is timed by — or `None` when the run was
    /// stopped.
    async fn until(&self, intended_ns: u64, stop: &mut StopSignal) -> Option<u64> {
        // Before `t0` nothing is due, not even an order at 0.
        if let Some(now_ns) = self.clock.since_t0_ns() {
            if intended_ns <= now_ns {
                return stop.running().then_some(now_ns);
            }
        }
        let due = self.clock.instant_at(intended_ns);
        let stopped = tokio::select! {
            _ = tokio::time::sleep_until(due) => false,
            _ = stop.reached(Stop::Drain) => true,
        };
        if stopped || !stop.running() {
            return None;
        }
        Some(self.now_ns())
    }

    /// Run one attempt sent at `sent_ns`, bounded by the timeout from then
    /// (or given up on when the run is abandoned), classified at the boundary,
    /// with the delay of the latency faults active at the send added around
    /// the backend's call. Also says whether the answer was ready at the
    /// first poll.
    async fn attempt(&self, order: &Order, sent_ns: u64, stop: &mut StopSignal) -> (Reply, bool) {
        let sent = SentFlag::default();
        // Built in place and lent to `bounded`: moving a call's future by
        // value copies it, once per attempt.
        let reserve = pin!(self.backend.reserve(order.id, order.sku, order.qty, &sent));
        match self.fault_delay(order, sent_ns) {
            None => self.bounded(reserve, sent_ns, &sent, stop).await,
            // Boxed, so the delay's timers stay out of every attempt's future.
            Some(delay) => {
                let mut call = Box::pin(delayed(reserve, &sent, delay));
                self.bounded(call.as_mut(), sent_ns, &sent, stop).await
            }
        }
    }

    /// The delay the active latency faults add to an attempt sent at
    /// `sent_ns`, if any.
    fn fault_delay(&self, order: &Order, sent_ns: u64) -> Option<Duration> {
        let knob = self.latency.as_ref()?;
        // The send time differs between the attempts of one order.
        knob.delay(order.id ^ sent_ns.rotate_left(32))
    }

    /// Await `call`, an attempt sent at `sent_ns`: bounded by the timeout
    /// from then, or given up on when the run is abandoned.
    async fn bounded<F: Future<Output = Reply>>(
        &self,
        mut reserve: Pin<&mut F>,
        sent_ns: u64,
        sent: &SentFlag,
        stop: &mut StopSignal,
    ) -> (Reply, bool) {
        // An answer ready at the first poll (an in-process store) came
        // before any deadline or signal could: it needs no timer. Arming
        // one costs a clock read and a reference to the runtime's shared
        // timer handle per attempt, and a plain `timeout` would find the
        // answer first just the same.
        if let Poll::Ready(reply) = poll_fn(|cx| Poll::Ready(reserve.as_mut().poll(cx))).await {
            return (reply, true);
        }
        let deadline = self.clock.instant_at(sent_ns) + self.timeout;
        let bounded = tokio::time::timeout_at(deadline, reserve);
        let answered = tokio::select! {
            // The request first: an answer that is ready never waits on the signal.
            biased;
            result = bounded => result.ok(),
            _ = stop.reached(Stop::Abandon) => None,
        };
        let reply = match answered {
            Some(reply) => reply,
            // A dropped future does not undo a statement already sent.
            None if sent.is_sent() => Reply::Unknown,
            None => Reply::Error,
        };
        (reply, false)
    }

    /// Send `order` (already due) at `first_send_ns`, retrying conflicts,
    /// then judge it. The caller records it.
    async fn execute(
        &self,
        order: Order,
        first_send_ns: u64,
        free_ns: u64,
        open_loop: bool,
        stop: &mut StopSignal,
    ) -> Finished {
        let Answer {
            outcome,
            done_ns,
            attempts,
            at_once,
        } = self.send_with_retries(&order, first_send_ns, stop).await;
        let verdict = self.judge(&order, outcome, done_ns);
        let record = OrderRecord {
            intended_ns: order.intended_ns,
            sku: order.sku,
            qty: order.qty,
            outcome,
            latency_ns: done_ns.saturating_sub(order.intended_ns),
            service_ns: done_ns.saturating_sub(first_send_ns),
            wait_ns: first_send_ns.saturating_sub(order.intended_ns),
            lag_ns: first_send_ns.saturating_sub(order.intended_ns.max(free_ns)),
            retries: attempts - 1,
            oversold_units: verdict.oversold_units,
            fairness_inversion: verdict.fairness_inversion,
            open_loop,
        };
        Finished {
            record,
            free: Free {
                at_ns: done_ns,
                at_once,
            },
        }
    }

    /// Attempts until one is final: a conflict is retried while the budget
    /// lasts. Every attempt is traced.
    async fn send_with_retries(
        &self,
        order: &Order,
        mut sent_ns: u64,
        stop: &mut StopSignal,
    ) -> Answer {
        let mut attempt = 0u32;
        let mut at_once = true;
        loop {
            attempt += 1;
            if attempt > 1 {
                sent_ns = self.now_ns();
            }
            self.ledger.sent(order.sku, order.qty);
            let (reply, ready) = self.attempt(order, sent_ns, stop).await;
            at_once &= ready;
            let done_ns = self.now_ns();
            let outcome = match reply {
                Reply::Conflict if attempt <= self.retries && stop.running() => None,
                Reply::Granted => Some(Outcome::Granted),
                Reply::SoldOut => Some(Outcome::SoldOut),
                Reply::Conflict => Some(Outcome::Conflict),
                Reply::Error => Some(Outcome::Error),
                Reply::Unknown => Some(Outcome::Unknown),
            };
            if let Some(trace) = &self.trace {
                trace.send(AttemptLine {
                    order_id: order.id,
                    sku: order.sku,
                    qty: order.qty,
                    intended_ns: order.intended_ns,
                    sent_ns,
                    completed_ns: done_ns,
                    outcome: outcome.unwrap_or(Outcome::Conflict),
                    attempt,
                    backend: self.backend_index,
                });
            }
            match outcome {
                Some(outcome) => {
                    return Answer {
                        outcome,
                        done_ns,
                        attempts: attempt,
                        at_once,
                    }
                }
                None => self.ledger.no_effect(order.sku, order.qty),
            }
        }
    }

    /// Enter the order's final outcome in the ledger; a grant gets its verdict.
    fn judge(&self, order: &Order, outcome: Outcome, done_ns: u64) -> GrantVerdict {
        match outcome {
            Outcome::Granted => {
                let verdict = self.ledger.granted(order.sku, order.qty, order.intended_ns);
                if verdict.oversold_units > 0 {
                    self.ledger.sample_oversold(GrantSample {
                        order_id: order.id,
                        sku: order.sku,
                        qty: order.qty,
                        intended_ns: order.intended_ns,
                        acknowledged_ns: done_ns,
                    });
                }
                return verdict;
            }
            Outcome::SoldOut | Outcome::Conflict => {
                self.ledger.refused(order.sku, order.qty, order.intended_ns)
            }
            Outcome::Unknown => self.ledger.unknown(order.id, order.sku, order.qty),
            Outcome::Error => self.ledger.no_effect(order.sku, order.qty),
        }
        GrantVerdict::default()
    }
}

/// How an order's attempts ended.
struct Answer {
    outcome: Outcome,
    done_ns: u64,
    attempts: u32,
    /// Every attempt's answer was ready at its first poll.
    at_once: bool,
}

/// A judged order, to be recorded, and its client free again.
struct Finished {
    record: OrderRecord,
    free: Free,
}

/// When a client became free after an order, and whether its answers came
/// at once.
struct Free {
    at_ns: u64,
    at_once: bool,
}

/// A long-lived open-loop client: take the next order when free, send it when due.
pub async fn open_loop_client<B: Backend>(shared: &Shared<B>, stop: watch::Receiver<Stop>) {
    let mut stop = StopSignal::new(stop);
    // Free since the run began, then since each answer came (recording the
    // order is harness time, so it counts as dispatch lag of the next one).
    let mut free = Free {
        at_ns: shared.now_ns(),
        at_once: false,
    };
    let mut run = OrderRun::default();
    let mut unrecorded = Unrecorded::new(&shared.recorders);
    loop {
        let order = match run.next() {
            Some(order) => order,
            None => {
                unrecorded.flush();
                // A client whose answers come at once (an in-process store)
                // yields only when its budget is spent, so the orders already
                // due that it takes in one go are, but for those yields, the
                // ones it would have taken one by one, each lock of the
                // schedule saved (benches/README.md: what a descheduled
                // thread then holds up). A client that
                // waited on its answer takes one at a time, so no order
                // queues behind a slow request while another client is free.
                let max = if free.at_once { RUN_MAX } else { 1 };
                let mut schedule = shared.schedule.lock().expect("schedule lock");
                schedule.take_run(max, free.at_ns, &mut run);
                drop(schedule);
                let Some(order) = run.next() else {
                    return;
                };
                order
            }
        };
        // An answer that is ready at once never hands the thread back to
        // the runtime: without a yield now and then, a burst on an
        // in-process store would starve the signal handler (Ctrl-C would
        // wait for the burst's end) and every other task on the thread.
        // This yields only when the task's budget is spent.
        tokio::task::coop::consume_budget().await;
        // `until` is the one stop check per order; an order taken but never
        // sent is not offered.
        let Some(sent) = shared.until(order.intended_ns, &mut stop).await else {
            return;
        };
        let finished = shared
            .execute(order, sent, free.at_ns, true, &mut stop)
            .await;
        unrecorded.push(finished.record);
        free = finished.free;
    }
}

/// One closed-loop client of phase `phase`: back to back from `at` to `end`.
pub async fn closed_loop_client<B: Backend>(
    shared: &Shared<B>,
    phase: u16,
    at_ns: u64,
    end_ns: u64,
    workload: &Mutex<Workload>,
    stop: watch::Receiver<Stop>,
) {
    let mut stop = StopSignal::new(stop);
    if shared.until(at_ns, &mut stop).await.is_none() {
        return;
    }
    loop {
        // As in the open loop: an in-process store's answers never yield.
        tokio::task::coop::consume_budget().await;
        let now = shared.now_ns();
        if now >= end_ns || !stop.running() {
            return;
        }
        let (sku, qty) = workload.lock().expect("workload lock").draw();
        let id = CLOSED_LOOP_ID_BASE + shared.closed_loop_ids.fetch_add(1, Ordering::Relaxed);
        // The intended time of a closed-loop order is the moment its client became free.
        let order = Order {
            id,
            intended_ns: now,
            sku,
            qty,
            phase,
        };
        let sent = shared.now_ns();
        let finished = shared.execute(order, sent, now, false, &mut stop).await;
        shared.recorders.record(&finished.record);
    }
}

/// Closed-loop phases of the scenario: (phase index, start, end, clients).
pub fn closed_loop_phases(scenario: &Scenario) -> Vec<(u16, u64, u64, u32)> {
    scenario
        .phases
        .iter()
        .enumerate()
        .filter_map(|(i, p)| match p.shape {
            crate::scenario::Shape::Closed { clients, duration } => {
                let at = p.at.as_nanos() as u64;
                Some((i as u16, at, at + duration.as_nanos() as u64, clients))
            }
            _ => None,
        })
        .collect()
}
