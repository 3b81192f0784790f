//! The isolation matrix as a heat map: one row per store, one column per
//! strategy and isolation level, each cell coloured by its oversold units
//! and labelled with them and its lost updates.
//!
//! Invariant: the cells are the rows of `report::matrix` (the same figures
//! the text matrix prints); drawn only for runs with a `-tx` backend, one
//! run at a time (the first run that has a matrix).

use super::{label_style, title_style, Chart, DrawResult, Prepared, SeriesSet};
use crate::report::matrix;
use plotters::coord::Shift;
use plotters::prelude::*;

const CELL_WIDTH: u32 = 190;
const CELL_HEIGHT: u32 = 70;

struct Cell {
    row: usize,
    column: usize,
    oversold: u64,
    lost: u64,
    /// The server's default level, for a column that ran at the default.
    default_level: Option<String>,
}

pub struct Heatmap {
    stores: Vec<String>,
    columns: Vec<String>,
    cells: Vec<Cell>,
    run: usize,
}

pub fn prepare(set: &SeriesSet) -> Prepared<Heatmap> {
    let Some((run, rows)) = set
        .runs
        .iter()
        .enumerate()
        .find_map(|(i, r)| matrix::rows(r).map(|rows| (i, rows)))
    else {
        return Prepared::Skip;
    };
    let mut stores: Vec<String> = Vec::new();
    let mut columns: Vec<String> = Vec::new();
    let mut cells = Vec::new();
    let index = |list: &mut Vec<String>, item: &str| match list.iter().position(|x| x == item) {
        Some(i) => i,
        None => {
            list.push(item.to_string());
            list.len() - 1
        }
    };
    for row in rows {
        let (store, strategy, level) = (&row[0], &row[1], &row[2]);
        // Backends at the server's default level share a column across
        // stores, whose defaults differ; the cell names the level.
        let (column, default_level) = match level.strip_prefix('(') {
            Some(rest) => (
                format!("{strategy} (default level)"),
                Some(rest.trim_end_matches(')').replace(", default", "")),
            ),
            None => (format!("{strategy} {level}"), None),
        };
        let number = |s: &str| s.parse::<u64>().unwrap_or(0);
        cells.push(Cell {
            row: index(&mut stores, store),
            column: index(&mut columns, &column),
            oversold: number(&row[3]),
            lost: number(&row[4]),
            default_level,
        });
    }
    if cells.is_empty() {
        return Prepared::Skip;
    }
    Prepared::Ready(Heatmap {
        stores,
        columns,
        cells,
        run,
    })
}

/// White at 0, deepening red towards the largest oversell.
fn heat(oversold: u64, max: u64) -> RGBColor {
    if oversold == 0 {
        return RGBColor(220, 240, 220);
    }
    let t = (oversold as f64 / max.max(1) as f64).clamp(0.0, 1.0);
    let fade = (230.0 - 150.0 * t) as u8;
    RGBColor(240, fade, fade)
}

impl Chart for Heatmap {
    fn stem(&self) -> &'static str {
        "isolation-matrix"
    }

    fn caption(&self) -> String {
        format!(
            "The isolation matrix of run {}: each cell is one backend, coloured by the units it \
             oversold (green: none). \"lost\" counts grants its final state does not show.",
            self.run + 1
        )
    }

    fn size(&self) -> (u32, u32) {
        let w = 140 + CELL_WIDTH * self.columns.len() as u32;
        let h = 130 + CELL_HEIGHT * self.stores.len() as u32;
        (w.max(600), h)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let (title, body) = root.split_vertically(40);
        title.titled("Isolation matrix: oversold units", title_style())?;
        let max = self.cells.iter().map(|c| c.oversold).max().unwrap_or(0);
        let label = label_style();
        let small = (super::FONT, 12).into_font().color(&BLACK);
        for (c, name) in self.columns.iter().enumerate() {
            let x = 130 + c as i32 * CELL_WIDTH as i32;
            for (k, part) in name.splitn(2, ' ').enumerate() {
                body.draw(&Text::new(
                    part.to_string(),
                    (x + 6, 6 + 18 * k as i32),
                    small.clone(),
                ))?;
            }
        }
        for (r, store) in self.stores.iter().enumerate() {
            let y = 50 + r as i32 * CELL_HEIGHT as i32;
            body.draw(&Text::new(store.clone(), (10, y + 26), label.clone()))?;
        }
        for cell in &self.cells {
            let (oversold, lost) = (cell.oversold, cell.lost);
            let x = 130 + cell.column as i32 * CELL_WIDTH as i32;
            let y = 50 + cell.row as i32 * CELL_HEIGHT as i32;
            let corner = (x + CELL_WIDTH as i32 - 4, y + CELL_HEIGHT as i32 - 4);
            body.draw(&Rectangle::new(
                [(x, y), corner],
                heat(oversold, max).filled(),
            ))?;
            body.draw(&Rectangle::new([(x, y), corner], BLACK.stroke_width(1)))?;
            body.draw(&Text::new(
                format!("oversold {oversold}"),
                (x + 8, y + 14),
                label.clone(),
            ))?;
            body.draw(&Text::new(
                format!("lost {lost}"),
                (x + 8, y + 36),
                small.clone(),
            ))?;
            if let Some(level) = &cell.default_level {
                body.draw(&Text::new(
                    format!("at {level}"),
                    (x + 8, y + 52),
                    small.clone(),
                ))?;
            }
        }
        Ok(())
    }
}
