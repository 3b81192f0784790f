//! atpsim: fires flash-sale traffic at available-to-promise backends and audits
//! oversell and latency per window. Data flows one way, top to bottom:
//!
//! - `scenario` — the TOML file, parsed and validated (every error names file, line, key)
//! - `traffic`  — the seeded, lazy schedule: when orders are due, which SKU, how many
//! - `plan`     — one pass over the schedule before the run (counts, windows, hash)
//! - `backend`  — the trait; memory, SQLite, PostgreSQL, MySQL and Redis stores, one strategy each
//! - `runner`   — clients that send due orders, retry conflicts, drain on interrupt; staged faults
//! - `ledger`   — the harness's own account of what it was promised
//! - `metrics`  — per-thread histograms and counters, windows, peak and worst
//! - `audit`    — pure: ledger + final snapshot → oversell, lost updates, undersell
//! - `compare`  — two `run.json` of one schedule side by side: regressions against a baseline
//! - `gate`     — thresholds over `run.json` paths (checked against the schema) and their verdicts
//! - `summary`  — `RunSummary`, the one contract every output reads (`run.json`)
//! - `sweep`    — a scenario at several concurrency or rate points: points, knee, free slots, `sweep.json`
//! - `report`   — terminal table, `run.json`, `summary.md`, charts (SVG, PNG), `report.html`
//! - `trace`    — the per-attempt CSV, streamed
//! - `redact`   — passwords out of every URL and message before it is printed
//! - `app`, `cli`, `error` — commands, flags and exit codes

// Terminal output is a courtesy: the results files are the record. A closed
// stdout or stderr (`atpsim sweep … 2>&1 | head -1`) must not panic a run
// half-way through, as std's printing macros do on a write error, so these
// shadow them for the whole crate and drop the error instead.
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! print {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
macro_rules! eprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

pub mod app;
pub mod audit;
pub mod backend;
pub mod cli;
pub mod compare;
pub mod error;
pub mod gate;
pub mod ledger;
pub mod metrics;
pub mod plan;
pub mod redact;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod summary;
pub mod sweep;
pub mod timefmt;
pub mod trace;
pub mod traffic;
