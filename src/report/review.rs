//! The review set: every chart as SVG and PNG, and `report.html` embedding
//! the PNGs, written beside `run.json` by `run` and again by `report`.
//!
//! Invariant: a chart that fails is a warning, never an error; only
//! failing to write `report.html` itself is an error, and the caller
//! decides what that costs (a warning after a run, exit 2 for `report`).

use super::charts::{self, SeriesSet};
use super::{files, html};
use crate::summary::RunSummary;
use std::path::{Path, PathBuf};

pub struct Written {
    pub html: PathBuf,
    /// File stems of the charts drawn (each as `.svg` and `.png`).
    pub charts: Vec<&'static str>,
    pub warnings: Vec<String>,
}

/// Draw the charts (unless `with_charts` is false) and write `report.html` into `dir`.
pub fn write(runs: &[RunSummary], dir: &Path, with_charts: bool) -> std::io::Result<Written> {
    let set = SeriesSet::new(runs);
    let drawn = if with_charts {
        charts::render_all(&set, dir)
    } else {
        charts::ChartSet::default()
    };
    let note = (!with_charts).then_some("Charts were not drawn (--no-charts).");
    let page = html::render(runs, &drawn.rendered, note);
    let path = dir.join("report.html");
    files::write_atomic(&path, page.as_bytes())?;
    Ok(Written {
        html: path,
        charts: drawn.rendered.iter().map(|c| c.stem).collect(),
        warnings: drawn.warnings,
    })
}
