//! The command line (clap derive only; behaviour lives in `app`).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "atpsim",
    version,
    about = "Fire flash-sale bursts at reservation backends; audit oversell and latency per window"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario against each of its backends in turn and write the results.
    Run(RunArgs),
    /// Redraw the charts and report.html from saved run.json files, several drawn together.
    Report(ReportArgs),
    /// Check a scenario and print its resolved plan without running it.
    Validate {
        /// The scenario file (TOML).
        file: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// Write run.json and summary.md into this directory
    /// (default: results/<scenario>/<run-id>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Stream one CSV line per attempt to this file as the run goes.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// No progress line on stderr (it is also hidden when stderr is not a terminal).
    #[arg(long, short)]
    pub quiet: bool,
    /// Leave each server backend's tables (atpsim_*_<run id>) or keys
    /// (atpsim:<run id>:*) on the server instead of removing them, to
    /// inspect the final state.
    #[arg(long)]
    pub keep: bool,
    /// Write report.html without drawing the charts (SVG and PNG).
    #[arg(long)]
    pub no_charts: bool,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Saved run.json files; with several, their backends are drawn together.
    #[arg(required = true, value_name = "RUN.json")]
    pub files: Vec<PathBuf>,
    /// Write the charts and report.html here (default: the run's own
    /// directory for one file, results/compare/<time>-<n>/ for several).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write report.html without drawing the charts.
    #[arg(long)]
    pub no_charts: bool,
}
