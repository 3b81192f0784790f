//! What charts draw: one series per backend of each run, labelled so that
//! runs drawn together stay apart.
//!
//! Invariant: a series borrows its backend record from a `RunSummary`; its
//! colour is its position, the same in every chart.

use crate::summary::{BackendSummary, RunSummary, SkuSummary, Window};

pub struct Series<'a> {
    /// The backend's name, with the run's number when several runs are drawn.
    pub label: String,
    /// Index into `SeriesSet::runs`.
    pub run: usize,
    /// Palette index: the backend name's first appearance over all runs,
    /// so one backend keeps its colour from run to run.
    pub colour: usize,
    pub backend: &'a BackendSummary,
}

pub struct SeriesSet<'a> {
    pub runs: &'a [RunSummary],
    pub series: Vec<Series<'a>>,
}

impl<'a> SeriesSet<'a> {
    pub fn new(runs: &'a [RunSummary]) -> Self {
        let several = runs.len() > 1;
        let mut names: Vec<&str> = Vec::new();
        let mut series = Vec::new();
        for (run, summary) in runs.iter().enumerate() {
            for backend in &summary.backends {
                let colour = match names.iter().position(|n| *n == backend.name) {
                    Some(i) => i,
                    None => {
                        names.push(&backend.name);
                        names.len() - 1
                    }
                };
                series.push(Series {
                    label: if several {
                        format!("{} (run {})", backend.name, run + 1)
                    } else {
                        backend.name.clone()
                    },
                    run,
                    colour,
                    backend,
                });
            }
        }
        SeriesSet { runs, series }
    }
}

impl Series<'_> {
    /// Runs after the first are drawn dashed, so before and after read apart.
    pub fn dashed(&self) -> bool {
        self.run > 0
    }

    /// The SKU that carries its own windows: the hottest of the run.
    pub fn hot_sku(&self) -> Option<&SkuSummary> {
        hot_sku(self.backend)
    }

    /// The peak window, unless the run had none that stood out.
    pub fn peak(&self) -> Option<&Window> {
        (!self.backend.peak.flat).then_some(&self.backend.peak.window)
    }
}

/// The hottest SKU of a backend record: the one listed with windows.
pub fn hot_sku(b: &BackendSummary) -> Option<&SkuSummary> {
    b.skus.iter().find(|s| !s.windows.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(names: &[&str]) -> RunSummary {
        let text = include_str!("../../../tests/data/minimal-run.json");
        let mut r: RunSummary = serde_json::from_str(text).expect("fixture parses");
        let template = r.backends[0].clone();
        r.backends = names
            .iter()
            .map(|n| BackendSummary {
                name: n.to_string(),
                ..template.clone()
            })
            .collect();
        r
    }

    #[test]
    fn a_backend_keeps_its_colour_across_runs_and_later_runs_are_dashed() {
        let runs = [run(&["a", "b"]), run(&["b", "c"])];
        let set = SeriesSet::new(&runs);
        let got: Vec<(&str, usize, bool)> = set
            .series
            .iter()
            .map(|s| (s.label.as_str(), s.colour, s.dashed()))
            .collect();
        assert_eq!(
            got,
            [
                ("a (run 1)", 0, false),
                ("b (run 1)", 1, false),
                ("b (run 2)", 1, true),
                ("c (run 2)", 2, true)
            ]
        );
        let one = [run(&["a"])];
        assert_eq!(SeriesSet::new(&one).series[0].label, "a");
    }
}
