//! Latency faults on the paused clock, against an in-process store: the
//! delay lands where it should, a short timeout turns it into unknowns of
//! both kinds, and the windows it was active in are marked.

use crate::plan::Plan;
use crate::runner::{run_backend, RunOptions, Stop};
use crate::scenario::{parse, Scenario};
use crate::summary::BackendSummary;
use std::path::Path;
use tokio::sync::watch;

/// 100 orders for one SKU, one every 10 ms from t0, windows of 100 ms, and
/// one latency fault from 205 ms to 705 ms: exactly the 50 orders due at
/// 210 … 700 ms are sent while it is active.
fn with_latency(latency: &str, timeout: &str) -> Scenario {
    let text = format!(
        "name = \"t\"\nseed = 1\ntimeout = \"{timeout}\"\nwindow = \"100ms\"\n\
         [[sku]]\nid = \"HOT\"\nstock = 1000\n\
         [[phase]]\nkind = \"constant\"\nrate = 100\nduration = \"1s\"\n\
         skus = {{ pick = \"one\", sku = \"HOT\" }}\n\
         [[backend]]\nkind = \"memory-atomic\"\n\
         [[fault]]\nname = \"slow\"\nkind = \"latency\"\nat = \"205ms\"\nduration = \"500ms\"\nlatency = \"{latency}\"\n"
    );
    parse(&text, Path::new("t.toml")).unwrap_or_else(|e| panic!("test scenario: {e}"))
}

fn run(s: &Scenario) -> BackendSummary {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let plan = Plan::measure(s);
        let (_stop_tx, stop) = watch::channel(Stop::Run);
        let options = RunOptions::quiet(stop);
        run_backend(s, &plan, &s.backends[0], 0, &options)
            .await
            .expect("backend runs")
            .summary
    })
}

/// Windows 2 to 7 overlap [205 ms, 705 ms); the rest must stay unmarked.
fn assert_marked(b: &BackendSummary) {
    for w in &b.windows {
        let expected: &[&str] = if (2..=7).contains(&w.index) {
            &["slow"]
        } else {
            &[]
        };
        assert_eq!(w.faults, expected, "window {}", w.index);
    }
}

#[test]
fn a_latency_fault_delays_exactly_the_attempts_sent_while_it_is_active() {
    let b = run(&with_latency("50ms", "2s"));
    assert_eq!(b.orders.granted, 100);
    assert_marked(&b);
    for w in &b.windows {
        let (fast, slow) = (w.latency_us.max < 1_000.0, w.latency_us.p50 > 49_000.0);
        match w.index {
            // Orders due at 210 … 290 ms and 300 … 690 ms.
            3..=6 => assert!(slow && w.latency_us.max < 51_000.0, "window {w:?}"),
            0 | 1 | 8 | 9 => assert!(fast, "window {w:?}"),
            _ => {}
        }
    }
    // Window 2: the order due at 200 ms is fast, the nine after it slow.
    let w2 = &b.windows[2];
    assert!(
        w2.latency_us.p50 > 49_000.0 && w2.latency_us.max < 51_000.0,
        "{w2:?}"
    );
    // Window 7: only the order due at 700 ms is slow.
    let w7 = &b.windows[7];
    assert!(
        w7.latency_us.p50 < 1_000.0 && w7.latency_us.max > 49_000.0,
        "{w7:?}"
    );
}

#[test]
fn a_timeout_in_the_first_half_of_the_delay_is_an_unknown_that_never_applied() {
    // 150 ms before the store and 150 ms after: a 100 ms timeout fires
    // before the request reaches it.
    let b = run(&with_latency("300ms", "100ms"));
    assert_eq!((b.orders.granted, b.orders.unknown), (50, 50));
    assert_eq!(b.units.unknown, 50);
    // memory-atomic stores no order ids: the unknowns stay bounds (the
    // servers' tests in tests/faults.rs see them settled).
    assert_eq!(b.unknowns.unresolved, 50, "{:?}", b.unknowns);
    assert_eq!(b.units.lost_updates + b.units.phantom, 0);
    assert_marked(&b);
    let unknown: u64 = b.windows.iter().map(|w| w.orders.unknown).sum();
    let in_marked: u64 = b
        .windows
        .iter()
        .filter(|w| !w.faults.is_empty())
        .map(|w| w.orders.unknown)
        .sum();
    assert_eq!((unknown, in_marked), (50, 50));
    // Recorded at their timeout.
    assert!(
        (b.latency_us.max - 100_000.0).abs() < 1_000.0,
        "{}",
        b.latency_us.max
    );
}

