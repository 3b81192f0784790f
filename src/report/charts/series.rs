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
    pub backend: &'a BackendSummary,
}

pub struct SeriesSet<'a> {
    pub runs: &'a [RunSummary],
    pub series: Vec<Series<'a>>,
}

impl<'a> SeriesSet<'a> {
    pub fn new(runs: &'a [RunSummary]) -> Self {
        let several = runs.len() > 1;
        let series = runs
            .iter()
            .enumerate()
            .flat_map(|(run, summary)| {
                summary.backends.iter().map(move |backend| Series {
                    label: if several {
                        format!("{} (run {})", backend.name, run + 1)
                    } else {
                        backend.name.clone()
                    },
                    run,
                    backend,
                })
            })
            .collect();
        SeriesSet { runs, series }
    }
}

impl Series<'_> {
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
