//! The README's CI examples ("Gate CI on oversell"), run as written: the
//! commands of the GitHub Actions job and of the GitLab CI job are taken
//! from the page, run in a scratch copy of the repository, and every file
//! the jobs publish must then exist.

use super::common::*;
use std::path::Path;

/// The fenced `yaml` blocks of the README's "Gate CI on oversell" section.
fn ci_examples() -> Vec<String> {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let start = readme
        .find("\n## Gate CI on oversell\n")
        .expect("README.md has a section \"Gate CI on oversell\"");
    let section = &readme[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    section
        .split("```yaml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap().to_string())
        .collect()
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The values of `key:` in `yaml`: a plain scalar, a `|` block, or a list.
fn values(yaml: &str, key: &str) -> Vec<String> {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start().trim_start_matches("- ");
        let Some(rest) = trimmed.strip_prefix(&format!("{key}:")) else {
            continue;
        };
        let rest = rest.trim();
        if !rest.is_empty() && rest != "|" {
            out.push(rest.to_string());
            continue;
        }
        // A block or a list: the following lines indented deeper.
        for next in &lines[i + 1..] {
            if next.trim().is_empty() || indent(next) <= indent(line) {
                break;
            }
            out.push(next.trim().trim_start_matches("- ").to_string());
        }
    }
    out
}

/// Runs `commands` in a scratch copy of the scenarios, with the test
/// suite's binary in place of the release build; returns the scratch dir.
fn run_job(job: &str, commands: &[String], step_summary: Option<&Path>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    std::fs::copy(
        repo("scenarios/ci-gate.toml"),
        dir.path().join("scenarios/ci-gate.toml"),
    )
    .unwrap();
    let binary = env!("CARGO_BIN_EXE_atpsim");
    let mut ran = 0;
    for command in commands {
        if command.starts_with("cargo build --release") {
            continue; // the suite built the binary already
        }
        assert!(
            command.contains("./target/release/atpsim run scenarios/ci-gate.toml"),
            "{job}: an unexpected command in the README: {command}"
        );
        let command = command.replace("./target/release/atpsim", binary);
        let mut sh = std::process::Command::new("sh");
        sh.arg("-c").arg(&command).current_dir(dir.path());
        sh.env_remove("GITHUB_STEP_SUMMARY");
        if let Some(path) = step_summary {
            sh.env("GITHUB_STEP_SUMMARY", path);
        }
        let output = sh.output().unwrap();
        assert!(
            output.status.success(),
            "{job}: `{command}` exited with {:?}\nstdout:\n{}\nstderr:\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        ran += 1;
    }
    assert_eq!(ran, 1, "{job}: one gating command");
    dir
}

/// Every published path exists; the results directory holds one run.
fn check_published(job: &str, dir: &Path, paths: &[String]) {
    assert!(!paths.is_empty(), "{job} publishes nothing");
    for p in paths {
        let path = dir.join(p);
        assert!(
            path.exists(),
            "{job} publishes {p}, which the run did not write"
        );
    }
    let runs: Vec<_> = std::fs::read_dir(dir.join("results/ci-gate"))
        .unwrap()
        .collect();
    assert_eq!(runs.len(), 1, "{job}: one run under results/ci-gate");
    let run_dir = runs.into_iter().next().unwrap().unwrap().path();
    let run = read_json(&run_dir.join("run.json"));
    let verdicts = run["thresholds"].as_array().unwrap();
    assert!(!verdicts.is_empty());
    assert!(
        verdicts.iter().all(|v| v["passed"] == true),
        "{job}: {verdicts:#?}"
    );
}

fn check_junit(job: &str, path: &Path) {
    let xml = std::fs::read_to_string(path).unwrap();
    assert!(xml.contains("<testcase "), "{job}: {xml}");
    if require_tool("xmllint", &["--version"], ".ci/run installs libxml2-utils") {
        let lint = xmllint(path);
        assert!(
            lint.status.success(),
            "{job}: {}",
            String::from_utf8_lossy(&lint.stderr)
        );
    }
}

#[test]
fn the_github_actions_job_runs_and_publishes_what_it_names() {
    let _one = exclusive();
    let examples = ci_examples();
    let github = examples
        .iter()
        .find(|b| b.contains("runs-on:"))
        .expect("a GitHub Actions example");
    let commands = values(github, "run");
    assert!(commands
        .iter()
        .any(|c| c.starts_with("cargo build --release")));
    let step = tempfile::NamedTempFile::new().unwrap();
    let dir = run_job("GitHub Actions", &commands, Some(step.path()));
    let junit = values(github, "report_paths");
    assert_eq!(junit.len(), 1);
    check_junit("GitHub Actions", &dir.path().join(&junit[0]));
    check_published("GitHub Actions", dir.path(), &values(github, "path"));
    let summary = std::fs::read_to_string(step.path()).unwrap();
    assert!(
        summary.contains("## Thresholds"),
        "the step summary: {summary}"
    );
}

#[test]
fn the_gitlab_job_runs_and_publishes_what_it_names() {
    let _one = exclusive();
    let examples = ci_examples();
    let gitlab = examples
        .iter()
        .find(|b| b.contains("script:"))
        .expect("a GitLab CI example");
    let commands = values(gitlab, "script");
    assert!(commands
        .iter()
        .any(|c| c.starts_with("cargo build --release")));
    let dir = run_job("GitLab CI", &commands, None);
    let junit = values(gitlab, "junit");
    assert_eq!(junit.len(), 1);
    check_junit("GitLab CI", &dir.path().join(&junit[0]));
    check_published("GitLab CI", dir.path(), &values(gitlab, "paths"));
}
