//! The comparison: oversold units and peak-window p99 per backend, side by
//! side as horizontal bars, backends in the order they ran.
//!
//! Invariant: the bars are `units.oversold` and `peak.latency_us.p99` as
//! `run.json` holds them (a flat peak is the whole run, as the peak is then).

use super::{colour, label_style, title_style, Chart, DrawResult, Prepared, SeriesSet};
use crate::report::human_us;
use plotters::coord::Shift;
use plotters::prelude::*;

const ROW_HEIGHT: u32 = 34;

pub struct Comparison {
    labels: Vec<String>,
    colours: Vec<usize>,
    oversold: Vec<f64>,
    peak_p99_ms: Vec<f64>,
}

pub fn prepare(set: &SeriesSet) -> Prepared<Comparison> {
    if set.series.is_empty() {
        return Prepared::Skip;
    }
    Prepared::Ready(Comparison {
        labels: set.series.iter().map(|s| s.label.clone()).collect(),
        colours: set.series.iter().map(|s| s.colour).collect(),
        oversold: set
            .series
            .iter()
            .map(|s| s.backend.units.oversold as f64)
            .collect(),
        peak_p99_ms: set
            .series
            .iter()
            .map(|s| s.backend.peak.window.latency_us.p99 / 1000.0)
            .collect(),
    })
}

impl Chart for Comparison {
    fn stem(&self) -> &'static str {
        "comparison"
    }

    fn caption(&self) -> String {
        "Per backend: units promised beyond stock (left; 0 is the only correct answer) and the \
         99th-percentile latency of the peak window (right)."
            .into()
    }

    fn size(&self) -> (u32, u32) {
        (1100, (110 + ROW_HEIGHT * self.labels.len() as u32).max(240))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (title, body) = root.split_vertically(40);
        title.titled("Oversold units and peak-window p99", title_style())?;
        let (left, right) = body.split_horizontally(550);
        self.bars(&left, "oversold units", &self.oversold, &|v| {
            format!("{v:.0}")
        })?;
        self.bars(&right, "peak-window p99", &self.peak_p99_ms, &|v| {
            human_us(v * 1000.0)
        })
    }
}

impl Comparison {
    fn bars<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        what: &str,
        values: &[f64],
        show: &dyn Fn(f64) -> String,
    ) -> DrawResult<DB> {
        let n = values.len();
        let max_x = values.iter().copied().fold(0.0, f64::max).max(1.0) * 1.25;
        // Row 0 (the first backend) at the top.
        let y_of = |i: usize| (n - 1 - i) as f64;
        let label_width = self
            .labels
            .iter()
            .map(|l| l.chars().count() as u32 * 8 + 16)
            .max()
            .unwrap_or(60)
            .min(300);
        let mut chart = ChartBuilder::on(area)
            .caption(what, label_style())
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(label_width)
            .build_cartesian_2d(0.0..max_x, -0.5..(n as f64 - 0.5))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&|y| {
                let row = y.round();
                if (y - row).abs() > 0.01 || row < 0.0 || row as usize >= n {
                    return String::new();
                }
                self.labels[n - 1 - row as usize].clone()
            })
            .x_labels(5)
            .x_label_formatter(&|x| {
                if x.fract() == 0.0 || *x >= 10.0 {
                    show(*x)
                } else {
                    String::new()
                }
            })
            .label_style(label_style())
            .draw()?;
        chart.draw_series(values.iter().enumerate().map(|(i, &v)| {
            Rectangle::new(
                [(0.0, y_of(i) - 0.35), (v, y_of(i) + 0.35)],
                colour(self.colours[i]).filled(),
            )
        }))?;
        chart.draw_series(values.iter().enumerate().map(|(i, &v)| {
            Text::new(show(v), (v + max_x * 0.01, y_of(i) + 0.15), label_style())
        }))?;
        Ok(())
    }
}
