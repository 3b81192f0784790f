//! `atpsim sweep` with the real binary: one record per backend × point,
//! the files, the schema, refusals before anything runs, an interrupt, and
//! against PostgreSQL the refused and the skipped point.

#[allow(dead_code)]
#[path = "sql/common.rs"]
mod common;
#[path = "common/interrupt.rs"]
mod interrupt;
use interrupt::interrupt_once_started;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn atpsim() -> Command {
    Command::cargo_bin("atpsim").expect("binary built")
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn write_scenario(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("s.toml");
    std::fs::write(&path, body).unwrap();
    path
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("valid JSON")
}

/// A closed-loop hammer on one SKU that never sells out.
const CLOSED: &str = r#"
name = "tiny-sweep"
seed = 3
concurrency = 2
[[sku]]
id = "HOT"
stock = 9007199254740991
[[phase]]
name = "hammer"
kind = "closed"
clients = 2
duration = "300ms"
skus = { pick = "one", sku = "HOT" }
[[backend]]
kind = "memory-atomic"
rtt = "1ms"
[[backend]]
kind = "memory-naive"
rtt = "1ms"
"#;

/// sweep.schema.json with its references into run.schema.json resolved
/// in place: run.schema.json's definitions merged in under their own names.
fn sweep_schema() -> Value {
    let mut sweep = read_json(&repo("schema/sweep.schema.json"));
    let run = read_json(&repo("schema/run.schema.json"));
    let text = serde_json::to_string(&sweep)
        .unwrap()
        .replace("run.schema.json#/$defs/", "#/$defs/");
    sweep = serde_json::from_str(&text).unwrap();
    let defs = sweep["$defs"].as_object_mut().unwrap();
    for (name, def) in run["$defs"].as_object().unwrap() {
        assert!(
            defs.insert(name.clone(), def.clone()).is_none(),
            "{name} is defined in both schemas"
        );
    }
    sweep
}

fn schema_errors(instance: &Value) -> Vec<String> {
    let schema = sweep_schema();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    validator
        .iter_errors(instance)
        .map(|e| format!("  at {:?}: {e}", e.instance_path.as_str()))
        .collect()
}

#[test]
fn a_concurrency_sweep_runs_every_backend_at_every_point() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), CLOSED);
    let out = dir.path().join("out");
    let assert = atpsim()
        .arg("sweep")
        .arg(&scenario)
        .args(["--concurrency", "4,1"])
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .assert()
        .code(0);
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(
        stdout.contains("memory-atomic") && stdout.contains("knee"),
        "{stdout}"
    );
    for file in ["sweep.json", "sweep.md", "sweep.svg", "sweep.png"] {
        assert!(out.join(file).is_file(), "{file} missing");
    }
    let sweep = read_json(&out.join("sweep.json"));
    assert_eq!(sweep["axis"], "concurrency");
    assert_eq!(sweep["points"], serde_json::json!([1, 4]));
    assert_eq!(sweep["interrupted"], false);
    let records = sweep["records"].as_array().unwrap();
    assert_eq!(records.len(), 4, "2 backends × 2 points");
    let mut seen = Vec::new();
    for r in records {
        assert_eq!(r["status"], "ran", "{r}");
        let point = r["point"].as_u64().unwrap();
        assert_eq!(
            r["clients"].as_u64().unwrap(),
            point,
            "closed clients = point"
        );
        let summary = &r["summary"];
        assert!(summary["throughput_per_s"].as_f64().unwrap() > 0.0, "{r}");
        assert_eq!(summary["name"], r["backend"]);
        if r["backend"] == "memory-atomic" {
            assert_eq!(summary["units"]["oversold"], 0);
        }
        seen.push((r["backend"].as_str().unwrap().to_string(), point));
    }
    assert_eq!(
        seen,
        [
            ("memory-atomic".to_string(), 1),
            ("memory-naive".to_string(), 1),
            ("memory-atomic".to_string(), 4),
            ("memory-naive".to_string(), 4)
        ]
    );
    // Different points offer different schedules.
    assert_ne!(records[0]["schedule_hash"], records[2]["schedule_hash"]);
    assert_eq!(sweep["knees"].as_array().unwrap().len(), 2);
    let errors = schema_errors(&sweep);
    assert!(
        errors.is_empty(),
        "sweep.json fails the schema:\n{}",
        errors.join("\n")
    );
    let md = std::fs::read_to_string(out.join("sweep.md")).unwrap();
    assert!(
        md.contains("| concurrency | status | throughput/s | p99 | oversold"),
        "{md}"
    );

    // `atpsim report` redraws a saved sweep's chart and table, alone.
    for file in ["sweep.md", "sweep.svg", "sweep.png"] {
        std::fs::remove_file(out.join(file)).unwrap();
    }
    atpsim()
        .arg("report")
        .arg(out.join("sweep.json"))
        .assert()
        .code(0);
    for file in ["sweep.md", "sweep.svg", "sweep.png"] {
        assert!(out.join(file).is_file(), "{file} not redrawn");
    }
    assert_eq!(std::fs::read_to_string(out.join("sweep.md")).unwrap(), md);
    let output = atpsim()
        .arg("report")
        .arg(out.join("sweep.json"))
        .arg(repo("tests/data/minimal-run.json"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("redraw it alone"));
}

