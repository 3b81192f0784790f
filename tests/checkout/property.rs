//! Conservation, as a property: random checkout calls in concurrent batches
//! (each order, and each SKU's stock adjustment, at most once per batch),
//! and at every quiet point between batches the backend's books must be
//! what its own replies add up to —
//! stock as adjusted, held and sold units and live holds as granted,
//! confirmed, released, refunded and lapsed — and never more than stock
//! plus buffer while no correction lowered the stock.

use atpsim::backend::checkout::{Confirmed, Line, OrderRef, Released, Take};
use atpsim::backend::{with_backend, AsyncBackendFn, Backend, OpenContext, Reply, SentFlag};
use atpsim::scenario::{AfterExpiry, Scenario};
use proptest::prelude::*;
use std::collections::HashMap;
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Op {
    /// The order's cart and whether it is a hold follow from its key (an
    /// idempotency key always names the same order).
    Take {
        key: u64,
    },
    Confirm {
        key: u64,
        reacquire: bool,
    },
    Release {
        key: u64,
    },
    Refund {
        key: u64,
    },
    Adjust {
        sku: u32,
        delta: i64,
    },
}

/// Batches of calls; the clock moves `step` µs before each batch.
pub fn batches() -> impl Strategy<Value = Vec<(u64, Vec<Op>)>> {
    let key = 0u64..24;
    let op = prop_oneof![
        4 => key.clone().prop_map(|key| Op::Take { key }),
        2 => (key.clone(), any::<bool>()).prop_map(|(key, reacquire)| Op::Confirm { key, reacquire }),
        1 => key.clone().prop_map(|key| Op::Release { key }),
        1 => key.prop_map(|key| Op::Refund { key }),
        1 => (0u32..3, -3i64..6).prop_map(|(sku, delta)| Op::Adjust { sku, delta }),
    ];
    prop::collection::vec((0u64..400, prop::collection::vec(op, 1..8)), 1..12)
}

/// Hold deadlines: 500 µs after the call.
const TTL_US: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fate {
    Held { expires_us: u64 },
    Sold,
    Over,
}

/// What the replies say, per order.
struct Replies {
    orders: HashMap<u64, (Vec<Line>, Fate)>,
    stock: Vec<i64>,
    corrected: bool,
}

impl Replies {
    fn lapse(&mut self, now_us: u64) {
        for (_, fate) in self.orders.values_mut() {
            if matches!(fate, Fate::Held { expires_us } if *expires_us <= now_us) {
                *fate = Fate::Over;
            }
        }
    }
}

struct Property<'a> {
    scenario: &'a Scenario,
    batches: Vec<(u64, Vec<Op>)>,
}

impl AsyncBackendFn<Result<(), String>> for Property<'_> {
    async fn call<B: Backend>(self, backend: B) -> Result<(), String> {
        let result = check(&backend, self.scenario, self.batches).await;
        backend.close().await;
        result
    }
}

async fn check<B: Backend>(
    b: &B,
    s: &Scenario,
    batches: Vec<(u64, Vec<Op>)>,
) -> Result<(), String> {
    b.prepare(&s.skus).await.map_err(|e| e.to_string())?;
    let mut replies = Replies {
        orders: HashMap::new(),
        stock: s.skus.iter().map(|k| k.stock as i64).collect(),
        corrected: false,
    };
    let mut now = 0u64;
    for (step, ops) in batches {
        now += step;
        // One call per order per batch: concurrent calls on one order have no
        // order the replies could be read in. Likewise one stock adjustment
        // per SKU: a correction clamps the stock at 0, so two concurrent
        // adjustments (+4 and −1 on an empty SKU: 3 or 4) end by their order.
        let mut seen = std::collections::HashSet::new();
        let mut adjusted = std::collections::HashSet::new();
        let ops: Vec<Op> = ops
            .into_iter()
            .filter(|op| match op {
                Op::Adjust { sku, .. } => adjusted.insert(*sku),
                Op::Take { key, .. }
                | Op::Confirm { key, .. }
                | Op::Release { key }
                | Op::Refund { key } => seen.insert(*key),
            })
            .collect();
        let lines_of = |key: u64| replies.orders.get(&key).map(|o| o.0.clone());
        let calls = ops.iter().map(|op| {
            let known = match op {
                Op::Take { .. } | Op::Adjust { .. } => None,
                Op::Confirm { key, .. } | Op::Release { key } | Op::Refund { key } => {
                    lines_of(*key)
                }
            };
            call(b, op.clone(), known, now)
        });
        let answers = crate::contract::join_all(calls).await;
        for (op, answer) in ops.iter().zip(answers) {
            apply(&mut replies, op, answer, now);
        }
        b.reap(now).await.map_err(|e| e.to_string())?;
        replies.lapse(now);
        let states = b.stock_state().await.map_err(|e| e.to_string())?;
        for (sku, state) in states.iter().enumerate() {
            let (mut held, mut sold, mut holds) = (0, 0, 0);
            for (lines, fate) in replies.orders.values() {
                let units: u64 = lines
                    .iter()
                    .filter(|l| l.sku as usize == sku)
                    .map(|l| l.qty)
                    .sum();
                match fate {
                    Fate::Held { .. } if units > 0 => {
                        held += units;
                        holds += 1;
                    }
                    Fate::Sold => sold += units,
                    _ => {}
                }
            }
            let want_stock = replies.stock[sku].max(0) as u64;
            let got = (state.on_hand, state.held, state.sold, state.holds);
            if got != (want_stock, held, sold, holds) {
                return Err(format!(
                    "SKU {sku} at {now} µs: books (on_hand, held, sold, holds) = {got:?}, replies say {:?}",
                    (want_stock, held, sold, holds)
                ));
            }
            let limit = state.on_hand + s.skus[sku].buffer;
            if !replies.corrected && state.held + state.sold > limit {
                return Err(format!(
                    "SKU {sku}: {} held + {} sold beyond {limit}",
                    state.held, state.sold
                ));
            }
        }
    }
    Ok(())
}

