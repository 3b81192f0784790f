//! Checkout runs end to end on the memory backends.

use crate::plan::Plan;
use crate::runner::{run_backend, RunOptions, Stop};
use crate::scenario::{
    parse, AfterExpiry, Checkout, Delay, Event, EventAction, LineCount, Scenario,
};
use crate::summary::BackendSummary;
use std::path::Path;
use std::time::Duration;
use tokio::sync::watch;

/// A hot SKU and a few others, 600 orders over 1.2 s, holds of 300 ms with
/// payments around the deadline, cancellations (some sent twice), carts,
/// a restock, a correction and refunds.
fn checkout_scenario(kind: &str, tweak: impl FnOnce(&mut Checkout)) -> Scenario {
    let body = format!(
        "name = \"c\"\nseed = 3\nconcurrency = 32\n\
         [[sku]]\nid = \"HOT\"\nstock = 60\n\
         [[sku]]\nid = \"B\"\nstock = 40\n\
         [[sku]]\nid = \"C\"\nstock = 40\n\
         [[phase]]\nkind = \"spread\"\norders = 600\nover = \"1200ms\"\n\
         skus = {{ pick = \"weights\", weights = {{ HOT = 6, B = 2, C = 2 }} }}\n\
         quantity = {{ min = 1, max = 2 }}\n\
         [[backend]]\nkind = \"{kind}\"\n"
    );
    let mut s = parse(&body, Path::new("checkout.toml")).expect("scenario");
    let mut checkout = Checkout {
        hold_ttl: Some(Duration::from_millis(300)),
        hold_grace: Duration::from_millis(100),
        pay_delay: Delay::Uniform {
            min: Duration::from_millis(50),
            max: Duration::from_millis(400),
        },
        abandon: 0.3,
        cancel: 0.15,
        cancel_delay: Delay::Fixed(Duration::from_millis(100)),
        cancel_twice: 0.5,
        after_expiry: AfterExpiry::Reject,
        lines: LineCount { min: 1, max: 2 },
        events: vec![
            Event {
                at: Duration::from_millis(400),
                action: EventAction::Restock { sku: 0, units: 30 },
            },
            Event {
                at: Duration::from_millis(700),
                action: EventAction::Correction { sku: 1, units: 5 },
            },
            Event {
                at: Duration::from_millis(900),
                action: EventAction::Refund {
                    sku: None,
                    orders: 10,
                },
            },
        ],
        ..Checkout::default()
    };
    tweak(&mut checkout);
    s.checkout = Some(checkout);
    s
}

fn run(s: &Scenario) -> BackendSummary {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let plan = Plan::measure(s);
        let (_stop_tx, stop) = watch::channel(Stop::Run);
        let options = RunOptions::quiet(stop);
        run_backend(s, &plan, &s.backends[0], 0, &options)
            .await
            .expect("backend runs")
            .summary
    })
}

/// Without atomicity the lifecycle breaks where the rules say it would:
/// a second cancel hands units back again and a late payment sells a
/// lapsed hold, and the audit sees it.
#[test]
fn memory_naive_breaks_the_lifecycle_and_the_audit_shows_it() {
    let s = checkout_scenario("memory-naive", |c| {
        c.cancel_twice = 1.0;
        c.pay_delay = Delay::Uniform {
            min: Duration::from_millis(200),
            max: Duration::from_millis(450),
        };
    });
    let r = run(&s);
    let h = r.holds.as_ref().expect("holds figures");
    let context = format!("{:?}\n{:?}\n{h:?}", r.orders, r.units);
    assert!(h.double_releases > 0, "{context}");
    assert!(h.confirmed_after_expiry > 0, "{context}");
    assert!(
        r.units.oversold + r.units.lost_updates + r.units.phantom > 0,
        "{context}"
    );
}

/// Sold at once, a third of replies late past the client's timeout, up to
/// three retries after a timeout. Built from a scenario file, so the late
/// replies come from the backend's own options.
fn retry_scenario(idempotency: bool) -> Scenario {
    let body = format!(
        "name = \"r\"\nseed = 4\nconcurrency = 16\ntimeout = \"20ms\"\n\
         [[sku]]\nid = \"HOT\"\nstock = 1000\n\
         [[phase]]\nkind = \"spread\"\norders = 300\nover = \"600ms\"\n\
         [checkout]\ntimeout_retries = 3\nidempotency = {idempotency}\n\
         [[backend]]\nkind = \"memory-atomic\"\nlate_replies = 0.3\nlate_reply = \"60ms\"\n"
    );
    parse(&body, Path::new("retries.toml")).expect("scenario")
}

#[test]
fn retries_with_idempotency_keys_never_apply_an_order_twice() {
    let r = run(&retry_scenario(true));
    let context = format!("{:?}\n{:?}", r.orders, r.units);
    assert!(r.orders.retries > 20, "{context}");
    assert_eq!(r.orders.duplicate_grants, 0, "{context}");
    assert_eq!((r.units.lost_updates, r.units.phantom), (0, 0), "{context}");
    // Only orders whose every attempt went unanswered leave possible units
    // (one unit each here).
    assert_eq!(
        r.units.unknown, r.orders.unknown,
        "retried unknowns are not possible units: {context}"
    );
}

#[test]
fn retries_without_idempotency_keys_are_counted_as_duplicates() {
    let r = run(&retry_scenario(false));
    let context = format!("{:?}\n{:?}", r.orders, r.units);
    assert!(r.orders.retries > 20, "{context}");
    assert!(r.orders.duplicate_grants > 10, "{context}");
    // The duplicates sit in the backend's books, explained by the unknowns.
    assert!(r.units.unknown >= r.orders.duplicate_grants, "{context}");
    assert_eq!((r.units.lost_updates, r.units.phantom), (0, 0), "{context}");
}

/// With a third of replies late, some confirmations and cancellations go
/// unanswered: those holds are `unknown`, and every hold still ends one way.
#[test]
fn every_hold_ends_one_way_even_when_answers_are_lost() {
    let s = {
        let mut s = checkout_scenario("memory-atomic", |_| {});
        s.timeout = Duration::from_millis(20);
        s.backends[0].options.late_replies = 0.3;
        s.backends[0].options.late_reply = Duration::from_millis(40);
        s
    };
    let r = run(&s);
    let h = r.holds.as_ref().expect("holds figures");
    let context = format!("{:?}\n{:?}\n{h:?}", r.orders, r.units);
    assert!(h.unknown > 0, "{context}");
    assert_eq!(
        h.created,
        h.confirmed + h.cancelled + h.expired + h.unknown,
        "{context}"
    );
    assert_eq!(
        (r.units.oversold, r.units.lost_updates, r.units.phantom),
        (0, 0, 0),
        "{context}"
    );
}
