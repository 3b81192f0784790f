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
        &["1000000000"],
    );
    assert!(e.message.contains("1200000000 orders"), "{e}");
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
