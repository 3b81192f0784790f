//! Outputs, one file per format; each reads a `RunSummary` and nothing else.

pub mod files;
pub mod markdown;
pub mod table;

use crate::summary::{BackendSummary, RunSummary};

/// A latency in microseconds, in the unit a reader takes in at a glance.
pub fn human_us(us: f64) -> String {
    if us < 1000.0 {
        format!("{us:.0}µs")
    } else if us < 1_000_000.0 {
        format!("{:.1}ms", us / 1000.0)
    } else {
        format!("{:.2}s", us / 1e6)
    }
}

/// One row of the side-by-side comparison, shared by the terminal and Markdown.
pub struct Row {
    pub cells: Vec<String>,
}

pub const COLUMNS: [&str; 15] = [
    "backend",
    "offered",
    "granted",
    "rejected",
    "errors",
    "unknown",
    "oversold",
    "rate",
    "lost upd",
    "p50",
    "p99",
    "p99.9",
    "max",
    "peak p99",
    "peak oversold",
];

pub fn row(b: &BackendSummary) -> Row {
    let o = &b.orders;
    let name = if b.aborted {
        format!("{} (aborted)", b.name)
    } else {
        b.name.clone()
    };
    Row {
        cells: vec![
            name,
            o.offered.to_string(),
            o.granted.to_string(),
            (o.sold_out + o.conflict).to_string(),
            o.error.to_string(),
            o.unknown.to_string(),
            b.units.oversold.to_string(),
            format!("{:.1}%", b.oversell_rate * 100.0),
            b.units.lost_updates.to_string(),
            human_us(b.latency_us.p50),
            human_us(b.latency_us.p99),
            human_us(b.latency_us.p999),
            human_us(b.latency_us.max),
            human_us(b.peak.window.latency_us.p99),
            b.peak.window.units.oversold_at_grant.to_string(),
        ],
    }
}

/// Warnings a reader must see beside the figures.
pub fn warnings(run: &RunSummary) -> Vec<String> {
    let mut w = Vec::new();
    if run.interrupted {
        w.push("the run was interrupted: figures cover what ran before the interrupt".into());
    }
    for b in &run.backends {
        if b.harness_saturated {
            w.push(format!(
                "{}: the harness was saturated (dispatch lag p99 {}): its figures measure the harness, not the backend",
                b.name,
                human_us(b.dispatch_lag_us.p99)
            ));
        }
        if let Some(reason) = &b.abort_reason {
            w.push(format!("{}: aborted: {reason}", b.name));
        }
        if b.units.unknown > 0 {
            w.push(format!(
                "{}: {} units had unknown outcomes (timeouts); oversold could be as high as {}",
                b.name, b.units.unknown, b.units.oversold_possible
            ));
        }
    }
    w
}
