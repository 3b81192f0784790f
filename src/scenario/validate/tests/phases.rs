//! Phase errors: quantities, rates, picks, order limits and keys of other
//! kinds.
//!
//! Invariant: each rejection points at the offending line and dotted key.

use super::*;

#[test]
fn non_positive_quantities() {
    for (q, key) in [
        ("{ fixed = 0 }", "phase[0].quantity.fixed"),
        ("{ fixed = -2 }", "phase[0].quantity.fixed"),
        ("{ min = 0, max = 3 }", "phase[0].quantity.min"),
        ("{ weights = { \"0\" = 1 } }", "phase[0].quantity.weights.0"),
        (
            "{ weights = { \"-1\" = 1 } }",
            "phase[0].quantity.weights.-1",
        ),
    ] {
        let phase = format!("\n[[phase]]\nkind = \"instant\"\norders = 10\nquantity = {q}\n");
        assert_err(
            &doc(HEAD, &phase, BACKEND),
            "quantity",
            key,
            &["non-positive quantities"],
        );
    }
}

#[test]
fn malformed_quantities() {
    for (q, key, word) in [
        (
            "{ fixed = 1, min = 1, max = 2 }",
            "phase[0].quantity.min",
            "cannot be combined",
        ),
        ("{ min = 1 }", "phase[0].quantity.max", "needs `max`"),
        (
            "{ min = 3, max = 2 }",
            "phase[0].quantity.max",
            "below `min`",
        ),
        ("{ }", "phase[0].quantity", "empty"),
        (
            "{ weights = { \"1\" = 0 } }",
            "phase[0].quantity.weights",
            "above 0",
        ),
        (
            "{ weights = { two = 1 } }",
            "phase[0].quantity.weights.two",
            "not a quantity",
        ),
    ] {
        let phase = format!("\n[[phase]]\nkind = \"instant\"\norders = 10\nquantity = {q}\n");
        assert_err(&doc(HEAD, &phase, BACKEND), "quantity", key, &[word]);
    }
}

#[test]
fn zero_and_negative_rates() {
    for rate in ["0", "-5", "nan", "inf"] {
        let phase = format!("\n[[phase]]\nkind = \"poisson\"\nrate = {rate}\nduration = \"1s\"\n");
        assert_err(
            &doc(HEAD, &phase, BACKEND),
            "rate",
            "phase[0].rate",
            &["above 0"],
        );
    }
    let phase = "\n[[phase]]\nkind = \"ramp\"\nfrom = 0\nto = 0\nduration = \"1s\"\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "to = 0",
        "phase[0].to",
        &["both 0"],
    );
    let phase = "\n[[phase]]\nkind = \"ramp\"\nfrom = -1\nto = 3\nduration = \"1s\"\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "from",
        "phase[0].from",
        &["0 or more"],
    );
}

#[test]
fn zipf_exponent_must_be_positive() {
    for exponent in ["0", "-1.5", "0.0"] {
        let phase = format!("\n[[phase]]\nkind = \"instant\"\norders = 10\nskus = {{ pick = \"zipf\", exponent = {exponent} }}\n");
        assert_err(
            &doc(HEAD, &phase, BACKEND),
            "skus",
            "phase[0].skus.exponent",
            &["above 0"],
        );
    }
}

#[test]
fn more_than_a_billion_orders() {
    let phases = "\n[[phase]]\nkind = \"instant\"\norders = 600000000\n\n[[phase]]\nkind = \"constant\"\nrate = 1000000\nduration = \"10m\"\n";
    let e = assert_err(
        &doc(HEAD, phases, BACKEND),
        "rate",
        "phase[1].rate",
        &["limit of 1,000,000,000"],
    );
    assert!(e.message.contains("1,200,000,000 orders"), "{e}");
    let phases = "\n[[phase]]\nkind = \"spread\"\norders = 1000000001\nover = \"1s\"\n";
    assert_err(
        &doc(HEAD, phases, BACKEND),
        "orders",
        "phase[0].orders",
        &["limit"],
    );
    // Closed-loop phases do not count.
    let phases = "\n[[phase]]\nkind = \"instant\"\norders = 1000000000\n\n[[phase]]\nkind = \"closed\"\nclients = 4\nduration = \"10m\"\n";
    parse(&doc(HEAD, phases, BACKEND), Path::new("s.toml")).unwrap();
}

