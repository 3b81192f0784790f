use super::*;

fn number(text: &str) -> f64 {
    match parse(text)
        .unwrap_or_else(|e| panic!("{text}: {}", e.message))
        .limit
    {
        Limit::Number(n) => n,
        Limit::Bool(b) => panic!("{text}: a boolean limit {b}"),
    }
}

fn error(text: &str) -> ExprError {
    match parse(text) {
        Ok(c) => panic!("{text} parsed as {c:?}"),
        Err(e) => e,
    }
}

#[test]
fn every_operator() {
    for (s, op) in [
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<", Op::Lt),
        ("<=", Op::Le),
        (">", Op::Gt),
        (">=", Op::Ge),
    ] {
        let c = parse(&format!("units.oversold {s} 3")).unwrap();
        assert_eq!(c.op, op, "{s}");
        assert_eq!(c.op.as_str(), s);
        // Spacing does not matter.
        assert_eq!(parse(&format!("units.oversold{s}3")).unwrap().op, op);
    }
    assert!(Op::Lt.holds(1.0, 2.0) && !Op::Lt.holds(2.0, 2.0));
    assert!(Op::Le.holds(2.0, 2.0) && !Op::Le.holds(3.0, 2.0));
    assert!(Op::Gt.holds(3.0, 2.0) && !Op::Gt.holds(2.0, 2.0));
    assert!(Op::Ge.holds(2.0, 2.0) && !Op::Ge.holds(1.0, 2.0));
    assert!(Op::Eq.holds(0.0, 0.0) && !Op::Eq.holds(1.0, 0.0));
    assert!(Op::Ne.holds(1.0, 0.0) && !Op::Ne.holds(0.0, 0.0));
}

#[test]
fn time_units_convert_to_the_fields_unit() {
    // Latencies are stored in microseconds.
    assert_eq!(number("peak.latency_us.p99 < 50ms"), 50_000.0);
    assert_eq!(number("peak.latency_us.p99 < 50"), 50.0);
    assert_eq!(number("latency_us.p99 < 250us"), 250.0);
    assert_eq!(number("latency_us.p99 < 250µs"), 250.0);
    assert_eq!(number("latency_us.p99 < 1500ns"), 1.5);
    assert_eq!(number("latency_us.max < 2s"), 2_000_000.0);
    assert_eq!(number("windows.max.latency_us.p99 < 200ms"), 200_000.0);
    // duration_ms is in milliseconds.
    assert_eq!(number("duration_ms < 3s"), 3000.0);
    assert_eq!(number("duration_ms < 500us"), 0.5);
}

#[test]
fn percentages_apply_to_shares_and_ratios() {
    assert_eq!(number("oversell_rate < 1%"), 0.01);
    assert_eq!(number("oversell_rate < 0.01"), 0.01);
    let c = parse("orders.error / orders.offered < 0.1%").unwrap();
    assert!((number("orders.error / orders.offered < 0.1%") - 0.001).abs() < 1e-15);
    assert_eq!(c.unit, Unit::Ratio);
    assert_eq!(c.subject(), "orders.error / orders.offered");
    assert_eq!(c.per.unwrap().path, "orders.offered");
}

#[test]
fn plain_counts_and_booleans() {
    assert_eq!(number("units.undersold <= 5"), 5.0);
    assert_eq!(number("units.oversold == 0"), 0.0);
    assert_eq!(number("throughput_per_s >= 1_000"), 1000.0);
    let c = parse("harness_saturated == false").unwrap();
    assert_eq!(c.limit, Limit::Bool(false));
    assert_eq!(parse("co_safe != false").unwrap().limit, Limit::Bool(false));
}

#[test]
fn every_scope() {
    for (text, scope) in [
        ("units.oversold == 0", Scope::Run),
        ("peak.units.oversold_at_grant == 0", Scope::Peak),
        ("worst.latency.latency_us.p99 < 1s", Scope::Worst),
        ("worst.oversell.units.oversold_at_grant == 0", Scope::Worst),
        ("windows.max.latency_us.p99 < 200ms", Scope::WindowsMax),
        ("windows.min.orders.granted > 0", Scope::WindowsMin),
        ("windows[].orders.error == 0", Scope::EveryWindow),
    ] {
        assert_eq!(parse(text).unwrap().scope(), scope, "{text}");
    }
}

#[test]
fn unknown_metrics_name_close_matches() {
    let e = error("units.oversould == 0");
    assert_eq!(e.at, 0);
    assert!(
        e.message.contains("unknown metric `units.oversould`"),
        "{}",
        e.message
    );
    assert!(e.message.contains("`units.oversold`"), "{}", e.message);
    let e = error("orders.error / orders.ofered < 1%");
    assert_eq!(e.at, 15);
    assert!(e.message.contains("`orders.offered`"), "{}", e.message);
}

#[test]
fn malformed_expressions_are_refused() {
    for (text, needle) in [
        ("units.oversold", "no comparison"),
        ("units.oversold = 0", "no comparison"),
        ("units.oversold ==", "missing limit"),
        ("== 0", "missing metric"),
        ("units.oversold == zero", "not a number"),
        ("units.oversold == 0 == 1", "one comparison"),
        ("units.oversold < 5ms", "plain figure"),
        ("units.undersold <= 5%", "plain figure"),
        ("peak.latency_us.p99 < 5%", "microseconds"),
        ("peak.latency_us.p99 < 5h", "microseconds"),
        ("oversell_rate < 1ms", "share"),
        ("harness_saturated == 0", "true or false"),
        ("harness_saturated < true", "only == and !="),
        ("units.oversold == true", "is a number"),
        ("orders.error / peak.orders.offered < 1%", "same scope"),
        (
            "worst.latency.orders.error / worst.oversell.orders.offered < 1%",
            "same scope",
        ),
        ("latency_us.p99 / orders.offered < 1", "different units"),
        ("harness_saturated / orders.offered < 1", "two numbers"),
        ("units.oversold < 1e999", "finite"),
    ] {
        let e = error(text);
        assert!(e.message.contains(needle), "{text}: {}", e.message);
    }
}

#[test]
fn errors_point_at_the_limit() {
    let text = "units.oversold <   5ms";
    let e = error(text);
    assert_eq!(&text[e.at..], "ms");
    let e = error("units.oversold ==   zero");
    assert_eq!(e.at, 20);
}

#[test]
fn a_limit_that_overflows_in_the_fields_unit_is_refused() {
    let e = error("latency_us.p99 < 1e308s");
    assert!(
        e.message.contains("beyond any finite number"),
        "{}",
        e.message
    );
}
