//! The faults a run staged, as the terminal, `summary.md` and
//! `report.html` show them: per backend and fault, the windows it marked
//! and what the orders due in them met.
//!
//! Invariant: read from `windows[].faults` only, so the table says exactly
//! which windows `run.json` marks.

use crate::summary::{RunSummary, Window};

/// One fault's windows on one backend.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRow {
    pub fault: String,
    /// Start of its first marked window and end of its last, in ms after t0.
    pub from_ms: f64,
    pub to_ms: f64,
    pub windows: u64,
    pub offered: u64,
    pub granted: u64,
    pub error: u64,
    pub unknown: u64,
}

/// The faults marked in a backend's `windows`, in order of their first
/// marked window.
pub fn rows(windows: &[Window]) -> Vec<FaultRow> {
    let mut rows: Vec<FaultRow> = Vec::new();
    for w in windows {
        for name in &w.faults {
            let row = match rows.iter_mut().position(|r| &r.fault == name) {
                Some(i) => &mut rows[i],
                None => {
                    rows.push(FaultRow {
                        fault: name.clone(),
                        from_ms: w.start_ms,
                        to_ms: w.start_ms,
                        windows: 0,
                        offered: 0,
                        granted: 0,
                        error: 0,
                        unknown: 0,
                    });
                    rows.last_mut().expect("just pushed")
                }
            };
            add(row, w);
        }
    }
    rows
}

/// Columns of the faults table on the terminal and in `summary.md`.
pub const COLUMNS: [&str; 7] = [
    "backend", "fault", "windows", "offered", "granted", "errors", "unknown",
];

/// What the faults table adds up, said below it.
pub const KEY: &str = "Each row adds up the orders due in the windows the fault was active in (`windows[].faults` in `run.json`): `errors` failed without taking effect, `unknown` were sent and got no answer.";

/// One line per backend and fault, `None` when the run staged no fault.
pub fn table(run: &RunSummary) -> Option<Vec<Vec<String>>> {
    let lines: Vec<Vec<String>> = run
        .backends
        .iter()
        .flat_map(|b| rows(&b.windows).into_iter().map(|f| cells(&b.name, &f)))
        .collect();
    (!lines.is_empty()).then_some(lines)
}

fn cells(backend: &str, f: &FaultRow) -> Vec<String> {
    vec![
        backend.to_string(),
        f.fault.clone(),
        format!("{}–{} ms", f.from_ms, f.to_ms),
        f.offered.to_string(),
        f.granted.to_string(),
        f.error.to_string(),
        f.unknown.to_string(),
    ]
}

fn add(row: &mut FaultRow, w: &Window) {
    row.to_ms = w.start_ms + w.window_ms;
    row.windows += 1;
    row.offered += w.orders.offered;
    row.granted += w.orders.granted;
    row.error += w.orders.error;
    row.unknown += w.orders.unknown;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_faults_windows_add_up_into_one_row() {
        let w = |index: u64, faults: &[&str], error: u64| {
            let mut w = Window {
                index,
                start_ms: index as f64 * 100.0,
                window_ms: 100.0,
                faults: faults.iter().map(|f| f.to_string()).collect(),
                ..Window::default()
            };
            w.orders.offered = 10;
            w.orders.error = error;
            w
        };
        let got = rows(&[w(0, &[], 0), w(1, &["kill@100ms"], 3), w(2, &[], 0)]);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (
                got[0].from_ms,
                got[0].to_ms,
                got[0].windows,
                got[0].offered,
                got[0].error
            ),
            (100.0, 200.0, 1, 10, 3)
        );
    }
}
