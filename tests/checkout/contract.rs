//! The checkout contract (`backends/README.md`, "Checkout"): one body per
//! rule, run against every backend that supports the checkout calls, the
//! embedded ones here and the server ones in `sql_servers.rs`.
//!
//! Time is driven explicitly: every call carries the `now_us` the test
//! chooses, so a deadline is crossed exactly when the test says.

use atpsim::backend::checkout::{Confirmed, Line, OrderRef, Released, StockState, Take};
use atpsim::backend::{with_backend, AsyncBackendFn, Backend, OpenContext, Reply, SentFlag};
use atpsim::scenario::{parse, AfterExpiry, Scenario, Sku};
use std::path::Path;
use std::time::Duration;

/// A (stock 5), B (stock 3), C (stock 10 with a buffer of 2).
const CATALOGUE: &str = r#"
name = "contract"
seed = 1
[[sku]]
id = "A"
stock = 5
[[sku]]
id = "B"
stock = 3
[[sku]]
id = "C"
stock = 10
buffer = 2
[[phase]]
kind = "instant"
orders = 1
"#;
const A: u32 = 0;
const B: u32 = 1;
const C: u32 = 2;

/// The scenario the contract opens `backend` (a `[[backend]]` body) with.
pub fn scenario(backend: &str) -> Scenario {
    let body = format!("{CATALOGUE}\n[[backend]]\n{backend}\n");
    parse(&body, Path::new("contract.toml")).unwrap_or_else(|e| panic!("contract scenario: {e}"))
}

/// Run every rule against the backend `backend` describes. Returns its
/// `environment()` (a server backend's namespace), so a caller can see that
/// closing removed what the run made.
pub fn check(backend: &str) -> serde_json::Value {
    let s = scenario(backend);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let ctx = OpenContext {
        clients: 64,
        timeout: Duration::from_secs(10),
        ..OpenContext::default()
    };
    rt.block_on(async {
        with_backend(&s.backends[0], &s.skus, &ctx, Contract(&s))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    })
}

struct Contract<'a>(&'a Scenario);

impl AsyncBackendFn<serde_json::Value> for Contract<'_> {
    async fn call<Bk: Backend>(self, backend: Bk) -> serde_json::Value {
        let name = self.0.backends[0].name.clone();
        let t = Tester {
            b: &backend,
            skus: &self.0.skus,
            name,
        };
        let cases: [(&str, Case<Bk>); 18] = [
            ("a hold lapses at its deadline", |t| {
                Box::pin(hold_lapses_at_its_deadline(t))
            }),
            ("a late confirmation is refused under reject", |t| {
                Box::pin(late_confirmation_is_refused(t))
            }),
            ("reacquire sells only from free stock", |t| {
                Box::pin(reacquire_only_from_free_stock(t))
            }),
            ("reacquiring a cart is all or nothing", |t| {
                Box::pin(reacquiring_a_cart_is_all_or_nothing(t))
            }),
            ("a released hold is never reacquired", |t| {
                Box::pin(released_hold_is_never_reacquired(t))
            }),
            ("an on-time confirmation sells once", |t| {
                Box::pin(on_time_confirmation_sells_once(t))
            }),
            ("a release returns units once", |t| {
                Box::pin(release_returns_units_once(t))
            }),
            ("a cancel racing the expiry returns units once", |t| {
                Box::pin(cancel_racing_expiry_returns_units_once(t))
            }),
            ("a take is idempotent on its key", |t| {
                Box::pin(take_is_idempotent(t))
            }),
            ("a cart is all or nothing", |t| {
                Box::pin(cart_is_all_or_nothing(t))
            }),
            ("a cart may name a SKU twice", |t| {
                Box::pin(cart_names_a_sku_twice(t))
            }),
            ("crossed carts do not deadlock", |t| {
                Box::pin(crossed_carts_do_not_deadlock(t))
            }),
            ("restocks and corrections move stock", |t| {
                Box::pin(restock_and_correction(t))
            }),
            ("the buffer is sold exactly", |t| {
                Box::pin(buffer_is_sold_exactly(t))
            }),
            ("a refund returns units once", |t| {
                Box::pin(refund_returns_units_once(t))
            }),
            ("a cart lapses as a whole", |t| {
                Box::pin(cart_lapses_as_a_whole(t))
            }),
            ("a restock racing a sale loses neither", |t| {
                Box::pin(restock_racing_a_sale(t))
            }),
            ("contended checkouts conserve stock", |t| {
                Box::pin(contended_checkouts_conserve_stock(t))
            }),
        ];
        let mut failed = Vec::new();
        for (rule, case) in cases {
            backend.prepare(t.skus).await.expect("prepare");
            if let Err(message) = case(&t).await {
                failed.push(format!("{}: {rule}: {message}", t.name));
            }
        }
        backend.close().await;
        assert!(failed.is_empty(), "{}", failed.join("\n"));
        backend.environment()
    }
}

