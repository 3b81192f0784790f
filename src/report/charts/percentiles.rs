//! Latency by percentile, HdrHistogram style: the x axis is 1/(1−p) on a log
//! scale (50 %, 90 %, 99 %, 99.9 % … evenly spaced), cut at 1 − 1/N for N
//! samples, every backend overlaid.
//!
//! Invariant: the curve comes from the whole-run histogram saved in
//! `latency_us.histogram` (intended-time latency), so a saved run redraws
//! exactly; nothing beyond the last sample's percentile is drawn.

use super::{label_style, ms_label, title_style, Chart, DrawResult, Line, Prepared, SeriesSet};
use base64::Engine;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Resolution of the curve: points per halving of the distance to 100 %.
const TICKS_PER_HALF: u32 = 8;

pub struct Percentiles {
    /// Per series: its label, colour index and (1/(1−p), latency in ms) points.
    curves: Vec<Line>,
    /// The largest sample count: the x axis ends at that many.
    max_x: f64,
    /// Series left out because their histogram did not decode, and why.
    unreadable: Vec<String>,
}

/// Decode a `latency_us.histogram` value (nanoseconds, V2 compressed, base64).
pub fn decode(encoded: &str) -> Result<Histogram<u64>, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("not base64: {e}"))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("not a V2 HdrHistogram: {e:?}"))
}

/// (1/(1−p), latency in ms) from p = 0 up to p = 1 − 1/N, then the maximum at N.
pub fn curve(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    let n = h.len() as f64;
    if n < 1.0 {
        return Vec::new();
    }
    let cut = 1.0 - 1.0 / n;
    let mut points: Vec<(f64, f64)> = h
        .iter_quantiles(TICKS_PER_HALF)
        .map(|v| (v.quantile_iterated_to(), v.value_iterated_to()))
        .take_while(|(q, _)| *q <= cut)
        .map(|(q, ns)| (1.0 / (1.0 - q), ns as f64 / 1e6))
        .collect();
    points.push((n.max(1.0), h.max() as f64 / 1e6));
    points
}

pub fn prepare(set: &SeriesSet) -> Prepared<Percentiles> {
    let mut curves = Vec::new();
    let mut warnings = Vec::new();
    for s in &set.series {
        if s.backend.latency_us.histogram.is_empty() {
            continue;
        }
        match decode(&s.backend.latency_us.histogram) {
            Ok(h) if !h.is_empty() => curves.push(Line {
                label: s.label.clone(),
                colour: s.colour,
                dashed: s.dashed(),
                points: curve(&h),
            }),
            Ok(_) => {}
            Err(e) => warnings.push(format!("{}: latency histogram unreadable ({e})", s.label)),
        }
    }
    if curves.is_empty() {
        return match warnings.is_empty() {
            true => Prepared::Skip,
            false => Prepared::Warn(format!(
                "chart latency-percentiles was not drawn: {}",
                warnings.join("; ")
            )),
        };
    }
    let max_x = curves
        .iter()
        .filter_map(|c| c.points.last().map(|p| p.0))
        .fold(10.0, f64::max);
    Prepared::Ready(Percentiles {
        curves,
        max_x,
        unreadable: warnings,
    })
}

/// "99.9%" for x = 1000: the percentile an x position stands for.
fn percentile_label(x: f64) -> String {
    let p = 100.0 * (1.0 - 1.0 / x);
    let decimals = (x.log10().round() as usize).saturating_sub(2);
    format!("{p:.decimals$}%")
}

impl Chart for Percentiles {
    fn stem(&self) -> &'static str {
        "latency-percentiles"
    }

    fn caption(&self) -> String {
        "Latency by percentile (from each order's intended time), every backend overlaid. \
         Further right is rarer: the 99.9% mark is the slowest order in a thousand; each curve \
         ends at its slowest order."
            .to_string()
            + &self
                .unreadable
                .iter()
                .map(|w| format!(" Not drawn: {w}."))
                .collect::<String>()
    }

    fn size(&self) -> (u32, u32) {
        (1100, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let max_y = self
            .curves
            .iter()
            .flat_map(|c| c.points.iter().map(|p| p.1))
            .fold(0.0, f64::max)
            .max(0.001)
            * 1.05;
        let mut chart = ChartBuilder::on(root)
            .caption("Latency by percentile", title_style())
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d((1.0..self.max_x).log_scale(), 0.0..max_y)?;
        chart
            .configure_mesh()
            .x_desc("percentile (log scale of 1/(1−p))")
            .y_desc("latency (ms)")
            .x_label_formatter(&|x| percentile_label(*x))
            .y_label_formatter(&|y| ms_label(*y))
            .label_style(label_style())
            .axis_desc_style(label_style())
            .draw()?;
        for line in &self.curves {
            super::draw_line(&mut chart, line)?;
        }
        super::draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_stops_at_one_in_n_and_ends_at_the_maximum() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3).unwrap();
        for ns in 1..=1000u64 {
            h.record(ns * 1_000_000).unwrap();
        }
        let c = curve(&h);
        let (last_x, last_ms) = *c.last().unwrap();
        assert_eq!(last_x, 1000.0);
        assert!((last_ms - 1000.0).abs() < 1.0, "{last_ms}");
        assert!(c.iter().all(|&(x, _)| x <= 1000.0));
        assert!(
            c.windows(2).all(|w| w[0].1 <= w[1].1),
            "latency never falls"
        );
        let median = c.iter().find(|&&(x, _)| x >= 2.0).unwrap().1;
        assert!((median - 500.0).abs() < 10.0, "{median}");
    }

    #[test]
    fn axis_labels_read_as_percentiles() {
        assert_eq!(percentile_label(2.0), "50%");
        assert_eq!(percentile_label(10.0), "90%");
        assert_eq!(percentile_label(100.0), "99%");
        assert_eq!(percentile_label(1000.0), "99.9%");
        assert_eq!(percentile_label(10000.0), "99.99%");
    }
}
