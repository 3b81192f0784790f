//! `atpsim report sweep.json`: redraw a saved sweep's chart and `sweep.md`
//! without running anything.
//!
//! Invariant: the saved sweep is read back into `SweepSummary` exactly as
//! `sweep` wrote it (a file that does not parse is refused with its line
//! and column, exit 2, before anything is written); the knees are taken as
//! saved, not recomputed, so the redraw shows what the sweep reported.

use crate::error::{exit, AppError};
use crate::report::files::write_atomic;
use crate::scenario::ScenarioError;
use crate::sweep::{table, SweepSummary, SWEEP_SCHEMA_VERSION};
use std::path::Path;

/// Whether `file` holds a sweep rather than a run: its top level has `axis`
/// and `records`, which no `run.json` has.
pub fn is_sweep(file: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(file) else {
        return false;
    };
    serde_json::from_str::<serde_json::Value>(&text)
        .is_ok_and(|v| v.get("axis").is_some() && v.get("records").is_some())
}

pub fn redraw(file: &Path, out: Option<&Path>, charts: bool) -> Result<i32, AppError> {
    let sweep = load(file)?;
    let dir = match out {
        Some(dir) => dir.to_path_buf(),
        None => file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| Path::new(".").to_path_buf(), Path::to_path_buf),
    };
    std::fs::create_dir_all(&dir).map_err(|source| AppError::Output {
        path: dir.clone(),
        source,
    })?;
    let md = dir.join("sweep.md");
    write_atomic(&md, table::markdown(&sweep).as_bytes())
        .map_err(|source| AppError::Output { path: md, source })?;
    if charts {
        for w in crate::report::charts::render_sweep(&sweep, &dir).warnings {
            eprintln!("warning: {w}");
        }
    }
    print!("{}", table::render(&sweep));
    println!("{}", dir.display());
    Ok(exit::OK)
}

fn load(file: &Path) -> Result<SweepSummary, AppError> {
    let located = |line: usize, column: usize, key: &str, message: String| {
        AppError::SavedRun(ScenarioError {
            file: file.to_path_buf(),
            line,
            column,
            key: key.to_string(),
            message,
        })
    };
    let text = std::fs::read_to_string(file)
        .map_err(|e| located(1, 1, "sweep.json", format!("cannot read the file: {e}")))?;
    let sweep: SweepSummary = serde_json::from_str(&text).map_err(|e| {
        let message = e.to_string();
        let key = message
            .split('`')
            .nth(1)
            .unwrap_or("sweep.json")
            .to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        located(
            e.line().max(1),
            e.column().max(1),
            &key,
            format!("not a sweep.json this atpsim reads: {message}"),
        )
    })?;
    if sweep.schema_version != SWEEP_SCHEMA_VERSION {
        return Err(located(
            1,
            1,
            "schema_version",
            format!(
                "is {}, this atpsim reads sweep.json version {SWEEP_SCHEMA_VERSION}; redraw it with the atpsim that wrote it",
                sweep.schema_version
            ),
        ));
    }
    Ok(sweep)
}
