//! The limits the README states (its "Limits" section, and the table of
//! the same name in `scenarios/README.md`) are the constants the validator
//! and the window grid use.
//!
//! Invariant: changing a limit without its documentation fails here.

use super::model::{MAX_CHECKOUT_SKUS, MAX_ORDERS, MAX_SKUS};
use crate::metrics::windows::MAX_WINDOWS;

/// The cell after `| {name} |` in the first table row of the section that
/// `heading` opens, with its thousands separators removed.
fn limit(doc: &str, heading: &str, name: &str) -> u64 {
    let section = doc
        .split_once(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"))
        .1;
    let row = section
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .find(|l| l.starts_with(&format!("| {name} |")))
        .unwrap_or_else(|| panic!("no row {name:?} under {heading:?}"));
    let cell = row.split('|').nth(2).expect("a value cell").trim();
    let digits: String = cell
        .split_whitespace()
        .next()
        .expect("a number first")
        .chars()
        .filter(|c| *c != ',')
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("{name:?} under {heading:?}: {cell:?} is not a number"))
}

#[test]
fn the_readme_states_the_limits_the_code_enforces() {
    let shared = [
        ("orders", MAX_ORDERS),
        ("SKUs", MAX_SKUS as u64),
        ("SKUs of a checkout run", MAX_CHECKOUT_SKUS as u64),
    ];
    let readme = include_str!("../../README.md");
    let reference = include_str!("../../scenarios/README.md");
    for doc in [readme, reference] {
        for (name, value) in shared {
            assert_eq!(limit(doc, "\n## Limits\n", name), value, "{name}");
        }
    }
    assert_eq!(
        limit(readme, "\n## Limits\n", "windows"),
        MAX_WINDOWS as u64
    );
}
