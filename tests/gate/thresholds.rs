//! Thresholds from the scenario and the command line on the real binary.

use super::common::*;

#[test]
fn a_failing_threshold_exits_1_after_writing_every_result() {
    let _one = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{RACE}\n[[threshold]]\nchecks = [\"units.oversold == 0\", \"peak.latency_us.p99 < 10s\"]\n"
    );
    let scenario = write(dir.path(), "race.toml", &body);
    let out = dir.path().join("out");
    let assert = run_into(&scenario, &out)
        .args(["--threshold", "memory-atomic: units.lost_updates == 0"])
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(
        stdout.contains("FAIL  memory-naive   units.oversold == 0"),
        "{stdout}"
    );
    assert!(out.join("summary.md").exists());
    let run = read_json(&out.join("run.json"));
    assert_eq!(run["backends"].as_array().unwrap().len(), 2);
    let errors = schema_errors(&run);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let verdicts = run["thresholds"].as_array().unwrap();
    // Two scenario checks on two backends, then one command-line check.
    assert_eq!(verdicts.len(), 5, "{verdicts:#?}");
    let find = |backend: &str, expression: &str| {
        verdicts
            .iter()
            .find(|v| v["backend"] == backend && v["expression"] == expression)
            .unwrap_or_else(|| panic!("no verdict for {backend} {expression}"))
    };
    let naive = find("memory-naive", "units.oversold == 0");
    assert_eq!(naive["passed"], false);
    assert_eq!(
        naive["measured"].as_f64().unwrap(),
        run["backends"][1]["units"]["oversold"].as_f64().unwrap()
    );
    assert!(naive["measured"].as_f64().unwrap() > 0.0);
    assert_eq!(find("memory-atomic", "units.oversold == 0")["passed"], true);
    let peak = find("memory-atomic", "peak.latency_us.p99 < 10s");
    assert_eq!(
        (peak["limit"].as_f64(), &peak["unit"]),
        (Some(1e7), &serde_json::json!("microseconds"))
    );
    assert_eq!(
        find("memory-atomic", "units.lost_updates == 0")["passed"],
        true
    );
}

#[test]
fn passing_thresholds_exit_0() {
    let _one = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "race.toml", RACE);
    let out = dir.path().join("out");
    run_into(&scenario, &out)
        .args(["--threshold", "*-atomic: units.oversold == 0"])
        .args(["--threshold", "orders.error / orders.offered <= 1%"])
        .assert()
        .code(0);
    let run = read_json(&out.join("run.json"));
    assert_eq!(run["thresholds"].as_array().unwrap().len(), 3);
}

