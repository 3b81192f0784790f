//! The per-order path of a checkout run: take the cart (retrying conflicts
//! and, when asked, timeouts), judge it against the checkout ledger, record
//! it, then play the customer (pay, cancel or walk away) and the scenario's
//! stock events.
//!
//! Invariant: every call a customer or event makes is judged by the ledger
//! before and after it, so nothing the backend was told escapes the audit;
//! latency figures cover the take only (the customer's own calls are
//! counted in `holds.*`).

use super::customer::{self, Fate};
use crate::backend::checkout::{Confirmed, Line, OrderRef, Released, Take};
use crate::backend::{Backend, Reply, SentFlag};
use crate::ledger::checkout::{CheckoutLedger, TakeAnswer};
use crate::metrics::{OrderRecord, Outcome, Recorders};
use crate::runner::Stop;
use crate::scenario::{Checkout, EventAction};
use crate::trace::{AttemptLine, TraceSink};
use crate::traffic::{Order, Schedule, Workload};
use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Keys leave room for an attempt number when idempotency keys are off:
/// 7 bits hold every attempt validation allows (1 + 100 conflict retries +
/// 10 timeout retries).
const ATTEMPT_BITS: u32 = 7;

/// What every client, customer and event of one backend's checkout run shares.
pub struct Shop<B> {
    pub backend: B,
    pub ledger: CheckoutLedger,
    pub recorders: Recorders,
    pub schedule: Mutex<Schedule>,
    /// Each phase's workload, for a cart's further lines.
    pub workloads: Vec<Workload>,
    pub checkout: Checkout,
    pub seed: u64,
    pub t0: Instant,
    pub timeout: Duration,
    pub retries: u32,
    pub closed_loop_ids: AtomicU64,
    pub trace: Option<TraceSink>,
    pub backend_index: u16,
    /// Customers still to act, awaited before the audit.
    pub customers: Mutex<Vec<JoinHandle<()>>>,
}

impl<B: Backend> crate::runner::ticker::Ticked for Shop<B> {
    fn recorders(&self) -> &Recorders {
        &self.recorders
    }

    fn t0(&self) -> Instant {
        self.t0
    }

