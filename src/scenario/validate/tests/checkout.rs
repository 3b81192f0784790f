//! `[checkout]` and `[[event]]`: the model a valid table yields, and each
//! refusal at its line, column and key.
//!
//! Invariant: each rejection points at the offending line and dotted key
//! and says how to fix it.

use super::*;
use crate::scenario::{AfterExpiry, Delay, EventAction, LineCount};

/// A scenario with the common head, phase and backend, then `tail`.
fn with(tail: &str) -> String {
    doc(HEAD, PHASE, &format!("{BACKEND}{tail}"))
}

/// The column (1-based) of `needle` on the line of the error.
fn column_of(text: &str, e: &ScenarioError, needle: &str) -> usize {
    let line = text.lines().nth(e.line - 1).unwrap();
    line.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not on line {line:?}"))
        + 1
}

#[test]
fn full_checkout_resolves_to_the_model() {
    let s = parse(
        &with(
            r#"
[checkout]
hold_ttl = "2s"
hold_grace = "250ms"
pay_delay = { median = "900ms", sigma = 0.5 }
abandon = 0.3
cancel = 0.05
cancel_delay = { min = "100ms", max = "2s" }
cancel_twice = 1
after_expiry = "reacquire"
timeout_retries = 2
idempotency = false
lines = { min = 1, max = 3 }

[[event]]
at = "3s"
kind = "restock"
sku = "HOT"
units = 50

[[event]]
at = "1s"
kind = "refund"
orders = 4

[[event]]
at = "3s"
kind = "correction"
sku = "SKU-2"
units = 2

[[event]]
at = "0ms"
kind = "refund"
sku = "SKU-3"
orders = 1
"#,
        ),
        Path::new("s.toml"),
    )
    .unwrap();
    let c = s.checkout.expect("a checkout");
    assert_eq!(c.hold_ttl, Some(Duration::from_secs(2)));
    assert_eq!(c.hold_grace, Duration::from_millis(250));
    assert_eq!(
        c.pay_delay,
        Delay::LogNormal {
            median: Duration::from_millis(900),
            sigma: 0.5
        }
    );
    assert_eq!((c.abandon, c.cancel, c.cancel_twice), (0.3, 0.05, 1.0));
    assert_eq!(
        c.cancel_delay,
        Delay::Uniform {
            min: Duration::from_millis(100),
            max: Duration::from_secs(2)
        }
    );
    assert_eq!(c.after_expiry, AfterExpiry::Reacquire);
    assert_eq!((c.timeout_retries, c.idempotency), (2, false));
    assert_eq!(c.lines, LineCount { min: 1, max: 3 });

    // Sorted by `at`; the two at 3s keep their order in the file.
    let at: Vec<u128> = c.events.iter().map(|e| e.at.as_millis()).collect();
    assert_eq!(at, [0, 1000, 3000, 3000]);
    assert!(matches!(
        c.events[0].action,
        EventAction::Refund {
            sku: Some(3),
            orders: 1
        }
    ));
    assert!(matches!(
        c.events[1].action,
        EventAction::Refund {
            sku: None,
            orders: 4
        }
    ));
    assert!(matches!(
        c.events[2].action,
        EventAction::Restock { sku: 0, units: 50 }
    ));
    assert!(matches!(
        c.events[3].action,
        EventAction::Correction { sku: 2, units: 2 }
    ));
}