#[test]
fn a_metric_typo_exits_2_naming_it_and_its_close_matches() {
    let _one = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let body = format!("{RACE}\n[[threshold]]\nchecks = [\"units.oversold == 0\", \"peak.latency_us.p99 < 50ms\", \"units.oversould == 0\"]\n");
    let scenario = write(dir.path(), "race.toml", &body);
    let out = dir.path().join("out");
    let assert = atpsim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    let line = body
        .lines()
        .position(|l| l.contains("units.oversould"))
        .unwrap()
        + 1;
    let column = body
        .lines()
        .nth(line - 1)
        .unwrap()
        .find("units.oversould")
        .unwrap()
        + 1;
    assert!(
        stderr.contains(&format!(
            "race.toml:{line}:{column}: `threshold[0].checks[2]`: unknown metric `units.oversould`"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `units.oversold`"), "{stderr}");
    assert!(!out.exists(), "nothing is written on exit 2");

    // The same on the command line, and from `validate`.
    let scenario = write(dir.path(), "plain.toml", RACE);
    let assert = atpsim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(&out)
        .args(["--threshold", "memory-*: peak.latency_us.p90x < 1s"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("unknown metric `peak.latency_us.p90x`"),
        "{stderr}"
    );
    assert!(stderr.contains("`peak.latency_us.p90`"), "{stderr}");
    assert!(!out.exists());
    let bad = write(dir.path(), "bad.toml", &body);
    atpsim().arg("validate").arg(&bad).assert().code(2);
}

#[test]
fn a_selector_that_matches_nothing_exits_2() {
    let _one = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "race.toml", RACE);
    let assert = atpsim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.path().join("out"))
        .args(["--threshold", "postgres-*: units.oversold == 0"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        stderr.contains("\"postgres-*\" matches no backend"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\"memory-atomic\", \"memory-naive\""),
        "{stderr}"
    );
    let body = format!(
        "{RACE}\n[[threshold]]\nbackends = \"redis-*\"\nchecks = [\"units.oversold == 0\"]\n"
    );
    let scenario = write(dir.path(), "sel.toml", &body);
    let assert = atpsim().arg("validate").arg(&scenario).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("`threshold[0].backends`"), "{stderr}");
}

#[test]
fn a_backend_that_failed_on_every_order_never_passes_oversold_zero() {
    let _one = exclusive();
    // Every attempt times out (1 ms timeout, 50 ms round trip): nothing is
    // granted, so nothing is oversold, and the figures prove nothing.
    let dir = tempfile::tempdir().unwrap();
    let body = r#"
name = "dead"
seed = 1
timeout = "1ms"
[[sku]]
id = "A"
stock = 5
[[phase]]
kind = "instant"
orders = 50
[[backend]]
kind = "memory-atomic"
rtt = "50ms"
[[threshold]]
checks = ["units.oversold == 0"]
max_failed = "1%"
"#;
    let scenario = write(dir.path(), "dead.toml", body);
    let out = dir.path().join("out");
    run_into(&scenario, &out).assert().code(1);
    let run = read_json(&out.join("run.json"));
    let b = &run["backends"][0];
    assert_eq!(
        b["orders"]["unknown"], b["orders"]["offered"],
        "every order timed out"
    );
    assert_eq!(b["units"]["oversold"], 0);
    let v = &run["thresholds"][0];
    assert_eq!(v["passed"], false);
    assert!(
        v["reason"].as_str().unwrap().contains("invalid for gating"),
        "{v}"
    );
}

#[test]
fn repeat_gates_on_the_worst_repetition_and_keeps_each_ones_figures() {
    let _one = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "race.toml", RACE);
    let out = dir.path().join("out");
    let assert = run_into(&scenario, &out)
        .args(["--repeat", "3"])
        .args(["--threshold", "units.oversold == 0"])
        .args(["--threshold", "memory-atomic: throughput_per_s > 1"])
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("spread over 3 repetitions"), "{stdout}");
    let run = read_json(&out.join("run.json"));
    let errors = schema_errors(&run);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let repeats = run["repeats"].as_array().unwrap();
    assert_eq!(repeats.len(), 6, "three repetitions of two backends");
    let figures = |backend: &str, path: &str| -> Vec<f64> {
        repeats
            .iter()
            .filter(|r| r["backend"] == backend)
            .map(|r| r["figures"][path].as_f64().unwrap())
            .collect()
    };
    let verdict = |backend: &str, expression: &str| {
        run["thresholds"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["backend"] == backend && v["expression"] == expression)
            .unwrap()
            .clone()
    };
    // Oversell: the largest of the three; throughput: the smallest.
    let oversold = figures("memory-naive", "units.oversold");
    let v = verdict("memory-naive", "units.oversold == 0");
    assert_eq!(
        v["measured"].as_f64().unwrap(),
        oversold.iter().copied().fold(0.0, f64::max)
    );
    let k = v["repeat"].as_u64().unwrap() as usize;
    assert_eq!(oversold[k], v["measured"].as_f64().unwrap());
    let throughput = figures("memory-atomic", "throughput_per_s");
    let v = verdict("memory-atomic", "throughput_per_s > 1");
    assert_eq!(
        v["measured"].as_f64().unwrap(),
        throughput.iter().copied().fold(f64::MAX, f64::min)
    );

    atpsim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.path().join("never"))
        .args(["--repeat", "2", "--trace"])
        .arg(dir.path().join("t.csv"))
        .assert()
        .code(2);
    atpsim()
        .arg("run")
        .arg(&scenario)
        .args(["--repeat", "0"])
        .assert()
        .code(2);
}
