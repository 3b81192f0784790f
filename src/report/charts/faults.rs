//! Fault bands for the charts over time: each fault's windows as a shaded
//! span in a colour of its own, named in the legend.
//!
//! Invariant: bands come from `windows[].faults` only — a band covers a run
//! of consecutive windows that name the same fault — so a redrawn report
//! marks exactly the windows `run.json` marks.

use super::DrawResult;
use plotters::prelude::*;

/// One fault's marked windows, from the first one's start to the last one's end.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub name: String,
    pub from_ms: f64,
    pub to_ms: f64,
}

/// The bands of `windows`, by fault in order of first appearance.
pub fn bands(windows: &[crate::summary::Window]) -> Vec<Band> {
    let mut out: Vec<Band> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    for w in windows {
        let end = w.start_ms + w.window_ms;
        let mut still_open = Vec::new();
        for name in &w.faults {
            // Extend the band this fault had open in the window before.
            match open.iter().find(|&&i| &out[i].name == name) {
                Some(&i) => {
                    out[i].to_ms = end;
                    still_open.push(i);
                }
                None => {
                    out.push(Band {
                        name: name.clone(),
                        from_ms: w.start_ms,
                        to_ms: end,
                    });
                    still_open.push(out.len() - 1);
                }
            }
        }
        open = still_open;
    }
    out
}

/// Band colours, one per fault name in order of appearance, drawn
/// see-through: red first, then hues apart from the peak window's yellow
/// and the lines' blue and orange.
const BANDS: [RGBColor; 4] = [
    RGBColor(200, 30, 30),
    RGBColor(120, 60, 160),
    RGBColor(90, 90, 90),
    RGBColor(0, 130, 130),
];

/// Shade every band from 0 to `max_y`, in the colour of its name's place
/// in `names` (the run's faults, so a fault looks the same in every panel);
/// one legend entry per fault name.
pub fn draw<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    bands: &[Band],
    names: &[String],
    max_y: f64,
) -> DrawResult<DB>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let mut labelled: Vec<&str> = Vec::new();
    for band in bands {
        let colour = colour_of(&band.name, names).mix(0.15);
        let drawn = chart.draw_series(std::iter::once(Rectangle::new(
            [(band.from_ms, 0.0), (band.to_ms, max_y)],
            colour.filled(),
        )))?;
        if !labelled.contains(&band.name.as_str()) {
            labelled.push(&band.name);
            drawn
                .label(format!("fault: {}", band.name))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 20, y + 6)], colour.filled())
                });
        }
    }
    Ok(())
}

/// The band colour of fault `name` among the run's fault `names`.
fn colour_of(name: &str, names: &[String]) -> RGBColor {
    let place = names.iter().position(|n| n == name).unwrap_or(0);
    BANDS[place % BANDS.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::Window;

    fn w(index: u64, faults: &[&str]) -> Window {
        Window {
            index,
            start_ms: index as f64 * 100.0,
            window_ms: 100.0,
            faults: faults.iter().map(|f| f.to_string()).collect(),
            ..Window::default()
        }
    }

    #[test]
    fn a_fault_keeps_its_colour_whichever_panel_shows_it_first() {
        let names = ["kill@1s".to_string(), "slow".to_string()];
        // A panel that shows only `slow` still draws it in the second colour.
        assert_eq!(colour_of("slow", &names), BANDS[1]);
        assert_eq!(colour_of("kill@1s", &names), BANDS[0]);
    }

    #[test]
    fn consecutive_windows_of_a_fault_make_one_band() {
        let windows = [
            w(0, &[]),
            w(1, &["slow"]),
            w(2, &["slow", "kill@200ms"]),
            w(3, &["slow"]),
            w(4, &[]),
            w(5, &["slow"]),
        ];
        let got = bands(&windows);
        let band = |name: &str, from_ms, to_ms| Band {
            name: name.into(),
            from_ms,
            to_ms,
        };
        assert_eq!(
            got,
            [
                band("slow", 100.0, 400.0),
                band("kill@200ms", 200.0, 300.0),
                band("slow", 500.0, 600.0),
            ]
        );
        assert!(bands(&[w(0, &[]), w(1, &[])]).is_empty());
    }
}
