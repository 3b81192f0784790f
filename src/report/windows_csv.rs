//! `windows.csv`: every window of every backend, one line each, for a
//! spreadsheet or a plotting script.
//!
//! Invariant: the columns are the window fields of `run.json`, in the same
//! units (milliseconds after t0, latencies in microseconds), so the file
//! never says anything `run.json` does not; `faults` lists the names of
//! `windows[].faults`, `;`-separated.

use crate::summary::RunSummary;

pub const HEADER: &str = "backend,index,start_ms,window_ms,offered,granted,sold_out,conflict,error,unknown,retries,oversold_orders,oversold_at_grant,p50_us,p90_us,p99_us,p999_us,max_us,is_peak,faults";

pub fn render(run: &RunSummary) -> String {
    let mut out = format!("{HEADER}\n");
    for b in &run.backends {
        let peak = (!b.peak.flat).then_some(b.peak.window.index);
        for w in &b.windows {
            let (o, l) = (&w.orders, &w.latency_us);
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                b.name,
                w.index,
                w.start_ms,
                w.window_ms,
                o.offered,
                o.granted,
                o.sold_out,
                o.conflict,
                o.error,
                o.unknown,
                o.retries,
                o.oversold,
                w.units.oversold_at_grant,
                l.p50,
                l.p90,
                l.p99,
                l.p999,
                l.max,
                peak == Some(w.index),
                // Fault names hold no `,` or `;` (validation), so one cell
                // lists them all.
                w.faults.join(";")
            ));
        }
    }
    out
}
