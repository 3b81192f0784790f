//! A sweep's chart: throughput (left) and p99 latency (right, log scale:
//! it spans decades) against the swept value on a log scale, one line per
//! backend, the knee ringed.
//!
//! Invariant: it draws `sweep.json`'s measured records only (skipped,
//! failed and aborted points leave a gap in no line: the line joins the
//! measured points), and the ring sits on the point `knees[]` names.

use super::{colour, label_style, ms_label, title_style, Chart, DrawResult, Line, Prepared};
use crate::sweep::SweepSummary;
use plotters::coord::Shift;
use plotters::prelude::*;

pub struct SweepChart {
    axis: &'static str,
    /// Per backend: throughput per second by point.
    throughput: Vec<Line>,
    /// Per backend: p99 in ms by point.
    p99_ms: Vec<Line>,
    /// Per backend (same order): the knee's value, if any.
    knees: Vec<Option<f64>>,
    x_range: (f64, f64),
    /// Every measured point: the x axis is labelled at these, not at powers of ten.
    ticks: Vec<f64>,
}

pub fn prepare(sweep: &SweepSummary) -> Prepared<SweepChart> {
    let mut throughput = Vec::new();
    let mut p99_ms = Vec::new();
    let mut knees = Vec::new();
    for (i, backend) in sweep.backends().into_iter().enumerate() {
        let measured: Vec<_> = sweep
            .of(backend)
            .filter_map(|r| r.measured().map(|s| (r.point, s)))
            .collect();
        if measured.is_empty() {
            continue;
        }
        let line = |points: Vec<(f64, f64)>| Line {
            label: backend.to_string(),
            colour: i,
            dashed: false,
            points,
        };
        throughput.push(line(
            measured
                .iter()
                .map(|(x, s)| (*x, s.throughput_per_s))
                .collect(),
        ));
        p99_ms.push(line(
            measured
                .iter()
                .map(|(x, s)| (*x, s.latency_us.p99 / 1000.0))
                .collect(),
        ));
        knees.push(sweep.knee_of(backend).and_then(|k| k.point));
    }
    if throughput.is_empty() {
        return Prepared::Skip;
    }
    let mut ticks: Vec<f64> = throughput
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.0))
        .collect();
    ticks.sort_by(f64::total_cmp);
    ticks.dedup();
    let (lo, hi) = (ticks[0], ticks[ticks.len() - 1]);
    Prepared::Ready(SweepChart {
        axis: sweep.axis.label(),
        throughput,
        p99_ms,
        knees,
        // Room either side on the log scale, and a range even for one point.
        x_range: (lo / 1.5, hi * 1.5),
        ticks,
    })
}

impl Chart for SweepChart {
    fn stem(&self) -> &'static str {
        "sweep"
    }

    fn caption(&self) -> String {
        format!(
            "Throughput (granted orders per second, left) and p99 latency (right, log scale) \
             against {} on a log scale, one line per backend. A ring marks the knee: the first point where \
             throughput grew by less than 10% while p99 at least doubled.",
            self.axis
        )
    }

    fn size(&self) -> (u32, u32) {
        (1200, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (title, body) = root.split_vertically(40);
        title.titled(
            &format!("Throughput and p99 against {}", self.axis),
            title_style(),
        )?;
        let (left, right) = body.split_horizontally(600);
        self.panel(
            &left,
            &self.throughput,
            "throughput (orders/s)",
            Scale::Linear,
        )?;
        // p99 spans decades between a comfortable point and a saturated one.
        self.panel(
            &right,
            &self.p99_ms,
            "p99 latency (ms, log scale)",
            Scale::Log,
        )
    }
}

/// How a panel's y axis maps values.
#[derive(Clone, Copy, PartialEq)]
enum Scale {
    Linear,
    /// Log scale, ticks at 1, 2 and 5 per decade.
    Log,
}

/// Where a zero p99 is drawn on the log axis (ms).
const FLOOR_MS: f64 = 0.001;

/// 1, 2 and 5 times each power of ten in `lo..=hi`.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut ticks = Vec::new();
    for decade in (lo.log10().floor() as i32)..=(hi.log10().ceil() as i32) {
        for m in [1.0f64, 2.0, 5.0] {
            let t = m * 10f64.powi(decade);
            if (lo..=hi).contains(&t) {
                ticks.push(t);
            }
        }
    }
    ticks
}

