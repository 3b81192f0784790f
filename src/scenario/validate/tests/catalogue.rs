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
