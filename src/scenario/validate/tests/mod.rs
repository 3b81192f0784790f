//! Tests of scenario validation, split by the part of the format they
//! exercise; this file holds the shared fixtures and `assert_err`.
//!
//! Invariant: every rejection is checked for its line, its dotted key and
//! the words of its message, which starts lower-case.

mod backends;
mod catalogue;
mod checkout;
mod faults;
mod limits;
mod phases;
mod servers;
mod syntax;
mod thresholds;
mod valid;

use super::*;
use crate::scenario::parse;

const HEAD: &str = r#"name = "t"
seed = 1

[catalogue]
hot = { stock = 10 }
long_tail = { count = 3, stock = 5 }
"#;

const BACKEND: &str = r#"
[[backend]]
kind = "memory-atomic"
"#;

const PHASE: &str = r#"
[[phase]]
kind = "instant"
orders = 10
"#;

fn doc(head: &str, phases: &str, backends: &str) -> String {
    format!("{head}{phases}{backends}")
}

/// Parses `text`, expects an error at the line holding `needle`, with `key`
/// and a message containing every one of `words`.
#[track_caller]
fn assert_err(text: &str, needle: &str, key: &str, words: &[&str]) -> ScenarioError {
    let e = parse(text, Path::new("s.toml")).expect_err("scenario should be rejected");
    let at = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in text"));
    let line = text[..at].matches('\n').count() + 1;
    assert_eq!((e.line, e.key.as_str()), (line, key), "{e}");
    for w in words {
        assert!(e.message.contains(w), "message lacks {w:?}: {e}");
    }
    assert!(
        e.message.starts_with(|c: char| !c.is_uppercase()),
        "messages start lower-case: {e}"
    );
    e
}
