//! Outputs, one file per format; each reads a `RunSummary` and nothing else.

pub mod charts;
pub mod faults;
pub mod files;
pub mod hlog;
pub mod holds;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod matrix;
pub mod reading;
pub mod review;
pub mod table;
pub mod verdicts;
pub mod windows_csv;

use crate::summary::{BackendSummary, RunSummary};

/// A latency in microseconds, in the unit a reader takes in at a glance.
pub fn human_us(us: f64) -> String {
    if us > 0.0 && us < 1.0 {
        "<1µs".to_string()
    } else if us < 1000.0 {
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
    "over%",
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
    let name = match (b.aborted, b.cut_short) {
        (true, _) => format!("{} (aborted)", b.name),
        (false, true) => format!("{} (interrupted)", b.name),
        (false, false) => b.name.clone(),
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

/// A window's span, as both tables show it.
pub fn window_span(w: &crate::summary::Window) -> String {
    format!("{:.0}–{:.0} ms", w.start_ms, w.start_ms + w.window_ms)
}

/// Share of offered orders that failed or went unanswered above which the
/// report says the oversell figures cover too little to trust.
const FAILED_SHARE_WARNING: f64 = 0.01;

/// Warnings a reader must see beside the figures.
pub fn warnings(run: &RunSummary) -> Vec<String> {
    let mut w = Vec::new();
    if run.interrupted {
        w.push("the run was interrupted: figures cover what ran before the interrupt".into());
    }
    let requested_ms = run.scenario.settings().window;
    let used_ms = run
        .backends
        .first()
        .and_then(|b| b.windows.first())
        .map(|w| w.window_ms);
    if let (Some(requested), Some(used)) = (requested_ms, used_ms) {
        if used > requested + 1e-9 {
            w.push(format!(
                "windows widened from {requested} ms to {used} ms to keep at most 2000 over the schedule"
            ));
        }
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
        let failed = b.orders.error + b.orders.unknown;
        // Errors took nothing; unknowns settled by order id are known too.
        let covered = if b.unknowns.unresolved == 0 {
            "each took nothing or was settled by its order id, so the oversell figures cover them too"
        } else {
            "the oversell figures cover only what got through"
        };
        if b.orders.offered > 0 && failed as f64 > FAILED_SHARE_WARNING * b.orders.offered as f64 {
            w.push(format!(
                "{}: {failed} of {} orders failed or went unanswered ({} errors, {} unknown): {covered}",
                b.name, b.orders.offered, b.orders.error, b.orders.unknown
            ));
        }
        if let Some(first) = &b.first_error {
            w.push(format!("{}: first error: {first}", b.name));
        }
        if b.units.undersold > 0 {
            w.push(format!(
                "{}: {} units undersold: {} orders were refused while the SKU's free stock could cover them",
                b.name, b.units.undersold, b.orders.wrongly_refused
            ));
        }
        if b.units.phantom > 0 {
            w.push(format!(
                "{}: its final state shows {} reserved units that no grant or unknown explains (phantom)",
                b.name, b.units.phantom
            ));
        }
        let u = &b.unknowns;
        if u.order_ids == "lost" {
            w.push(format!(
                "{}: the server lost the run's data (it restarted without persistence, or was flushed): the grants it no longer shows count as lost updates ({} units), and no stored order id is left to settle an unknown with",
                b.name, b.units.lost_updates
            ));
        }
        if b.units.unknown > 0 && u.unresolved == 0 && u.order_ids == "exact" {
            w.push(format!(
                "{}: {} orders had unknown outcomes (sent, and no answer atpsim could read); their stored order ids settled them: {} took effect, {} did not, and oversold is exactly {}",
                b.name, b.orders.unknown, u.resolved_granted, u.resolved_not, b.units.oversold
            ));
        } else if b.units.unknown > 0 {
            let bound = if b.units.oversold_possible > b.units.oversold {
                format!("oversold could be as high as {}", b.units.oversold_possible)
            } else {
                format!(
                    "oversold stays {} whichever way they went",
                    b.units.oversold
                )
            };
            let why = match u.order_ids.as_str() {
                "lost" => "; the server lost the order ids that would have settled them",
                "disagree" => {
                    "; the stored order ids do not add up to the stock rows, so they settle nothing"
                }
                _ => "",
            };
            w.push(format!(
                "{}: {} units had unknown outcomes (sent, and no answer atpsim could read: a timeout, a lost connection or a reply it does not understand; see the first error); {bound}{why}",
                b.name, b.units.unknown
            ));
        }
        if !b.co_safe {
            w.push(format!(
                "{}: closed-loop phases ran: their latency counts from when each client became free, not from a schedule (co_safe: false)",
                b.name
            ));
        }
    }
    w
}
