//! `kill_connections` against the real PostgreSQL, MariaDB and Redis: the
//! real binary runs a scenario that kills the pool's server sessions
//! mid-run, and the run goes on — exit 0, the backend not aborted, grants
//! after the kill, the failures counted in the marked window, and a safe
//! backend's audit clean. A missing server skips its test, unless
//! `ATPSIM_REQUIRE_SERVICES=1`, where it fails it.

#[path = "sql/common.rs"]
#[allow(dead_code)]
mod common;
#[path = "common/run_file.rs"]
mod run_file;

use atpsim::scenario::Server;
use serde_json::Value;
use std::path::Path;

/// Window of 100 ms that holds the kill at 1 s.
const KILL_WINDOW: u64 = 10;

/// 800 single-unit orders over 2 s on 5 SKUs with stock to spare, from 8
/// clients; every server session of the pool killed at 1 s.
fn scenario(backend: &str) -> String {
    format!(
        "name = \"faults\"\nseed = 3\nconcurrency = 8\ntimeout = \"2s\"\nwindow = \"100ms\"\n\
         [catalogue]\nlong_tail = {{ count = 5, stock = 100000 }}\n\
         [[phase]]\nkind = \"constant\"\nrate = 400\nduration = \"2s\"\n\
         [[backend]]\n{backend}\n\
         [[fault]]\nkind = \"kill_connections\"\nat = \"1s\"\n"
    )
}

fn run(scenario_file: &Path) -> Value {
    run_file::first_backend(scenario_file)
}

fn run_text(body: &str) -> Value {
    run_file::first_backend_of(body)
}

fn count(w: &Value, outcome: &str) -> u64 {
    w["orders"][outcome].as_u64().unwrap()
}

/// What every kill must leave: the run went on and the audit is clean.
fn assert_survived_the_kill(b: &Value, fault: &str) {
    assert_eq!(b["aborted"], false, "{b}");
    let windows = b["windows"].as_array().unwrap();
    for w in windows {
        let marked: Vec<&str> = w["faults"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        let expected: &[&str] = if w["index"] == KILL_WINDOW {
            &[fault]
        } else {
            &[]
        };
        assert_eq!(marked, expected, "window {}", w["index"]);
    }
    let kill = &windows[KILL_WINDOW as usize];
    assert!(
        count(kill, "error") + count(kill, "unknown") > 0,
        "the kill cost nothing in its window: {kill}"
    );
    let granted_after: u64 = windows[KILL_WINDOW as usize + 1..]
        .iter()
        .map(|w| count(w, "granted"))
        .sum();
    // 360 orders are due after the kill's window; a loaded machine may
    // time a few out, a pool that never reconnected grants none.
    assert!(
        granted_after > 200,
        "the pool did not reconnect: {granted_after} granted after the kill"
    );
    for figure in ["oversold", "oversold_possible", "lost_updates", "phantom"] {
        assert_eq!(b["units"][figure], 0, "units.{figure}: {b}");
    }
    assert_settled(b);
}

/// Every unknown looked up by its order id and settled one way or the other.
pub fn assert_settled(b: &Value) {
    let u = &b["unknowns"];
    assert_eq!(u["order_ids"], "exact", "{u}");
    assert_eq!(u["unresolved"], 0, "{u}");
    assert_eq!(
        u["resolved_granted"].as_u64().unwrap() + u["resolved_not"].as_u64().unwrap(),
        b["orders"]["unknown"].as_u64().unwrap(),
        "{u}"
    );
}

#[test]
fn postgres_sessions_killed_mid_run_reconnect_and_the_audit_stays_clean() {
    let _one = common::one_at_a_time();
    if common::server_url(Server::Postgres).is_none() {
        return;
    }
    let b = run_text(&scenario("kind = \"postgres-atomic\""));
    assert_survived_the_kill(&b, "kill_connections@1s");
}

#[test]
fn the_shipped_postgres_faults_scenario_runs_and_marks_both_faults() {
    let _one = common::one_at_a_time();
    if common::server_url(Server::Postgres).is_none() {
        return;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/faults-postgres.toml");
    let b = run(&path);
    assert_eq!(b["aborted"], false);
    let marked = |name: &str| {
        b["windows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["faults"].as_array().unwrap().iter().any(|f| f == name))
            .map(|w| w["index"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(marked("kill_connections@1s"), [10]);
    assert_eq!(marked("slow-network"), (15..25).collect::<Vec<_>>());
    for figure in ["oversold", "lost_updates", "phantom"] {
        assert_eq!(b["units"][figure], 0, "units.{figure}");
    }
    // The slow network shows in its windows' latency, and only there: at
    // least its least delay (30 ms), and well above a window before it
    // (relative, since a loaded machine slows every window).
    let p50 = |i: usize| b["windows"][i]["latency_us"]["p50"].as_f64().unwrap();
    assert!(
        p50(20) >= 30_000.0 && p50(20) > p50(5) + 20_000.0,
        "{} {}",
        p50(20),
        p50(5)
    );
}

#[test]
fn mariadb_sessions_killed_mid_run_reconnect_and_the_audit_stays_clean() {
    let _one = common::one_at_a_time();
    if common::server_url(Server::Mysql).is_none() {
        return;
    }
    let b = run_text(&scenario("kind = \"mysql-atomic\""));
    assert_survived_the_kill(&b, "kill_connections@1s");
}

#[test]
fn redis_clients_killed_mid_run_reconnect_and_the_audit_stays_clean() {
    let _one = common::one_at_a_time();
    if common::server_url(Server::Redis).is_none() {
        return;
    }
    let b = run_text(&scenario("kind = \"redis-lua\""));
    assert_survived_the_kill(&b, "kill_connections@1s");
}

#[test]
fn redis_multiplexed_connection_killed_mid_run_reconnects() {
    let _one = common::one_at_a_time();
    if common::server_url(Server::Redis).is_none() {
        return;
    }
    let b = run_text(&scenario(
        "kind = \"redis-lua\"\nconnection = \"multiplexed\"",
    ));
    assert_survived_the_kill(&b, "kill_connections@1s");
}