#[test]
fn defaults_events_alone_and_no_checkout() {
    let s = parse(&with(""), Path::new("s.toml")).unwrap();
    assert!(s.checkout.is_none());
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["checkout"], serde_json::Value::Null);

    let s = parse(&with("\n[checkout]\n"), Path::new("s.toml")).unwrap();
    let c = s.checkout.expect("an empty table is a checkout");
    assert_eq!(c.hold_ttl, None);
    assert_eq!(c.hold_grace, Duration::from_secs(1));
    assert_eq!(c.pay_delay, Delay::Fixed(Duration::from_millis(500)));
    assert_eq!(c.cancel_delay, Delay::Fixed(Duration::from_millis(500)));
    assert_eq!((c.abandon, c.cancel, c.cancel_twice), (0.0, 0.0, 0.0));
    assert_eq!(c.after_expiry, AfterExpiry::Reject);
    assert_eq!((c.timeout_retries, c.idempotency), (0, true));
    assert_eq!(c.lines, LineCount { min: 1, max: 1 });
    assert!(c.events.is_empty());

    // Events without a [checkout] table run with the default checkout.
    let s = parse(
        &with("\n[[event]]\nat = \"1s\"\nkind = \"restock\"\nsku = \"HOT\"\nunits = 5\n"),
        Path::new("s.toml"),
    )
    .unwrap();
    let c = s.checkout.expect("events make a checkout");
    assert_eq!((c.hold_ttl, c.lines), (None, LineCount { min: 1, max: 1 }));
    assert_eq!(c.events.len(), 1);

    // Carts, retries and idempotency need no holds.
    let s = parse(
        &with("\n[checkout]\nlines = { min = 2, max = 2 }\ntimeout_retries = 10\nidempotency = false\n"),
        Path::new("s.toml"),
    )
    .unwrap();
    assert_eq!(s.checkout.unwrap().lines, LineCount { min: 2, max: 2 });
}

#[test]
fn checkout_serialises_into_the_effective_scenario() {
    let s = parse(
        &with("\n[checkout]\nhold_ttl = \"1.5s\"\npay_delay = { fixed = \"0ms\" }\n\n[[event]]\nat = \"2s\"\nkind = \"refund\"\norders = 3\n"),
        Path::new("s.toml"),
    )
    .unwrap();
    let json = serde_json::to_value(&s).unwrap();
    let c = &json["checkout"];
    assert_eq!(c["hold_ttl"], 1500.0);
    assert_eq!(c["hold_grace"], 1000.0);
    assert_eq!(
        c["pay_delay"],
        serde_json::json!({ "kind": "fixed", "fixed": 0.0 })
    );
    assert_eq!(
        c["cancel_delay"],
        serde_json::json!({ "kind": "fixed", "fixed": 500.0 })
    );
    let ms = Duration::from_millis;
    assert_eq!(
        serde_json::to_value(Delay::Uniform {
            min: ms(100),
            max: ms(2000)
        })
        .unwrap(),
        serde_json::json!({ "kind": "uniform", "min": 100.0, "max": 2000.0 })
    );
    assert_eq!(
        serde_json::to_value(Delay::LogNormal {
            median: ms(900),
            sigma: 0.5
        })
        .unwrap(),
        serde_json::json!({ "kind": "log_normal", "median": 900.0, "sigma": 0.5 })
    );
    assert_eq!(c["after_expiry"], "reject");
    assert_eq!(c["lines"], serde_json::json!({ "min": 1, "max": 1 }));
    assert_eq!(
        c["events"],
        serde_json::json!([{ "at": 2000.0, "action": { "kind": "refund", "sku": null, "orders": 3 } }])
    );
}

#[test]
fn hold_keys_need_hold_ttl() {
    for (line, k) in [
        ("hold_grace = \"1s\"", "hold_grace"),
        ("pay_delay = { fixed = \"1s\" }", "pay_delay"),
        ("abandon = 0.3", "abandon"),
        ("cancel = 0", "cancel"),
        ("cancel_delay = { fixed = \"1s\" }", "cancel_delay"),
        ("cancel_twice = 0.2", "cancel_twice"),
        ("after_expiry = \"reject\"", "after_expiry"),
    ] {
        let text = with(&format!(
            "\n[checkout]\nlines = {{ min = 1, max = 2 }}\n{line}\n"
        ));
        let e = assert_err(
            &text,
            line,
            &format!("checkout.{k}"),
            &[
                &format!("`{k}` says what happens to a hold"),
                "no `hold_ttl`",
                "add e.g. `hold_ttl = \"2s\"`",
            ],
        );
        assert_eq!(e.column, 1, "points at the key: {e}");
    }
}

