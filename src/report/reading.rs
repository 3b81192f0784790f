//! The plain-language reading of a run: a few sentences per backend saying
//! what it promised against stock, when, and how slow the burst made it.
//!
//! Invariant: every number in a sentence is a `Figure` that names the
//! `run.json` field it comes from (a JSON pointer) and how it is written,
//! so a test can check each one against the file.

use super::human_us;
use crate::summary::{BackendSummary, RunSummary};

/// How a figure's value is written in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A count, as is.
    Int,
    /// Milliseconds, no decimals.
    Ms,
    /// A latency in microseconds, as `human_us` writes it.
    Us,
    /// A ratio, as a percentage with one decimal.
    Percent,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Int => "int",
            Format::Ms => "ms",
            Format::Us => "us",
            Format::Percent => "pct",
        }
    }

    /// The text of a value read from `run.json`.
    pub fn write(self, value: &serde_json::Value) -> String {
        let f = value.as_f64().unwrap_or(f64::NAN);
        match self {
            Format::Int => value
                .as_u64()
                .map_or_else(|| format!("{f:.0}"), |n| n.to_string()),
            Format::Ms => format!("{f:.0}"),
            Format::Us => human_us(f),
            Format::Percent => format!("{:.1}%", f * 100.0),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Part {
    Text(String),
    Figure {
        /// JSON pointer into the run's `run.json`.
        pointer: String,
        format: Format,
        text: String,
    },
}

pub type Sentence = Vec<Part>;

/// Builds sentences whose figures are read through their pointers, so the
/// text cannot say one number while pointing at another.
struct Writer<'a> {
    json: &'a serde_json::Value,
    parts: Sentence,
}

impl<'a> Writer<'a> {
    fn new(json: &'a serde_json::Value) -> Self {
        Writer {
            json,
            parts: Vec::new(),
        }
    }

    fn text(&mut self, s: impl Into<String>) -> &mut Self {
        self.parts.push(Part::Text(s.into()));
        self
    }

    fn fig(&mut self, pointer: String, format: Format) -> &mut Self {
        let text = match self.json.pointer(&pointer) {
            Some(v) => format.write(v),
            None => "?".into(),
        };
        self.parts.push(Part::Figure {
            pointer,
            format,
            text,
        });
        self
    }

    fn done(&mut self) -> Sentence {
        std::mem::take(&mut self.parts)
    }
}

/// The reading of one run as paragraphs: first which backends kept within
/// stock, then one paragraph per backend in the order they ran.
pub fn paragraphs(run: &RunSummary) -> Vec<Vec<Sentence>> {
    // Only the backends: every figure is read under `/backends`, and the
    // effective scenario (a million SKUs, perhaps) is not copied into a tree.
    let json = serde_json::json!({ "backends": run.backends });
    let mut out = Vec::new();
    if let Some(s) = verdict_sentence(run) {
        out.push(vec![vec![Part::Text(s)]]);
    }
    for (i, b) in run.backends.iter().enumerate() {
        out.push(backend_sentences(&json, i, b));
    }
    out
}

fn backend_sentences(json: &serde_json::Value, i: usize, b: &BackendSummary) -> Vec<Sentence> {
    let at = |path: &str| format!("/backends/{i}/{path}");
    let mut w = Writer::new(json);
    let mut out = Vec::new();
    let hot = b
        .skus
        .iter()
        .position(|s| !s.windows.is_empty())
        .map(|j| (j, &b.skus[j]));
    if let Some((j, sku)) = hot {
        let sku_at = |path: &str| at(&format!("skus/{j}/{path}"));
        w.text(format!("{} promised ", b.name))
            .fig(sku_at("granted"), Format::Int)
            .text(format!(" units of {} against ", sku.id))
            .fig(sku_at("stock"), Format::Int)
            .text(" in stock");
        if sku.buffer > 0 {
            w.text(" (and an allowed oversell of ")
                .fig(sku_at("buffer"), Format::Int)
                .text(")");
        }
        if sku.oversold > 0 {
            w.text(", ")
                .fig(sku_at("oversold"), Format::Int)
                .text(" more than it could deliver");
        }
        let peak = &b.peak.window;
        let peak_window = sku.windows.iter().position(|x| x.index == peak.index);
        match peak_window {
            Some(k) if !b.peak.flat => {
                w.text("; ")
                    .fig(sku_at(&format!("windows/{k}/units/granted")), Format::Int)
                    .text(" of those were promised in the ")
                    .fig(at("peak/window_ms"), Format::Ms)
                    .text(" ms peak window (from ")
                    .fig(at("peak/start_ms"), Format::Ms)
                    .text(" ms).");
            }
            _ => {
                w.text(".");
            }
        }
        out.push(w.done());
    }
    match hot {
        Some(_) => w.text("Over all SKUs it granted "),
        None => w.text(format!("{} granted ", b.name)),
    };
    w.fig(at("units/granted"), Format::Int)
        .text(" units against ")
        .fig(at("units/stock"), Format::Int)
        .text(" in stock and oversold ")
        .fig(at("units/oversold"), Format::Int)
        .text(" (counted SKU by SKU; ")
        .fig(at("oversell_rate"), Format::Percent)
        .text(" of what it granted)");
    if b.units.lost_updates > 0 {
        w.text("; its own final state is missing ")
            .fig(at("units/lost_updates"), Format::Int)
            .text(" of the granted units (lost updates)");
    }
    w.text(".");
    out.push(w.done());
    w.text("Its p99 latency was ")
        .fig(at("latency_us/p99"), Format::Us)
        .text(" over the run")
        .text(if b.peak.flat {
            " (no window stood out as a peak)"
        } else {
            " and "
        });
    if !b.peak.flat {
        w.fig(at("peak/latency_us/p99"), Format::Us)
            .text(" in the peak window");
    }
    w.text("; the slowest order took ")
        .fig(at("latency_us/max"), Format::Us)
        .text(".");
    out.push(w.done());
    if b.orders.error + b.orders.unknown > 0 {
        w.fig(at("orders/error"), Format::Int)
            .text(" orders failed without taking effect and ")
            .fig(at("orders/unknown"), Format::Int)
            .text(" got no answer (a timeout, or a connection lost mid-call).");
        out.push(w.done());
    }
    out
}

/// Which backends kept their promises, which may not have (unknowns no
/// order id settled) and which did not, by name.
fn verdict_sentence(run: &RunSummary) -> Option<String> {
    let names = |keep: &dyn Fn(&crate::summary::BackendSummary) -> bool| -> Vec<&str> {
        run.backends
            .iter()
            .filter(|b| !b.aborted && keep(b))
            .map(|b| b.name.as_str())
            .collect()
    };
    let bad = names(&|b| b.units.oversold > 0);
    let unsure = names(&|b| b.units.oversold == 0 && b.units.oversold_possible > 0);
    let good = names(&|b| b.units.oversold_possible == 0);
    let all = bad.len() + unsure.len() + good.len();
    let group = |names: &[&str], what: &str| -> Option<String> {
        match names.len() {
            0 => None,
            n if n == all => Some(format!("every backend ({}) {what}", names.join(", "))),
            _ => Some(format!("{} {what}", names.join(", "))),
        }
    };
    let parts: Vec<String> = [
        group(&good, "kept within stock"),
        group(
            &unsure,
            "may have promised more than it had (unknown outcomes no stored order id settled)",
        ),
        group(&bad, "promised more than it had"),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| format!("In short: {}.", parts.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_write_what_the_table_writes() {
        assert_eq!(Format::Int.write(&json!(137)), "137");
        assert_eq!(Format::Ms.write(&json!(200.0)), "200");
        assert_eq!(Format::Percent.write(&json!(0.789)), "78.9%");
        assert_eq!(Format::Us.write(&json!(52400.0)), human_us(52400.0));
    }

    fn fixture() -> RunSummary {
        serde_json::from_str(include_str!("../../tests/data/minimal-run.json")).unwrap()
    }

    fn plain(run: &RunSummary) -> String {
        paragraphs(run)
            .into_iter()
            .flatten()
            .flatten()
            .map(|p| match p {
                Part::Text(t) => t,
                Part::Figure { text, .. } => text,
            })
            .collect()
    }

    #[test]
    fn the_reading_quotes_the_hot_sku_and_says_who_kept_within_stock() {
        let mut run = fixture();
        let text = plain(&run);
        let b = &run.backends[0];
        let hot = &b.skus[0];
        assert!(
            text.contains(&format!(
                "{} promised {} units of {} against {} in stock",
                b.name, hot.granted, hot.id, hot.stock
            )),
            "{text}"
        );
        assert!(text.contains(&format!("every backend ({}) kept within stock", b.name)));
        assert!(!text.contains("allowed oversell"));
        run.backends[0].skus[0].buffer = 3;
        run.backends[0].skus[0].oversold = 1;
        run.backends[0].units.oversold = 1;
        let text = plain(&run);
        assert!(text.contains("(and an allowed oversell of 3), 1 more than it could deliver"));
        assert!(text.contains("promised more than it had"), "{text}");
        // Nothing certainly oversold, but unknowns no order id settled.
        run.backends[0].units.oversold = 0;
        run.backends[0].units.oversold_possible = 4;
        let text = plain(&run);
        assert!(!text.contains("kept within stock"), "{text}");
        assert!(
            text.contains("may have promised more than it had"),
            "{text}"
        );
    }

    #[test]
    fn every_figure_is_the_value_at_its_pointer() {
        let run = fixture();
        let json = serde_json::to_value(&run).unwrap();
        let figures: Vec<(String, Format, String)> = paragraphs(&run)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|p| match p {
                Part::Figure {
                    pointer,
                    format,
                    text,
                } => Some((pointer, format, text)),
                Part::Text(_) => None,
            })
            .collect();
        assert!(figures.len() >= 8, "{figures:?}");
        for (pointer, format, text) in figures {
            let value = json
                .pointer(&pointer)
                .unwrap_or_else(|| panic!("{pointer}"));
            assert_eq!(text, format.write(value), "{pointer}");
        }
    }

    #[test]
    fn a_missing_field_reads_as_a_question_mark_not_a_number() {
        let json = json!({"a": 1});
        let mut w = Writer::new(&json);
        w.fig("/b".into(), Format::Int);
        match &w.done()[0] {
            Part::Figure { text, .. } => assert_eq!(text, "?"),
            other => panic!("{other:?}"),
        }
    }
}
