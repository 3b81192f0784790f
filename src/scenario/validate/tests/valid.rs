//! Scenarios that validate: resolved defaults, generated ids, error display
//! and the expected order count of each shape.
//!
//! Invariant: a valid file yields exactly the `Scenario` the documentation
//! promises, defaults included.

use super::*;

#[test]
fn full_scenario_resolves_defaults_ids_and_indices() {
    let text = r#"
name = "full.v1"
seed = 7
retries = 0
oversell_buffer = 2

[catalogue]
hot = { stock = 100, buffer = 0 }
long_tail = { count = 12, stock = 20 }

[[sku]]
id = "EXTRA"
stock = 3
buffer = 1

[[phase]]
kind = "instant"
orders = 5
skus = { pick = "one", sku = "EXTRA" }

[[phase]]
name = "ramp-up"
kind = "ramp"
at = "1.5s"
from = 0
to = 100.5
duration = "2s"
skus = { pick = "weights", weights = { "SKU-12" = 3, HOT = 1 } }
quantity = { weights = { "2" = 1, "1" = 4 } }

[[phase]]
kind = "closed"
clients = 8
duration = "250ms"
skus = { pick = "zipf", exponent = 1.1 }
quantity = { min = 1, max = 3 }

[[backend]]
kind = "sqlite-atomic"
pool = 4

[[backend]]
kind = "memory-naive"
name = "naive@1ms"
rtt = "1ms"
"#;
    let s = parse(text, Path::new("dir/full.toml")).unwrap();
    assert_eq!((s.name.as_str(), s.seed), ("full.v1", 7));
    assert_eq!(s.source, Path::new("dir/full.toml"));
    assert_eq!(s.concurrency, 64);
    assert_eq!(s.timeout, Duration::from_secs(2));
    assert_eq!(s.retries, 0);
    assert_eq!(s.window, Duration::from_millis(100));
    assert_eq!(s.min_window_orders, 100);
    assert_eq!(s.saturation_limit, Duration::from_millis(5));

    let ids: Vec<&str> = s.skus.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(ids.len(), 14);
    assert_eq!(&ids[..3], ["HOT", "SKU-01", "SKU-02"]);
    assert_eq!(&ids[12..], ["SKU-12", "EXTRA"]);
    assert_eq!((s.skus[0].stock, s.skus[0].buffer), (100, 0));
    assert_eq!((s.skus[1].stock, s.skus[1].buffer), (20, 2));
    assert_eq!((s.skus[13].stock, s.skus[13].buffer), (3, 1));

    assert_eq!(s.phases.len(), 3);
    let p = &s.phases[0];
    assert_eq!((p.name.as_str(), p.at), ("phase-1", Duration::ZERO));
    assert!(matches!(p.shape, Shape::Instant { orders: 5 }));
    assert!(matches!(p.skus, SkuPick::One { sku: 13 }));
    assert!(matches!(p.quantity, Quantity::Fixed { units: 1 }));

    let p = &s.phases[1];
    assert_eq!(
        (p.name.as_str(), p.at),
        ("ramp-up", Duration::from_millis(1500))
    );
    match p.shape {
        Shape::Ramp { from, to, duration } => {
            assert_eq!((from, to, duration), (0.0, 100.5, Duration::from_secs(2)))
        }
        ref other => panic!("{other:?}"),
    }
    match &p.skus {
        SkuPick::Weights { weights } => assert_eq!(weights, &[(12, 3), (0, 1)]),
        other => panic!("{other:?}"),
    }
    match &p.quantity {
        Quantity::Weights { weights } => assert_eq!(weights, &[(2, 1), (1, 4)]),
        other => panic!("{other:?}"),
    }
    assert_eq!(expected_orders(&p.shape), Some(100.0));

    let p = &s.phases[2];
    assert_eq!(p.name, "phase-3");
    assert!(matches!(p.shape, Shape::Closed { clients: 8, .. }));
    assert!(matches!(p.skus, SkuPick::Zipf { exponent } if exponent == 1.1));
    assert!(matches!(p.quantity, Quantity::Uniform { min: 1, max: 3 }));
    assert_eq!(expected_orders(&p.shape), None);

    assert_eq!(s.backends.len(), 2);
    let b = &s.backends[0];
    assert_eq!(
        (b.name.as_str(), b.kind),
        ("sqlite-atomic", BackendKind::SqliteAtomic)
    );
    assert_eq!(b.options.pool, 4);
    assert_eq!(
        b.options.busy_timeout,
        BackendOptions::default().busy_timeout
    );
    let b = &s.backends[1];
    assert_eq!(
        (b.name.as_str(), b.kind),
        ("naive@1ms", BackendKind::MemoryNaive)
    );
    assert_eq!(b.options.rtt, Duration::from_millis(1));
}

#[test]
fn long_tail_ids_are_padded_to_the_width_of_count() {
    let head = "name = \"t\"\nseed = 1\n[catalogue]\nlong_tail = { count = 100, stock = 1, prefix = \"P\" }\n";
    let s = parse(&doc(head, PHASE, BACKEND), Path::new("s.toml")).unwrap();
    assert_eq!(s.skus[0].id, "P001");
    assert_eq!(s.skus[99].id, "P100");
    let head = "name = \"t\"\nseed = 1\n[catalogue]\nlong_tail = { count = 9, stock = 1 }\n";
    let s = parse(&doc(head, PHASE, BACKEND), Path::new("s.toml")).unwrap();
    assert_eq!(s.skus[8].id, "SKU-9");
}

#[test]
fn display_is_file_line_column_key_message() {
    let text = doc("name = \"t\"\nseed = -1\n", PHASE, BACKEND);
    let e = parse(&text, Path::new("a/b.toml")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "a/b.toml:2:8: `seed`: `seed` must be at least 0; got -1"
    );
}

#[test]
fn expected_orders_per_shape() {
    let s = Duration::from_secs;
    assert_eq!(expected_orders(&Shape::Instant { orders: 7 }), Some(7.0));
    assert_eq!(
        expected_orders(&Shape::Spread {
            orders: 7,
            over: s(1)
        }),
        Some(7.0)
    );
    assert_eq!(
        expected_orders(&Shape::Constant {
            rate: 2.5,
            duration: s(3)
        }),
        Some(7.0)
    );
    assert_eq!(
        expected_orders(&Shape::Ramp {
            from: 0.0,
            to: 5.0,
            duration: s(3)
        }),
        Some(7.0)
    );
    assert_eq!(
        expected_orders(&Shape::Poisson {
            rate: 2.5,
            duration: s(3)
        }),
        Some(7.5)
    );
    assert_eq!(
        expected_orders(&Shape::Closed {
            clients: 2,
            duration: s(3)
        }),
        None
    );
}

#[test]
fn tables_opened_by_a_dotted_header_alone_validate() {
    // `[catalogue.hot]` and `[checkout.pay_delay]` imply their parent table
    // without a header of its own.
    let s = parse(
        r#"
name = "dotted"
seed = 1
[catalogue.hot]
id = "HOT"
stock = 5
[catalogue.long_tail]
count = 2
stock = 1
[checkout]
hold_ttl = "1s"
[checkout.pay_delay]
fixed = "10ms"
[[phase]]
kind = "instant"
orders = 3
skus = { pick = "one", sku = "HOT" }
[[backend]]
kind = "memory-atomic"
"#,
        Path::new("dotted.toml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.skus.len(), 3);
    assert_eq!(s.skus[0].stock, 5);
    assert!(s.checkout.is_some());
}