#[test]
fn shares_of_holds() {
    for (line, key) in [
        ("abandon = 1.5", "checkout.abandon"),
        ("cancel = -0.1", "checkout.cancel"),
        ("cancel_twice = 2", "checkout.cancel_twice"),
        ("abandon = nan", "checkout.abandon"),
    ] {
        let text = with(&format!("\n[checkout]\nhold_ttl = \"2s\"\n{line}\n"));
        let e = assert_err(&text, line, key, &["between 0 and 1", "e.g. 0."]);
        assert_eq!(
            e.column,
            column_of(&text, &e, "= ") + 2,
            "at the value: {e}"
        );
    }
    let text = with("\n[checkout]\nhold_ttl = \"2s\"\nabandon = 0.7\ncancel = 0.5\n");
    assert_err(
        &text,
        "cancel = 0.5",
        "checkout.cancel",
        &["`abandon` (0.7) + `cancel` (0.5)", "above 1", "at most 1"],
    );
    let s = parse(
        &with("\n[checkout]\nhold_ttl = \"2s\"\nabandon = 0.7\ncancel = 0.3\n"),
        Path::new("s.toml"),
    )
    .unwrap();
    assert_eq!(s.checkout.unwrap().cancel, 0.3);
    let s = parse(
        &with("\n[checkout]\nhold_ttl = \"2s\"\nabandon = 1\ncancel = 0\n"),
        Path::new("s.toml"),
    )
    .unwrap();
    assert_eq!(s.checkout.unwrap().abandon, 1.0);
}

#[test]
fn hold_durations() {
    for (line, key, words) in [
        (
            "hold_ttl = \"0s\"",
            "checkout.hold_ttl",
            &["above zero", "\"2s\""][..],
        ),
        (
            "hold_ttl = \"61m\"",
            "checkout.hold_ttl",
            &["\"61m\", above the limit of 1h", "lower it"],
        ),
        (
            "hold_ttl = 2",
            "checkout.hold_ttl",
            &["bare number", "\"2ms\""],
        ),
        (
            "hold_ttl = \"1s\"\nhold_grace = \"0ms\"",
            "checkout.hold_grace",
            &["above zero", "\"1s\""],
        ),
    ] {
        let text = with(&format!("\n[checkout]\n{line}\n"));
        let needle = line.rsplit('\n').next().unwrap();
        assert_err(&text, needle, key, words);
    }
}

