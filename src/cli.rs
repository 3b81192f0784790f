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
    /// Compare two run.json files of the same schedule per backend; exit 1 on a regression.
    Compare(CompareArgs),
    /// Run a scenario at each point of a concurrency or rate list, every
    /// backend at every point; write sweep.json, sweep.md and a chart with the knee marked.
    Sweep(SweepArgs),
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("axis").required(true).args(["concurrency", "rate"])))]
pub struct SweepArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// Client counts to sweep, e.g. 1,4,16,64,256: each point sets the
    /// scenario's `concurrency` and every closed phase's `clients`.
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    pub concurrency: Option<String>,
    /// Offered loads to sweep in orders/s, e.g. 100,500,1000: each point sets
    /// the rate of every constant and poisson phase and scales every ramp so
    /// its peak is the point.
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    pub rate: Option<String>,
    /// Write sweep.json, sweep.md and the chart into this directory
    /// (default: results/<scenario>/sweep-<run-id>/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Do not draw the chart (sweep.svg, sweep.png).
    #[arg(long)]
    pub no_charts: bool,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The run.json to compare against.
    pub baseline: PathBuf,
    /// The run.json of the change under test.
    pub current: PathBuf,
    #[command(flatten)]
    pub rules: CompareRules,
}

/// How a run is compared with its baseline.
#[derive(Debug, Default, clap::Args)]
pub struct CompareRules {
    /// How much worse a metric may get: `p99=10%`, `peak.latency_us.p99=5ms`,
    /// `oversold=0` (repeatable). Defaults: oversold and lost_updates may not
    /// grow; p99, peak_p99 and throughput may move by 20%.
    #[arg(long = "max-regression", value_name = "METRIC=TOLERANCE")]
    pub max_regression: Vec<String>,
    /// Compare even when the schedule hashes differ.
    #[arg(long)]
    pub force: bool,
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
    #[command(flatten)]
    pub gate: GateArgs,
}

/// What `run` checks the finished run against, and the files CI reads.
#[derive(Debug, Default, clap::Args)]
pub struct GateArgs {
    /// A threshold, `EXPR` or `BACKEND-GLOB: EXPR` (e.g. 'memory-*:
    /// peak.latency_us.p99 < 50ms'); repeatable, checked beside the
    /// scenario's [[threshold]] tables. Exit 1 when any fails.
    #[arg(long = "threshold", value_name = "EXPR")]
    pub thresholds: Vec<String>,
    /// Run the scenario N times (every backend each time) and gate each
    /// threshold on its worst repetition; the spread is printed and each
    /// repetition's key figures kept in run.json (repeats[]).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeat: u32,
    /// Write the threshold results as JUnit XML: one test case per backend
    /// and threshold.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write the Markdown summary (summary.md, thresholds included)
    /// to this file. When GITHUB_STEP_SUMMARY is set, it is appended there too.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Compare the finished run with this run.json (see `atpsim compare`);
    /// exit 1 on a regression.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    #[command(flatten)]
    pub compare: CompareRules,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Saved run.json files; with several, their backends are drawn
    /// together. A sweep.json (alone) redraws its chart and sweep.md.
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
