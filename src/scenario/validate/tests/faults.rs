//! `[[fault]]`: the model a valid table yields, and each refusal at its
//! line and key.
//!
//! Invariant: each rejection points at the offending line and dotted key
//! and says how to fix it.

use super::*;
use crate::scenario::FaultAction;

const SERVERS: &str = r#"
[[backend]]
kind = "memory-atomic"

[[backend]]
kind = "postgres-atomic"

[[backend]]
kind = "redis-lua"
"#;

/// Two seconds of traffic, then `tail`, with the servers' backends.
fn with(tail: &str) -> String {
    let phase = "\n[[phase]]\nkind = \"constant\"\nrate = 10\nduration = \"2s\"\n";
    doc(HEAD, phase, &format!("{SERVERS}{tail}"))
}

#[test]
fn faults_resolve_sorted_with_default_names_and_every_backend() {
    let s = parse(
        &with(
            r#"
[[fault]]
kind = "kill_connections"
at = "1500ms"
backends = ["postgres-atomic", "redis-lua"]

[[fault]]
kind = "latency"
at = "1s"
duration = "500ms"
latency = "50ms"
jitter = "20ms"

[[fault]]
name = "slow-start"
kind = "latency"
at = "0ms"
duration = "100ms"
latency = "5ms"
"#,
        ),
        Path::new("s.toml"),
    )
    .unwrap();
    let names: Vec<&str> = s.faults.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["slow-start", "latency@1s", "kill_connections@1500ms"]
    );
    assert_eq!(
        s.faults[1].action,
        FaultAction::Latency {
            duration: Duration::from_millis(500),
            latency: Duration::from_millis(50),
            jitter: Duration::from_millis(20),
        }
    );
    assert_eq!(
        s.faults[1].backends,
        ["memory-atomic", "postgres-atomic", "redis-lua"]
    );
    assert_eq!(s.faults[2].backends, ["postgres-atomic", "redis-lua"]);
    assert_eq!(s.faults[2].action, FaultAction::KillConnections);
    // The effective scenario of run.json echoes them.
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["faults"][1]["kind"], "latency");
    assert_eq!(json["faults"][1]["latency"], 50.0);
    assert_eq!(json["faults"][2]["kind"], "kill_connections");
}

#[test]
fn faults_change_the_schedule_hash() {
    let plain = parse(&with(""), Path::new("s.toml")).unwrap();
    let faulty = parse(
        &with(
            "\n[[fault]]\nkind = \"latency\"\nat = \"1s\"\nduration = \"1s\"\nlatency = \"5ms\"\n",
        ),
        Path::new("s.toml"),
    )
    .unwrap();
    assert_ne!(
        crate::traffic::schedule_hash(&plain),
        crate::traffic::schedule_hash(&faulty)
    );
}

#[test]
fn a_fault_needs_a_known_kind() {
    assert_err(
        &with("\n[[fault]]\nat = \"1s\"\n"),
        "[[fault]]",
        "fault[0].kind",
        &["missing `kind`", "`latency`", "`kill_connections`"],
    );
    assert_err(
        &with("\n[[fault]]\nkind = \"partition\"\nat = \"1s\"\n"),
        "kind = \"partition\"",
        "fault[0].kind",
        &["unknown fault kind \"partition\""],
    );
}

#[test]
fn unknown_keys_are_refused() {
    assert_err(
        &with("\n[[fault]]\nkind = \"latency\"\nat = \"1s\"\nlatncy = \"5ms\"\n"),
        "latncy",
        "fault[0].latncy",
        &["unknown field", "remove it"],
    );
}

#[test]
fn latency_keys_do_not_apply_to_a_kill() {
    assert_err(
        &with("\n[[fault]]\nkind = \"kill_connections\"\nat = \"1s\"\nbackends = [\"redis-lua\"]\nduration = \"1s\"\n"),
        "duration = \"1s\"\n",
        "fault[0].duration",
        &["does not apply to kind = \"kill_connections\""],
    );
}

#[test]
fn at_is_required_and_before_the_schedules_end() {
    assert_err(
        &with("\n[[fault]]\nkind = \"kill_connections\"\nbackends = [\"redis-lua\"]\n"),
        "[[fault]]",
        "fault[0].at",
        &["missing `at`"],
    );
    assert_err(
        &with(
            "\n[[fault]]\nkind = \"kill_connections\"\nat = \"2s\"\nbackends = [\"redis-lua\"]\n",
        ),
        "at = \"2s\"",
        "fault[0].at",
        &["at or after the schedule's end (2s)"],
    );
    assert_err(
        &with("\n[[fault]]\nkind = \"kill_connections\"\nat = 1\nbackends = [\"redis-lua\"]\n"),
        "at = 1",
        "fault[0].at",
        &["bare number"],
    );
    assert_err(
        &with(
            "\n[[fault]]\nkind = \"kill_connections\"\nat = \"-1s\"\nbackends = [\"redis-lua\"]\n",
        ),
        "at = \"-1s\"",
        "fault[0].at",
        &[],
    );
    assert_err(
        &with(
            "\n[[fault]]\nkind = \"kill_connections\"\nat = \"25h\"\nbackends = [\"redis-lua\"]\n",
        ),
        "at = \"25h\"",
        "fault[0].at",
        &["above the limit"],
    );
}

