use super::*;
use crate::summary::*;

fn window(index: u64, offered: u64, p99: f64, error: u64) -> Window {
    Window {
        index,
        start_ms: index as f64 * 100.0,
        window_ms: 100.0,
        orders: WindowOrders {
            offered,
            granted: offered - error,
            error,
            ..Default::default()
        },
        latency_us: WindowLatency {
            p99,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn backend(name: &str, oversold: u64, offered: u64, error: u64) -> BackendSummary {
    let windows = vec![
        window(0, 150, 30_000.0, 0),
        window(1, 5, 900_000.0, 0), // too few orders to count
        window(2, 200, 120_000.0, error.min(5)),
    ];
    BackendSummary {
        name: name.into(),
        store: "memory".into(),
        strategy: "test".into(),
        options: serde_json::json!({}),
        aborted: false,
        abort_reason: None,
        cut_short: false,
        first_error: None,
        orders: Orders {
            offered,
            granted: offered - error,
            error,
            ..Default::default()
        },
        units: Units {
            oversold,
            ..Default::default()
        },
        unknowns: Default::default(),
        oversell_rate: 0.0,
        sell_through: 0.0,
        throughput_per_s: 0.0,
        duration_ms: 300.0,
        latency_us: Latency {
            p99: 40_000.0,
            ..Default::default()
        },
        service_us: Default::default(),
        wait_us: Default::default(),
        dispatch_lag_us: Default::default(),
        co_safe: true,
        harness_saturated: false,
        peak: Peak {
            flat: false,
            window: windows[2].clone(),
        },
        worst: Worst {
            latency: Some(windows[2].clone()),
            oversell: None,
        },
        windows,
        skus: vec![],
        oversell_samples: vec![],
        holds: None,
        batches: None,
    }
}

fn run(backends: Vec<BackendSummary>) -> RunSummary {
    RunSummary {
        schema_version: SCHEMA_VERSION,
        run_id: "r".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        tool: Tool {
            name: "atpsim".into(),
            version: "0".into(),
            git_commit: "x".into(),
        },
        environment: Environment {
            os: "linux".into(),
            arch: "x86_64".into(),
            cpu_count: 2,
            backends: Default::default(),
        },
        scenario: ScenarioInfo {
            name: "t".into(),
            file: "t.toml".into(),
            seed: 1,
            schedule_hash: "h".into(),
            generator_version: 1,
            effective: serde_json::value::RawValue::from_string("{}".into()).unwrap(),
        },
        interrupted: false,
        thresholds: vec![],
        repeats: vec![],
        backends,
    }
}

fn verdicts(arg: &str, r: &RunSummary) -> Vec<Verdict> {
    let set = parse_arg(arg).unwrap_or_else(|e| panic!("{arg}: {}", e.message));
    check(&[set], r, 100)
}

#[test]
fn a_selector_picks_backends_by_name_or_glob() {
    let r = run(vec![
        backend("memory-naive", 12, 1000, 0),
        backend("memory-atomic", 0, 1000, 0),
        backend("sqlite-atomic", 0, 1000, 0),
    ]);
    let all = verdicts("units.oversold == 0", &r);
    let passed: Vec<(&str, bool)> = all.iter().map(|v| (v.backend.as_str(), v.passed)).collect();
    assert_eq!(
        passed,
        [
            ("memory-naive", false),
            ("memory-atomic", true),
            ("sqlite-atomic", true)
        ]
    );
    assert_eq!(all[0].measured, serde_json::json!(12.0));
    let some = verdicts("*-atomic: units.oversold == 0", &r);
    assert_eq!(some.len(), 2);
    assert!(some.iter().all(|v| v.passed));
    let one = verdicts(" memory-naive : units.oversold <= 12", &r);
    assert_eq!((one.len(), one[0].passed), (1, true));
    assert!(unmatched("redis-*", &["memory-naive"]).is_some());
    assert!(unmatched("memory-*", &["memory-naive"]).is_none());
}

#[test]
fn window_scopes_skip_thin_windows_and_name_the_deciding_one() {
    let r = run(vec![backend("b", 0, 355, 0)]);
    let v = &verdicts("windows.max.latency_us.p99 < 200ms", &r)[0];
    // Window 1 (900 ms) has 5 orders, below min_window_orders.
    assert_eq!(
        (v.measured.clone(), v.window, v.passed),
        (serde_json::json!(120_000.0), Some(2), true)
    );
    let v = &verdicts("windows.max.latency_us.p99 < 100ms", &r)[0];
    assert!(!v.passed);
    let v = &verdicts("windows.min.latency_us.p99 > 50ms", &r)[0];
    assert_eq!((v.window, v.passed), (Some(0), false));
    let v = &verdicts("windows[].latency_us.p99 < 100ms", &r)[0];
    assert_eq!((v.window, v.passed), (Some(2), false));
    let v = &verdicts("peak.latency_us.p99 < 50ms", &r)[0];
    assert_eq!(
        (v.measured.clone(), v.passed),
        (serde_json::json!(120_000.0), false)
    );
    let v = &verdicts("worst.latency.latency_us.p99 <= 120ms", &r)[0];
    assert!(v.passed);
    assert_eq!(v.unit, "microseconds");
}

#[test]
fn what_cannot_be_measured_fails_with_a_reason() {
    let r = run(vec![backend("b", 0, 355, 0)]);
    let v = &verdicts("worst.oversell.units.oversold_at_grant == 0", &r)[0];
    assert!(!v.passed);
    assert!(v
        .reason
        .as_deref()
        .unwrap()
        .contains("worst.oversell is null"));
    let mut thin = backend("b", 0, 355, 0);
    for w in &mut thin.windows {
        w.orders.offered = 3;
    }
    let v = &verdicts("windows.max.latency_us.p99 < 1s", &run(vec![thin]))[0];
    assert_eq!(
        (v.passed, v.measured.clone()),
        (false, serde_json::Value::Null)
    );
    assert!(v
        .reason
        .as_deref()
        .unwrap()
        .contains("no window has at least 100 orders"));
}

#[test]
fn ratios_per_run_and_per_window() {
    let r = run(vec![backend("b", 0, 1000, 5)]);
    let v = &verdicts("orders.error / orders.offered < 1%", &r)[0];
    assert_eq!(
        (v.measured.clone(), v.passed),
        (serde_json::json!(0.005), true)
    );
    assert_eq!(v.unit, "fraction");
    let v = &verdicts(
        "windows.max.orders.error / windows.max.orders.offered < 2%",
        &r,
    )[0];
    assert_eq!(
        (v.measured.clone(), v.window, v.passed),
        (serde_json::json!(0.025), Some(2), false)
    );
    // 0 / 0 is 0, as oversell_rate is with nothing granted.
    let zero = run(vec![backend("b", 0, 1000, 0)]);
    let v = &verdicts("units.oversold / units.granted == 0", &zero)[0];
    assert!(v.passed);
}

#[test]
fn an_unfit_backend_fails_every_threshold() {
    // Every order failed: units.oversold is 0, and must not pass.
    let all_failed = backend("dead", 0, 1000, 1000);
    let mut aborted = backend("aborted", 0, 1000, 0);
    aborted.aborted = true;
    aborted.abort_reason = Some("connection refused".into());
    let r = run(vec![all_failed, aborted, backend("fine", 0, 1000, 10)]);
    let v = verdicts("units.oversold == 0", &r);
    assert!(!v[0].passed);
    assert!(v[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("none of its 1000 orders got an answer"));
    assert!(!v[1].passed);
    assert!(v[1]
        .reason
        .as_deref()
        .unwrap()
        .contains("aborted (connection refused)"));
    // 10 of 1000 is exactly 1%, not more.
    assert!(v[2].passed, "{:?}", v[2]);
    // Even a max_failed of 100% cannot make a backend that answered
    // nothing pass.
    let mut lenient = parse_arg("units.oversold == 0").unwrap();
    lenient.max_failed = 1.0;
    assert!(!check(&[lenient], &r, 100)[0].passed);
    let mut interrupted = run(vec![backend("fine", 0, 1000, 0)]);
    interrupted.interrupted = true;
    let v = &verdicts("units.oversold == 0", &interrupted)[0];
    assert!(!v.passed && v.reason.as_deref().unwrap().contains("interrupted"));
}

#[test]
fn booleans_compare_equal_or_not() {
    let mut saturated = backend("b", 0, 1000, 0);
    saturated.harness_saturated = true;
    let r = run(vec![saturated]);
    assert!(!verdicts("harness_saturated == false", &r)[0].passed);
    assert!(verdicts("harness_saturated != false", &r)[0].passed);
    assert_eq!(
        verdicts("harness_saturated == true", &r)[0].measured,
        serde_json::json!(true)
    );
}

#[test]
fn a_command_line_selector_must_not_be_empty_and_errors_keep_their_offset() {
    let e = parse_arg(": units.oversold == 0").unwrap_err();
    assert!(e.message.contains("empty backend selector"));
    let arg = "memory-*: units.oversould == 0";
    let e = parse_arg(arg).unwrap_err();
    assert_eq!(&arg[e.at..], "units.oversould == 0");
}

#[test]
fn the_terminal_section_shows_each_verdict() {
    let r = run(vec![backend("memory-naive", 12, 1000, 0)]);
    let text = render(&verdicts("units.oversold == 0", &r));
    assert!(text.contains("thresholds: 0 passed, 1 failed"), "{text}");
    assert!(
        text.contains("FAIL  memory-naive  units.oversold == 0  measured 12"),
        "{text}"
    );
    assert_eq!(render(&[]), "");
}

#[test]
fn a_backend_that_answered_nothing_fails_whatever_max_failed_allows() {
    let mut r = run(vec![backend("dead", 0, 100, 100)]);
    let set = crate::gate::ThresholdSet {
        max_failed: 1.0,
        ..parse_arg("units.oversold == 0").unwrap()
    };
    let v = check(std::slice::from_ref(&set), &r, 100);
    assert!(!v[0].passed, "{v:?}");
    assert!(v[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("none of its 100 orders"));
    // One answer among them, and 100% allows the rest.
    r.backends[0].orders.error = 99;
    r.backends[0].orders.granted = 1;
    assert!(check(&[set], &r, 100)[0].passed);
}

#[test]
fn a_ratio_over_zero_fails_unless_it_is_zero_over_zero() {
    let r = run(vec![backend("a", 0, 100, 0)]);
    // offered / error: 100 / 0 is no measure, never a pass at 0.
    let v = verdicts("orders.offered / orders.error < 1", &r);
    assert!(!v[0].passed, "{v:?}");
    assert_eq!(v[0].measured, serde_json::Value::Null);
    // error / error: 0 / 0 counts as 0, as oversell_rate does.
    assert!(verdicts("orders.error / orders.offered < 0.1%", &r)[0].passed);
}
