//! The limits of the README's "Limits" section: enormous values are refused
//! at their own key, with a message naming the limit, and values at a limit
//! are accepted.
//!
//! Invariant: every refusal here names the key to change and the limit.

use super::*;
use crate::traffic::Schedule;

const TAIL_HEAD: &str = "name = \"t\"\nseed = 1\n[catalogue]\n";

/// `HEAD` with one more top-level key, before its `[catalogue]` table.
fn with_top(line: &str) -> String {
    format!("name = \"t\"\nseed = 1\n{line}\n[catalogue]\nhot = {{ stock = 10 }}\n")
}

#[test]
fn a_billion_orders_validate_and_the_schedule_is_generated_lazily() {
    let phases = "\n[[phase]]\nkind = \"spread\"\norders = 1000000000\nover = \"24h\"\n";
    let s = parse(&doc(HEAD, phases, BACKEND), Path::new("s.toml")).unwrap();
    // Nothing is allocated per order: the first orders come at once, and the
    // schedule holds a phase's generator, not its orders.
    let first: Vec<_> = Schedule::new(&s).take(3).collect();
    assert_eq!(first.iter().map(|o| o.id).collect::<Vec<_>>(), [0, 1, 2]);
}

#[test]
fn a_trillion_orders_are_refused_at_the_phase_that_brings_them() {
    let phases = "\n[[phase]]\nkind = \"instant\"\norders = 1000000000000\n";
    assert_err(
        &doc(HEAD, phases, BACKEND),
        "orders =",
        "phase[0].orders",
        &["limit of 1,000,000,000"],
    );
}

#[test]
fn rates_near_the_largest_double_are_refused_by_the_order_limit() {
    for phase in [
        "\n[[phase]]\nkind = \"constant\"\nrate = 1e308\nduration = \"24h\"\n",
        "\n[[phase]]\nkind = \"poisson\"\nrate = 1e308\nduration = \"1us\"\n",
    ] {
        assert_err(
            &doc(HEAD, phase, BACKEND),
            "rate",
            "phase[0].rate",
            &["limit of 1,000,000,000"],
        );
    }
    // (from + to) / 2 overflows to infinity: still a count above the limit.
    let phase = "\n[[phase]]\nkind = \"ramp\"\nfrom = 1e308\nto = 1e308\nduration = \"1s\"\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "duration",
        "phase[0].duration",
        &["limit of 1,000,000,000"],
    );
}

#[test]
fn durations_of_years_are_refused_naming_the_limit() {
    let phase = "\n[[phase]]\nkind = \"constant\"\nrate = 1\nduration = \"87600h\"\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "duration",
        "phase[0].duration",
        &["limit of 24h"],
    );
    // Beyond what a duration holds at all, the limit is still named.
    let phase =
        "\n[[phase]]\nkind = \"constant\"\nrate = 1\nduration = \"99999999999999999999999h\"\n";
    assert_err(
        &doc(HEAD, phase, BACKEND),
        "duration",
        "phase[0].duration",
        &["above the limit of 24h"],
    );
    let head = with_top("timeout = \"8760h\"");
    assert_err(
        &doc(&head, PHASE, BACKEND),
        "timeout",
        "timeout",
        &["limit of 1h"],
    );
}

#[test]
fn a_million_skus_validate() {
    let head = format!("{TAIL_HEAD}long_tail = {{ count = 1000000, stock = 1 }}\n");
    let s = parse(&doc(&head, PHASE, BACKEND), Path::new("s.toml")).unwrap();
    assert_eq!(s.skus.len(), MAX_SKUS);
    assert_eq!(s.skus[MAX_SKUS - 1].id, "SKU-1000000");
}

#[test]
fn ten_million_skus_are_refused_at_the_count() {
    for count in ["10000000", "100000000", "1000001"] {
        let head = format!("{TAIL_HEAD}long_tail = {{ count = {count}, stock = 1 }}\n");
        let e = assert_err(
            &doc(&head, PHASE, BACKEND),
            "long_tail",
            "catalogue.long_tail.count",
            &["between 1 and 1000000", "memory"],
        );
        assert!(e.message.contains(count), "{e}");
    }
}

