//! Catalogue errors: stock, buffers and SKU ids.
//!
//! Invariant: each rejection points at the offending line and dotted key.

use super::*;

#[test]
fn zero_stock_everywhere() {
    let head = "name = \"t\"\nseed = 1\n[catalogue]\nhot = { stock = 0 }\n\n[[sku]]\nid = \"B\"\nstock = 0\n";
    assert_err(
        &doc(head, PHASE, BACKEND),
        "hot",
        "catalogue.hot.stock",
        &["zero stock everywhere"],
    );
}

#[test]
fn stock_and_buffer_limits() {
    let head = "name = \"t\"\nseed = 1\n\n[[sku]]\nid = \"A\"\nstock = 9007199254740992\n";
    assert_err(
        &doc(head, PHASE, BACKEND),
        "stock =",
        "sku[0].stock",
        &["2^53 - 1", "Redis Lua numbers are doubles"],
    );
    let head = "name = \"t\"\nseed = 1\n\n[[sku]]\nid = \"A\"\nstock = -3\n";
    assert_err(
        &doc(head, PHASE, BACKEND),
        "stock =",
        "sku[0].stock",
        &["0 or more"],
    );
    let head = "name = \"t\"\nseed = 1\noversell_buffer = 9007199254740992\n[[sku]]\nid = \"A\"\nstock = 1\n";
    assert_err(
        &doc(head, PHASE, BACKEND),
        "oversell_buffer",
        "oversell_buffer",
        &["2^53 - 1"],
    );
    let head =
        "name = \"t\"\nseed = 1\n[[sku]]\nid = \"A\"\nstock = 9007199254740991\nbuffer = 1\n";
    assert_err(
        &doc(head, PHASE, BACKEND),
        "stock =",
        "sku[0].stock",
        &["plus buffer"],
    );
}

#[test]
fn duplicate_and_missing_sku_ids() {
    let head =
        format!("{HEAD}\n[[sku]]\nid = \"X\"\nstock = 1\n\n[[sku]]\nid = \"SKU-2\"\nstock = 1\n");
    assert_err(
        &doc(&head, PHASE, BACKEND),
        "id = \"SKU-2\"",
        "sku[1].id",
        &["duplicate SKU id", "catalogue.long_tail", "line 6"],
    );
    let head = format!("{HEAD}\n[[sku]]\nstock = 1\n");
    assert_err(
        &doc(&head, PHASE, BACKEND),
        "[[sku]]",
        "sku[0].id",
        &["missing `id`"],
    );
}

#[test]
fn catalogue_total_units_within_2_pow_53() {
    // Each SKU is within the limit; the second one takes the total past it.
    let head = "name = \"t\"\nseed = 1\n\n[[sku]]\nid = \"A\"\nstock = 9007199254740991\n\n[[sku]]\nid = \"B\"\nstock = 1\n";
    assert_err(
        &doc(head, PHASE, BACKEND),
        "stock = 1\n",
        "sku[1].stock",
        &[
            "over the whole catalogue passes 2^53 - 1",
            "SKU \"B\" (number 2",
            "exact",
        ],
    );
    // Buffers count.
    let head = "name = \"t\"\nseed = 1\n\n[[sku]]\nid = \"A\"\nstock = 4503599627370496\n\n[[sku]]\nid = \"B\"\nstock = 1\nbuffer = 4503599627370496\n";
    assert_err(
        &doc(head, PHASE, BACKEND),
        "stock = 1\n",
        "sku[1].stock",
        &["over the whole catalogue", "SKU \"B\""],
    );
    // A long tail is reported at its table, naming the SKU that crosses.
    let head = "name = \"t\"\nseed = 1\n[catalogue]\nhot = { stock = 10 }\nlong_tail = { count = 9, stock = 2000000000000000 }\n";
    assert_err(
        &doc(head, PHASE, BACKEND),
        "long_tail",
        "catalogue.long_tail.stock",
        &["SKU \"SKU-5\" (number 6 of the catalogue)"],
    );
    // Up to the limit exactly is fine.
    let head = "name = \"t\"\nseed = 1\n[[sku]]\nid = \"A\"\nstock = 9007199254740990\n[[sku]]\nid = \"B\"\nstock = 0\nbuffer = 1\n";
    parse(&doc(head, PHASE, BACKEND), Path::new("s.toml")).unwrap();
}

#[test]
fn duplicate_ids_come_before_later_errors() {
    let head = "name = \"t\"\nseed = 1\n[[sku]]\nid = \"A\"\nstock = 1\n[[sku]]\nid = \"A\"\nstock = 1\n[[sku]]\nid = \"C\"\nstock = -3\n";
    assert_err(
        &doc(head, PHASE, BACKEND),
        "id = \"A\"\nstock = 1\n[[sku]]\nid = \"C\"",
        "sku[1].id",
        &["duplicate SKU id \"A\"", "`sku[0]` (line 4)"],
    );
}
