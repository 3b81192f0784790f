//! The other fault kinds against the real servers, and unknowns of both
//! kinds settled by order id: a latency fault whose timeout fires before
//! the request reaches PostgreSQL or after it answered, the hot row held
//! locked on PostgreSQL and MariaDB, and a private redis-server paused and
//! restarted with and without persistence. A missing server skips its
//! test, unless `ATPSIM_REQUIRE_SERVICES=1`, where it fails it.

#[path = "sql/common.rs"]
#[allow(dead_code)]
mod common;
#[path = "common/interrupt.rs"]
mod interrupt;
#[path = "common/run_file.rs"]
mod run_file;

use atpsim::scenario::Server;
use serde_json::Value;

/// 400 orders a second for 2 s from 8 clients on 5 SKUs (HOT the hottest),
/// stock to spare, windows of 100 ms; `backend` and `faults` as given.
fn scenario(backend: &str, timeout: &str, faults: &str) -> String {
    format!(
        "name = \"fault-kinds\"\nseed = 5\nconcurrency = 8\ntimeout = \"{timeout}\"\nwindow = \"100ms\"\n\
         [catalogue]\nhot = {{ id = \"HOT\", stock = 100000 }}\nlong_tail = {{ count = 4, stock = 100000 }}\n\
         [[phase]]\nkind = \"constant\"\nrate = 400\nduration = \"2s\"\n\
         skus = {{ pick = \"zipf\", exponent = 1.2 }}\n\
         [[backend]]\n{backend}\n{faults}"
    )
}

/// Run `text` with the real binary; it must exit 0, the backend not
/// aborted. The one backend's record.
fn run(text: &str) -> Value {
    let b = run_file::first_backend_of(text);
    assert_eq!(b["aborted"], false, "{b}");
    b
}

fn units(b: &Value, figure: &str) -> u64 {
    b["units"][figure].as_u64().unwrap()
}

