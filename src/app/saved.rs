//! Reading back a results file atpsim wrote (`run.json`, `sweep.json`), for
//! the commands that redraw or compare without running anything.
//!
//! Invariant: a file that does not parse, or was written for another schema
//! version, is refused with its file, line, column and field (exit 2).

use crate::error::AppError;
use crate::scenario::ScenarioError;
use serde::de::DeserializeOwned;
use std::path::Path;

/// Read `file` as a `what` (`"run.json"`, `"sweep.json"`) whose
/// `schema_version` (read by `version`) must be `expected`.
pub fn read<T: DeserializeOwned>(
    file: &Path,
    what: &str,
    version: impl Fn(&T) -> u32,
    expected: u32,
) -> Result<T, AppError> {
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
        .map_err(|e| located(1, 1, what, format!("cannot read the file: {e}")))?;
    let saved: T = serde_json::from_str(&text).map_err(|e| {
        let message = e.to_string();
        // serde names the field in backticks ("missing field `x`"); the
        // location is appended after " at line"; both are reported apart.
        let key = message.split('`').nth(1).unwrap_or(what).to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_string();
        located(
            e.line().max(1),
            e.column().max(1),
            &key,
            format!("not a {what} this atpsim reads: {message}"),
        )
    })?;
    let found = version(&saved);
    if found != expected {
        let at = text.find("\"schema_version\"").unwrap_or(0);
        let line = text[..at].matches('\n').count() + 1;
        let column = at - text[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
        return Err(located(
            line,
            column,
            "schema_version",
            format!(
                "is {found}, this atpsim reads {what} version {expected}; redraw it with the atpsim that wrote it"
            ),
        ));
    }
    Ok(saved)
}
