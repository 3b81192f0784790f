//! The files CI reads: JUnit XML (checked by xmllint against
//! schema/junit.xsd), Markdown and the GitHub step summary.

use super::common::*;

#[test]
fn junit_has_a_case_per_backend_and_threshold_and_validates() {
    let _one = exclusive();
    if !require_tool("xmllint", &["--version"], ".ci/run installs libxml2-utils") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "race.toml", RACE);
    let junit = dir.path().join("junit.xml");
    run_into(&scenario, &dir.path().join("out"))
        .args(["--threshold", "units.oversold == 0"])
        .args(["--threshold", "memory-atomic: peak.latency_us.p99 < 10s"])
        .arg("--junit")
        .arg(&junit)
        .assert()
        .code(1);
    let lint = xmllint(&junit);
    assert!(
        lint.status.success(),
        "{}",
        String::from_utf8_lossy(&lint.stderr)
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    let run = read_json(&dir.path().join("out/run.json"));
    let oversold = run["backends"][1]["units"]["oversold"].as_u64().unwrap();
    assert!(
        xml.contains("<testsuites name=\"atpsim race\" tests=\"3\" failures=\"1\""),
        "{xml}"
    );
    assert_eq!(xml.matches("<testsuite ").count(), 2);
    assert_eq!(xml.matches("<testcase ").count(), 3);
    assert_eq!(xml.matches("<failure ").count(), 1);
    assert!(
        xml.contains(&format!(
            "message=\"units.oversold == 0: measured {oversold}\""
        )),
        "the failure carries the measured value: {xml}"
    );
    assert!(
        xml.contains("name=\"peak.latency_us.p99 &lt; 10s\""),
        "{xml}"
    );

    // The schema is not a rubber stamp: it refuses a case without a name,
    // and a count that is not a number.
    for broken in [
        xml.replacen(
            "name=\"units.oversold == 0\"",
            "label=\"units.oversold == 0\"",
            1,
        ),
        xml.replacen("tests=\"3\"", "tests=\"three\"", 1),
    ] {
        assert_ne!(broken, xml);
        let bad = write(dir.path(), "broken.xml", &broken);
        assert!(
            !xmllint(&bad).status.success(),
            "a broken file validated:\n{broken}"
        );
    }
}

#[test]
fn markdown_goes_to_the_file_and_is_appended_to_the_step_summary() {
    let _one = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "race.toml", RACE);
    let markdown = dir.path().join("gate.md");
    let step = write(dir.path(), "step.md", "earlier step\n");
    run_into(&scenario, &dir.path().join("out"))
        .args(["--threshold", "units.oversold == 0"])
        .arg("--markdown")
        .arg(&markdown)
        .env("GITHUB_STEP_SUMMARY", &step)
        .assert()
        .code(1);
    let md = std::fs::read_to_string(&markdown).unwrap();
    assert!(md.contains("## Thresholds"), "{md}");
    assert!(
        md.contains("| ❌ FAIL | memory-naive | `units.oversold == 0` |"),
        "{md}"
    );
    assert!(
        md.contains("| ✅ pass | memory-atomic | `units.oversold == 0` | 0 |"),
        "{md}"
    );
    let summary = std::fs::read_to_string(dir.path().join("out/summary.md")).unwrap();
    assert_eq!(md, summary, "--markdown writes what summary.md holds");
    let appended = std::fs::read_to_string(&step).unwrap();
    assert_eq!(appended, format!("earlier step\n{md}"));
}

#[test]
fn an_output_path_that_cannot_be_written_is_refused_before_the_run() {
    let _one = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "race.toml", RACE);
    let out = dir.path().join("out");
    let assert = atpsim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .arg("--junit")
        .arg(dir.path().join("missing/junit.xml"))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("missing/junit.xml"), "{stderr}");
    assert!(stderr.contains("directory does not exist"), "{stderr}");
    assert!(!out.exists());
}
