//! Helpers shared by the gating tests.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Held by every test that runs the binary: the runs measure latency and
/// harness lag, which tests running beside each other on a small machine
/// would distort (`ci-gate.toml` gates on both).
pub fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    ONE.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn atpsim() -> Command {
    Command::cargo_bin("atpsim").expect("binary built")
}

/// `atpsim run SCENARIO --out OUT --quiet`, for more arguments to be added.
pub fn run_into(scenario: &Path, out: &Path) -> Command {
    let mut cmd = atpsim();
    cmd.arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(out)
        .arg("--quiet");
    cmd
}

/// `xmllint --noout --schema schema/junit.xsd FILE`.
pub fn xmllint(xml: &Path) -> std::process::Output {
    std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(repo("schema/junit.xsd"))
        .arg(xml)
        .output()
        .expect("xmllint runs")
}

pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("valid JSON")
}

pub fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

/// Two in-process backends on one SKU: the naive one oversells, the atomic
/// one cannot. 300 orders over 60 ms, five due each millisecond, so the
/// naive reads overlap in every run (spread thinner, its race was luck).
pub const RACE: &str = r#"
name = "race"
seed = 11
[[sku]]
id = "A"
stock = 20
[[phase]]
kind = "spread"
orders = 300
over = "60ms"
[[backend]]
kind = "memory-atomic"
[[backend]]
kind = "memory-naive"
rtt = "1ms"
"#;

/// Errors of `instance` against the shipped schema.
pub fn schema_errors(instance: &Value) -> Vec<String> {
    let schema = read_json(&repo("schema/run.schema.json"));
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    validator
        .iter_errors(instance)
        .map(|e| format!("at {}: {e}", e.instance_path.as_str()))
        .collect()
}

/// Whether `tool` runs (`tool ARGS`); when it does not, the test is skipped
/// with a printed reason, except under `CI=true`, where a missing tool is a
/// failure (`tests/common/mod.rs`): `.ci/run` installs every tool a test needs.
pub fn require_tool(tool: &str, args: &[&str], installed_by: &str) -> bool {
    let runs = std::process::Command::new(tool)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    let what = format!("{tool} ({installed_by})");
    crate::tools::require(runs.then_some(()), &what).is_some()
}
