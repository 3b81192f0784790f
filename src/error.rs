//! Errors that end a command, each with its exit code (README.md, "Exit codes").

use crate::backend::BackendError;
use crate::scenario::ScenarioError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad input, found before anything ran: exit 2, nothing written.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// A saved `run.json` that does not read back (`atpsim report`): exit 2.
    #[error("{0}")]
    SavedRun(ScenarioError),
    #[error("cannot use {path}: {source}")]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A backend could not be set up or reached before the run: exit 3;
    /// exit 2 when the server refused the scenario's own code (a Lua script
    /// that does not compile).
    #[error("{0}")]
    Backend(#[from] BackendError),
    /// A command-line value that cannot be used: exit 2, nothing written.
    #[error("{0}")]
    Usage(String),
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
}

impl AppError {
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Scenario(_)
            | AppError::SavedRun(_)
            | AppError::Output { .. }
            | AppError::Usage(_)
            | AppError::Runtime(_) => 2,
            AppError::Backend(e) if e.bad_input => 2,
            AppError::Backend(_) => 3,
        }
    }
}

/// Exit codes of a run that produced results.
pub mod exit {
    pub const OK: i32 = 0;
    /// A threshold or baseline comparison failed, or the run was unfit for gating.
    pub const GATE: i32 = 1;
    pub const BACKEND: i32 = 3;
    pub const SIGINT: i32 = 130;
    pub const SIGTERM: i32 = 143;
}