#[test]
fn delay_tables() {
    for (delay, key, words) in [
        (
            "{ fixed = \"2h\" }",
            "checkout.pay_delay.fixed",
            &["above the limit of 1h"][..],
        ),
        (
            "{ median = \"0ms\", sigma = 0.5 }",
            "checkout.pay_delay.median",
            &["above zero", "\"900ms\""],
        ),
        (
            "{ median = \"1s\", sigma = 0 }",
            "checkout.pay_delay.sigma",
            &["above 0 and at most 10", "e.g. 0.5"],
        ),
        (
            "{ median = \"1s\", sigma = 10.5 }",
            "checkout.pay_delay.sigma",
            &["at most 10"],
        ),
        (
            "{ median = \"1s\" }",
            "checkout.pay_delay.sigma",
            &["`median` needs `sigma`", "sigma = 0.5"],
        ),
        (
            "{ max = \"1s\" }",
            "checkout.pay_delay.min",
            &["`max` needs `min`", "min = \"100ms\""],
        ),
        (
            "{ min = \"2s\", max = \"1s\" }",
            "checkout.pay_delay.max",
            &["`max` (\"1s\") is below `min` (\"2s\")", "swap them"],
        ),
        (
            "{ fixed = \"1s\", median = \"1s\", sigma = 1 }",
            "checkout.pay_delay.median",
            &["cannot be combined with `fixed`", "exactly one of"],
        ),
        (
            "{ }",
            "checkout.pay_delay",
            &["empty", "pay_delay = { fixed = \"500ms\" }"],
        ),
        (
            "{ mean = \"1s\" }",
            "checkout.pay_delay.mean",
            &["unknown field `mean`", "correct its spelling"],
        ),
        (
            "\"1s\"",
            "checkout.pay_delay",
            &["expected an inline table such as `{ fixed = \"500ms\" }`"],
        ),
    ] {
        let text = with(&format!(
            "\n[checkout]\nhold_ttl = \"2s\"\npay_delay = {delay}\n"
        ));
        assert_err(&text, "pay_delay", key, words);
    }
    let text =
        with("\n[checkout]\nhold_ttl = \"2s\"\ncancel_delay = { fixed = \"1s\", max = \"2s\" }\n");
    let e = assert_err(
        &text,
        "cancel_delay",
        "checkout.cancel_delay.max",
        &["`max` cannot be combined with `fixed`"],
    );
    assert_eq!(e.column, column_of(&text, &e, "max"), "at the key: {e}");
    let s = parse(
        &with("\n[checkout]\nhold_ttl = \"2s\"\npay_delay = { fixed = \"0ms\" }\ncancel_delay = { min = \"0ms\", max = \"1h\" }\n"),
        Path::new("s.toml"),
    )
    .unwrap();
    let c = s.checkout.unwrap();
    assert_eq!(c.pay_delay, Delay::Fixed(Duration::ZERO));
    assert_eq!(
        c.cancel_delay,
        Delay::Uniform {
            min: Duration::ZERO,
            max: Duration::from_secs(3600)
        }
    );
}

#[test]
fn policy_retries_and_lines() {
    for (line, key, words) in [
        (
            "hold_ttl = \"1s\"\nafter_expiry = \"retry\"",
            "checkout.after_expiry",
            &[
                "unknown `after_expiry` \"retry\"",
                "`reject`",
                "`reacquire`",
            ][..],
        ),
        (
            "timeout_retries = 11",
            "checkout.timeout_retries",
            &["between 0 and 10", "timed-out attempt"],
        ),
        (
            "lines = { min = 0, max = 2 }",
            "checkout.lines.min",
            &["between 1 and 16", "lines per cart"],
        ),
        (
            "lines = { min = 1, max = 17 }",
            "checkout.lines.max",
            &["between 1 and 16"],
        ),
        (
            "lines = { min = 3, max = 2 }",
            "checkout.lines.max",
            &["`max` (2) is below `min` (3)", "swap them"],
        ),
        (
            "lines = { min = 2 }",
            "checkout.lines.max",
            &["`min` needs `max`", "lines = { min = 1, max = 3 }"],
        ),
        (
            "lines = { }",
            "checkout.lines.min",
            &["the `lines` table is empty", "lines = { min = 1, max = 3 }"],
        ),
        (
            "idempotency = \"yes\"",
            "checkout.idempotency",
            &["expected `true` or `false`"],
        ),
        (
            "holdttl = \"1s\"",
            "checkout.holdttl",
            &["unknown field `holdttl`", "correct its spelling"],
        ),
    ] {
        let text = with(&format!("\n[checkout]\n{line}\n"));
        let needle = line.rsplit('\n').next().unwrap();
        assert_err(&text, needle, key, words);
    }
}

