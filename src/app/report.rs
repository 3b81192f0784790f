//! `atpsim report RUN.json [RUN2.json …]`: redraw the charts and
//! `report.html` from saved runs, without running anything (a saved
//! `sweep.json` is handed to `sweep_report`).
//!
//! Invariant: a saved run is read back into `RunSummary` exactly as `run`
//! wrote it; one that does not parse is refused with its file, line and
//! column (exit 2) before anything is written.

use crate::cli::ReportArgs;
use crate::error::{exit, AppError};
use crate::report::review;
use crate::summary::{RunSummary, SCHEMA_VERSION};
use std::path::{Path, PathBuf};

pub fn report(args: ReportArgs) -> Result<i32, AppError> {
    // A saved sweep has its own chart and table.
    if let Some(sweep) = args.files.iter().find(|f| super::sweep_report::is_sweep(f)) {
        if args.files.len() > 1 {
            return Err(AppError::Usage(format!(
                "{} is a sweep.json: redraw it alone (`atpsim report {}`), not with other files",
                sweep.display(),
                sweep.display()
            )));
        }
        return super::sweep_report::redraw(sweep, args.out.as_deref(), !args.no_charts);
    }
    let runs = args
        .files
        .iter()
        .map(|f| load(f))
        .collect::<Result<Vec<_>, _>>()?;
    let dir = match &args.out {
        Some(dir) => dir.clone(),
        None => default_dir(&args.files),
    };
    std::fs::create_dir_all(&dir).map_err(|source| AppError::Output {
        path: dir.clone(),
        source,
    })?;
    let written =
        review::write(&runs, &dir, !args.no_charts).map_err(|source| AppError::Output {
            path: dir.join("report.html"),
            source,
        })?;
    for w in &written.warnings {
        eprintln!("warning: {w}");
    }
    println!("{}", written.html.display());
    Ok(exit::OK)
}

/// One file: beside it; several: a fresh directory under `results/compare/`.
fn default_dir(files: &[PathBuf]) -> PathBuf {
    match files {
        [one] => one
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        // The process id keeps two reports started in one second apart.
        _ => PathBuf::from("results").join("compare").join(format!(
            "{}-{:04x}",
            crate::timefmt::compact(std::time::SystemTime::now()),
            std::process::id() & 0xffff
        )),
    }
}

/// Read a saved `run.json` back into the summary it was written from.
pub fn load(file: &Path) -> Result<RunSummary, AppError> {
    super::saved::read(
        file,
        "run.json",
        |r: &RunSummary| r.schema_version,
        SCHEMA_VERSION,
    )
}
