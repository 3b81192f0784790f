//! The sweep's tables: per backend, one row per point (throughput, p99,
//! oversold units, the knee marked), for the terminal and for `sweep.md`.
//!
//! Invariant: both renderings come from the same rows, so the terminal and
//! the file never disagree.

use super::{PointRecord, Status, SweepSummary};
use crate::report::human_us;

const COLUMNS: [&str; 6] = [
    "status",
    "throughput/s",
    "p99",
    "oversold",
    "granted",
    "knee",
];

/// One row's cells after the point column.
fn cells(r: &PointRecord, knee: Option<f64>) -> Vec<String> {
    let mark = if knee == Some(r.point) {
        "◀ knee"
    } else {
        ""
    }
    .to_string();
    match (&r.summary, r.status) {
        (Some(s), Status::Ran | Status::Interrupted) => vec![
            match (r.status, s.aborted) {
                (Status::Interrupted, _) => "interrupted",
                (_, true) => "aborted",
                _ => "ran",
            }
            .into(),
            format!("{:.1}", s.throughput_per_s),
            human_us(s.latency_us.p99),
            s.units.oversold.to_string(),
            s.units.granted.to_string(),
            mark,
        ],
        (_, status) => vec![
            match status {
                Status::Skipped => "skipped",
                _ => "failed",
            }
            .into(),
            "—".into(),
            "—".into(),
            "—".into(),
            "—".into(),
            mark,
        ],
    }
}

/// The rows of one backend, with its first column the point.
fn rows(sweep: &SweepSummary, backend: &str) -> Vec<Vec<String>> {
    let knee = sweep.knee_of(backend).and_then(|k| k.point);
    sweep
        .of(backend)
        .map(|r| {
            let mut row = vec![sweep.axis.show(r.point)];
            row.extend(cells(r, knee));
            row
        })
        .collect()
}

/// What the knee line under a backend's table says.
fn knee_line(sweep: &SweepSummary, backend: &str) -> String {
    let axis = sweep.axis;
    match sweep.knee_of(backend) {
        Some(super::BackendKnee {
            point: Some(p),
            previous: Some(prev),
            throughput_ratio: Some(t),
            p99_ratio: Some(l),
            ..
        }) => format!(
            "knee at {} {}: throughput {:+.1}% and p99 ×{:.1} against {}",
            axis.name(),
            axis.show(*p),
            (t - 1.0) * 100.0,
            l,
            axis.show(*prev)
        ),
        _ => "knee: none (no measured point grew throughput by less than 10% while its p99 at least doubled)".into(),
    }
}

/// Notes under a backend's table: why points did not run.
fn reasons(sweep: &SweepSummary, backend: &str) -> Vec<String> {
    sweep
        .of(backend)
        .filter_map(|r| {
            let why = match (r.status, &r.summary) {
                (Status::Ran, Some(s)) if s.aborted => s.abort_reason.clone(),
                (Status::Ran, _) => None,
                _ => r.reason.clone(),
            }?;
            Some(format!(
                "{} {}: {why}",
                sweep.axis.label(),
                sweep.axis.show(r.point)
            ))
        })
        .collect()
}

/// Points whose figures measure the harness rather than the backend.
fn saturated(sweep: &SweepSummary, backend: &str) -> Option<String> {
    let points: Vec<String> = sweep
        .of(backend)
        .filter(|r| r.measured().is_some_and(|s| s.harness_saturated))
        .map(|r| sweep.axis.show(r.point))
        .collect();
    (!points.is_empty()).then(|| {
        format!(
            "harness saturated at {} {}: dispatch lag p99 above saturation_limit, so those figures measure the harness",
            sweep.axis.name(),
            points.join(", ")
        )
    })
}

fn header(sweep: &SweepSummary) -> Vec<String> {
    let mut h = vec![sweep.axis.label().to_string()];
    h.extend(COLUMNS.iter().map(|c| c.to_string()));
    h
}