type Case<Bk> = for<'t> fn(
    &'t Tester<'t, Bk>,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(), String>> + Send + 't>,
>;

struct Tester<'a, Bk> {
    b: &'a Bk,
    skus: &'a [Sku],
    name: String,
}

fn line(sku: u32, qty: u64) -> Line {
    Line { sku, qty }
}

macro_rules! expect {
    ($what:expr, $got:expr, $want:expr) => {{
        let got = $got;
        if got != $want {
            return Err(format!("{}: got {:?}, want {:?}", $what, got, $want));
        }
    }};
}

impl<Bk: Backend> Tester<'_, Bk> {
    async fn hold(&self, key: u64, lines: &[Line], now_us: u64, expires_us: u64) -> Reply {
        let take = Take {
            key,
            lines,
            now_us,
            expires_us: Some(expires_us),
        };
        self.b.take(&take, &SentFlag::default()).await
    }

    async fn sell(&self, key: u64, lines: &[Line], now_us: u64) -> Reply {
        let take = Take {
            key,
            lines,
            now_us,
            expires_us: None,
        };
        self.b.take(&take, &SentFlag::default()).await
    }

    async fn confirm(
        &self,
        key: u64,
        lines: &[Line],
        now_us: u64,
        policy: AfterExpiry,
    ) -> Confirmed {
        let order = OrderRef { key, lines, now_us };
        self.b.confirm(&order, policy, &SentFlag::default()).await
    }

    async fn release(&self, key: u64, lines: &[Line], now_us: u64) -> Released {
        let order = OrderRef { key, lines, now_us };
        self.b.release(&order, &SentFlag::default()).await
    }

    async fn refund(&self, key: u64, lines: &[Line], now_us: u64) -> Released {
        let order = OrderRef { key, lines, now_us };
        self.b.refund(&order, &SentFlag::default()).await
    }

    async fn adjust(&self, sku: u32, delta: i64) -> Reply {
        self.b.adjust(sku, delta, &SentFlag::default()).await
    }

    /// Reap at `now_us`, then read one SKU's state.
    async fn state(&self, sku: u32, now_us: u64) -> StockState {
        self.b.reap(now_us).await.expect("reap");
        self.b.stock_state().await.expect("stock_state")[sku as usize]
    }
}

async fn hold_lapses_at_its_deadline<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    expect!(
        "hold all of A",
        t.hold(1, &[line(A, 5)], 0, 1_000).await,
        Reply::Granted
    );
    expect!(
        "take before the deadline",
        t.hold(2, &[line(A, 1)], 999, 5_000).await,
        Reply::SoldOut
    );
    expect!(
        "take at the deadline",
        t.hold(3, &[line(A, 1)], 1_000, 5_000).await,
        Reply::Granted
    );
    let s = t.state(A, 1_000).await;
    expect!(
        "A (held, sold, holds)",
        (s.held, s.sold, s.holds),
        (1, 0, 1)
    );
    Ok(())
}

async fn late_confirmation_is_refused<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    let lines = [line(A, 2)];
    expect!("hold", t.hold(1, &lines, 0, 1_000).await, Reply::Granted);
    expect!(
        "confirm after the deadline",
        t.confirm(1, &lines, 1_500, AfterExpiry::Reject).await,
        Confirmed::Lapsed
    );
    let s = t.state(A, 1_500).await;
    expect!("A (held, sold)", (s.held, s.sold), (0, 0));
    Ok(())
}

