//! The results directory's `windows.csv` and `<backend>.hlog` files.

use super::common::*;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use serde_json::Value;
use std::path::Path;

fn race_run(dir: &Path) -> (std::path::PathBuf, Value) {
    let scenario = write(dir, "race.toml", RACE);
    let out = dir.join("out");
    run_into(&scenario, &out).assert().code(0);
    let run = read_json(&out.join("run.json"));
    (out, run)
}

#[test]
fn windows_csv_repeats_every_window_of_run_json() {
    let _one = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let (out, run) = race_run(dir.path());
    let csv = std::fs::read_to_string(out.join("windows.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let windows: Vec<(&str, &Value)> = run["backends"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| {
            let name = b["name"].as_str().unwrap();
            b["windows"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |w| (name, w))
        })
        .collect();
    assert!(!windows.is_empty());
    assert_eq!(rows.len(), windows.len());
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    for (row, (backend, w)) in rows.iter().zip(&windows) {
        assert_eq!(row.len(), header.len());
        assert_eq!(row[col("backend")], *backend);
        assert_eq!(
            row[col("index")].parse::<u64>().unwrap(),
            w["index"].as_u64().unwrap()
        );
        assert_eq!(
            row[col("offered")].parse::<u64>().unwrap(),
            w["orders"]["offered"].as_u64().unwrap()
        );
        assert_eq!(
            row[col("oversold_at_grant")].parse::<u64>().unwrap(),
            w["units"]["oversold_at_grant"].as_u64().unwrap()
        );
        assert_eq!(
            row[col("p99_us")].parse::<f64>().unwrap(),
            w["latency_us"]["p99"].as_f64().unwrap()
        );
    }
}

/// The p99 of run.json (microseconds, capped at the exact maximum) against
/// a decoded p99 in nanoseconds: equal within the histogram's three
/// significant digits.
fn close(run_us: f64, decoded_ns: f64) -> bool {
    let decoded_us = decoded_ns / 1000.0;
    (decoded_us - run_us).abs() <= run_us.max(decoded_us) * 1e-3 + 1e-3
}

#[test]
fn each_backend_has_an_hlog_with_the_run_json_percentiles() {
    let _one = exclusive();
    let dir = tempfile::tempdir().unwrap();
    let (out, run) = race_run(dir.path());
    for b in run["backends"].as_array().unwrap() {
        let name = b["name"].as_str().unwrap();
        let path = out.join(format!("{name}.hlog"));
        let log = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(String::from_utf8_lossy(&log).contains("latency in nanoseconds"));
        let intervals: Vec<_> = IntervalLogIterator::new(&log)
            .filter_map(|e| match e.expect("a well-formed log") {
                LogEntry::Interval(i) => Some(i),
                _ => None,
            })
            .collect();
        assert_eq!(intervals.len(), 1, "{name}");
        let i = &intervals[0];
        assert_eq!(i.tag().map(|t| t.as_str()), Some(name));
        let bytes = base64_decode(i.encoded_histogram());
        let h: hdrhistogram::Histogram<u64> = hdrhistogram::serialization::Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .unwrap();
        assert_eq!(
            h.len(),
            b["orders"]["offered"].as_u64().unwrap(),
            "{name}: one value per order"
        );
        for (q, key) in [(0.5, "p50"), (0.99, "p99")] {
            let run_us = b["latency_us"][key].as_f64().unwrap();
            assert!(
                close(run_us, h.value_at_quantile(q) as f64),
                "{name} {key}: {run_us} vs {}",
                h.value_at_quantile(q)
            );
        }
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64")
}

#[test]
fn an_independent_implementation_reads_the_same_percentiles_from_the_hlog() {
    let _one = exclusive();
    if !require_tool(
        "python3",
        &["-c", "import hdrh.log"],
        ".ci/run installs the PyPI package hdrhistogram",
    ) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (out, run) = race_run(dir.path());
    for b in run["backends"].as_array().unwrap() {
        let name = b["name"].as_str().unwrap();
        let output = std::process::Command::new("python3")
            .arg(repo("tests/gate/hlog_percentiles.py"))
            .arg(out.join(format!("{name}.hlog")))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let decoded: Value = serde_json::from_slice(&output.stdout).unwrap();
        let d = &decoded[name];
        assert_eq!(
            d["count"].as_u64(),
            b["orders"]["offered"].as_u64(),
            "{name}: {decoded}"
        );
        for key in ["p50", "p90", "p99", "p999"] {
            let run_us = b["latency_us"][key].as_f64().unwrap();
            let py_ns = d[key].as_f64().unwrap();
            assert!(
                close(run_us, py_ns),
                "{name} {key}: run.json {run_us} µs, HdrHistogram_py {py_ns} ns"
            );
        }
        assert!(
            close(
                b["latency_us"]["max"].as_f64().unwrap(),
                d["max"].as_f64().unwrap()
            ),
            "{name} max: {decoded}"
        );
    }
}