/// The terminal rendering: a block per backend.
pub fn render(sweep: &SweepSummary) -> String {
    let mut out = String::new();
    for backend in sweep.backends() {
        out.push_str(&format!("{backend}\n"));
        out.push_str(&aligned(&header(sweep), &rows(sweep, backend)));
        out.push_str(&format!("  {}\n", knee_line(sweep, backend)));
        for why in reasons(sweep, backend) {
            out.push_str(&format!("  not measured: {why}\n"));
        }
        if let Some(w) = saturated(sweep, backend) {
            out.push_str(&format!("  warning: {w}\n"));
        }
        out.push('\n');
    }
    if sweep.interrupted {
        out.push_str("interrupted: the points not reached have no record\n");
    }
    out
}

/// `sweep.md`: the same tables in Markdown.
pub fn markdown(sweep: &SweepSummary) -> String {
    let mut out = format!(
        "# Sweep of {} over {}\n\nrun {} · {} point(s): {}{}\n",
        sweep.scenario.name,
        sweep.axis.label(),
        sweep.run_id,
        sweep.points.len(),
        sweep
            .points
            .iter()
            .map(|p| sweep.axis.show(*p))
            .collect::<Vec<_>>()
            .join(", "),
        if sweep.interrupted {
            " · **interrupted**: the points not reached have no record"
        } else {
            ""
        }
    );
    for backend in sweep.backends() {
        out.push_str(&format!("\n## {backend}\n\n"));
        let header = header(sweep);
        out.push_str(&format!("| {} |\n", header.join(" | ")));
        out.push_str(&format!(
            "|{}\n",
            header.iter().map(|_| "---:|").collect::<String>()
        ));
        for row in rows(sweep, backend) {
            out.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        out.push_str(&format!("\n{}\n", knee_line(sweep, backend)));
        for why in reasons(sweep, backend) {
            out.push_str(&format!("\n- not measured: {why}"));
        }
        if let Some(w) = saturated(sweep, backend) {
            out.push_str(&format!("\n- **warning**: {w}"));
        }
        out.push('\n');
    }
    out
}

/// `rows` under `header`, indented, every column right-aligned but the last
/// (the knee mark).
fn aligned(header: &[String], rows: &[Vec<String>]) -> String {
    let last = header.len() - 1;
    crate::report::table::padded_lines(header, rows, |c| c == last)
        .into_iter()
        .map(|line| format!("  {}\n", line.trim_end()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::fixture;

    #[test]
    fn the_knee_row_is_marked_and_skipped_points_say_why() {
        let sweep = fixture(&[
            (1.0, 1000.0, 100.0, Status::Ran),
            (4.0, 0.0, 0.0, Status::Skipped),
            (16.0, 1050.0, 250.0, Status::Ran),
            (64.0, 1060.0, 900.0, Status::Ran),
        ]);
        let text = render(&sweep);
        let row = |p: &str| {
            text.lines()
                .find(|l| l.trim_start().starts_with(&format!("{p} ")))
                .unwrap_or_else(|| panic!("no row {p}:\n{text}"))
                .to_string()
        };
        // 16 against 1 (the skipped 4 left out): +5%, ×2.5.
        assert!(row("16").ends_with("◀ knee"), "{text}");
        assert!(!row("64").contains("knee"), "{text}");
        assert!(row("4").contains("skipped"), "{text}");
        assert!(
            text.contains("knee at concurrency 16: throughput +5.0% and p99 ×2.5 against 1"),
            "{text}"
        );
        assert!(
            text.contains("not measured: concurrency 4: free connection slots"),
            "{text}"
        );
        let md = markdown(&sweep);
        assert!(
            md.contains("| 16 | ran | 1050.0 |") && md.contains("◀ knee |"),
            "{md}"
        );
        assert!(!text.contains("saturated"), "{text}");
        let mut hot = sweep.clone();
        hot.records[2].summary.as_mut().unwrap().harness_saturated = true;
        assert!(render(&hot).contains("warning: harness saturated at concurrency 16"));
        let flat = fixture(&[
            (1.0, 100.0, 10.0, Status::Ran),
            (2.0, 200.0, 10.0, Status::Ran),
        ]);
        assert!(render(&flat).contains("knee: none"));
    }
}
