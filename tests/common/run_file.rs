//! Running the real binary on a scenario file, as a user would, for the
//! tests that read what one run wrote.

use serde_json::Value;
use std::path::Path;

/// Run `scenario_file` into a fresh directory (`--quiet --no-charts`); the
/// run must exit 0. Returns the first backend's record of its `run.json`.
pub fn first_backend(scenario_file: &Path) -> Value {
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("results");
    let output = assert_cmd::Command::cargo_bin("atpsim")
        .expect("binary built")
        .arg("run")
        .arg(scenario_file)
        .arg("--out")
        .arg(&results)
        .arg("--quiet")
        .arg("--no-charts")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    let run: Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("run.json")).unwrap()).unwrap();
    run["backends"][0].clone()
}

/// The same for a scenario given as text.
pub fn first_backend_of(text: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("scenario.toml");
    std::fs::write(&file, text).unwrap();
    first_backend(&file)
}