async fn reacquire_only_from_free_stock<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    let a2 = [line(A, 2)];
    expect!(
        "hold 2 of A",
        t.hold(1, &a2, 0, 1_000).await,
        Reply::Granted
    );
    expect!(
        "sell 4 of A after the lapse",
        t.sell(2, &[line(A, 4)], 1_200).await,
        Reply::Granted
    );
    expect!(
        "reacquire with 1 free",
        t.confirm(1, &a2, 1_500, AfterExpiry::Reacquire).await,
        Confirmed::SoldOut
    );
    let b2 = [line(B, 2)];
    expect!(
        "hold 2 of B",
        t.hold(3, &b2, 0, 1_000).await,
        Reply::Granted
    );
    expect!(
        "reacquire with 3 free",
        t.confirm(3, &b2, 2_000, AfterExpiry::Reacquire).await,
        Confirmed::Reacquired
    );
    let (a, b) = (t.state(A, 2_000).await, t.state(B, 2_000).await);
    expect!("A (held, sold)", (a.held, a.sold), (0, 4));
    expect!("B (held, sold)", (b.held, b.sold), (0, 2));
    Ok(())
}

async fn reacquiring_a_cart_is_all_or_nothing<Bk: Backend>(
    t: &Tester<'_, Bk>,
) -> Result<(), String> {
    let cart = [line(B, 2), line(A, 2)];
    expect!(
        "hold cart B:2 A:2",
        t.hold(1, &cart, 0, 1_000).await,
        Reply::Granted
    );
    expect!(
        "sell 2 of B after the lapse",
        t.sell(2, &[line(B, 2)], 1_100).await,
        Reply::Granted
    );
    expect!(
        "reacquire the cart with 1 of B free",
        t.confirm(1, &cart, 1_200, AfterExpiry::Reacquire).await,
        Confirmed::SoldOut
    );
    let (a, b) = (t.state(A, 1_200).await, t.state(B, 1_200).await);
    expect!("A (held, sold)", (a.held, a.sold), (0, 0));
    expect!("B (held, sold)", (b.held, b.sold), (0, 2));
    expect!(
        "sell all of A",
        t.sell(3, &[line(A, 5)], 1_300).await,
        Reply::Granted
    );
    Ok(())
}

async fn released_hold_is_never_reacquired<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    let a1 = [line(A, 1)];
    expect!("hold", t.hold(1, &a1, 0, 1_000).await, Reply::Granted);
    expect!("release", t.release(1, &a1, 10).await, Released::Released);
    expect!(
        "confirm the released hold under reacquire",
        t.confirm(1, &a1, 2_000, AfterExpiry::Reacquire).await,
        Confirmed::Lapsed
    );
    expect!(
        "take the released key again",
        t.hold(1, &a1, 2_100, 3_000).await,
        Reply::SoldOut
    );
    let a = t.state(A, 2_100).await;
    expect!(
        "A (held, sold, holds)",
        (a.held, a.sold, a.holds),
        (0, 0, 0)
    );
    Ok(())
}

async fn on_time_confirmation_sells_once<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    let lines = [line(A, 2)];
    expect!("hold", t.hold(1, &lines, 0, 1_000).await, Reply::Granted);
    expect!(
        "confirm",
        t.confirm(1, &lines, 500, AfterExpiry::Reject).await,
        Confirmed::Sold
    );
    expect!(
        "confirm again",
        t.confirm(1, &lines, 600, AfterExpiry::Reacquire).await,
        Confirmed::AlreadySold
    );
    let s = t.state(A, 5_000).await;
    expect!(
        "A (held, sold, holds)",
        (s.held, s.sold, s.holds),
        (0, 2, 0)
    );
    Ok(())
}

async fn release_returns_units_once<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    let a5 = [line(A, 5)];
    expect!(
        "hold all of A",
        t.hold(1, &a5, 0, 1_000).await,
        Reply::Granted
    );
    expect!("release", t.release(1, &a5, 10).await, Released::Released);
    expect!(
        "release again",
        t.release(1, &a5, 20).await,
        Released::Nothing
    );
    expect!("sell all of A", t.sell(2, &a5, 30).await, Reply::Granted);
    expect!(
        "sell one more",
        t.sell(3, &[line(A, 1)], 40).await,
        Reply::SoldOut
    );
    let b3 = [line(B, 3)];
    expect!(
        "hold all of B",
        t.hold(4, &b3, 0, 100).await,
        Reply::Granted
    );
    expect!(
        "release after the lapse",
        t.release(4, &b3, 200).await,
        Released::Nothing
    );
    expect!(
        "release an order never taken",
        t.release(99, &b3, 200).await,
        Released::Nothing
    );
    let s = t.state(B, 200).await;
    expect!("B (held, sold)", (s.held, s.sold), (0, 0));
    Ok(())
}

