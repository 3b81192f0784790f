//! Charts, one file per chart, drawn once onto an SVG and once onto a PNG.
//!
//! Invariant: charts read `RunSummary` values only (a sweep's chart, its
//! `SweepSummary`); a chart that cannot be
//! drawn (no data for it, or a failure while drawing, panics included) is
//! reported as a warning and never stops the other charts or the run.
//!
//! A new chart is one more file: a `prepare` that returns `Skip` when the
//! runs carry no data for it, a `Chart` impl, and a line in `render_all`;
//! `report.html` shows whatever was rendered. A sweep's chart reads the
//! sweep instead and is drawn by `render_sweep`.

mod comparison;
mod faults;
mod font;
mod heatmap;
mod holds;
mod percentiles;
mod series;
mod stock;
pub mod sweep;
mod timeline;

pub use series::{Series, SeriesSet};

use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// What every chart draws with: the family the shipped font is registered under.
pub const FONT: &str = font::FAMILY;

/// Series colours, in order: the Okabe–Ito colour-blind-safe set, with
/// purple for its black, which the stock line uses.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
    RGBColor(117, 62, 156),
];

pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// One labelled line of (x, y) points, in the colour of its series.
pub struct Line {
    pub label: String,
    /// Index into `PALETTE` (the series' colour).
    pub colour: usize,
    /// Drawn dashed (a run after the first).
    pub dashed: bool,
    pub points: Vec<(f64, f64)>,
}

/// Draw `line` onto `chart`, dashed for a later run, with its legend entry.
pub fn draw_line<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    line: &Line,
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let style = colour(line.colour).stroke_width(2);
    let points = line.points.iter().copied();
    let drawn = if line.dashed {
        chart.draw_series(DashedLineSeries::new(points, 10, 6, style))?
    } else {
        chart.draw_series(LineSeries::new(points, style))?
    };
    // A dashed line's legend is a short dash: one stroke in the legend box.
    let length = if line.dashed { 10 } else { 22 };
    drawn
        .label(line.label.as_str())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + length, y)], style));
    Ok(())
}

/// The legend box every chart draws: `position`, half-opaque white, framed.
pub fn draw_legend<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    position: SeriesLabelPosition,
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(label_style())
        .draw()
}

/// The error type of one drawing attempt, whatever the backend.
pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// One chart: its file name, caption, size and drawing. The drawing is
/// generic so the SVG and the PNG come from the same code.
pub trait Chart {
    /// File stem: `<stem>.svg` and `<stem>.png`.
    fn stem(&self) -> &'static str;
    /// Caption shown under the chart in the HTML report.
    fn caption(&self) -> String;
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// A chart written to disk: the PNG bytes stay in memory for the HTML.
pub struct Rendered {
    pub stem: &'static str,
    pub caption: String,
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// The outcome of drawing every chart that has data.
#[derive(Default)]
pub struct ChartSet {
    pub rendered: Vec<Rendered>,
    pub warnings: Vec<String>,
}

/// Every chart whose data the runs hold, as `<stem>.svg` and `<stem>.png` in `dir`.
pub fn render_all(set: &SeriesSet, dir: &Path) -> ChartSet {
    let mut out = ChartSet::default();
    if let Err(e) = font::register() {
        out.warnings.push(format!("charts skipped: {e}"));
        return out;
    }
    render_into(&mut out, percentiles::prepare(set), dir);
    render_into(&mut out, timeline::prepare(set), dir);
    render_into(&mut out, stock::prepare(set), dir);
    render_into(&mut out, comparison::prepare(set), dir);
    render_into(&mut out, heatmap::prepare(set), dir);
    render_into(&mut out, holds::prepare(set), dir);
    out
}

/// The chart of a sweep (`sweep.svg`, `sweep.png`) in `dir`.
pub fn render_sweep(sweep: &crate::sweep::SweepSummary, dir: &Path) -> ChartSet {
    let mut out = ChartSet::default();
    if let Err(e) = font::register() {
        out.warnings.push(format!("charts skipped: {e}"));
        return out;
    }
    render_into(&mut out, sweep::prepare(sweep), dir);
    out
}

/// Charts with no data say why they are missing (a `Skip`), which is not a warning.
pub enum Prepared<C> {
    Ready(C),
    Skip,
    Warn(String),
}

fn render_into<C: Chart>(out: &mut ChartSet, chart: Prepared<C>, dir: &Path) {
    let chart = match chart {
        Prepared::Ready(c) => c,
        Prepared::Skip => return,
        Prepared::Warn(w) => {
            out.warnings.push(w);
            return;
        }
    };
    match render(&chart, dir) {
        Ok(r) => out.rendered.push(r),
        Err(e) => out
            .warnings
            .push(format!("chart {} was not drawn: {e}", chart.stem())),
    }
}

/// Draw one chart as SVG and PNG and write both; any failure, a panic
/// inside the drawing library included, comes back as an error message.
pub fn render<C: Chart>(chart: &C, dir: &Path) -> Result<Rendered, String> {
    let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Ok::<_, String>((svg(chart)?, png(chart)?))
    }))
    .map_err(|panic| {
        let msg = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "the drawing code panicked".into());
        format!("drawing failed: {msg}")
    })?;
    let (svg, png) = drawn?;
    let stem = chart.stem();
    let write = |ext: &str, bytes: &[u8]| {
        let path = dir.join(format!("{stem}.{ext}"));
        super::files::write_atomic(&path, bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    write("svg", svg.as_bytes())?;
    write("png", &png)?;
    let (width, height) = chart.size();
    Ok(Rendered {
        stem,
        caption: chart.caption(),
        png,
        width,
        height,
    })
}

fn svg<C: Chart>(chart: &C) -> Result<String, String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, chart.size()).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        chart.draw(&root).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(text)
}

