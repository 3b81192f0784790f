//! The real binary: commands, exit codes, messages, and the trace CSV from
//! which anyone can recompute the audit.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

#[path = "common/interrupt.rs"]
mod interrupt;
use interrupt::interrupt_once_started;

fn atpsim() -> Command {
    Command::cargo_bin("atpsim").expect("binary built")
}

/// `atpsim run SCENARIO --out OUT`, for more arguments to be added.
fn run_into(scenario: &Path, out: &Path) -> Command {
    let mut cmd = atpsim();
    cmd.arg("run").arg(scenario).arg("--out").arg(out);
    cmd
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("run.json written"))
        .expect("valid JSON")
}

fn write_scenario(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("s.toml");
    std::fs::write(&path, body).unwrap();
    path
}

const SMALL: &str = r#"
name = "small"
seed = 7
[[sku]]
id = "A"
stock = 10
[[phase]]
kind = "instant"
orders = 50
[[backend]]
kind = "memory-atomic"
[[backend]]
kind = "sqlite-atomic"
"#;

/// An order as the trace tells it: (sku, qty, final outcome, attempts).
type TracedOrder = (String, u64, String, u64);

#[test]
fn flash_runs_and_its_trace_recomputes_the_audit() {
    let out = tempfile::tempdir().unwrap();
    let trace = out.path().join("trace.csv");
    let assert = run_into(&repo("scenarios/flash.toml"), out.path())
        .arg("--trace")
        .arg(&trace)
        .arg("--quiet")
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let run = read_json(&out.path().join("run.json"));
    assert!(out.path().join("summary.md").exists());

    let skus: HashMap<String, (u64, u64)> = run["scenario"]["effective"]["skus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let id = s["id"].as_str().unwrap().to_string();
            (
                id,
                (s["stock"].as_u64().unwrap(), s["buffer"].as_u64().unwrap()),
            )
        })
        .collect();
    let mut orders: HashMap<String, HashMap<u64, TracedOrder>> = HashMap::new();
    let file = std::fs::File::open(&trace).unwrap();
    let mut lines = BufReader::new(file).lines();
    assert_eq!(
        lines.next().unwrap().unwrap(),
        "order_id,sku,qty,intended_ns,sent_ns,completed_ns,outcome,attempt,backend"
    );
    for line in lines {
        let line = line.unwrap();
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 9, "{line}");
        let (intended, sent, done): (u64, u64, u64) = (
            f[3].parse().unwrap(),
            f[4].parse().unwrap(),
            f[5].parse().unwrap(),
        );
        assert!(sent <= done, "{line}");
        assert!(intended <= sent + 1_000_000, "sent before due: {line}");
        let attempt: u64 = f[7].parse().unwrap();
        let entry = orders
            .entry(f[8].to_string())
            .or_default()
            .entry(f[0].parse().unwrap())
            .or_insert((f[1].to_string(), f[2].parse().unwrap(), String::new(), 0));
        // Attempts of one order arrive in order; the last is its outcome.
        assert_eq!(attempt, entry.3 + 1, "{line}");
        entry.2 = f[6].to_string();
        entry.3 = attempt;
    }

    let backends = run["backends"].as_array().unwrap();
    assert_eq!(backends.len(), 7);
    for b in backends {
        let name = b["name"].as_str().unwrap();
        assert!(stdout.contains(name), "table lists {name}");
        let orders = &orders[name];
        let count = |outcome: &str| orders.values().filter(|o| o.2 == outcome).count() as u64;
        assert_eq!(
            b["orders"]["offered"].as_u64().unwrap(),
            orders.len() as u64,
            "{name}"
        );
        for outcome in ["granted", "sold_out", "conflict", "error", "unknown"] {
            assert_eq!(
                b["orders"][outcome].as_u64().unwrap(),
                count(outcome),
                "{name} {outcome}"
            );
        }
        let retries: u64 = orders.values().map(|o| o.3 - 1).sum();
        assert_eq!(b["orders"]["retries"].as_u64().unwrap(), retries, "{name}");
        let mut committed: HashMap<&str, u64> = HashMap::new();
        let mut unknown: HashMap<&str, u64> = HashMap::new();
        for (sku, qty, outcome, _) in orders.values() {
            match outcome.as_str() {
                "granted" => *committed.entry(sku).or_default() += qty,
                "unknown" => *unknown.entry(sku).or_default() += qty,
                _ => {}
            }
        }
        let over = |extra: &HashMap<&str, u64>| -> u64 {
            skus.iter()
                .map(|(id, (stock, buffer))| {
                    let c = committed.get(id.as_str()).copied().unwrap_or(0)
                        + extra.get(id.as_str()).copied().unwrap_or(0);
                    c.saturating_sub(stock + buffer)
                })
                .sum()
        };
        let units = &b["units"];
        assert_eq!(
            units["granted"].as_u64().unwrap(),
            committed.values().sum::<u64>(),
            "{name}"
        );
        assert_eq!(
            units["unknown"].as_u64().unwrap(),
            unknown.values().sum::<u64>(),
            "{name}"
        );
        assert_eq!(
            units["oversold"].as_u64().unwrap(),
            over(&HashMap::new()),
            "{name}"
        );
        let with_unknown: HashMap<&str, u64> = skus
            .keys()
            .map(|id| (id.as_str(), unknown.get(id.as_str()).copied().unwrap_or(0)))
            .collect();
        assert_eq!(
            units["oversold_possible"].as_u64().unwrap(),
            over(&with_unknown),
            "{name}"
        );
    }

    // The product's claim: naive oversells the hot SKU, the rest sell exactly its stock.
    for b in backends {
        let name = b["name"].as_str().unwrap();
        let hot = &b["skus"][0];
        assert_eq!(hot["id"], "HOT");
        if name.ends_with("naive") {
            assert!(
                b["units"]["oversold"].as_u64().unwrap() > 0,
                "{name} should oversell"
            );
        } else {
            assert_eq!(b["units"]["oversold"], 0, "{name}");
            assert_eq!(hot["granted"], 100, "{name}");
        }
    }
}