impl SweepChart {
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        lines: &[Line],
        what: &str,
        scale: Scale,
    ) -> DrawResult<DB> {
        let values = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1));
        let x = (self.x_range.0..self.x_range.1)
            .log_scale()
            .with_key_points(self.ticks.clone());
        let x_desc = format!("{} (log scale)", self.axis);
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(70);
        match scale {
            Scale::Linear => {
                let max_y = values.fold(0.0, f64::max).max(0.001) * 1.1;
                let mut chart = builder.build_cartesian_2d(x, 0.0..max_y)?;
                chart
                    .configure_mesh()
                    .x_desc(x_desc)
                    .y_desc(what)
                    .x_label_formatter(&|x| format!("{x}"))
                    .y_label_formatter(&|y| format!("{y:.0}"))
                    .label_style(label_style())
                    .axis_desc_style(label_style())
                    .draw()?;
                self.lines(&mut chart, lines, |y| y)
            }
            Scale::Log => {
                // A zero p99 (nothing answered) sits at the floor, not at −∞.
                let (lo, hi) = values.fold((f64::MAX, FLOOR_MS), |(lo, hi), v| {
                    (lo.min(v.max(FLOOR_MS)), hi.max(v))
                });
                let y = (lo / 1.5..hi * 1.5)
                    .log_scale()
                    .with_key_points(log_ticks(lo / 1.5, hi * 1.5));
                let mut chart = builder.build_cartesian_2d(x, y)?;
                chart
                    .configure_mesh()
                    .x_desc(x_desc)
                    .y_desc(what)
                    .x_label_formatter(&|x| format!("{x}"))
                    .y_label_formatter(&|y| ms_label(*y))
                    .label_style(label_style())
                    .axis_desc_style(label_style())
                    .draw()?;
                self.lines(&mut chart, lines, |y| y.max(FLOOR_MS))
            }
        }
    }

    /// Every backend's line and points, its knee ringed, and the legend.
    fn lines<'a, DB, X, Y>(
        &self,
        chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
        lines: &[Line],
        clamp: impl Fn(f64) -> f64,
    ) -> DrawResult<DB>
    where
        DB: DrawingBackend + 'a,
        X: Ranged<ValueType = f64>,
        Y: Ranged<ValueType = f64>,
    {
        for (line, knee) in lines.iter().zip(&self.knees) {
            let line = Line {
                label: line.label.clone(),
                colour: line.colour,
                dashed: line.dashed,
                points: line.points.iter().map(|&(x, y)| (x, clamp(y))).collect(),
            };
            super::draw_line(chart, &line)?;
            let c = colour(line.colour);
            chart.draw_series(line.points.iter().map(|&p| Circle::new(p, 4, c.filled())))?;
            if let Some(&(x, y)) = knee.and_then(|k| line.points.iter().find(|p| p.0 == k)) {
                // Ring and label in pixels around the point, the label clear of the ring.
                chart.draw_series(std::iter::once(
                    EmptyElement::at((x, y))
                        + Circle::new((0, 0), 11, c.stroke_width(3))
                        + Text::new("knee", (12, -26), label_style()),
                ))?;
            }
        }
        super::draw_legend(chart, SeriesLabelPosition::UpperLeft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::{fixture, Status};

    #[test]
    fn log_ticks_are_one_two_five_per_decade() {
        let ticks: Vec<f64> = log_ticks(0.9, 150.0)
            .into_iter()
            .map(|t| (t * 1000.0).round() / 1000.0)
            .collect();
        assert_eq!(ticks, [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]);
    }

    #[test]
    fn draws_measured_points_only_and_rings_the_knee() {
        let sweep = fixture(&[
            (1.0, 1000.0, 100.0, Status::Ran),
            (4.0, 3900.0, 110.0, Status::Ran),
            (16.0, 0.0, 0.0, Status::Skipped),
            (64.0, 4000.0, 400.0, Status::Ran),
        ]);
        let Prepared::Ready(chart) = prepare(&sweep) else {
            panic!("a sweep with measured points is drawn");
        };
        assert_eq!(
            chart.ticks,
            [1.0, 4.0, 64.0],
            "the skipped point is left out"
        );
        assert_eq!(chart.knees, [Some(64.0)]);
        let dir = tempfile::tempdir().unwrap();
        super::super::font::register().unwrap();
        let drawn = super::super::render(&chart, dir.path()).unwrap();
        assert_eq!(drawn.stem, "sweep");
        assert!(dir.path().join("sweep.svg").is_file() && dir.path().join("sweep.png").is_file());
        let skipped_only = fixture(&[(1.0, 0.0, 0.0, Status::Skipped)]);
        assert!(matches!(prepare(&skipped_only), Prepared::Skip));
    }
}
