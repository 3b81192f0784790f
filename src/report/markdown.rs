//! `summary.md`: the run in Markdown, for a pull request or a design review.

use super::{faults, holds, human_us, matrix, row, warnings, window_span, COLUMNS};
use crate::summary::RunSummary;

pub fn render(run: &RunSummary) -> String {
    let mut md = format!(
        "# atpsim run `{}` — scenario `{}`\n\n",
        run.run_id, run.scenario.name
    );
    md.push_str(&format!(
        "- started: {}\n- scenario file: `{}`, seed {}, schedule hash `{}`\n- atpsim {} ({}), {} CPUs, {} {}\n",
        run.started_at,
        run.scenario.file,
        run.scenario.seed,
        run.scenario.schedule_hash,
        run.tool.version,
        run.tool.git_commit,
        run.environment.cpu_count,
        run.environment.os,
        run.environment.arch,
    ));
    if run.interrupted {
        md.push_str("- **interrupted**: figures cover what ran before the interrupt\n");
    }
    md.push_str("\n## Side by side\n\n");
    md.push_str(&format!("| {} |\n", COLUMNS.join(" | ")));
    md.push_str(&format!("|{}\n", "---|".repeat(COLUMNS.len())));
    for b in &run.backends {
        md.push_str(&format!("| {} |\n", row(b).cells.join(" | ")));
    }
    md.push_str("\n`rejected` = sold out + conflict (aborted, retries spent); `errors` failed without taking effect (no connection, or the database refused the statement); `unknown` were sent and got no answer (a timeout, or a connection lost mid-call); `over%` is oversold units over granted units. Oversold units come from atpsim's own ledger (what it was promised against the stock); `lost upd` is that ledger checked against each backend's final state.\n");
    md.push_str("\n## Peak and worst windows\n\n| backend | peak window | peak offered | peak p99 | peak oversold | worst p99 window | worst p99 |\n|---|---|---|---|---|---|---|\n");
    for b in &run.backends {
        let p = &b.peak;
        let peak = if p.flat {
            "flat (whole run)".to_string()
        } else {
            format!(
                "{:.0}–{:.0} ms",
                p.window.start_ms,
                p.window.start_ms + p.window.window_ms
            )
        };
        let (worst_at, worst_p99) = match &b.worst.latency {
            Some(w) => (window_span(w), human_us(w.latency_us.p99)),
            None => ("—".into(), "—".into()),
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            b.name,
            peak,
            p.window.orders.offered,
            human_us(p.window.latency_us.p99),
            p.window.units.oversold_at_grant,
            worst_at,
            worst_p99
        ));
    }
    if let Some(rows) = matrix::rows(run) {
        md.push_str(&markdown_table(
            "Isolation matrix",
            &matrix::COLUMNS,
            &rows,
            matrix::KEY,
        ));
    }
    if let Some(rows) = holds::rows(run) {
        md.push_str(&markdown_table(
            "Checkout",
            &holds::COLUMNS,
            &rows,
            holds::KEY,
        ));
    }
    if let Some(rows) = faults::table(run) {
        md.push_str(&markdown_table(
            "Faults",
            &faults::COLUMNS,
            &rows,
            faults::KEY,
        ));
    }
    md.push_str(&super::verdicts::markdown(run));
    let warnings = warnings(run);
    if !warnings.is_empty() {
        md.push_str("\n## Warnings\n\n");
        for w in warnings {
            md.push_str(&format!("- {w}\n"));
        }
    }
    md
}

/// A titled Markdown table with its key below.
fn markdown_table(title: &str, columns: &[&str], rows: &[Vec<String>], key: &str) -> String {
    let mut md = format!("\n## {title}\n\n| {} |\n", columns.join(" | "));
    md.push_str(&format!("|{}\n", "---|".repeat(columns.len())));
    for r in rows {
        md.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    md.push_str(&format!("\n{key}\n"));
    md
}