#[test]
fn validate_prints_the_plan_without_running() {
    let assert = atpsim()
        .arg("validate")
        .arg(repo("scenarios/flash.toml"))
        .assert()
        .code(0);
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(out.contains("schedule hash: "), "{out}");
    assert!(out.contains("doors-open"), "{out}");
    assert!(out.contains("1500 orders"), "{out}");
}

#[test]
fn a_bad_scenario_exits_2_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let bad = SMALL.replace("orders = 50", "orders = 50\nrate = 3");
    let path = write_scenario(dir.path(), &bad);
    let out = dir.path().join("out");
    let assert = run_into(&path, &out).assert().code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("s.toml:10:1: `phase[0].rate`"), "{err}");
    assert!(err.contains("rate"), "{err}");
    assert!(!out.exists(), "nothing is written for bad input");
}

#[test]
fn a_missing_scenario_file_exits_2() {
    let assert = atpsim()
        .args(["validate", "no/such/file.toml"])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("no/such/file.toml"), "{err}");
}

#[test]
fn a_bad_flag_exits_2() {
    atpsim().args(["run", "--no-such-flag"]).assert().code(2);
}

#[test]
fn an_unwritable_output_directory_exits_2_before_running() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(dir.path(), SMALL);
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let assert = run_into(&path, &blocker.join("sub")).assert().code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("cannot use"), "{err}");
}

#[test]
fn a_backend_that_cannot_be_set_up_exits_3_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(dir.path(), SMALL);
    let out = dir.path().join("out");
    // SQLite keeps its database in a temporary directory: make that impossible.
    let assert = run_into(&path, &out)
        .env("TMPDIR", dir.path().join("missing"))
        .assert()
        .code(3);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("backend sqlite-atomic"), "{err}");
    assert!(
        !out.join("run.json").exists(),
        "checked before anything ran"
    );
}

