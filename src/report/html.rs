//! `report.html`: one self-contained page for a design review — the
//! scenario, the side-by-side table, threshold verdicts when there are any,
//! a plain-language reading and every chart, inline.
//!
//! Invariant: the page references nothing outside itself (no scripts, no
//! external styles, fonts or images; charts are `data:` PNGs), so it opens
//! from `file://` and looks the same everywhere; at 1366×768 nothing
//! scrolls sideways (wide tables scroll inside their own box), and printed
//! on A4 it stays within the page count it states.

use super::charts::{Rendered, SeriesSet};
use super::reading::{self, Part};
use super::{faults, holds, matrix, row, warnings, COLUMNS};
use crate::summary::RunSummary;
use base64::Engine;
use std::fmt::Write;

/// Pages of text (headings, tables, reading) the print layout allows for
/// every 20 table rows, before the charts.
const TEXT_PAGES_PER_20_ROWS: usize = 2;

/// The printed length the page promises: text pages plus one page per
/// chart (print CSS keeps each chart within a page).
pub fn page_limit(series: usize, charts: usize) -> usize {
    TEXT_PAGES_PER_20_ROWS * series.div_ceil(20).max(1) + charts
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;font-size:15px;line-height:1.45;color:#111;margin:0;padding:16px 24px;max-width:1240px;margin-inline:auto;overflow-wrap:anywhere}
h1{font-size:24px;margin:8px 0 4px}h2{font-size:19px;margin:24px 0 8px;border-bottom:1px solid #ccc}h3{font-size:16px;margin:14px 0 4px}
.meta{color:#444;font-size:13px}.meta code{font-size:12px}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:12.5px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
th{background:#f2f2f2}
.bad{color:#a40000;font-weight:600}.ok{color:#046b00;font-weight:600}
.reading p{margin:4px 0}.reading b{font-weight:600}
.warn li{color:#7a4b00}
figure{margin:18px 0;page-break-inside:avoid;break-inside:avoid}
figure img{display:block;max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:13px;color:#333;margin-top:4px}
footer{margin-top:28px;font-size:12px;color:#555}
@media print{body{padding:0;font-size:12px;max-width:none}figure img{max-height:230mm;width:auto;max-width:100%}h2{break-after:avoid}table{font-size:9.5px}th,td{padding:1px 3px}.scroll{overflow:visible}}
@page{size:A4;margin:12mm}
";

/// The whole page: `runs` drawn together, `charts` as rendered (possibly
/// none), `chart_note` saying why charts are missing when they are.
pub fn render(runs: &[RunSummary], charts: &[Rendered], chart_note: Option<&str>) -> String {
    let set = SeriesSet::new(runs);
    let limit = page_limit(set.series.len(), charts.len());
    let first = &runs[0];
    let mut h = String::new();
    let title = if runs.len() == 1 {
        format!("atpsim: {} — run {}", first.scenario.name, first.run_id)
    } else {
        format!("atpsim: {} runs compared", runs.len())
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body data-page-limit=\"{limit}\">\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    runs_section(&mut h, runs);
    reading_section(&mut h, runs);
    verdicts_section(&mut h, runs);
    table_section(&mut h, &set);
    matrix_section(&mut h, runs);
    faults_section(&mut h, &set);
    warnings_section(&mut h, runs);
    charts_section(&mut h, charts, chart_note);
    let _ = write!(
        h,
        "<footer>Written by atpsim {} from <code>run.json</code>, whose every figure is defined in \
         atpsim's <code>results/README.md</code>. Oversold units come from atpsim's own ledger of \
         what each backend granted, never from the backend's account of itself; latency runs from \
         each order's intended time. Printed on A4 this report takes at most {limit} pages.</footer>\n\
         </body>\n</html>\n",
        escape(&first.tool.version)
    );
    h
}

fn runs_section(h: &mut String, runs: &[RunSummary]) {
    h.push_str("<section class=\"meta\">\n");
    for (i, r) in runs.iter().enumerate() {
        let label = if runs.len() > 1 {
            format!("<b>run {}</b>: ", i + 1)
        } else {
            String::new()
        };
        let _ = writeln!(
            h,
            "<p>{label}scenario <b>{}</b> (<code>{}</code>, seed {}, schedule hash <code>{}</code>), \
             run <code>{}</code> started {}; atpsim {} ({}), {} CPUs, {} {}{}</p>",
            escape(&r.scenario.name),
            escape(&r.scenario.file),
            r.scenario.seed,
            escape(&r.scenario.schedule_hash),
            escape(&r.run_id),
            escape(&r.started_at),
            escape(&r.tool.version),
            escape(&r.tool.git_commit),
            r.environment.cpu_count,
            escape(&r.environment.os),
            escape(&r.environment.arch),
            if r.interrupted {
                " — <b class=\"bad\">interrupted</b>: figures cover what ran before the interrupt"
            } else {
                ""
            }
        );
    }
    if runs.len() > 1 {
        let same = runs
            .iter()
            .all(|r| r.scenario.schedule_hash == runs[0].scenario.schedule_hash);
        h.push_str(if same {
            "<p>The runs share one schedule hash: they were offered the same orders.</p>\n"
        } else {
            "<p class=\"bad\">The runs have different schedule hashes: they were offered different orders, so compare with care.</p>\n"
        });
    }
    h.push_str("</section>\n");
}

fn reading_section(h: &mut String, runs: &[RunSummary]) {
    h.push_str("<section class=\"reading\">\n<h2>What happened</h2>\n");
    for (i, r) in runs.iter().enumerate() {
        if runs.len() > 1 {
            let _ = writeln!(h, "<h3>Run {}</h3>", i + 1);
        }
        for paragraph in reading::paragraphs(r) {
            h.push_str("<p>");
            for part in paragraph
                .into_iter()
                .flat_map(|s| std::iter::once(Part::Text(" ".into())).chain(s))
            {
                match part {
                    Part::Text(t) => h.push_str(&escape(&t)),
                    Part::Figure {
                        pointer,
                        format,
                        text,
                    } => {
                        let _ = write!(
                            h,
                            "<b data-run=\"{i}\" data-json=\"{}\" data-format=\"{}\">{}</b>",
                            escape(&pointer),
                            format.name(),
                            escape(&text)
                        );
                    }
                }
            }
            h.push_str("</p>\n");
        }
    }
    h.push_str("</section>\n");
}

/// Threshold verdicts, when a run carries any, read back as `Verdict`s
/// (the `run.json` contract), so the page shows what the terminal shows.
fn verdicts_section(h: &mut String, runs: &[RunSummary]) {
    let verdicts: Vec<Vec<crate::gate::Verdict>> = runs.iter().map(crate::gate::recorded).collect();
    if verdicts.iter().all(|v| v.is_empty()) {
        return;
    }
    h.push_str("<section>\n<h2>Threshold verdicts</h2>\n<div class=\"scroll\"><table>\n<tr>");
    if runs.len() > 1 {
        h.push_str("<th>run</th>");
    }
    h.push_str(
        "<th>verdict</th><th>backend</th><th>threshold</th><th>measured</th><th>why</th></tr>\n",
    );
    for (i, run) in verdicts.iter().enumerate() {
        for v in run {
            h.push_str("<tr>");
            if runs.len() > 1 {
                let _ = write!(h, "<td>{}</td>", i + 1);
            }
            let (class, word) = if v.passed {
                ("ok", "pass")
            } else {
                ("bad", "FAIL")
            };
            let mut measured = v.shown();
            if let Some(w) = v.window {
                let _ = write!(measured, " (window {w})");
            }
            if let Some(k) = v.repeat {
                let _ = write!(measured, " (repetition {k})");
            }
            let _ = writeln!(
                h,
                "<td class=\"{class}\">{word}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(&v.backend),
                escape(&v.expression),
                escape(&measured),
                escape(v.reason.as_deref().unwrap_or(""))
            );
        }
    }
    h.push_str("</table></div>\n</section>\n");
}

fn table_section(h: &mut String, set: &SeriesSet) {
    h.push_str("<section>\n<h2>Side by side</h2>\n<div class=\"scroll\"><table>\n<tr>");
    for c in COLUMNS {
        let _ = write!(h, "<th>{}</th>", escape(c));
    }
    h.push_str("</tr>\n");
    let oversold_column = COLUMNS.iter().position(|c| *c == "oversold");
    for s in &set.series {
        let mut cells = row(s.backend).cells;
        if set.runs.len() > 1 {
            cells[0] = format!(
                "{}{}",
                s.label,
                if s.backend.aborted { " (aborted)" } else { "" }
            );
        }
        h.push_str("<tr>");
        for (i, c) in cells.iter().enumerate() {
            // `oversold` in red when anything was oversold, green at 0.
            let class = match (Some(i) == oversold_column, s.backend.units.oversold) {
                (true, 0) => " class=\"ok\"",
                (true, _) => " class=\"bad\"",
                _ => "",
            };
            let _ = write!(h, "<td{class}>{}</td>", escape(c));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table></div>\n<p class=\"meta\"><code>rejected</code> = sold out + conflict; \
        <code>errors</code> failed without taking effect; <code>unknown</code> were sent and got no answer (a timeout, or a connection lost mid-call); \
        <code>over%</code> is oversold units over granted units; <code>lost upd</code> are granted units the backend's \
        final state does not show; <code>peak</code> columns are the window with the most orders due.</p>\n</section>\n");
}

fn matrix_section(h: &mut String, runs: &[RunSummary]) {
    keyed_tables(
        h,
        runs,
        "Isolation matrix",
        &matrix::COLUMNS,
        matrix::rows,
        matrix::KEY,
    );
    keyed_tables(
        h,
        runs,
        "Checkout",
        &holds::COLUMNS,
        holds::rows,
        holds::KEY,
    );
}

/// One titled table per run that has rows for it, with its key below.
fn keyed_tables(
    h: &mut String,
    runs: &[RunSummary],
    title: &str,
    columns: &[&str],
    rows_of: fn(&RunSummary) -> Option<Vec<Vec<String>>>,
    key: &str,
) {
    for (i, r) in runs.iter().enumerate() {
        let Some(rows) = rows_of(r) else {
            continue;
        };
        let which = if runs.len() > 1 {
            format!(" (run {})", i + 1)
        } else {
            String::new()
        };
        let _ = write!(
            h,
            "<section>\n<h2>{title}{which}</h2>\n<div class=\"scroll\"><table>\n<tr>"
        );
        for c in columns {
            let _ = write!(h, "<th>{}</th>", escape(c));
        }
        h.push_str("</tr>\n");
        for cells in rows {
            h.push_str("<tr>");
            for c in cells {
                let _ = write!(h, "<td>{}</td>", escape(&c));
            }
            h.push_str("</tr>\n");
        }
        let _ = writeln!(
            h,
            "</table></div>\n<p class=\"meta\">{}</p>\n</section>",
            escape(&key.replace('`', ""))
        );
    }
}

/// The windows each staged fault marked, per backend, and what the orders
/// due in them met; nothing when the runs staged no fault.
fn faults_section(h: &mut String, set: &SeriesSet) {
    let rows: Vec<(&str, Vec<faults::FaultRow>)> = set
        .series
        .iter()
        .map(|s| (s.label.as_str(), faults::rows(&s.backend.windows)))
        .filter(|(_, rows)| !rows.is_empty())
        .collect();
    if rows.is_empty() {
        return;
    }
    h.push_str(
        "<section>\n<h2>Faults</h2>\n<div class=\"scroll\"><table>\n<tr><th>backend</th><th>fault</th>\
         <th>windows (ms after t0)</th><th>offered</th><th>granted</th><th>errors</th><th>unknown</th></tr>\n",
    );
    for (label, faults) in &rows {
        for f in faults {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}–{} ({} window{})</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(label),
                escape(&f.fault),
                f.from_ms,
                f.to_ms,
                f.windows,
                if f.windows == 1 { "" } else { "s" },
                f.offered,
                f.granted,
                f.error,
                f.unknown
            );
        }
    }
    h.push_str(
        "</table></div>\n<p class=\"meta\">Each row adds up the windows the fault was active in \
         (<code>windows[].faults</code> in <code>run.json</code>); the latency chart shades them, one colour per fault.</p>\n</section>\n",
    );
}

fn warnings_section(h: &mut String, runs: &[RunSummary]) {
    let all: Vec<(usize, String)> = runs
        .iter()
        .enumerate()
        .flat_map(|(i, r)| warnings(r).into_iter().map(move |w| (i, w)))
        .collect();
    if all.is_empty() {
        return;
    }
    h.push_str("<section class=\"warn\">\n<h2>Warnings</h2>\n<ul>\n");
    for (i, w) in all {
        let which = if runs.len() > 1 {
            format!("run {}: ", i + 1)
        } else {
            String::new()
        };
        let _ = writeln!(h, "<li>{which}{}</li>", escape(&w));
    }
    h.push_str("</ul>\n</section>\n");
}

fn charts_section(h: &mut String, charts: &[Rendered], note: Option<&str>) {
    h.push_str("<section>\n<h2>Charts</h2>\n");
    if let Some(note) = note {
        let _ = writeln!(h, "<p class=\"meta\">{}</p>", escape(note));
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    for c in charts {
        let _ = writeln!(
            h,
            "<figure id=\"{stem}\"><img src=\"data:image/png;base64,{}\" width=\"{}\" height=\"{}\" alt=\"{}\">\
             <figcaption>{} (<code>{stem}.svg</code>, <code>{stem}.png</code>)</figcaption></figure>",
            b64.encode(&c.png),
            c.width,
            c.height,
            escape(&c.caption),
            escape(&c.caption),
            stem = c.stem,
        );
    }
    h.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn the_page_limit_grows_with_charts_and_rows() {
        assert_eq!(page_limit(6, 4), 6);
        assert_eq!(page_limit(21, 4), 8);
        assert_eq!(page_limit(0, 0), 2);
    }
}
