//! The isolation matrix: for runs with a `-tx` backend, each SQL backend
//! against the isolation level its reservation ran at, with the figures
//! that tell the levels apart (oversold, lost updates, conflicts, retries).
//!
//! Invariant: every figure is read from the `RunSummary`; the level of a
//! backend without its own `isolation` option is the server default
//! recorded in `environment`, marked as such.

use super::human_us;
use crate::summary::{BackendSummary, RunSummary};

pub const COLUMNS: [&str; 9] = [
    "store",
    "strategy",
    "isolation",
    "oversold",
    "lost upd",
    "conflicts",
    "retries",
    "sold out",
    "p99",
];

/// The matrix rows, or `None` when the run has no backend with an isolation level.
pub fn rows(run: &RunSummary) -> Option<Vec<Vec<String>>> {
    let has_levels = run
        .backends
        .iter()
        .any(|b| b.options.get("isolation").is_some());
    if !has_levels {
        return None;
    }
    let rows = run
        .backends
        .iter()
        .filter(|b| matches!(b.store.as_str(), "postgres" | "mysql"))
        .map(|b| {
            vec![
                b.store.clone(),
                b.strategy.clone(),
                isolation(run, b),
                b.units.oversold.to_string(),
                b.units.lost_updates.to_string(),
                b.orders.conflict.to_string(),
                b.orders.retries.to_string(),
                b.orders.sold_out.to_string(),
                human_us(b.latency_us.p99),
            ]
        })
        .collect();
    Some(rows)
}

fn isolation(run: &RunSummary, b: &BackendSummary) -> String {
    if let Some(level) = b.options.get("isolation").and_then(|v| v.as_str()) {
        return level.to_string();
    }
    let default = run
        .environment
        .backends
        .get(&b.name)
        .and_then(|e| e.get("default_isolation"))
        .and_then(|v| v.as_str())
        .map(|s| s.to_lowercase().replace(['_', ' '], "-"));
    match default {
        Some(level) => format!("({level}, default)"),
        None => "(default)".to_string(),
    }
}

/// The one-paragraph key printed under the matrix.
pub const KEY: &str = "`tx` is the naive read-then-write inside a transaction at the level shown; \
`conflicts` are orders whose last attempt the database aborted (serialization failure, deadlock, \
lock wait timeout) after `retries` extra attempts in all; a safe level shows oversold 0 and \
lost upd 0, and pays in conflicts, retries and p99.";