/// Run `scenario` (its first backend memory-atomic), send SIGINT `after` the
/// run has started (the binary says so on stderr), and return its `run.json`
/// once it has exited 130 and marked the results interrupted.
fn interrupted_run(dir: &Path, scenario: &str, after: std::time::Duration) -> serde_json::Value {
    let path = write_scenario(dir, scenario);
    let out = dir.join("out");
    let code = interrupt_once_started(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("atpsim"))
            .arg("run")
            .arg(&path)
            .arg("--out")
            .arg(&out),
        "running memory-atomic",
        after,
    );
    assert_eq!(code, Some(130));
    let run = read_json(&out.join("run.json"));
    assert_eq!(run["interrupted"], true);
    run
}

#[test]
fn sigint_stops_the_run_and_keeps_what_was_measured() {
    let dir = tempfile::tempdir().unwrap();
    let long = r#"
name = "long"
seed = 3
[[sku]]
id = "A"
stock = 1000000
[[phase]]
kind = "constant"
rate = 200
duration = "60s"
[[backend]]
kind = "memory-atomic"
[[backend]]
kind = "memory-lock"
"#;
    let run = interrupted_run(dir.path(), long, std::time::Duration::ZERO);
    let backends = run["backends"].as_array().unwrap();
    assert_eq!(backends.len(), 1, "the second backend never started");
    assert_eq!(backends[0]["cut_short"], true, "the one cut short says so");
    let offered = backends[0]["orders"]["offered"].as_u64().unwrap();
    assert!(offered < 12_000, "stopped early: {offered}");
    assert_eq!(backends[0]["units"]["oversold"], 0);
}

#[test]
fn sigint_stops_a_burst_on_an_in_process_store() {
    // Answers from an in-process store are ready at once, so its clients
    // never wait on anything; they must still hand the thread back now and
    // then, or the signal is only seen when the burst is over.
    let dir = tempfile::tempdir().unwrap();
    let burst = r#"
name = "burst"
seed = 3
[[sku]]
id = "A"
stock = 9007199254740991
[[phase]]
kind = "instant"
orders = 20000000
[[backend]]
kind = "memory-atomic"
rtt = "0ms"
"#;
    let run = interrupted_run(dir.path(), burst, std::time::Duration::from_millis(200));
    let orders = &run["backends"][0]["orders"];
    let offered = orders["offered"].as_u64().unwrap();
    assert!(
        offered < 10_000_000,
        "the burst ran on: {offered} of 20,000,000"
    );
    assert_eq!(orders["granted"].as_u64().unwrap(), offered);
}

/// Peak resident memory of a finished child, in MB, from the kernel's own count.
#[allow(clippy::zombie_processes)] // reaped by `wait4` below, which also reports its memory
fn run_and_measure_peak_rss_mb(cmd: &mut std::process::Command) -> (i32, f64) {
    let child = cmd.spawn().unwrap();
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value for `wait4` to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, which nothing else reaps.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    (libc::WEXITSTATUS(status), usage.ru_maxrss as f64 / 1024.0)
}

#[test]
fn the_window_cap_keeps_memory_within_budget() {
    // 2,000 windows (the cap; 1 ms asked for, widened), every one busy, a
    // thousand SKUs with the hottest in every window: the most window state a
    // scenario can hold.
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(
        dir.path(),
        r#"
name = "wincap"
seed = 1
window = "1ms"
[catalogue]
hot = { stock = 1000000 }
long_tail = { count = 999, stock = 1000000 }
[[phase]]
kind = "constant"
rate = 20000
duration = "4s"
skus = { pick = "zipf", exponent = 1.0 }
[[backend]]
kind = "memory-atomic"
"#,
    );
    let out = dir.path().join("out");
    let (code, peak_mb) = run_and_measure_peak_rss_mb(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("atpsim"))
            .arg("run")
            .arg(&path)
            .arg("--out")
            .arg(&out)
            .arg("--quiet")
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    assert_eq!(code, 0);
    let run = read_json(&out.join("run.json"));
    assert_eq!(
        run["backends"][0]["windows"].as_array().unwrap().len(),
        2000
    );
    assert!(
        peak_mb < 256.0,
        "peak RSS {peak_mb:.0} MB over the 256 MB budget"
    );
}