/// Indices of the windows `fault` marks.
fn marked(b: &Value, fault: &str) -> Vec<u64> {
    b["windows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["faults"].as_array().unwrap().iter().any(|f| f == fault))
        .map(|w| w["index"].as_u64().unwrap())
        .collect()
}

fn assert_exact_and_clean(b: &Value) {
    for figure in ["oversold", "oversold_possible", "lost_updates", "phantom"] {
        assert_eq!(units(b, figure), 0, "units.{figure}: {b}");
    }
    let u = &b["unknowns"];
    assert_eq!(u["order_ids"], "exact", "{u}");
    assert_eq!(u["unresolved"], 0, "{u}");
}

#[test]
fn unknowns_of_both_kinds_are_settled_by_order_id_on_postgres() {
    let _one = common::one_at_a_time();
    if common::server_url(Server::Postgres).is_none() {
        return;
    }
    // 150 ms ± 0: 75 ms on the way there, 75 back, so the 100 ms timeout
    // fires after PostgreSQL applied the order. 300 ms: it fires 100 ms
    // into the 150 ms on the way there, before the order reaches it.
    let b = run(&scenario(
        "kind = \"postgres-atomic\"",
        "100ms",
        "[[fault]]\nname = \"late-answers\"\nkind = \"latency\"\nat = \"300ms\"\nduration = \"400ms\"\nlatency = \"150ms\"\n\
         [[fault]]\nname = \"lost-requests\"\nkind = \"latency\"\nat = \"1200ms\"\nduration = \"400ms\"\nlatency = \"300ms\"\n",
    ));
    assert_exact_and_clean(&b);
    let u = &b["unknowns"];
    let (took, not) = (
        u["resolved_granted"].as_u64().unwrap(),
        u["resolved_not"].as_u64().unwrap(),
    );
    // Each of the 8 clients waits out a 100 ms timeout per order while a
    // fault lasts: 32 unknowns in each, fewer on a loaded machine.
    assert!(took > 15 && not > 15, "{u}");
    assert_eq!(took + not, b["orders"]["unknown"].as_u64().unwrap(), "{u}");
    assert_eq!(marked(&b, "late-answers"), (3..7).collect::<Vec<_>>());
    assert_eq!(marked(&b, "lost-requests"), (12..16).collect::<Vec<_>>());
}

/// The hot row held for 600 ms at 0.5 s: orders for HOT queue behind the
/// lock (a 2 s timeout outlasts it), nothing is lost or oversold.
fn assert_stalled_and_clean(kind: &str) {
    let b = run(&scenario(
        &format!("kind = \"{kind}\""),
        "2s",
        "[[fault]]\nkind = \"stall_row\"\nat = \"500ms\"\nduration = \"600ms\"\n",
    ));
    assert_exact_and_clean(&b);
    assert_eq!(marked(&b, "stall_row@500ms"), (5..11).collect::<Vec<_>>());
    let max = |i: usize| b["windows"][i]["latency_us"]["max"].as_f64().unwrap();
    assert!(max(6) > 300_000.0, "the stall held nothing: {}", max(6));
    assert!(max(15) < 300_000.0, "still stalled after it: {}", max(15));
}

#[test]
fn postgres_orders_wait_out_a_stalled_hot_row() {
    let _one = common::one_at_a_time();
    if common::server_url(Server::Postgres).is_none() {
        return;
    }
    assert_stalled_and_clean("postgres-atomic");
}

#[test]
fn mariadb_orders_wait_out_a_stalled_hot_row() {
    let _one = common::one_at_a_time();
    if common::server_url(Server::Mysql).is_none() {
        return;
    }
    assert_stalled_and_clean("mysql-atomic");
}

/// Whether `redis-server` can be started here; under
/// `ATPSIM_REQUIRE_SERVICES=1` its absence fails the test.
fn redis_server_available() -> bool {
    let found = std::process::Command::new("redis-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found && std::env::var("ATPSIM_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("redis-server is not installed, and ATPSIM_REQUIRE_SERVICES=1");
    }
    if !found {
        eprintln!("skipped: no redis-server to start");
    }
    found
}

#[test]
fn a_private_redis_with_writes_paused_holds_the_orders_and_loses_none() {
    if !redis_server_available() {
        return;
    }
    let b = run(&scenario(
        "kind = \"redis-lua\"\nserver = \"private\"",
        "2s",
        "[[fault]]\nkind = \"pause_writes\"\nat = \"500ms\"\nduration = \"400ms\"\n",
    ));
    assert_exact_and_clean(&b);
    assert_eq!(marked(&b, "pause_writes@500ms"), (5..9).collect::<Vec<_>>());
    let max = b["windows"][5]["latency_us"]["max"].as_f64().unwrap();
    assert!(max > 200_000.0, "writes were not held: {max}");
}

#[test]
fn a_private_redis_restarted_with_aof_always_keeps_the_audit_exact() {
    if !redis_server_available() {
        return;
    }
    let b = run(&scenario(
        "kind = \"redis-lua\"\nserver = \"private\"\npersistence = \"aof-always\"",
        "2s",
        "[[fault]]\nkind = \"restart_server\"\nat = \"1s\"\n",
    ));
    assert_exact_and_clean(&b);
    assert_eq!(marked(&b, "restart_server@1s"), [10]);
    let after: u64 = b["windows"].as_array().unwrap()[11..]
        .iter()
        .map(|w| w["orders"]["granted"].as_u64().unwrap())
        .sum();
    assert!(
        after > 200,
        "the clients did not reconnect: {after} granted after"
    );
}

#[test]
fn a_private_redis_restarted_without_persistence_reports_its_data_lost() {
    if !redis_server_available() {
        return;
    }
    let b = run(&scenario(
        "kind = \"redis-lua\"\nserver = \"private\"\npersistence = \"none\"",
        "2s",
        "[[fault]]\nkind = \"restart_server\"\nat = \"1s\"\n",
    ));
    // The grants before the restart are gone from the server: lost
    // updates, and no stored id left to settle an unknown with.
    assert_eq!(b["unknowns"]["order_ids"], "lost", "{}", b["unknowns"]);
    assert!(units(&b, "lost_updates") > 300, "{}", b["units"]);
    assert_eq!(units(&b, "lost_updates"), units(&b, "granted"));
    // After the restart the stock is gone: those orders fail, applying nothing.
    let after: u64 = b["windows"].as_array().unwrap()[11..]
        .iter()
        .map(|w| w["orders"]["error"].as_u64().unwrap())
        .sum();
    assert!(after > 300, "{after} errors after the restart");
}

/// Run `backend` for 30 s with `fault` (named `name`, holding its server
/// for 20 s from 500 ms) and a timeout longer than that, so only ending the
/// fault lets the drain end; Ctrl-C a second in. The run must end within
/// seconds, keep an exact audit, and mark the fault only as far as it went.
fn assert_an_interrupt_ends(backend: &str, fault: &str, name: &str) {
    let text = scenario(backend, "25s", fault).replace("duration = \"2s\"", "duration = \"30s\"");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fault.toml");
    std::fs::write(&file, text).unwrap();
    let results = dir.path().join("results");
    let started = std::time::Instant::now();
    let code = interrupt::interrupt_once_started(
        std::process::Command::new(assert_cmd::cargo::cargo_bin("atpsim"))
            .arg("run")
            .arg(&file)
            .arg("--out")
            .arg(&results)
            .arg("--no-charts"),
        "running ",
        std::time::Duration::from_secs(1),
    );
    assert_eq!(code, Some(130));
    let elapsed = started.elapsed();
    assert!(
        elapsed < std::time::Duration::from_secs(12),
        "one interrupt ends {name}, not its 20 s: {elapsed:?}"
    );
    let run: Value =
        serde_json::from_str(&std::fs::read_to_string(results.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["interrupted"], true);
    let b = &run["backends"][0];
    assert_eq!(b["aborted"], false, "the final state was read: {b}");
    assert_eq!(b["cut_short"], true);
    for figure in ["oversold", "lost_updates", "phantom"] {
        assert_eq!(units(b, figure), 0, "units.{figure}: {b}");
    }
    // Marked only as far as the run went, not for the fault's whole 20 s.
    let window_ms = b["windows"][0]["window_ms"].as_f64().unwrap();
    let last = *marked(b, name).last().expect("the fault is marked");
    assert!(
        (last as f64) * window_ms <= b["duration_ms"].as_f64().unwrap(),
        "window {last} is past the run's end: {b}"
    );
}

#[test]
fn an_interrupt_during_a_stall_rolls_it_back_and_keeps_the_audit() {
    let _one = common::one_at_a_time();
    if common::server_url(Server::Postgres).is_none() {
        return;
    }
    assert_an_interrupt_ends(
        "kind = \"postgres-atomic\"",
        "[[fault]]\nkind = \"stall_row\"\nat = \"500ms\"\nduration = \"20s\"\n",
        "stall_row@500ms",
    );
}

#[test]
fn an_interrupt_during_a_write_pause_lifts_it() {
    if !redis_server_available() {
        return;
    }
    assert_an_interrupt_ends(
        "kind = \"redis-lua\"\nserver = \"private\"",
        "[[fault]]\nkind = \"pause_writes\"\nat = \"500ms\"\nduration = \"20s\"\n",
        "pause_writes@500ms",
    );
}
