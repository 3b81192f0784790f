//! `atpsim report sweep.json`: redraw a saved sweep's chart and `sweep.md`
//! without running anything.
//!
//! Invariant: the saved sweep is read back into `SweepSummary` exactly as
//! `sweep` wrote it (a file that does not parse is refused with its line
//! and column, exit 2, before anything is written); the knees are taken as
//! saved, not recomputed, so the redraw shows what the sweep reported.

use crate::error::{exit, AppError};
use crate::report::files::write_atomic;
use crate::sweep::{table, SweepSummary, SWEEP_SCHEMA_VERSION};
use std::path::Path;

/// Whether `file` holds a sweep rather than a run: it is named
/// `sweep.json` (so a damaged one is reported as a sweep), or its top level
/// has `axis` and `records`, which no `run.json` has.
pub fn is_sweep(file: &Path) -> bool {
    if file.file_name().is_some_and(|n| n == "sweep.json") {
        return true;
    }
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
    super::saved::read(
        file,
        "sweep.json",
        |s: &SweepSummary| s.schema_version,
        SWEEP_SCHEMA_VERSION,
    )
}