async fn cancel_racing_expiry_returns_units_once<Bk: Backend>(
    t: &Tester<'_, Bk>,
) -> Result<(), String> {
    let a5 = [line(A, 5)];
    expect!(
        "hold all of A",
        t.hold(1, &a5, 0, 1_000).await,
        Reply::Granted
    );
    let again = [line(A, 5)];
    let (r1, r2, taken) = tokio::join!(
        t.release(1, &a5, 999),
        t.release(1, &a5, 1_000),
        t.sell(2, &again, 1_000),
    );
    let released = [r1, r2]
        .iter()
        .filter(|r| **r == Released::Released)
        .count();
    if released > 1 {
        return Err(format!("released twice: {r1:?}, {r2:?}"));
    }
    expect!("sell all of A as it lapses", taken, Reply::Granted);
    expect!(
        "sell one more",
        t.sell(3, &[line(A, 1)], 1_100).await,
        Reply::SoldOut
    );
    let s = t.state(A, 1_100).await;
    expect!("A (held, sold)", (s.held, s.sold), (0, 5));
    Ok(())
}

async fn take_is_idempotent<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    let a2 = [line(A, 2)];
    expect!("sell", t.sell(1, &a2, 0).await, Reply::Granted);
    expect!(
        "the same key again",
        t.sell(1, &a2, 10).await,
        Reply::Granted
    );
    expect!(
        "hold",
        t.hold(2, &[line(B, 3)], 0, 1_000).await,
        Reply::Granted
    );
    expect!(
        "the same hold again",
        t.hold(2, &[line(B, 3)], 10, 1_010).await,
        Reply::Granted
    );
    let (a, b) = (t.state(A, 20).await, t.state(B, 20).await);
    expect!("A sold", a.sold, 2);
    expect!("B (held, holds)", (b.held, b.holds), (3, 1));
    expect!(
        "key 1 took effect",
        t.b.took_effect(1).await.map_err(|e| e.to_string())?,
        true
    );
    expect!(
        "key 99 took effect",
        t.b.took_effect(99).await.map_err(|e| e.to_string())?,
        false
    );
    Ok(())
}

async fn cart_is_all_or_nothing<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    expect!(
        "cart A:2 B:4",
        t.sell(1, &[line(A, 2), line(B, 4)], 0).await,
        Reply::SoldOut
    );
    expect!(
        "hold cart A:2 B:4",
        t.hold(2, &[line(A, 2), line(B, 4)], 0, 1_000).await,
        Reply::SoldOut
    );
    let a = t.state(A, 10).await;
    expect!(
        "A after the refused carts (held, sold)",
        (a.held, a.sold),
        (0, 0)
    );
    expect!(
        "refused key took effect",
        t.b.took_effect(1).await.map_err(|e| e.to_string())?,
        false
    );
    expect!(
        "cart A:2 B:3",
        t.sell(3, &[line(A, 2), line(B, 3)], 10).await,
        Reply::Granted
    );
    let (a, b) = (t.state(A, 20).await, t.state(B, 20).await);
    expect!("A sold", a.sold, 2);
    expect!("B sold", b.sold, 3);
    Ok(())
}

async fn cart_names_a_sku_twice<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    let too_many = [line(A, 3), line(A, 3)];
    expect!(
        "cart A:3 A:3",
        t.sell(1, &too_many, 0).await,
        Reply::SoldOut
    );
    let fits = [line(A, 2), line(A, 3)];
    expect!(
        "cart A:2 A:3",
        t.hold(2, &fits, 0, 1_000).await,
        Reply::Granted
    );
    expect!(
        "confirm it",
        t.confirm(2, &fits, 10, AfterExpiry::Reject).await,
        Confirmed::Sold
    );
    expect!("A sold", t.state(A, 20).await.sold, 5);
    expect!(
        "refund it",
        t.refund(2, &fits, 30).await,
        Released::Released
    );
    expect!("A sold after the refund", t.state(A, 40).await.sold, 0);
    Ok(())
}

