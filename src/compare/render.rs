//! The comparison as a terminal table: per backend and metric, the
//! baseline, the current value, the change and the worst value allowed.

use super::{Comparison, Row};
use crate::gate::catalogue::{Unit, Worse};

fn value(v: Option<f64>, unit: Unit) -> String {
    let Some(v) = v else { return "—".into() };
    match unit {
        Unit::Microseconds => crate::report::human_us(v),
        Unit::Milliseconds => crate::report::human_us(v * 1000.0),
        Unit::Ratio => format!("{:.3}%", v * 100.0),
        Unit::Plain if v.fract() == 0.0 => format!("{v:.0}"),
        Unit::Plain => format!("{v:.1}"),
    }
}

fn change(r: &Row) -> String {
    match (r.baseline, r.current) {
        (Some(b), Some(c)) if b != 0.0 => format!("{:+.1}%", (c - b) / b.abs() * 100.0),
        (Some(b), Some(c)) if c == b => "=".into(),
        (Some(_), Some(c)) => format!("+{}", value(Some(c), r.unit)),
        _ => "—".into(),
    }
}

pub fn render(c: &Comparison) -> String {
    let header = [
        "backend", "metric", "baseline", "current", "change", "allowed", "verdict",
    ];
    let rows: Vec<[String; 7]> = c
        .rows
        .iter()
        .map(|r| {
            let bound = match r.worse {
                Worse::Higher => "≤",
                Worse::Lower => "≥",
            };
            [
                r.backend.clone(),
                r.metric.clone(),
                value(r.baseline, r.unit),
                value(r.current, r.unit),
                change(r),
                r.allowed.map_or("—".into(), |a| {
                    format!("{bound} {}", value(Some(a), r.unit))
                }),
                if r.regressed { "REGRESSED" } else { "ok" }.into(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{s}{}", " ".repeat(widths[i] - s.chars().count())))
            .collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut out = line(header.to_vec());
    for r in &rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    for m in &c.missing {
        out.push_str(&format!(
            "REGRESSED: {m} is in the baseline but not in the current run\n"
        ));
    }
    let regressions = c.rows.iter().filter(|r| r.regressed).count() + c.missing.len();
    out.push_str(&match regressions {
        0 => "no regression against the baseline\n".to_string(),
        n => format!(
            "{n} regression{} against the baseline\n",
            if n == 1 { "" } else { "s" }
        ),
    });
    out
}