#[test]
fn a_bad_trace_path_exits_2_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(dir.path(), SMALL);
    let out = dir.path().join("out/nested");
    let assert = run_into(&path, &out)
        .arg("--trace")
        .arg(dir.path().join("missing/trace.csv"))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("missing/trace.csv"), "{err}");
    assert!(
        !dir.path().join("out").exists(),
        "directories it created are gone"
    );
}

#[test]
fn a_trace_over_the_scenario_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(dir.path(), SMALL);
    run_into(&path, &dir.path().join("out"))
        .arg("--trace")
        .arg(&path)
        .assert()
        .code(2);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        SMALL,
        "scenario untouched"
    );
    // Under another name too: a hard link is the same file.
    let link = dir.path().join("link.toml");
    std::fs::hard_link(&path, &link).unwrap();
    run_into(&path, &dir.path().join("out2"))
        .arg("--trace")
        .arg(&link)
        .assert()
        .code(2);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), SMALL);
}

#[test]
fn a_trace_over_a_file_the_scenario_reads_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let script = "return 1\n";
    std::fs::write(dir.path().join("reserve.lua"), script).unwrap();
    // Refused before any server is asked: the port is closed.
    let body = SMALL.replace(
        "kind = \"memory-atomic\"",
        "kind = \"redis-custom\"\nurl = \"redis://127.0.0.1:1/0\"\nreserve = \"reserve.lua\"",
    );
    assert_ne!(body, SMALL);
    let path = write_scenario(dir.path(), &body);
    let out = run_into(&path, &dir.path().join("out"))
        .arg("--trace")
        .arg(dir.path().join("reserve.lua"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("a file the scenario reads"), "{stderr}");
    let left = std::fs::read_to_string(dir.path().join("reserve.lua")).unwrap();
    assert_eq!(left, script, "script untouched");
}

#[test]
fn earlier_results_are_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_scenario(dir.path(), SMALL);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("run.json"), "earlier").unwrap();
    let assert = run_into(&path, &out).assert().code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("already holds a run.json"), "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("run.json")).unwrap(),
        "earlier"
    );
}

#[test]
fn an_unreachable_server_exits_3_naming_it_with_the_password_redacted() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens there, so the connect fails at once.
    for (kind, url) in [
        (
            "postgres-atomic",
            "postgres://shop:hunter2@127.0.0.1:1/test",
        ),
        ("mysql-atomic", "mysql://shop:hunter2@127.0.0.1:1/test"),
        ("redis-lua", "redis://shop:hunter2@127.0.0.1:1/0"),
    ] {
        let body = SMALL.replace(
            "kind = \"sqlite-atomic\"",
            &format!("kind = \"{kind}\"\nurl = \"{url}\""),
        );
        let path = write_scenario(dir.path(), &body);
        let out = dir.path().join(format!("out-{kind}"));
        let assert = run_into(&path, &out).assert().code(3);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(err.contains(&format!("backend {kind}")), "{err}");
        assert!(err.contains("shop:redacted@127.0.0.1:1"), "{err}");
        assert!(!err.contains("hunter2"), "the password leaked: {err}");
        assert!(
            !out.join("run.json").exists(),
            "checked before anything ran"
        );
    }
}

/// Output to a closed pipe (`atpsim run … 2>&1 | head -1`) is dropped, not
/// a panic: the run goes on and writes every result.
#[test]
fn a_closed_stdout_and_stderr_do_not_stop_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("atpsim"))
        .arg("run")
        .arg(repo("tests/data/minimal.toml"))
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading ends before the binary writes anything.
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{status:?}");
    let run = read_json(&out.join("run.json"));
    assert!(run["backends"][0]["orders"]["offered"].as_u64().unwrap() > 0);
}