async fn crossed_carts_do_not_deadlock<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    let forward = [line(A, 1), line(B, 1)];
    let backward = [line(B, 1), line(A, 1)];
    let carts = (0..40u64).map(|k| {
        let lines: &[Line] = if k % 2 == 0 { &forward } else { &backward };
        t.sell(100 + k, lines, k)
    });
    let replies = tokio::time::timeout(Duration::from_secs(30), join_all(carts))
        .await
        .map_err(|_| "40 crossed carts did not finish within 30 s".to_string())?;
    let granted = replies.iter().filter(|r| **r == Reply::Granted).count();
    expect!("carts granted (B has 3)", granted, 3);
    let (a, b) = (t.state(A, 100).await, t.state(B, 100).await);
    expect!("(A sold, B sold)", (a.sold, b.sold), (3, 3));
    Ok(())
}

async fn restock_and_correction<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    expect!("restock A by 3", t.adjust(A, 3).await, Reply::Granted);
    expect!(
        "sell 8 of A",
        t.sell(1, &[line(A, 8)], 0).await,
        Reply::Granted
    );
    expect!("correct A by -2", t.adjust(A, -2).await, Reply::Granted);
    expect!(
        "sell one more",
        t.sell(2, &[line(A, 1)], 10).await,
        Reply::SoldOut
    );
    let a = t.state(A, 20).await;
    expect!("A (on_hand, sold)", (a.on_hand, a.sold), (6, 8));
    Ok(())
}

async fn buffer_is_sold_exactly<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    let mut granted = 0;
    for k in 0..14u64 {
        if t.sell(k, &[line(C, 1)], k).await == Reply::Granted {
            granted += 1;
        }
    }
    expect!("units of C granted (10 + buffer 2)", granted, 12);
    Ok(())
}

async fn refund_returns_units_once<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    let b3 = [line(B, 3)];
    expect!("sell all of B", t.sell(1, &b3, 0).await, Reply::Granted);
    expect!("refund", t.refund(1, &b3, 10).await, Released::Released);
    expect!(
        "refund again",
        t.refund(1, &b3, 20).await,
        Released::Nothing
    );
    expect!(
        "sell all of B again",
        t.sell(2, &b3, 30).await,
        Reply::Granted
    );
    expect!(
        "sell one more",
        t.sell(3, &[line(B, 1)], 40).await,
        Reply::SoldOut
    );
    Ok(())
}

/// A later call on A reaps A's line of the cart; a confirmation sent
/// earlier by its own clock then finds the cart lapsed, and sells no line.
async fn cart_lapses_as_a_whole<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    // The line reaped first is on the lower SKU, then on the higher one;
    // reacquiring needs that line's units again, and they were just sold.
    let cases = [
        (
            AfterExpiry::Reject,
            [line(A, 5), line(B, 1)],
            line(A, 5),
            Confirmed::Lapsed,
        ),
        (
            AfterExpiry::Reacquire,
            [line(A, 5), line(B, 1)],
            line(A, 5),
            Confirmed::SoldOut,
        ),
        (
            AfterExpiry::Reject,
            [line(A, 1), line(B, 3)],
            line(B, 3),
            Confirmed::Lapsed,
        ),
        (
            AfterExpiry::Reacquire,
            [line(A, 1), line(B, 3)],
            line(B, 3),
            Confirmed::SoldOut,
        ),
    ];
    for (i, (policy, cart, later, want)) in cases.into_iter().enumerate() {
        t.b.prepare(t.skus).await.map_err(|e| e.to_string())?;
        let key = 10 * (i as u64 + 1);
        let case = format!("case {i} ({policy:?}, {cart:?})");
        expect!(
            format!("hold the cart, {case}"),
            t.hold(key, &cart, 0, 1_000).await,
            Reply::Granted
        );
        expect!(
            format!("sell {later:?} at the deadline, {case}"),
            t.sell(key + 1, &[later], 1_000).await,
            Reply::Granted
        );
        expect!(
            format!("confirm by an earlier clock, {case}"),
            t.confirm(key, &cart, 900, policy).await,
            want
        );
        // Read at 900, before the deadline: a reap at 1_000 would hide a
        // line the confirmation left held.
        let (a, b) = (t.state(A, 900).await, t.state(B, 900).await);
        let sold_a = if later.sku == A { later.qty } else { 0 };
        let sold_b = if later.sku == B { later.qty } else { 0 };
        expect!(
            format!("A (held, sold), {case}"),
            (a.held, a.sold),
            (0, sold_a)
        );
        expect!(
            format!("B (held, sold), {case}"),
            (b.held, b.sold),
            (0, sold_b)
        );
    }
    Ok(())
}

