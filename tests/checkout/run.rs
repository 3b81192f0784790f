//! A whole checkout run, the same on every backend that has the checkout
//! calls: holds around a 300 ms deadline with payments either side of it,
//! walk-aways, cancellations (half of them sent twice), carts of up to three
//! lines, a restock, a correction and refunds, all racing one hot SKU.

use atpsim::plan::Plan;
use atpsim::runner::{run_backend, RunOptions, Stop};
use atpsim::scenario::parse;
use atpsim::summary::BackendSummary;
use std::path::Path;

/// The scenario, with `backend` as its one `[[backend]]` body.
pub fn scenario_text(backend: &str, after_expiry: &str) -> String {
    format!(
        r#"name = "checkout-run"
seed = 11
concurrency = 16
timeout = "5s"

[[sku]]
id = "HOT"
stock = 60
[[sku]]
id = "B"
stock = 40
[[sku]]
id = "C"
stock = 40

[[phase]]
kind = "spread"
orders = 500
over = "1s"
skus = {{ pick = "weights", weights = {{ HOT = 6, B = 2, C = 2 }} }}
quantity = {{ min = 1, max = 2 }}

[checkout]
hold_ttl = "300ms"
hold_grace = "100ms"
pay_delay = {{ min = "50ms", max = "400ms" }}
abandon = 0.3
cancel = 0.15
cancel_delay = {{ fixed = "100ms" }}
cancel_twice = 0.5
after_expiry = "{after_expiry}"
lines = {{ min = 1, max = 3 }}

[[event]]
at = "400ms"
kind = "restock"
sku = "HOT"
units = 30

[[event]]
at = "700ms"
kind = "correction"
sku = "B"
units = 5

# Late enough that ten sales are surely confirmed on a loaded machine (at
# 900 ms, once, only nine were), early enough to race the last payments.
[[event]]
at = "1200ms"
kind = "refund"
orders = 10

[[backend]]
{backend}
"#
    )
}

/// Run the scenario on `backend` and return its record.
pub fn run(backend: &str, after_expiry: &str) -> BackendSummary {
    let s = parse(
        &scenario_text(backend, after_expiry),
        Path::new("checkout-run.toml"),
    )
    .unwrap_or_else(|e| panic!("checkout scenario: {e}"));
    let plan = Plan::measure(&s);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (_stop_tx, stop) = tokio::sync::watch::channel(Stop::Run);
    let options = RunOptions::quiet(stop);
    rt.block_on(run_backend(&s, &plan, &s.backends[0], 0, &options))
        .unwrap_or_else(|e| panic!("{e}"))
        .summary
}

/// What a safe backend's run must show: every hold ended one way, nothing
/// oversold even for a moment, nothing lost, unexplained, given back twice,
/// sold late or leaked, and the books match the ledger.
pub fn assert_keeps_the_lifecycle(r: &BackendSummary) {
    let h = r.holds.as_ref().expect("a checkout run has holds figures");
    let context = format!("{}: {:?}\n{:?}\n{h:?}", r.name, r.orders, r.units);
    assert!(!r.aborted, "{context}\n{:?}", r.abort_reason);
    assert!(h.created > 100, "{context}");
    assert!(
        h.confirmed > 0 && h.expired > 0 && h.cancelled > 0,
        "{context}"
    );
    assert_eq!(
        h.created,
        h.confirmed + h.cancelled + h.expired + h.unknown,
        "{context}"
    );
    assert_eq!(h.refunded, 10, "{context}");
    assert_eq!(
        (
            h.double_releases,
            h.confirmed_after_expiry,
            h.leaked,
            h.conservation_failures
        ),
        (0, 0, 0, 0),
        "{context}"
    );
    let u = &r.units;
    assert_eq!(
        (
            u.oversold,
            u.peak_overcommit,
            u.lost_updates,
            u.phantom,
            u.undersold
        ),
        (0, 0, 0, 0, 0),
        "{context}"
    );
    assert_eq!(u.stock, 140 + 30 - 5, "{context}");
}
