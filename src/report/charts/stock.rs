//! Units promised against stock over time for the hot SKU: one cumulative
//! line per backend and the stock as a horizontal line, so the moment a
//! backend crosses it shows.
//!
//! Invariant: the lines are running sums of the hot SKU's
//! `skus[].windows[].units.granted`, placed at each window's end on intended
//! time, so each line ends at that SKU's granted units from the ledger
//! (`skus[].granted`) whenever releases do not lower it.

use super::series::hot_sku;
use super::{label_style, ms_label, title_style, Chart, DrawResult, Line, Prepared, SeriesSet};
use plotters::coord::Shift;
use plotters::prelude::*;

pub struct StockChart {
    /// Per series: label, colour index, (ms, cumulative units) points.
    lines: Vec<Line>,
    /// Distinct (sku, stock, buffer) of the drawn series.
    limits: Vec<(String, u64, u64)>,
}

/// (window end in ms, units granted up to it), starting at (0, 0).
pub fn cumulative(windows: &[crate::summary::Window]) -> Vec<(f64, f64)> {
    let mut total = 0u64;
    let last_busy = windows.iter().rposition(|w| w.orders.offered > 0);
    let mut points = vec![(0.0, 0.0)];
    for w in windows.iter().take(last_busy.map_or(0, |i| i + 1)) {
        total += w.units.granted;
        points.push((w.start_ms + w.window_ms, total as f64));
    }
    points
}

pub fn prepare(set: &SeriesSet) -> Prepared<StockChart> {
    let mut lines = Vec::new();
    let mut limits: Vec<(String, u64, u64)> = Vec::new();
    for s in &set.series {
        // With holds, grants that later lapse are not promises kept, so a
        // running sum of grants would overstate them: the checkout table's
        // peak over-commitment is that figure.
        if s.backend.holds.is_some() {
            continue;
        }
        let Some(sku) = hot_sku(s.backend) else {
            continue;
        };
        lines.push(Line {
            label: s.label.clone(),
            colour: s.colour,
            dashed: s.dashed(),
            points: cumulative(&sku.windows),
        });
        let limit = (sku.id.clone(), sku.stock, sku.buffer);
        if !limits.contains(&limit) {
            limits.push(limit);
        }
    }
    if lines.is_empty() {
        return Prepared::Skip;
    }
    Prepared::Ready(StockChart { lines, limits })
}

impl Chart for StockChart {
    fn stem(&self) -> &'static str {
        "hot-sku-promised"
    }

    fn caption(&self) -> String {
        let skus: Vec<String> = self
            .limits
            .iter()
            .map(|(id, stock, _)| format!("{id} ({stock} in stock)"))
            .collect();
        format!(
            "Units promised so far of the hot SKU {} against its stock (dashed; dotted: stock plus the \
             allowed oversell buffer, where one is set). A line above the stock line is promising \
             units that do not exist. Orders are placed at their intended time.",
            skus.join(", ")
        )
    }

    fn size(&self) -> (u32, u32) {
        (1100, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let max_x = self
            .lines
            .iter()
            .filter_map(|l| l.points.last().map(|p| p.0))
            .fold(1.0, f64::max);
        let top_line = self.lines.iter().flat_map(|l| l.points.iter().map(|p| p.1));
        let top_limit = self.limits.iter().map(|(_, s, b)| (s + b) as f64);
        let max_y = top_line.chain(top_limit).fold(1.0, f64::max) * 1.1;
        let mut chart = ChartBuilder::on(root)
            .caption("Hot SKU: units promised against stock", title_style())
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..max_x, 0.0..max_y)?;
        chart
            .configure_mesh()
            .x_desc("intended time (ms after t0)")
            .y_desc("units promised (cumulative)")
            .x_label_formatter(&|x| ms_label(*x))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style(label_style())
            .axis_desc_style(label_style())
            .draw()?;
        for line in &self.lines {
            super::draw_line(&mut chart, line)?;
        }
        // Stock goes on top, dashed: a correct backend's line runs along it
        // and stays visible in the gaps, and so does the stock line.
        for (id, stock, buffer) in &self.limits {
            let y = *stock as f64;
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, y), (max_x, y)],
                    14,
                    8,
                    BLACK.stroke_width(2),
                ))?
                .label(format!("stock of {id}: {stock}"))
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2))
                });
            if *buffer > 0 {
                let y = (stock + buffer) as f64;
                chart.draw_series(DashedLineSeries::new(
                    [(0.0, y), (max_x, y)],
                    3,
                    5,
                    BLACK.stroke_width(1),
                ))?;
            }
        }
        super::draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::Window;

    #[test]
    fn the_running_sum_ends_at_the_units_granted_and_skips_the_idle_tail() {
        let w = |i: u64, offered: u64, granted: u64| {
            let mut w = Window {
                index: i,
                start_ms: i as f64 * 100.0,
                window_ms: 100.0,
                ..Default::default()
            };
            w.orders.offered = offered;
            w.units.granted = granted;
            w
        };
        let windows = [w(0, 5, 3), w(1, 0, 0), w(2, 9, 7), w(3, 0, 0)];
        let c = cumulative(&windows);
        assert_eq!(
            c,
            vec![(0.0, 0.0), (100.0, 3.0), (200.0, 3.0), (300.0, 10.0)]
        );
    }
}