#[test]
fn event_keys_and_kinds() {
    for (event, needle, key, words) in [
        (
            "at = \"1s\"\nsku = \"HOT\"",
            "[[event]]",
            "event[0].kind",
            &["missing `kind`", "`restock`, `correction`, `refund`"][..],
        ),
        (
            "at = \"1s\"\nkind = \"sale\"",
            "\"sale\"",
            "event[0].kind",
            &["unknown event kind \"sale\"", "`refund`"],
        ),
        (
            "at = \"1s\"\nkind = \"refund\"\nunits = 5",
            "units",
            "event[0].units",
            &[
                "`units` does not apply to kind = \"refund\"",
                "which takes `orders` and an optional `sku`",
            ],
        ),
        (
            "at = \"1s\"\nkind = \"restock\"\nsku = \"HOT\"\norders = 5",
            "orders = 5",
            "event[0].orders",
            &[
                "`orders` does not apply to kind = \"restock\"",
                "`sku` and `units`",
            ],
        ),
        (
            "kind = \"refund\"\norders = 5",
            "[[event]]",
            "event[0].at",
            &["missing `at`", "at = \"3s\""],
        ),
        (
            "at = \"25h\"\nkind = \"refund\"\norders = 5",
            "at =",
            "event[0].at",
            &[
                "\"25h\", above the limit of 24h",
                "a run lasts at most a day",
            ],
        ),
        (
            "at = \"1s\"\nkind = \"restock\"\nunits = 5",
            "[[event]]",
            "event[0].sku",
            &["a restock event needs `sku`", "sku = \"HOT\""],
        ),
        (
            "at = \"1s\"\nkind = \"correction\"\nsku = \"HOT\"",
            "[[event]]",
            "event[0].units",
            &["a correction event needs `units`", "units = 50"],
        ),
        (
            "at = \"1s\"\nkind = \"refund\"",
            "[[event]]",
            "event[0].orders",
            &["a refund event needs `orders`", "orders = 10"],
        ),
        (
            "at = \"1s\"\nkind = \"correction\"\nsku = \"COLD\"\nunits = 1",
            "COLD",
            "event[0].sku",
            &["unknown SKU \"COLD\"", "\"HOT\""],
        ),
        (
            "at = \"1s\"\nkind = \"refund\"\nsku = \"COLD\"\norders = 1",
            "COLD",
            "event[0].sku",
            &["unknown SKU \"COLD\""],
        ),
    ] {
        let text = with(&format!("\n[[event]]\n{event}\n"));
        assert_err(&text, needle, key, words);
    }
    // The index counts events in file order.
    let text = with("\n[[event]]\nat = \"1s\"\nkind = \"refund\"\norders = 1\n\n[[event]]\nat = \"1s\"\nkind = \"refund\"\norders = 0\n");
    assert_err(
        &text,
        "orders = 0",
        "event[1].orders",
        &["between 1 and 1000000"],
    );
}

#[test]
fn event_amounts() {
    for (event, needle, key, words) in [
        (
            "kind = \"restock\"\nsku = \"HOT\"\nunits = 0",
            "units",
            "event[0].units",
            &["at least 1", "moves no stock"][..],
        ),
        (
            "kind = \"correction\"\nsku = \"HOT\"\nunits = -3",
            "units",
            "event[0].units",
            &["at least 1", "got -3"],
        ),
        (
            "kind = \"correction\"\nsku = \"HOT\"\nunits = 9007199254740992",
            "units",
            "event[0].units",
            &["above 2^53 - 1", "lower it"],
        ),
        (
            "kind = \"restock\"\nsku = \"HOT\"\nunits = 9007199254740980",
            "units",
            "event[0].units",
            &["brings the units on sale", "above 2^53 - 1", "lower it"],
        ),
        (
            "kind = \"refund\"\norders = 1000001",
            "orders = 1000001",
            "event[0].orders",
            &["between 1 and 1000000", "sold orders to refund"],
        ),
    ] {
        let text = with(&format!("\n[[event]]\nat = \"1s\"\n{event}\n"));
        let e = assert_err(&text, needle, key, words);
        assert_eq!(
            e.column,
            column_of(&text, &e, "= ") + 2,
            "at the value: {e}"
        );
    }
}