#[test]
fn a_latency_fault_needs_a_positive_capped_duration_and_latency() {
    let fault = |body: &str| {
        with(&format!(
            "\n[[fault]]\nkind = \"latency\"\nat = \"1s\"\n{body}"
        ))
    };
    assert_err(
        &fault("latency = \"5ms\"\n"),
        "[[fault]]",
        "fault[0].duration",
        &["needs `duration`"],
    );
    assert_err(
        &fault("duration = \"1s\"\n"),
        "[[fault]]",
        "fault[0].latency",
        &["needs `latency`"],
    );
    assert_err(
        &fault("duration = \"0s\"\nlatency = \"5ms\"\n"),
        "duration = \"0s\"",
        "fault[0].duration",
        &["above zero"],
    );
    assert_err(
        &fault("duration = \"2h\"\nlatency = \"5ms\"\n"),
        "duration = \"2h\"",
        "fault[0].duration",
        &["above the limit of 1h"],
    );
    assert_err(
        &fault("duration = \"1s\"\nlatency = \"0ms\"\n"),
        "latency = \"0ms\"",
        "fault[0].latency",
        &["above zero"],
    );
    assert_err(
        &fault("duration = \"1s\"\nlatency = \"2m\"\n"),
        "latency = \"2m\"",
        "fault[0].latency",
        &["above the limit of 60s"],
    );
    assert_err(
        &fault("duration = \"1s\"\nlatency = \"5ms\"\njitter = \"6ms\"\n"),
        "jitter = \"6ms\"",
        "fault[0].jitter",
        &["above `latency`", "cannot be negative"],
    );
}

#[test]
fn backends_must_be_named_ones_of_the_run() {
    let fault = |list: &str| {
        with(&format!(
            "\n[[fault]]\nkind = \"latency\"\nat = \"1s\"\nduration = \"1s\"\nlatency = \"5ms\"\nbackends = {list}\n"
        ))
    };
    assert_err(
        &fault("[\"redis-lua\", \"mysql-atomic\"]"),
        "backends = ",
        "fault[0].backends[1]",
        &["unknown backend \"mysql-atomic\"", "`postgres-atomic`"],
    );
    assert_err(
        &fault("[]"),
        "backends = ",
        "fault[0].backends",
        &["is empty"],
    );
    assert_err(
        &fault("[\"redis-lua\", \"redis-lua\"]"),
        "backends = ",
        "fault[0].backends[1]",
        &["listed twice"],
    );
    // One name without brackets: an array of strings, not of tables.
    assert_err(
        &fault("\"redis-lua\""),
        "backends = ",
        "fault[0].backends",
        &[
            "expected an array of strings",
            "backends = [\"postgres-atomic\"]",
        ],
    );
}

#[test]
fn kill_connections_is_refused_on_in_process_stores() {
    // Every backend by default, the memory one among them: at `kind`.
    assert_err(
        &with("\n[[fault]]\nkind = \"kill_connections\"\nat = \"1s\"\n"),
        "kind = \"kill_connections\"",
        "fault[0].kind",
        &[
            "\"memory-atomic\"",
            "no server sessions to kill",
            "`backends = [...]`",
        ],
    );
    // Named: at the name.
    assert_err(
        &with("\n[[fault]]\nkind = \"kill_connections\"\nat = \"1s\"\nbackends = [\"redis-lua\", \"memory-atomic\"]\n"),
        "backends = ",
        "fault[0].backends[1]",
        &["backend \"memory-atomic\" keeps its stock in process"],
    );
}

#[test]
fn names_are_unique_and_plain() {
    let e = assert_err(
        &with(
            "\n[[fault]]\nkind = \"kill_connections\"\nat = \"1s\"\nbackends = [\"redis-lua\"]\n\
             \n[[fault]]\nkind = \"kill_connections\"\nat = \"1s\"\nbackends = [\"postgres-atomic\"]\n",
        ),
        "[[fault]]\nkind = \"kill_connections\"\nat = \"1s\"\nbackends = [\"postgres-atomic\"]",
        "fault[1].name",
        &["\"kill_connections@1s\"", "default name", "fault[0]"],
    );
    assert_eq!(e.column, 1);
    assert_err(
        &with("\n[[fault]]\nname = \"a b\"\nkind = \"kill_connections\"\nat = \"1s\"\nbackends = [\"redis-lua\"]\n"),
        "name = \"a b\"",
        "fault[0].name",
        &["invalid fault name"],
    );
}