fn png<C: Chart>(chart: &C) -> Result<Vec<u8>, String> {
    let (w, h) = chart.size();
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        chart.draw(&root).map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())?;
    }
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Charts are flat colour: the strongest settings shrink them several-fold.
    encoder.set_compression(png::Compression::Best);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&rgb).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// A caption-sized title at the top of a chart.
pub fn title_style() -> TextStyle<'static> {
    (FONT, 20).into_font().color(&BLACK)
}

pub fn label_style() -> TextStyle<'static> {
    (FONT, 14).into_font().color(&BLACK)
}

/// Milliseconds for an axis: few digits, no trailing noise.
pub fn ms_label(ms: f64) -> String {
    if ms == 0.0 {
        "0".into()
    } else if ms.abs() < 1.0 {
        format!("{ms:.2}")
    } else if ms.abs() < 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chart whose drawing fails the way a backend error would, or panics.
    struct Broken {
        panics: bool,
    }

    impl Chart for Broken {
        fn stem(&self) -> &'static str {
            "broken"
        }
        fn caption(&self) -> String {
            String::new()
        }
        fn size(&self) -> (u32, u32) {
            (200, 100)
        }
        fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
            if self.panics {
                panic!("axis range is empty");
            }
            // Plotters refuses a chart whose label areas leave no room.
            ChartBuilder::on(root)
                .x_label_area_size(500)
                .build_cartesian_2d(0.0..1.0, 0.0..1.0)
                .map(|_| ())
        }
    }

    #[test]
    fn a_chart_that_fails_or_panics_is_a_warning_and_the_rest_go_on() {
        let dir = tempfile::tempdir().unwrap();
        font::register().unwrap();
        let mut out = ChartSet::default();
        render_into(
            &mut out,
            Prepared::Ready(Broken { panics: true }),
            dir.path(),
        );
        render_into(
            &mut out,
            Prepared::<Broken>::Warn("no data".into()),
            dir.path(),
        );
        render_into(&mut out, Prepared::<Broken>::Skip, dir.path());
        assert!(out.rendered.is_empty());
        assert_eq!(out.warnings.len(), 2, "{:?}", out.warnings);
        assert!(out.warnings[0].contains("broken") && out.warnings[0].contains("axis range"));
        let unwritable = dir.path().join("missing/dir");
        let e = render(&Broken { panics: false }, &unwritable);
        assert!(e.is_err(), "a failed drawing must be an error");
    }
}
