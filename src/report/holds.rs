//! The checkout table: for runs with `[checkout]` or `[[event]]`, each
//! backend's holds and the figures that tell a safe lifecycle from a broken
//! one (late sales, double releases, leaks, peak over-commitment, duplicates).
//!
//! Invariant: every figure is read from the `RunSummary`.

use crate::summary::RunSummary;

pub const COLUMNS: [&str; 13] = [
    "backend",
    "holds",
    "paid",
    "lapsed",
    "cancelled",
    "late sold",
    "double rel",
    "leaked",
    "peak over",
    "dup grants",
    "held refusals",
    "stranded",
    "sell-through",
];

pub const KEY: &str = "`paid` holds confirmed (plus reacquired after a lapse, shown `+n`); \
`lapsed` reached their deadline unsold; `late sold` were confirmed after their deadline as if live \
and `double rel` gave units back twice, both defects; `leaked` were still live past the deadline \
plus `hold_grace`; `peak over` is the most units ever promised beyond stock and buffer; \
`dup grants` are orders applied twice (idempotency keys off); `held refusals` are sold-outs that \
units in holds which later lapsed would have covered (correct, not undersell); `stranded` is unit-seconds held by \
customers who did not buy.";

/// The table's rows, or `None` when no backend ran a checkout.
pub fn rows(run: &RunSummary) -> Option<Vec<Vec<String>>> {
    let rows: Vec<Vec<String>> = run
        .backends
        .iter()
        .filter_map(|b| {
            let h = b.holds.as_ref()?;
            let paid = if h.reacquired > 0 {
                format!("{}+{}", h.confirmed, h.reacquired)
            } else {
                h.confirmed.to_string()
            };
            Some(vec![
                b.name.clone(),
                h.created.to_string(),
                paid,
                h.expired.to_string(),
                h.cancelled.to_string(),
                h.confirmed_after_expiry.to_string(),
                h.double_releases.to_string(),
                h.leaked.to_string(),
                b.units.peak_overcommit.to_string(),
                b.orders.duplicate_grants.to_string(),
                b.orders.sold_out_while_held.to_string(),
                format!("{:.1} u·s", h.stranded_unit_seconds),
                format!("{:.0}%", b.sell_through * 100.0),
            ])
        })
        .collect();
    (!rows.is_empty()).then_some(rows)
}
