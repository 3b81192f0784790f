//! Latency over time: one panel per backend with p50, p99 and the maximum of
//! each window, the peak window and the windows of each fault shaded.
//!
//! Invariant: every point is a window of `windows[]`, placed at the middle
//! of its span on intended time; windows without orders draw no point.

use super::{label_style, ms_label, title_style, Chart, DrawResult, Prepared, SeriesSet};
use crate::summary::Window;
use plotters::coord::Shift;
use plotters::prelude::*;

const PANEL_HEIGHT: u32 = 230;
const TITLE_HEIGHT: u32 = 40;

struct Panel<'a> {
    label: String,
    windows: &'a [Window],
    /// (start, end) of the peak window in ms, when one stood out.
    peak: Option<(f64, f64)>,
    faults: Vec<super::faults::Band>,
}

pub struct Timeline<'a> {
    panels: Vec<Panel<'a>>,
    span_ms: f64,
    /// Every fault name of the run, in order of first appearance over the
    /// panels: a fault keeps its colour in every panel.
    fault_names: Vec<String>,
}

pub fn prepare<'a>(set: &SeriesSet<'a>) -> Prepared<Timeline<'a>> {
    let panels: Vec<Panel> = set
        .series
        .iter()
        .filter(|s| s.backend.windows.iter().any(|w| w.orders.offered > 0))
        .map(|s| Panel {
            label: s.label.clone(),
            windows: &s.backend.windows,
            peak: s.peak().map(|w| (w.start_ms, w.start_ms + w.window_ms)),
            faults: super::faults::bands(&s.backend.windows),
        })
        .collect();
    if panels.is_empty() {
        return Prepared::Skip;
    }
    // The span up to the last window with orders: an interrupted run's empty tail is not drawn.
    let span_ms = panels
        .iter()
        .filter_map(|p| {
            p.windows
                .iter()
                .rev()
                .find(|w| w.orders.offered > 0)
                .map(|w| w.start_ms + w.window_ms)
        })
        .fold(1.0, f64::max);
    let mut fault_names: Vec<String> = Vec::new();
    for band in panels.iter().flat_map(|p| &p.faults) {
        if !fault_names.contains(&band.name) {
            fault_names.push(band.name.clone());
        }
    }
    Prepared::Ready(Timeline {
        panels,
        span_ms,
        fault_names,
    })
}

/// Drawn in this order, so the maximum never hides the p99 beneath it.
const LINES: [(&str, RGBColor); 3] = [
    ("max", RGBColor(150, 150, 150)),
    ("p99", RGBColor(213, 94, 0)),
    ("p50", RGBColor(0, 114, 178)),
];

fn value(w: &Window, line: usize) -> f64 {
    let l = &w.latency_us;
    [l.max, l.p99, l.p50][line] / 1000.0
}

impl Chart for Timeline<'_> {
    fn stem(&self) -> &'static str {
        "latency-over-time"
    }

    fn caption(&self) -> String {
        let mut caption =
            "Latency per window over the run (p50, p99 and the slowest order of each window), \
                           one panel per backend"
                .to_string();
        // A flat run has no peak window, and a run without faults no fault bands.
        if self.panels.iter().any(|p| p.peak.is_some()) {
            caption
                .push_str("; the yellow band is the peak window, the one with the most orders due");
        }
        if !self.fault_names.is_empty() {
            caption.push_str(
                "; the other bands are the windows a staged fault was active in, \
                 one colour per fault in every panel, named in the legend",
            );
        }
        caption.push('.');
        caption
    }

    fn size(&self) -> (u32, u32) {
        (1100, TITLE_HEIGHT + PANEL_HEIGHT * self.panels.len() as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (title, body) = root.split_vertically(TITLE_HEIGHT);
        title.titled("Latency over time, per window", title_style())?;
        let areas = body.split_evenly((self.panels.len(), 1));
        for (panel, area) in self.panels.iter().zip(areas) {
            draw_panel(panel, &area, self.span_ms, &self.fault_names)?;
        }
        Ok(())
    }
}

fn draw_panel<DB: DrawingBackend>(
    panel: &Panel,
    area: &DrawingArea<DB, Shift>,
    span_ms: f64,
    fault_names: &[String],
) -> DrawResult<DB> {
    let busy = || panel.windows.iter().filter(|w| w.orders.offered > 0);
    let max_y = busy().map(|w| value(w, 0)).fold(0.0, f64::max).max(0.001) * 1.1;
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.label, label_style())
        .margin_left(16)
        .margin_right(16)
        .margin_bottom(6)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..span_ms, 0.0..max_y)?;
    chart
        .configure_mesh()
        .x_desc("intended time (ms after t0)")
        .y_desc("latency (ms)")
        .x_label_formatter(&|x| ms_label(*x))
        .y_label_formatter(&|y| ms_label(*y))
        .label_style(label_style())
        .axis_desc_style(label_style())
        .draw()?;
    if let Some((from, to)) = panel.peak {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(from, 0.0), (to, max_y)],
                RGBColor(255, 200, 0).mix(0.3).filled(),
            )))?
            .label("peak window")
            .legend(|(x, y)| {
                Rectangle::new(
                    [(x, y - 6), (x + 20, y + 6)],
                    RGBColor(255, 200, 0).mix(0.3).filled(),
                )
            });
    }
    super::faults::draw(&mut chart, &panel.faults, fault_names, max_y)?;
    for (line, (name, colour)) in LINES.iter().enumerate() {
        let points = busy().map(|w| (w.start_ms + w.window_ms / 2.0, value(w, line)));
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
            .label(*name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
    }
    super::draw_legend(&mut chart, SeriesLabelPosition::UpperRight)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeline(peak: Option<(f64, f64)>, fault_names: &[&str]) -> Timeline<'static> {
        Timeline {
            panels: vec![Panel {
                label: "memory-atomic".into(),
                windows: &[],
                peak,
                faults: Vec::new(),
            }],
            span_ms: 1.0,
            fault_names: fault_names.iter().map(|n| n.to_string()).collect(),
        }
    }

    #[test]
    fn the_caption_names_only_the_bands_drawn() {
        let flat = timeline(None, &[]).caption();
        assert!(
            !flat.contains("yellow") && !flat.contains("fault"),
            "{flat}"
        );
        let peaked = timeline(Some((0.0, 100.0)), &[]).caption();
        assert!(
            peaked.contains("yellow band is the peak window"),
            "{peaked}"
        );
        assert!(!peaked.contains("fault"), "{peaked}");
        let faulted = timeline(None, &["slow"]).caption();
        assert!(!faulted.contains("yellow"), "{faulted}");
        assert!(
            faulted.contains("one colour per fault in every panel"),
            "{faulted}"
        );
    }
}