/// Order `key`'s cart: one to three lines over the three SKUs, a SKU
/// named twice for some keys.
fn cart(key: u64) -> Vec<Line> {
    let line = |i: u64| Line {
        sku: ((key + i * (1 + key % 2)) % 3) as u32,
        qty: 1 + (key + i) % 3,
    };
    (0..1 + key % 3).map(line).collect()
}

enum Answer {
    Take(Reply, Vec<Line>, Option<u64>),
    Confirm(Confirmed),
    Release(Released),
    Adjust(Reply),
    Skipped,
}

async fn call<B: Backend>(b: &B, op: Op, known: Option<Vec<Line>>, now_us: u64) -> Answer {
    let sent = SentFlag::default();
    match op {
        Op::Take { key } => {
            let lines = cart(key);
            let expires_us = (key % 2 == 0).then_some(now_us + TTL_US);
            let take = Take {
                key,
                lines: &lines,
                now_us,
                expires_us,
            };
            Answer::Take(b.take(&take, &sent).await, lines, expires_us)
        }
        Op::Confirm { key, reacquire } => {
            let Some(lines) = known else {
                return Answer::Skipped;
            };
            let policy = if reacquire {
                AfterExpiry::Reacquire
            } else {
                AfterExpiry::Reject
            };
            let order = OrderRef {
                key,
                lines: &lines,
                now_us,
            };
            Answer::Confirm(b.confirm(&order, policy, &sent).await)
        }
        Op::Release { key } => {
            let Some(lines) = known else {
                return Answer::Skipped;
            };
            let order = OrderRef {
                key,
                lines: &lines,
                now_us,
            };
            Answer::Release(b.release(&order, &sent).await)
        }
        Op::Refund { key } => {
            let Some(lines) = known else {
                return Answer::Skipped;
            };
            let order = OrderRef {
                key,
                lines: &lines,
                now_us,
            };
            Answer::Release(b.refund(&order, &sent).await)
        }
        Op::Adjust { sku, delta } => Answer::Adjust(b.adjust(sku, delta, &sent).await),
    }
}

fn apply(r: &mut Replies, op: &Op, answer: Answer, now_us: u64) {
    let key = match op {
        Op::Take { key, .. }
        | Op::Confirm { key, .. }
        | Op::Release { key }
        | Op::Refund { key } => *key,
        Op::Adjust { .. } => u64::MAX,
    };
    match answer {
        Answer::Take(Reply::Granted, lines, expires) => {
            r.orders.entry(key).or_insert((
                lines,
                match expires {
                    Some(expires_us) => Fate::Held { expires_us },
                    None => Fate::Sold,
                },
            ));
        }
        Answer::Confirm(Confirmed::Sold | Confirmed::Reacquired) => {
            if let Some(o) = r.orders.get_mut(&key) {
                o.1 = Fate::Sold;
            }
        }
        Answer::Confirm(Confirmed::Lapsed | Confirmed::SoldOut)
        | Answer::Release(Released::Released) => {
            if let Some(o) = r.orders.get_mut(&key) {
                o.1 = Fate::Over;
            }
        }
        Answer::Adjust(Reply::Granted) => {
            if let Op::Adjust { sku, delta } = op {
                let s = &mut r.stock[*sku as usize];
                *s = (*s + delta).max(0);
                r.corrected |= *delta < 0;
            }
        }
        _ => {}
    }
    let _ = now_us;
}

/// Run the property on the backend `backend` (a `[[backend]]` body) for `cases` cases.
pub fn conserves_stock(backend: &str, cases: u32) {
    let s = crate::contract::scenario(backend);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let ctx = OpenContext {
        clients: 16,
        timeout: Duration::from_secs(10),
        ..OpenContext::default()
    };
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(batches in batches())| {
        let result = rt.block_on(with_backend(&s.backends[0], &s.skus, &ctx, Property { scenario: &s, batches }));
        let outcome = result.map_err(|e| e.to_string()).and_then(|r| r);
        prop_assert!(outcome.is_ok(), "{}", outcome.unwrap_err());
    });
}