/// Regression: a count within its own range passed, and the catalogue then
/// failed the SKU limit under another key (`catalogue.long_tail`, at `stock`).
#[test]
fn a_long_tail_that_the_hot_sku_takes_past_the_limit_is_refused_at_its_count() {
    let head = format!(
        "{TAIL_HEAD}hot = {{ stock = 10 }}\nlong_tail = {{ count = 1000000, stock = 1 }}\n"
    );
    let e = assert_err(
        &doc(&head, PHASE, BACKEND),
        "long_tail",
        "catalogue.long_tail.count",
        &["1,000,001 SKUs", "limit of 1,000,000", "lower it to 999999"],
    );
    let column = head.lines().nth(4).unwrap().find("1000000").unwrap() + 1;
    assert_eq!(e.column, column, "at the count itself: {e}");
}

#[test]
fn sku_tables_past_a_full_long_tail_are_refused_naming_the_limit() {
    let head = format!(
        "{TAIL_HEAD}long_tail = {{ count = 1000000, stock = 1 }}\n\n[[sku]]\nid = \"X\"\nstock = 1\n"
    );
    assert_err(
        &doc(&head, PHASE, BACKEND),
        "stock = 1\n",
        "sku[0]",
        &["more than 1,000,000 SKUs", "the limit", "memory"],
    );
}

/// Regression: `window = "1ns"` was refused as "not a duration", with
/// nothing about the unit or the range `window` takes.
#[test]
fn a_window_of_one_nanosecond_is_refused_naming_the_unit_and_the_range() {
    let head = with_top("window = \"1ns\"");
    assert_err(
        &doc(&head, PHASE, BACKEND),
        "window",
        "window",
        &["nanoseconds", "`us`", "1ms to 1h"],
    );
    let head = with_top("window = \"500us\"");
    assert_err(
        &doc(&head, PHASE, BACKEND),
        "window",
        "window",
        &["\"500us\"", "below the limit of 1ms", "1ms to 1h"],
    );
    let head = with_top("window = \"8760h\"");
    assert_err(
        &doc(&head, PHASE, BACKEND),
        "window",
        "window",
        &["limit of 1h"],
    );
}

#[test]
fn nanoseconds_are_refused_by_name_wherever_a_duration_goes() {
    let head = with_top("timeout = \"250ns\"");
    assert_err(
        &doc(&head, PHASE, BACKEND),
        "timeout",
        "timeout",
        &["nanoseconds", "`us`"],
    );
}

/// A checkout run keeps books per SKU (holds, sales, lapses), so it takes
/// fewer SKUs than a plain run: refused at the table that makes it one.
#[test]
fn a_checkout_run_takes_at_most_its_own_sku_limit() {
    let tail = |count: usize| format!("{TAIL_HEAD}long_tail = {{ count = {count}, stock = 1 }}\n");
    let checkout = format!("{BACKEND}\n[checkout]\nhold_ttl = \"1s\"\n");
    assert!(parse(
        &doc(&tail(MAX_CHECKOUT_SKUS), PHASE, &checkout),
        Path::new("s.toml")
    )
    .is_ok());
    assert_err(
        &doc(&tail(MAX_CHECKOUT_SKUS + 1), PHASE, &checkout),
        "[checkout]",
        "checkout",
        &[
            "at most 250,000 SKUs",
            "has 250,001",
            "256 MB",
            "long_tail.count",
        ],
    );
    let event = format!(
        "{BACKEND}\n[[event]]\nat = \"1ms\"\nkind = \"restock\"\nsku = \"SKU-000001\"\nunits = 1\n"
    );
    assert_err(
        &doc(&tail(MAX_CHECKOUT_SKUS + 1), PHASE, &event),
        "[[event]]",
        "event[0]",
        &["the `[[event]]` makes this a checkout run"],
    );
}