    fn dispatched(&self) -> u64 {
        let open = self.schedule.lock().expect("schedule lock").taken();
        open + self
            .closed_loop_ids
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl<B: Backend> Shop<B> {
    pub fn now_ns(&self) -> u64 {
        Instant::now().saturating_duration_since(self.t0).as_nanos() as u64
    }

    fn now_us(&self) -> u64 {
        self.now_ns() / 1_000
    }

    /// Sleep until `at_ns` after `t0`; false when the run was stopped meanwhile.
    pub async fn until(&self, at_ns: u64, stop: &mut watch::Receiver<Stop>) -> bool {
        let due = self.t0 + Duration::from_nanos(at_ns);
        if due > Instant::now() {
            tokio::select! {
                _ = tokio::time::sleep_until(due) => {}
                _ = stop.wait_for(|s| *s != Stop::Run) => return false,
            }
        }
        *stop.borrow() == Stop::Run
    }

    /// Run one call bounded by the timeout (or cut at `Abandon`); `None`
    /// when no answer came, with whether the request had left.
    async fn bounded<T>(
        &self,
        call: impl Future<Output = T>,
        sent: &SentFlag,
        stop: &mut watch::Receiver<Stop>,
    ) -> Result<T, bool> {
        let answered = tokio::select! {
            biased;
            result = tokio::time::timeout(self.timeout, call) => result.ok(),
            _ = stop.wait_for(|s| *s == Stop::Abandon) => None,
        };
        answered.ok_or_else(|| sent.is_sent())
    }

    fn expires_us(&self, sent_us: u64) -> Option<u64> {
        self.checkout
            .hold_ttl
            .map(|ttl| sent_us + ttl.as_micros() as u64)
    }

    /// Take `order`'s cart, judge and record it, and send its customer on
    /// their way. Returns when the take was answered.
    pub async fn execute(
        self: &Arc<Self>,
        order: Order,
        free_ns: u64,
        open_loop: bool,
        stop: &mut watch::Receiver<Stop>,
    ) -> u64 {
        let workload = &self.workloads[order.phase as usize];
        let (lines, fate) = customer::draw(self.seed, &self.checkout, workload, &order);
        let first_send_ns = self.now_ns();
        // A retry re-sends the same request: the same deadline, so a first
        // attempt that was applied and its retry agree on when the hold lapses.
        let expires_us = self.expires_us(first_send_ns / 1_000);
        let mut attempt = 0u32;
        let mut timeouts = 0u32;
        // An earlier attempt under the same key went unanswered: a final
        // answer that says nothing about it cannot settle the order.
        let mut unsettled = false;
        let (reply, key, sent_us) = loop {
            attempt += 1;
            let key = if self.checkout.idempotency {
                order.id << ATTEMPT_BITS
            } else {
                (order.id << ATTEMPT_BITS) | u64::from(attempt)
            };
            let sent_us = self.now_us();
            let take = Take {
                key,
                lines: &lines,
                now_us: sent_us,
                expires_us,
            };
            self.ledger.take_sent(&lines);
            let sent = SentFlag::default();
            let reply = match self
                .bounded(self.backend.take(&take, &sent), &sent, stop)
                .await
            {
                Ok(reply) => reply,
                Err(true) => Reply::Unknown,
                Err(false) => Reply::Error,
            };
            // A hold is not asked for again once its deadline has passed.
            let running = *stop.borrow() == Stop::Run
                && expires_us.is_none_or(|deadline| self.now_us() < deadline);
            let retried = match reply {
                Reply::Conflict => attempt <= self.retries && running,
                Reply::Unknown => timeouts < self.checkout.timeout_retries && running,
                _ => false,
            };
            if let Some(trace) = &self.trace {
                trace.send(AttemptLine {
                    order_id: order.id,
                    sku: order.sku,
                    qty: lines.iter().map(|l| l.qty).sum(),
                    intended_ns: order.intended_ns,
                    sent_ns: sent_us * 1_000,
                    completed_ns: self.now_ns(),
                    outcome: outcome(reply),
                    attempt,
                    backend: self.backend_index,
                });
            }
            match reply {
                Reply::Conflict if retried => {
                    self.ledger.take_no_effect(&lines);
                }
                Reply::Unknown if retried => {
                    timeouts += 1;
                    if self.checkout.idempotency {
                        // The retry carries the same key: one effect at most.
                        self.ledger.take_no_effect(&lines);
                        unsettled = true;
                    } else {
                        self.ledger
                            .take_unknown_attempt(order.id, key, &lines, expires_us);
                    }
                }
                // An error or a conflict says nothing of the unanswered
                // attempt before it under this key: the order stays unknown.
                Reply::Error | Reply::Conflict if unsettled => {
                    break (Reply::Unknown, key, sent_us);
                }
                _ => break (reply, key, sent_us),
            }
        };
        let done_ns = self.now_ns();
        let verdict = self.ledger.take_answered(&TakeAnswer {
            order_id: order.id,
            key,
            lines: &lines,
            reply,
            sent_us,
            expires_us,
            intended_ns: order.intended_ns,
            acknowledged_ns: done_ns,
        });
        self.recorders.record(&OrderRecord {
            intended_ns: order.intended_ns,
            sku: order.sku,
            qty: lines.iter().map(|l| l.qty).sum(),
            outcome: outcome(reply),
            latency_ns: done_ns.saturating_sub(order.intended_ns),
            service_ns: done_ns.saturating_sub(first_send_ns),
            wait_ns: first_send_ns.saturating_sub(order.intended_ns),
            lag_ns: first_send_ns.saturating_sub(order.intended_ns.max(free_ns)),
            retries: attempt - 1,
            oversold_units: verdict.oversold_units,
            fairness_inversion: verdict.fairness_inversion,
            open_loop,
        });
        if let (Reply::Granted, Some(_)) = (reply, expires_us) {
            if fate != Fate::Abandon {
                let shop = Arc::clone(self);
                let stop = stop.clone();
                let granted_ns = sent_us * 1_000;
                let task = tokio::spawn(async move {
                    shop.customer(order.id, key, lines, fate, granted_ns, stop)
                        .await
                });
                self.customers.lock().expect("customers lock").push(task);
            }
        }
        done_ns
    }

    /// The customer of a granted hold pays or cancels when their delay is up.
    /// Stopped runs leave the hold to lapse, as a customer who left would.
    async fn customer(
        &self,
        order_id: u64,
        key: u64,
        lines: Vec<Line>,
        fate: Fate,
        granted_ns: u64,
        mut stop: watch::Receiver<Stop>,
    ) {
        let (after, sends) = match fate {
            Fate::Abandon => return,
            Fate::Pay(after) => (after, 1),
            Fate::Cancel { after, twice } => (after, 1 + u32::from(twice)),
        };
        if !self
            .until(granted_ns + after.as_nanos() as u64, &mut stop)
            .await
        {
            return;
        }
        for _ in 0..sends {
            let order = OrderRef {
                key,
                lines: &lines,
                now_us: self.now_us(),
            };
            let sent = SentFlag::default();
            if let Fate::Pay(_) = fate {
                let policy = self.checkout.after_expiry;
                let call = self.backend.confirm(&order, policy, &sent);
                let reply = self.bounded(call, &sent, &mut stop).await;
                let reply = reply
                    .unwrap_or_else(|sent| unanswered(sent, Confirmed::Unknown, Confirmed::Error));
                self.ledger.confirm_answered(order_id, order.now_us, reply);
            } else {
                let live = self.ledger.release_sent(order_id, order.now_us);
                let reply = self
                    .bounded(self.backend.release(&order, &sent), &sent, &mut stop)
                    .await;
                let reply = reply
                    .unwrap_or_else(|sent| unanswered(sent, Released::Unknown, Released::Error));
                self.ledger
                    .release_answered(order_id, live, reply, self.now_us());
            }
        }
    }

    /// The scenario's timed stock events, in order.
    pub async fn events(&self, mut stop: watch::Receiver<Stop>) {
        for event in &self.checkout.events {
            if !self.until(event.at.as_nanos() as u64, &mut stop).await {
                return;
            }
            match event.action {
                EventAction::Restock { sku, units } => {
                    self.adjust(sku, units as i64, &mut stop).await
                }
                EventAction::Correction { sku, units } => {
                    self.adjust(sku, -(units as i64), &mut stop).await
                }
                EventAction::Refund { sku, orders } => {
                    for (order_id, key, lines) in self.ledger.refund_targets(sku, orders) {
                        let order = OrderRef {
                            key,
                            lines: &lines,
                            now_us: self.now_us(),
                        };
                        let owned = self.ledger.refund_sent(order_id, order.now_us);
                        let sent = SentFlag::default();
                        let reply = self
                            .bounded(self.backend.refund(&order, &sent), &sent, &mut stop)
                            .await;
                        let reply = reply.unwrap_or_else(|sent| {
                            unanswered(sent, Released::Unknown, Released::Error)
                        });
                        self.ledger
                            .refund_answered(order_id, owned, reply, self.now_us());
                    }
                }
            }
        }
    }

    async fn adjust(&self, sku: u32, delta: i64, stop: &mut watch::Receiver<Stop>) {
        let moved = self.ledger.adjust_sent(sku, delta);
        let sent = SentFlag::default();
        let reply = self
            .bounded(self.backend.adjust(sku, delta, &sent), &sent, stop)
            .await;
        let reply = reply.unwrap_or_else(|sent| unanswered(sent, Reply::Unknown, Reply::Error));
        self.ledger
            .adjust_answered(sku, delta, moved, reply, self.now_us());
    }
}

/// A call with no answer: unknown once it had left, an error before.
fn unanswered<T>(sent: bool, unknown: T, error: T) -> T {
    if sent {
        unknown
    } else {
        error
    }
}

fn outcome(reply: Reply) -> Outcome {
    match reply {
        Reply::Granted => Outcome::Granted,
        Reply::SoldOut => Outcome::SoldOut,
        Reply::Conflict => Outcome::Conflict,
        Reply::Error => Outcome::Error,
        Reply::Unknown => Outcome::Unknown,
    }
}