#[test]
fn a_timeout_in_the_second_half_of_the_delay_is_an_unknown_that_applied() {
    // 75 ms before the store, 75 ms after: the store applied the order and
    // the 100 ms timeout fires on the way back.
    let b = run(&with_latency("150ms", "100ms"));
    assert_eq!((b.orders.granted, b.orders.unknown), (50, 50));
    assert_eq!(b.unknowns.unresolved, 50, "{:?}", b.unknowns);
    assert_eq!(b.units.lost_updates + b.units.phantom, 0);
    assert_eq!(b.windows[1].orders.unknown, 0);
    assert_eq!(b.windows[3].orders.unknown, 10);
}

#[test]
fn a_run_without_faults_has_no_knob() {
    let s = with_latency("50ms", "2s");
    assert!(super::knob(&super::for_backend(&s.faults, "memory-atomic")).is_some());
    assert!(super::knob(&super::for_backend(&s.faults, "another")).is_none());
}

#[test]
fn an_interrupt_stops_the_faults_with_the_clients() {
    // Orders for 10 s, a latency fault from 5 s; the run is interrupted at
    // 1 s and must end then, not wait for the fault's turn.
    let text = "name = \"t\"\nseed = 1\n[[sku]]\nid = \"HOT\"\nstock = 1000\n\
                [[phase]]\nkind = \"constant\"\nrate = 10\nduration = \"10s\"\n\
                [[backend]]\nkind = \"memory-atomic\"\n\
                [[fault]]\nkind = \"latency\"\nat = \"5s\"\nduration = \"1h\"\nlatency = \"1s\"\n";
    let s = parse(text, Path::new("t.toml")).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let (b, elapsed) = runtime.block_on(async {
        let plan = Plan::measure(&s);
        let (stop_tx, stop) = watch::channel(Stop::Run);
        let options = RunOptions::quiet(stop);
        let start = tokio::time::Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            let _ = stop_tx.send(Stop::Drain);
            // Keep the sender alive until the run is over.
            std::future::pending::<()>().await;
        });
        let b = run_backend(&s, &plan, &s.backends[0], 0, &options)
            .await
            .expect("backend runs")
            .summary;
        (b, start.elapsed())
    });
    assert!(elapsed < std::time::Duration::from_secs(2), "{elapsed:?}");
    assert!(b.orders.offered <= 11, "{}", b.orders.offered);
    assert_eq!(b.orders.unknown, 0);
    // The fault at 5 s never came: no window says it did.
    assert!(
        b.windows.iter().all(|w| w.faults.is_empty()),
        "{:?}",
        b.windows
    );
}

#[test]
fn a_fault_that_fails_is_recorded_and_the_run_goes_on() {
    // Validation keeps kills off in-process stores; staged anyway, the
    // store's refusal stands for a kill the server refused.
    let mut s = with_latency("1ms", "2s");
    s.faults.push(crate::scenario::Fault {
        name: "kill@500ms".into(),
        at: std::time::Duration::from_millis(500),
        action: crate::scenario::FaultAction::KillConnections,
        backends: vec!["memory-atomic".into()],
    });
    let b = run(&s);
    assert!(!b.aborted);
    assert_eq!(b.orders.granted, 100);
    let error = b.first_error.as_deref().unwrap_or_default();
    assert!(
        error.starts_with("fault kill@500ms failed: ") && error.contains("no server sessions"),
        "{error:?}"
    );
    assert_eq!(b.windows[5].faults, ["slow", "kill@500ms"]);
}