#[test]
fn checkout_needs_backends_that_implement_it() {
    let backends =
        "\n[[backend]]\nkind = \"memory-atomic\"\n\n[[backend]]\nkind = \"sqlite-naive\"\n";
    let tail = "\n[checkout]\nhold_ttl = \"2s\"\n";
    let text = doc(HEAD, PHASE, &format!("{backends}{tail}"));
    let checkout_line = text[..text.find("[checkout]").unwrap()]
        .matches('\n')
        .count()
        + 1;
    let e = assert_err(
        &text,
        "kind = \"sqlite-naive\"",
        "backend[1].kind",
        &[
            "sqlite-naive does not implement the checkout calls",
            &format!("the `[checkout]` table at line {checkout_line}"),
            "remove this backend",
        ],
    );
    assert_eq!(
        e.column,
        column_of(&text, &e, "\"sqlite-naive\""),
        "at the value: {e}"
    );
    for k in BackendKind::ALL {
        assert_eq!(
            e.message.contains(&format!("`{}`", k.as_str())),
            k.supports_checkout(),
            "lists exactly the kinds that support it, {}: {e}",
            k.as_str()
        );
    }

    let tail = "\n[[event]]\nat = \"1s\"\nkind = \"refund\"\norders = 1\n";
    let text = doc(HEAD, PHASE, &format!("{backends}{tail}"));
    assert_err(
        &text,
        "kind = \"sqlite-naive\"",
        "backend[1].kind",
        &["the `[[event]]` at line"],
    );
    // Without a checkout any backend runs.
    parse(&doc(HEAD, PHASE, backends), Path::new("s.toml")).unwrap();
}

#[test]
fn documentation_lists_the_kinds_that_run_a_checkout() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let section = readme
        .split("## Checkout: holds, customers, retries, carts, events")
        .nth(1)
        .expect("scenarios/README.md has the checkout section");
    let intro = section.split("###").next().unwrap();
    for k in BackendKind::ALL {
        assert_eq!(
            intro.contains(&format!("`{}`", k.as_str())),
            k.supports_checkout(),
            "the checkout section lists exactly the kinds that support it: {}",
            k.as_str()
        );
    }
}

#[test]
fn settings_that_would_do_nothing_are_refused() {
    // Cancelling twice needs cancellations.
    let text = with("\n[checkout]\nhold_ttl = \"2s\"\ncancel_twice = 0.5\n");
    let e = assert_err(
        &text,
        "cancel_twice",
        "checkout.cancel_twice",
        &["`cancel` is 0", "cancel = 0.1"],
    );
    assert_eq!(e.column, column_of(&text, &e, "cancel_twice"));
    // A cancellation that always comes after the deadline releases nothing,
    // whether its delay is written or the default.
    let text = with("\n[checkout]\nhold_ttl = \"400ms\"\ncancel = 0.2\n");
    assert_err(
        &text,
        "[checkout]",
        "checkout.cancel_delay",
        &["defaults to 500ms", "400ms", "max = \"500ms\""],
    );
    let text = with("\n[checkout]\nhold_ttl = \"1s\"\ncancel = 0.2\ncancel_delay = { min = \"1s\", max = \"2s\" }\n");
    assert_err(
        &text,
        "cancel_delay",
        "checkout.cancel_delay",
        &["never before the hold's deadline"],
    );
    // A range that straddles the deadline stages cancels racing the expiry.
    let ok = with("\n[checkout]\nhold_ttl = \"1s\"\ncancel = 0.2\ncancel_delay = { min = \"900ms\", max = \"2s\" }\n");
    parse(&ok, Path::new("s.toml")).unwrap();
}

#[test]
fn an_array_of_checkout_tables_says_to_use_one() {
    let text = with("\n[[checkout]]\nhold_ttl = \"1s\"\n");
    assert_err(
        &text,
        "[[checkout]]",
        "checkout[0]",
        &["single brackets, `[checkout]`"],
    );
}