#[test]
fn the_schema_refuses_what_sweep_json_must_not_hold() {
    // The schema can fail: a record without its status, and an unknown field.
    let mut sweep = serde_json::json!({
        "schema_version": 1, "run_id": "x", "started_at": "t",
        "tool": {"name": "atpsim", "version": "0", "git_commit": "g"},
        "environment": {"os": "linux", "arch": "x86_64", "cpu_count": 1, "backends": {}},
        "scenario": {"name": "s", "file": "s.toml", "seed": 1, "schedule_hash": "h",
                     "generator_version": 1, "effective": {}},
        "axis": "concurrency", "points": [1], "interrupted": false,
        "records": [{"backend": "b", "point": 1, "clients": 1, "status": "skipped",
                     "reason": "free connection slots 0 < 1 clients", "schedule_hash": "h",
                     "summary": null}],
        "knees": [{"backend": "b", "point": null, "previous": null,
                   "throughput_ratio": null, "p99_ratio": null}]
    });
    assert_eq!(schema_errors(&sweep), Vec::<String>::new());
    sweep["records"][0]["status"] = "maybe".into();
    sweep["extra"] = 1.into();
    assert_eq!(schema_errors(&sweep).len(), 2);
}

#[test]
fn a_rate_sweep_sets_the_offered_load() {
    let dir = tempfile::tempdir().unwrap();
    let body = r#"
name = "rate-sweep"
seed = 5
concurrency = 8
[[sku]]
id = "A"
stock = 100000
[[phase]]
kind = "constant"
rate = 10
duration = "500ms"
[[backend]]
kind = "memory-atomic"
"#;
    let scenario = write_scenario(dir.path(), body);
    let out = dir.path().join("out");
    atpsim()
        .arg("sweep")
        .arg(&scenario)
        .args(["--rate", "100,400", "--no-charts", "--quiet", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let sweep = read_json(&out.join("sweep.json"));
    assert_eq!(sweep["axis"], "rate");
    let offered: Vec<u64> = sweep["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["summary"]["orders"]["offered"].as_u64().unwrap())
        .collect();
    // ⌊rate × 0.5 s⌋ orders at each point.
    assert_eq!(offered, [50, 200]);
    assert!(!out.join("sweep.svg").exists(), "--no-charts draws nothing");
}

#[test]
fn bad_input_is_refused_with_exit_2_naming_the_flag_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write_scenario(dir.path(), CLOSED);
    let out = dir.path().join("out");
    let cases: [(&[&str], &str); 6] = [
        (&["--concurrency", "1,x"], "--concurrency"),
        (&["--concurrency", "0,4"], "--concurrency"),
        (&["--concurrency", "-4"], "--concurrency"),
        (&["--concurrency", "1,1"], "listed twice"),
        (&["--rate", "10,20"], "--rate"),
        (&["--concurrency", "1", "--rate", "10"], "--rate"),
    ];
    for (args, says) in cases {
        let output = atpsim()
            .arg("sweep")
            .arg(&scenario)
            .args(args)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
    // Neither flag: a usage error too.
    atpsim().arg("sweep").arg(&scenario).assert().code(2);
    // A directory holding an earlier sweep is never written over.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("sweep.json"), "{}").unwrap();
    let output = atpsim()
        .arg("sweep")
        .arg(&scenario)
        .args(["--concurrency", "1", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("already holds a sweep.json"));
    assert_eq!(
        std::fs::read_to_string(out.join("sweep.json")).unwrap(),
        "{}"
    );
}

#[test]
fn an_interrupted_sweep_keeps_what_it_measured() {
    let dir = tempfile::tempdir().unwrap();
    let long = CLOSED.replace("300ms", "30s");
    let scenario = write_scenario(dir.path(), &long);
    let out = dir.path().join("out");
    let code = interrupt_once_started(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("atpsim"))
            .arg("sweep")
            .arg(&scenario)
            .args(["--concurrency", "1,2,4", "--no-charts", "--out"])
            .arg(&out),
        "running memory-atomic",
        std::time::Duration::from_millis(300),
    );
    assert_eq!(code, Some(130));
    let sweep = read_json(&out.join("sweep.json"));
    assert_eq!(sweep["interrupted"], true);
    let records = sweep["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "nothing after the interrupted point");
    assert_eq!(
        records[0]["status"], "interrupted",
        "a point cut short says so"
    );
    assert!(records[0]["summary"]["orders"]["granted"].as_u64().unwrap() > 0);
}

#[test]
fn an_unreachable_server_ends_the_sweep_with_exit_3_before_anything_runs() {
    // Port 9 on the loopback: nothing listens there.
    let dir = tempfile::tempdir().unwrap();
    let url = "postgres://atpsim:hunter2@127.0.0.1:9/test";
    let scenario = server_scenario(dir.path(), "postgres-atomic", url);
    let out = dir.path().join("out");
    let output = atpsim()
        .arg("sweep")
        .arg(&scenario)
        .args(["--concurrency", "1,4", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("postgres-atomic"), "{stderr}");
    assert!(
        !stderr.contains("hunter2"),
        "the password is redacted: {stderr}"
    );
    assert!(!out.exists(), "nothing is written");
}

/// A scenario of `CLOSED`'s traffic on one server backend.
fn server_scenario(dir: &Path, kind: &str, url: &str) -> PathBuf {
    let body = format!(
        "{}\n[[backend]]\nkind = \"{kind}\"\nurl = \"{url}\"\n",
        CLOSED.split("[[backend]]").next().unwrap()
    );
    write_scenario(dir, &body)
}

/// `sweep --concurrency 1,POINT` is refused before anything runs, naming
/// the point and the backend, when POINT clients + 1 admin exceed `limit`.
fn refused_up_front(kind: &str, url: &str, point: i64) {
    let dir = tempfile::tempdir().unwrap();
    let scenario = server_scenario(dir.path(), kind, url);
    let out = dir.path().join("out");
    let output = atpsim()
        .arg("sweep")
        .arg(&scenario)
        .args(["--concurrency", &format!("1,{point}")])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("--concurrency {point}:")) && stderr.contains(kind),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn a_mysql_point_above_max_connections_is_refused() {
    let Some(url) = common::server_url(atpsim::scenario::Server::Mysql) else {
        return;
    };
    let _one = common::one_at_a_time();
    let max: i64 = common::runtime().block_on(async {
        let pool = sqlx::MySqlPool::connect(&url).await.unwrap();
        let max: i64 = sqlx::query_scalar("SELECT CAST(@@max_connections AS SIGNED)")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        max
    });
    if max > 10_000 {
        eprintln!("skipped: max_connections {max} is above the most clients a sweep point has");
        return;
    }
    refused_up_front("mysql-atomic", &url, max);
}

#[test]
fn a_redis_point_above_maxclients_is_refused() {
    let Some(url) = common::server_url(atpsim::scenario::Server::Redis) else {
        return;
    };
    let _one = common::one_at_a_time();
    let max: i64 = common::runtime().block_on(async {
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let reply: std::collections::HashMap<String, String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("maxclients")
            .query_async(&mut conn)
            .await
            .unwrap();
        reply["maxclients"].parse().unwrap()
    });
    if max > 10_000 {
        eprintln!("skipped: maxclients {max} is above the most clients a sweep point has");
        return;
    }
    refused_up_front("redis-lua", &url, max);
}

/// A PostgreSQL sweep: a point above max_connections is refused before
/// anything runs; one that fits the limit but not the free slots is skipped.
#[test]
fn postgres_points_beyond_the_server_are_refused_or_skipped() {
    let Some(url) = common::server_url(atpsim::scenario::Server::Postgres) else {
        return;
    };
    let _one = common::one_at_a_time();
    let runtime = common::runtime();
    let (max, reserved): (i32, i32) = runtime.block_on(async {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let row: (String, String) = sqlx::query_as(
            "SELECT current_setting('max_connections'), current_setting('superuser_reserved_connections')",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        pool.close().await;
        (row.0.parse().unwrap(), row.1.parse().unwrap())
    });
    let limit = i64::from(max - reserved);
    // Clients + 1 admin > limit: refused, named, nothing written.
    refused_up_front("postgres-atomic", &url, limit);
    let dir = tempfile::tempdir().unwrap();
    let scenario = server_scenario(dir.path(), "postgres-atomic", &url);
    let out = dir.path().join("out");
    // limit − 1 clients + 1 admin fit the limit, but not while this test
    // holds one more session: that point is skipped, the first one runs.
    let held = runtime.block_on(async {
        use sqlx::Connection;
        sqlx::PgConnection::connect(&url).await.unwrap()
    });
    let output = atpsim()
        .arg("sweep")
        .arg(&scenario)
        .args([
            "--concurrency",
            &format!("1,{}", limit - 1),
            "--no-charts",
            "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    runtime.block_on(async {
        use sqlx::Connection;
        held.close().await.unwrap();
    });
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let sweep = read_json(&out.join("sweep.json"));
    let records = sweep["records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["status"], "ran");
    assert_eq!(records[1]["status"], "skipped");
    let reason = records[1]["reason"].as_str().unwrap();
    assert!(reason.starts_with("free connection slots"), "{reason}");
    assert!(records[1]["summary"].is_null());
}

#[test]
fn every_sweep_schema_object_is_closed_and_requires_all_its_properties() {
    fn check(node: &Value, at: &str, problems: &mut Vec<String>) {
        if let Some(props) = node.get("properties").and_then(Value::as_object) {
            if node.get("additionalProperties") != Some(&Value::Bool(false)) {
                problems.push(format!("{at}: additionalProperties is not false"));
            }
            let mut required: Vec<&str> = node["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut names: Vec<&str> = props.keys().map(String::as_str).collect();
            required.sort_unstable();
            names.sort_unstable();
            if required != names {
                problems.push(format!("{at}: requires {required:?}, has {names:?}"));
            }
            for (name, p) in props {
                if p.get("description").is_none() {
                    problems.push(format!("{at}.{name}: no description"));
                }
                check(p, &format!("{at}.{name}"), problems);
            }
        }
        if let Some(defs) = node.get("$defs").and_then(Value::as_object) {
            for (name, d) in defs {
                check(d, &format!("$defs.{name}"), problems);
            }
        }
    }
    let mut problems = Vec::new();
    check(
        &read_json(&repo("schema/sweep.schema.json")),
        "",
        &mut problems,
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
