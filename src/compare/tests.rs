use super::tolerance::{parse, rules};
use super::*;
use crate::summary::*;

fn backend(name: &str, oversold: u64, p99: f64, throughput: f64) -> BackendSummary {
    let mut b: BackendSummary = serde_json::from_value(serde_json::json!({
        "name": name, "store": "memory", "strategy": "t", "options": {}, "aborted": false,
        "abort_reason": null, "first_error": null,
        "orders": Orders::default(), "units": Units::default(), "unknowns": Unknowns::default(),
        "oversell_rate": 0.0, "sell_through": 0.0, "throughput_per_s": throughput, "duration_ms": 1.0,
        "latency_us": Latency::default(), "service_us": Spread::default(), "wait_us": Spread::default(),
        "dispatch_lag_us": Spread::default(), "co_safe": true, "harness_saturated": false,
        "peak": Peak::default(), "worst": Worst::default(), "windows": [], "skus": [], "oversell_samples": []
    }))
    .unwrap();
    b.units.oversold = oversold;
    b.latency_us.p99 = p99;
    b.peak.window.latency_us.p99 = p99;
    b
}

fn run(hash: &str, cpus: usize, backends: Vec<BackendSummary>) -> RunSummary {
    serde_json::from_value(serde_json::json!({
        "schema_version": SCHEMA_VERSION, "run_id": "r", "started_at": "2026-01-01T00:00:00Z",
        "tool": {"name": "atpsim", "version": "0", "git_commit": "x"},
        "environment": {"os": "linux", "arch": "x86_64", "cpu_count": cpus,
            "backends": {"b": {"server_version": "15.1", "namespace": "abc"}}},
        "scenario": {"name": "s", "file": "s.toml", "seed": 1, "schedule_hash": hash,
            "generator_version": 1, "effective": {"min_window_orders": 100}},
        "interrupted": false, "thresholds": [], "repeats": [], "backends": backends
    }))
    .unwrap()
}

fn verdicts(c: &Comparison) -> Vec<(&str, bool)> {
    c.rows
        .iter()
        .map(|r| (r.metric.as_str(), r.regressed))
        .collect()
}

#[test]
fn oversell_may_not_grow_and_latency_has_a_tolerance() {
    let base = run("h", 2, vec![backend("b", 0, 1000.0, 500.0)]);
    let same = compare(
        &base,
        &run("h", 2, vec![backend("b", 0, 1100.0, 450.0)]),
        &rules(&[]).unwrap(),
    );
    assert!(!same.regressed(), "{:?}", verdicts(&same));
    let worse = compare(
        &base,
        &run("h", 2, vec![backend("b", 1, 1300.0, 300.0)]),
        &rules(&[]).unwrap(),
    );
    assert_eq!(
        verdicts(&worse),
        [
            ("units.oversold", true),
            ("units.lost_updates", false),
            ("latency_us.p99", true),
            ("peak.latency_us.p99", true),
            ("throughput_per_s", true),
        ]
    );
    let p99 = &worse.rows[2];
    assert_eq!(
        (p99.baseline, p99.current, p99.allowed),
        (Some(1000.0), Some(1300.0), Some(1200.0))
    );
    // A looser tolerance lets the same p99 pass.
    let loose = compare(
        &base,
        &run("h", 2, vec![backend("b", 0, 1300.0, 500.0)]),
        &rules(&["p99=50%".into(), "peak_p99=400us".into()]).unwrap(),
    );
    assert!(!loose.regressed(), "{:?}", verdicts(&loose));
    assert!(render::render(&loose).contains("no regression against the baseline"));
}

#[test]
fn a_missing_backend_is_a_regression_and_an_extra_one_a_warning() {
    let base = run(
        "h",
        2,
        vec![backend("b", 0, 1.0, 1.0), backend("gone", 0, 1.0, 1.0)],
    );
    let cur = run(
        "h",
        2,
        vec![backend("b", 0, 1.0, 1.0), backend("new", 0, 1.0, 1.0)],
    );
    let c = compare(&base, &cur, &rules(&[]).unwrap());
    assert_eq!(c.missing, ["gone"]);
    assert!(c.regressed());
    assert!(c
        .warnings
        .iter()
        .any(|w| w.contains("new: not in the baseline")));
    assert!(render::render(&c).contains("REGRESSED: gone is in the baseline"));
}

#[test]
fn names_of_the_run_itself_are_not_warned_about_and_interruptions_are() {
    let env = |app: &str, url: &str| {
        serde_json::json!({"server_version": "15.1", "application_name": app,
            "run_id": app, "client_name": app, "url": url})
    };
    let mut base = run("h", 2, vec![backend("b", 0, 1.0, 1.0)]);
    let mut cur = run("h", 2, vec![backend("b", 0, 1.0, 1.0)]);
    let private = |dir: &str| format!("redis+unix:///tmp/atpsim-redis-{dir}/redis.sock");
    base.environment
        .backends
        .insert("b".into(), env("atpsim-aaa", &private("1-x")));
    cur.environment
        .backends
        .insert("b".into(), env("atpsim-bbb", &private("2-y")));
    assert_eq!(environment_warnings(&base, &cur), Vec::<String>::new());
    // Another shared server is a difference worth a word.
    cur.environment
        .backends
        .insert("b".into(), env("atpsim-bbb", "redis://10.0.0.9:6379/0"));
    let w = environment_warnings(&base, &cur);
    assert!(w.len() == 1 && w[0].contains("`url` differs"), "{w:?}");
    cur.interrupted = true;
    let c = compare(&base, &cur, &[]);
    assert!(
        c.warnings
            .iter()
            .any(|w| w.starts_with("the current run was interrupted")),
        "{:?}",
        c.warnings
    );
}

#[test]
fn different_schedules_are_refused_and_environments_warned_about() {
    let base = run("aaaa", 2, vec![backend("b", 0, 1.0, 1.0)]);
    let mut cur = run("bbbb", 8, vec![backend("b", 0, 1.0, 1.0)]);
    let why = refusal(&base, &cur).unwrap();
    assert!(
        why.contains("different schedules") && why.contains("--force"),
        "{why}"
    );
    assert!(refusal(&base, &base).is_none());
    cur.environment.backends.insert(
        "b".into(),
        serde_json::json!({"server_version": "16.0", "namespace": "xyz"}),
    );
    let w = environment_warnings(&base, &cur);
    assert!(
        w.iter()
            .any(|w| w.contains("CPU count differs: 2 in the baseline, 8 now")),
        "{w:?}"
    );
    assert!(
        w.iter().any(|w| w.contains("`server_version` differs")),
        "{w:?}"
    );
    assert!(!w.iter().any(|w| w.contains("namespace")), "{w:?}");
}

#[test]
fn lower_is_worse_for_throughput() {
    let r = parse("throughput=10%").unwrap();
    let base = run("h", 2, vec![backend("b", 0, 1.0, 1000.0)]);
    let c = compare(
        &base,
        &run("h", 2, vec![backend("b", 0, 1.0, 2000.0)]),
        std::slice::from_ref(&r),
    );
    assert!(!c.regressed(), "more throughput is better");
    let c = compare(&base, &run("h", 2, vec![backend("b", 0, 1.0, 899.0)]), &[r]);
    assert!(c.regressed());
    assert_eq!(c.rows[0].allowed, Some(900.0));
}