#[test]
fn faults_do_not_combine_with_a_checkout() {
    let text = doc(
        HEAD,
        PHASE,
        &format!(
            "{BACKEND}\n[checkout]\nhold_ttl = \"1s\"\n\n[[fault]]\nkind = \"latency\"\nat = \"0ms\"\nduration = \"1s\"\nlatency = \"5ms\"\n"
        ),
    );
    assert_err(
        &text,
        "[[fault]]",
        "fault[0]",
        &["does not combine with `[checkout]`"],
    );
}

#[test]
fn a_stall_needs_a_duration_and_a_stock_row_to_lock() {
    assert_err(
        &with("\n[[fault]]\nkind = \"stall_row\"\nat = \"1s\"\nbackends = [\"postgres-atomic\"]\n"),
        "[[fault]]",
        "fault[0].duration",
        &["missing `duration`", "row stays locked"],
    );
    assert_err(
        &with("\n[[fault]]\nkind = \"stall_row\"\nat = \"1s\"\nduration = \"1s\"\nlatency = \"5ms\"\n"),
        "latency = \"5ms\"",
        "fault[0].latency",
        &["does not apply to kind = \"stall_row\"", "`at` and `duration`"],
    );
    assert_err(
        &with("\n[[fault]]\nkind = \"stall_row\"\nat = \"1s\"\nduration = \"1s\"\nbackends = [\"redis-lua\"]\n"),
        "backends = ",
        "fault[0].backends[0]",
        &["\"redis-lua\" has no stock row of atpsim's own to lock"],
    );
}

#[test]
fn server_wide_faults_run_only_on_a_private_redis() {
    for fault in [
        "kind = \"restart_server\"\nat = \"1s\"",
        "kind = \"pause_writes\"\nat = \"1s\"\nduration = \"200ms\"",
    ] {
        assert_err(
            &with(&format!(
                "\n[[fault]]\n{fault}\nbackends = [\"redis-lua\"]\n"
            )),
            "backends = ",
            "fault[0].backends[0]",
            &["not on a private redis-server", "never on a shared one"],
        );
        assert_err(
            &with(&format!(
                "\n[[fault]]\n{fault}\nbackends = [\"postgres-atomic\"]\n"
            )),
            "backends = ",
            "fault[0].backends[0]",
            &["is not a Redis backend", "take it out of `backends`"],
        );
    }
    let private = doc(
        HEAD,
        "\n[[phase]]\nkind = \"constant\"\nrate = 10\nduration = \"2s\"\n",
        "\n[[backend]]\nkind = \"redis-lua\"\nserver = \"private\"\npersistence = \"none\"\n\
         [[fault]]\nkind = \"restart_server\"\nat = \"1s\"\n",
    );
    let s = parse(&private, Path::new("s.toml")).unwrap();
    assert_eq!(s.faults[0].action, FaultAction::RestartServer);
    assert_eq!(
        s.backends[0].options.private_redis,
        Some(crate::scenario::Persistence::None)
    );
}

#[test]
fn a_private_redis_takes_no_url_and_persistence_needs_it() {
    let backend = |body: &str| {
        doc(
            HEAD,
            "\n[[phase]]\nkind = \"constant\"\nrate = 10\nduration = \"2s\"\n",
            &format!("\n[[backend]]\nkind = \"redis-lua\"\n{body}\n"),
        )
    };
    assert_err(
        &backend("server = \"private\"\nurl = \"redis://127.0.0.1:6379/0\""),
        "url = ",
        "backend[0].url",
        &["starts a redis-server of its own"],
    );
    assert_err(
        &backend("persistence = \"none\""),
        "persistence = ",
        "backend[0].persistence",
        &["add `server = \"private\"`"],
    );
    assert_err(
        &backend("server = \"private\"\npersistence = \"rdb\""),
        "persistence = ",
        "backend[0].persistence",
        &["unknown persistence \"rdb\"", "`aof-always`, `none`"],
    );
    assert_err(
        &backend("server = \"mine\""),
        "server = ",
        "backend[0].server",
        &["unknown server \"mine\""],
    );
    assert_err(
        &doc(
            HEAD,
            "\n[[phase]]\nkind = \"constant\"\nrate = 10\nduration = \"2s\"\n",
            "\n[[backend]]\nkind = \"postgres-atomic\"\nserver = \"private\"\n",
        ),
        "server = ",
        "backend[0].server",
        &["is not an option of postgres-atomic"],
    );
}