#[test]
fn unknown_skus_in_picks() {
    let phase =
        "\n[[phase]]\nkind = \"instant\"\norders = 10\nskus = { pick = \"one\", sku = \"COLD\" }\n";
    let e = assert_err(
        &doc(HEAD, phase, BACKEND),
        "skus",
        "phase[0].skus.sku",
        &["unknown SKU \"COLD\"", "\"HOT\""],
    );
    assert!(e.column > 20, "points at the id: {e}");
    let phase = "\n[[phase]]\nkind = \"instant\"\norders = 10\nskus = { pick = \"weights\", weights = { HOT = 1, \"SKU-9\" = 2 } }\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "skus",
        "phase[0].skus.weights.SKU-9",
        &["unknown SKU \"SKU-9\""],
    );
    let phase = "\n[[phase]]\nkind = \"instant\"\norders = 10\nskus = { pick = \"weights\", weights = { HOT = 0 } }\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "skus",
        "phase[0].skus.weights",
        &["above 0"],
    );
    let phase =
        "\n[[phase]]\nkind = \"instant\"\norders = 10\nskus = { pick = \"one\", exponent = 1 }\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "skus",
        "phase[0].skus.exponent",
        &["does not apply", "`sku`"],
    );
}

#[test]
fn keys_of_other_phase_kinds() {
    let phase = "\n[[phase]]\nkind = \"instant\"\norders = 10\nrate = 300\n";
    let e = assert_err(
        &doc(HEAD, phase, BACKEND),
        "rate",
        "phase[0].rate",
        &["`rate` does not apply to an instant phase", "`orders`"],
    );
    assert_eq!(e.column, 1);
    let phase = "\n[[phase]]\nkind = \"closed\"\nclients = 2\nduration = \"1s\"\norders = 3\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "orders",
        "phase[0].orders",
        &["closed", "`clients`, `duration`"],
    );
    let phase = "\n[[phase]]\nkind = \"burst\"\norders = 3\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "burst",
        "phase[0].kind",
        &["unknown phase kind", "`ramp`"],
    );
}

#[test]
fn huge_order_counts_are_written_readably() {
    let phase = "\n[[phase]]\nkind = \"constant\"\nrate = 1e300\nduration = \"1s\"\n";
    let e = assert_err(
        &doc(HEAD, phase, BACKEND),
        "rate",
        "phase[0].rate",
        &["to 1.0e300 orders", "limit of 1,000,000,000"],
    );
    assert!(e.message.len() < 200, "no 300-digit count: {e}");
    // Up to 10^12 the count keeps its digits, with separators.
    let phase = "\n[[phase]]\nkind = \"constant\"\nrate = 1000000000\nduration = \"1000s\"\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "rate",
        "phase[0].rate",
        &["to 1,000,000,000,000 orders"],
    );
}

#[test]
fn phases_that_send_no_orders() {
    for (shape, needle, key, words) in [
        (
            "kind = \"ramp\"\nfrom = 0\nto = 1\nduration = \"1s\"",
            "to = 1",
            "phase[0].to",
            "(from 0 + to 1) / 2 × 1s = 0.5, rounded down to 0",
        ),
        (
            "kind = \"constant\"\nrate = 1e-9\nduration = \"1s\"",
            "rate",
            "phase[0].rate",
            "rate 1.0e-9 × 1s = 1.0e-9, rounded down to 0",
        ),
        (
            "kind = \"constant\"\nrate = 3\nduration = \"300ms\"",
            "rate",
            "phase[0].rate",
            "rate 3 × 300ms = 0.9, rounded down to 0",
        ),
        (
            "kind = \"poisson\"\nrate = 0.5\nduration = \"1s\"",
            "rate",
            "phase[0].rate",
            "rate 0.5 × 1s = 0.5 expected, below 1",
        ),
    ] {
        let phase = format!("\n[[phase]]\n{shape}\n");
        assert_err(
            &doc(HEAD, &phase, BACKEND),
            needle,
            key,
            &["this phase would send no orders (", words, "or duration"],
        );
    }
    // One order is enough.
    for shape in [
        "kind = \"ramp\"\nfrom = 0\nto = 2\nduration = \"1s\"",
        "kind = \"constant\"\nrate = 1\nduration = \"1s\"",
        "kind = \"poisson\"\nrate = 1\nduration = \"1s\"",
    ] {
        let phase = format!("\n[[phase]]\n{shape}\n");
        parse(&doc(HEAD, &phase, BACKEND), Path::new("s.toml")).unwrap();
    }
}

