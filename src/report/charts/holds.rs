//! Holds live over time: one line per backend that ran a checkout, the
//! number of holds live as each window closed, so stock tied up in carts —
//! and how fast lapses and payments free it — shows beside the sale.
//!
//! Invariant: every point is a window's `holds_live` from `windows[]`,
//! placed at the window's end on the harness clock.

use super::{label_style, ms_label, title_style, Chart, DrawResult, Line, Prepared, SeriesSet};
use plotters::coord::Shift;
use plotters::prelude::*;

pub struct HoldsChart {
    lines: Vec<Line>,
}

pub fn prepare(set: &SeriesSet) -> Prepared<HoldsChart> {
    let lines: Vec<Line> = set
        .series
        .iter()
        .filter(|s| s.backend.holds.as_ref().is_some_and(|h| h.created > 0))
        .map(|s| Line {
            label: s.label.clone(),
            colour: s.colour,
            dashed: s.dashed(),
            points: std::iter::once((0.0, 0.0))
                .chain(
                    s.backend
                        .windows
                        .iter()
                        .map(|w| (w.start_ms + w.window_ms, w.holds_live as f64)),
                )
                .collect(),
        })
        .collect();
    if lines.is_empty() {
        return Prepared::Skip;
    }
    Prepared::Ready(HoldsChart { lines })
}

impl Chart for HoldsChart {
    fn stem(&self) -> &'static str {
        "holds-live"
    }

    fn caption(&self) -> String {
        "Holds live as each window closed: carts holding stock that is neither sold nor free. \
         A correct backend frees a hold exactly at its deadline, so the lines fall as customers \
         pay, cancel or walk away. The windows end with the last order's; holds still live \
         then lapse or are paid before the final state is read (`holds.live_at_end`). The \
         figures per backend are in the checkout table."
            .to_string()
    }

    fn size(&self) -> (u32, u32) {
        (1100, 420)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let points = || self.lines.iter().flat_map(|l| l.points.iter());
        let max_x = points().map(|p| p.0).fold(1.0, f64::max);
        let max_y = points().map(|p| p.1).fold(1.0, f64::max) * 1.1;
        let mut chart = ChartBuilder::on(root)
            .caption("Holds live over time", title_style())
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..max_x, 0.0..max_y)?;
        chart
            .configure_mesh()
            .x_desc("time (ms after t0)")
            .y_desc("holds live")
            .x_label_formatter(&|x| ms_label(*x))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style(label_style())
            .axis_desc_style(label_style())
            .draw()?;
        for line in &self.lines {
            super::draw_line(&mut chart, line)?;
        }
        super::draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}
