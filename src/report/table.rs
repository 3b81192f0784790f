//! The side-by-side terminal table.

use super::{faults, holds, matrix, row, warnings, COLUMNS};
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
    if let Some(rows) = faults::table(run) {
        out.push_str("\nfaults (orders due in the windows each was active in)\n");
        out.push_str(&aligned(&faults::COLUMNS, &rows, 3));
    }
    for w in warnings(run) {
        out.push_str(&format!("warning: {w}\n"));
    }
    out
}

/// `rows` under `header`, the first `left` columns left-aligned (names) and
/// the rest right-aligned (figures).
fn aligned(header: &[&str], rows: &[Vec<String>], left: usize) -> String {
    let header: Vec<String> = header.iter().map(|s| s.to_string()).collect();
    padded_lines(&header, rows, |c| c < left)
        .into_iter()
        .map(|line| line + "\n")
        .collect()
}

/// `header` and `rows` as lines of columns two spaces apart, each column as
/// wide as its widest cell; a column is left-aligned where `left(column)`
/// says so, right-aligned otherwise.
pub(crate) fn padded_lines(
    header: &[String],
    rows: &[Vec<String>],
    left: impl Fn(usize) -> bool,
) -> Vec<String> {
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
                let pad = " ".repeat(widths[c] - s.chars().count());
                if left(c) {
                    format!("{s}{pad}")
                } else {
                    format!("{pad}{s}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    std::iter::once(header)
        .chain(rows.iter().map(|r| r.as_slice()))
        .map(line)
        .collect()
}
