//! The side-by-side terminal table.

use super::{holds, matrix, row, warnings, COLUMNS};
use crate::summary::RunSummary;

pub fn render(run: &RunSummary) -> String {
    let rows: Vec<Vec<String>> = run.backends.iter().map(|b| row(b).cells).collect();
    let mut out = aligned(&COLUMNS, &rows, 1);
    if let Some(b) = run.backends.first() {
        let p = &b.peak;
        if p.flat {
            out.push_str("peak window: none stands out; peak figures are the whole run\n");
        } else {
            out.push_str(&format!(
                "peak window: {} ({} orders offered)\n",
                super::window_span(&p.window),
                p.window.orders.offered
            ));
        }
    }
    if let Some(rows) = matrix::rows(run) {
        out.push_str("\nisolation matrix\n");
        out.push_str(&aligned(&matrix::COLUMNS, &rows, 3));
    }
    if let Some(rows) = holds::rows(run) {
        out.push_str("\ncheckout\n");
        out.push_str(&aligned(&holds::COLUMNS, &rows, 1));
    }
    for w in warnings(run) {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

/// `rows` under `header`, the first `left` columns left-aligned (names) and
/// the rest right-aligned (figures).
fn aligned(header: &[&str], rows: &[Vec<String>], left: usize) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(c, s)| {
                let pad = widths[c] - s.chars().count();
                if c < left {
                    format!("{s}{}", " ".repeat(pad))
                } else {
                    format!("{}{s}", " ".repeat(pad))
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|s| s.to_string()).collect();
    out.push_str(&line(&header));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}