#[test]
fn quantities_above_max_quantity() {
    for (q, key) in [
        ("{ fixed = 1000001 }", "phase[0].quantity.fixed"),
        ("{ min = 1, max = 1000001 }", "phase[0].quantity.max"),
        (
            "{ weights = { \"1\" = 1, \"1000001\" = 1 } }",
            "phase[0].quantity.weights.1000001",
        ),
        (
            "{ weights = { \"99999999999999999999999\" = 1 } }",
            "phase[0].quantity.weights.99999999999999999999999",
        ),
    ] {
        let phase = format!("\n[[phase]]\nkind = \"instant\"\norders = 10\nquantity = {q}\n");
        assert_err(
            &doc(HEAD, &phase, BACKEND),
            "quantity",
            key,
            &[
                "limit of 1,000,000 units per order",
                "orders × quantity",
                "u64",
            ],
        );
    }
    let phase = "\n[[phase]]\nkind = \"instant\"\norders = 10\nquantity = { weights = { \"1000000\" = 1 } }\n";
    parse(&doc(HEAD, phase, BACKEND), Path::new("s.toml")).unwrap();
}

#[test]
fn non_canonical_and_duplicate_quantity_weights() {
    for (weights, key, word) in [
        (
            "{ \"01\" = 1, \"1\" = 2 }",
            "phase[0].quantity.weights.01",
            "write the quantity \"01\" as \"1\"",
        ),
        (
            "{ \"+1\" = 1 }",
            "phase[0].quantity.weights.\"+1\"",
            "as \"1\"",
        ),
        (
            "{ \" 2\" = 1 }",
            "phase[0].quantity.weights.\" 2\"",
            "as \"2\"",
        ),
        (
            "{ \"1\" = 2, \"01\" = 1 }",
            "phase[0].quantity.weights.01",
            "\"01\" is quantity 1 again: key \"1\" (line 11)",
        ),
    ] {
        let phase = format!(
            "\n[[phase]]\nkind = \"instant\"\norders = 10\nquantity = {{ weights = {weights} }}\n"
        );
        let text = doc(HEAD, &phase, BACKEND);
        let e = assert_err(&text, "quantity", key, &[word]);
        let written = format!("\"{}\"", e.message.split('"').nth(1).unwrap());
        let column = text
            .lines()
            .nth(e.line - 1)
            .unwrap()
            .find(&written)
            .unwrap()
            + 1;
        assert_eq!(e.column, column, "points at the key: {e}");
    }
}

#[test]
fn phase_times_are_capped_at_a_day() {
    for (shape, needle, key, written) in [
        (
            "kind = \"instant\"\norders = 1\nat = \"25h\"",
            "at =",
            "phase[0].at",
            "\"25h\"",
        ),
        (
            "kind = \"closed\"\nclients = 1\nduration = \"1441m\"",
            "duration",
            "phase[0].duration",
            "\"1441m\"",
        ),
        (
            "kind = \"spread\"\norders = 5\nover = \"86401s\"",
            "over",
            "phase[0].over",
            "\"86401s\"",
        ),
    ] {
        let phase = format!("\n[[phase]]\n{shape}\n");
        assert_err(
            &doc(HEAD, &phase, BACKEND),
            needle,
            key,
            &[
                written,
                "above the limit of 24h",
                "a run lasts at most a day",
            ],
        );
    }
    let phase = "\n[[phase]]\nkind = \"constant\"\nrate = 1\nat = \"23h\"\nduration = \"2h\"\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "duration",
        "phase[0].duration",
        &[
            "ends at `at` + `duration` = 23h + 2h = 25h",
            "limit of 24h",
            "start it earlier",
        ],
    );
    let phase = "\n[[phase]]\nkind = \"spread\"\norders = 5\nat = \"1s\"\nover = \"24h\"\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "over",
        "phase[0].over",
        &["`at` + `over` = 1s + 24h"],
    );
    // Ending exactly at 24h is allowed.
    let phase = "\n[[phase]]\nkind = \"constant\"\nrate = 1\nat = \"12h\"\nduration = \"720m\"\n";
    parse(&doc(HEAD, phase, BACKEND), Path::new("s.toml")).unwrap();
}