/// A restock and a one-unit sale, sent together, again and again: whichever
/// the backend applies first, neither is lost — the stock shows every
/// restock, and the sold units every sale it granted.
async fn restock_racing_a_sale<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    let mut granted = 0;
    for round in 0..10u64 {
        let one = [line(A, 1)];
        let (restocked, sold) = tokio::join!(t.adjust(A, 3), t.sell(100 + round, &one, round));
        expect!(
            format!("restock in round {round}"),
            restocked,
            Reply::Granted
        );
        expect!(format!("sale in round {round}"), sold, Reply::Granted);
        granted += 1;
        let a = t.state(A, round).await;
        expect!(
            format!("A (on_hand, sold) after round {round}"),
            (a.on_hand, a.sold),
            (5 + 3 * (round + 1), granted)
        );
    }
    Ok(())
}

/// Many customers at once: holds, sales, confirmations and cancellations on
/// two SKUs, some crossing their deadlines. Afterwards the backend's books
/// must match the replies it gave: sold = what it said it sold, nothing held
/// once every deadline passed, and never more than stock.
async fn contended_checkouts_conserve_stock<Bk: Backend>(t: &Tester<'_, Bk>) -> Result<(), String> {
    use std::sync::atomic::{AtomicI64, Ordering};
    let sold = [AtomicI64::new(0), AtomicI64::new(0)];
    let customers = (0..60u64).map(|k| {
        let sold = &sold;
        async move {
            let sku = (k % 2) as u32;
            let lines = [line(sku, 1 + k % 2)];
            let qty = lines[0].qty as i64;
            let now = k * 10;
            let expires = now + 250;
            if k % 5 == 0 {
                if t.sell(k, &lines, now).await == Reply::Granted {
                    sold[sku as usize].fetch_add(qty, Ordering::SeqCst);
                }
                return;
            }
            if t.hold(k, &lines, now, expires).await != Reply::Granted {
                return;
            }
            match k % 4 {
                0 | 1 => {
                    // Pays, on time for odd keys and late for even ones.
                    let at = if k % 2 == 1 { now + 100 } else { expires + 10 };
                    let policy = if k % 3 == 0 {
                        AfterExpiry::Reacquire
                    } else {
                        AfterExpiry::Reject
                    };
                    match t.confirm(k, &lines, at, policy).await {
                        Confirmed::Sold | Confirmed::Reacquired => {
                            sold[sku as usize].fetch_add(qty, Ordering::SeqCst);
                        }
                        _ => {}
                    }
                }
                2 => {
                    t.release(k, &lines, now + 50).await;
                    t.release(k, &lines, now + 60).await;
                }
                _ => {} // walks away
            }
        }
    });
    join_all(customers).await;
    let end = 10_000;
    t.b.reap(end).await.map_err(|e| e.to_string())?;
    let states = t.b.stock_state().await.map_err(|e| e.to_string())?;
    for (sku, limit) in [(A, 5u64), (B, 3)] {
        let s = states[sku as usize];
        expect!(
            format!("SKU {sku} held after every deadline"),
            (s.held, s.holds),
            (0, 0)
        );
        expect!(
            format!("SKU {sku} sold vs replies"),
            s.sold as i64,
            sold[sku as usize].load(Ordering::SeqCst)
        );
        if s.sold > limit {
            return Err(format!("SKU {sku} sold {} of {limit}", s.sold));
        }
    }
    Ok(())
}

/// Await every future concurrently, outputs in order.
pub async fn join_all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = (0..futures.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in futures.iter_mut().zip(done.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    done.into_iter().map(|v| v.expect("finished")).collect()
}
