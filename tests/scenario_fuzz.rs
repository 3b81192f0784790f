//! Hostile input for the scenario parser and validator: arbitrary text, and
//! every shipped scenario mutated by random edits. No input may panic; every
//! refusal must name the file, a line inside it (or just past its end) and
//! a key, with a message.
//!
//! Bounded for CI: `ATPSIM_FUZZ_CASES` cases per property (default 1,000).

use atpsim::scenario::{self, ScenarioError};
use proptest::prelude::*;
use proptest::test_runner::Config;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const FILE: &str = "fuzz.toml";

fn cases() -> u32 {
    std::env::var("ATPSIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000)
}

/// Pieces of TOML and hostile values the mutations splice in.
const TOKENS: &[&str] = &[
    "=",
    "\"",
    "'",
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    ",",
    "\n",
    "#",
    ".",
    "\\",
    "0",
    "-1",
    "-0",
    "1.5",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "-inf",
    "true",
    "9007199254740993",
    "18446744073709551616",
    "9223372036854775807",
    "1000000000000",
    "10000000",
    "1_000_000_000_000",
    "\"0s\"",
    "\"-5ms\"",
    "\"1.5ms\"",
    "\"1ns\"",
    "\"999999999999h\"",
    "\"100000000d\"",
    "\"18446744073709551615s\"",
    "\"\"",
    "\"\\u0000\"",
    "\"\u{feff}\"",
    "1979-05-27T07:32:00Z",
    "[]",
    "{}",
    "\n[[sku]]\nid = \"X\"\nstock = 1\n",
    "\n[[phase]]\nkind = \"instant\"\norders = 1000000000000\n",
    "\n[[phase]]\nkind = \"constant\"\nrate = 1e300\nduration = \"100000000d\"\n",
    "\n[[phase]]\nkind = \"closed\"\nclients = 4000000000\nduration = \"1s\"\n",
    "\n[[backend]]\nkind = \"memory-atomic\"\n",
    "\n[[backend]]\nkind = \"postgres-atomic\"\nurl = \"postgres://u:secret@[::1\"\n",
    "\nconcurrency = 100000000\n",
    "\nwindow = \"1ns\"\n",
    "\nseed = -1\n",
    "\nskus = { pick = \"zipf\", s = -1 }\n",
    "\nquantity = { fixed = 0 }\n",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, token: usize },
    Replace { at: usize, len: usize, token: usize },
    DuplicateLine { at: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    let at = any::<usize>();
    prop_oneof![
        (at, 1..40usize).prop_map(|(at, len)| Edit::Delete { at, len }),
        (at, 0..TOKENS.len()).prop_map(|(at, token)| Edit::Insert { at, token }),
        (at, 1..12usize, 0..TOKENS.len()).prop_map(|(at, len, token)| Edit::Replace {
            at,
            len,
            token
        }),
        at.prop_map(|at| Edit::DuplicateLine { at }),
    ]
}

/// The largest char boundary at or below `at % (len + 1)`.
fn boundary(text: &str, at: usize) -> usize {
    let mut i = at % (text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &mut String, edit: &Edit) {
    match *edit {
        Edit::Delete { at, len } => {
            let from = boundary(text, at);
            let to = boundary(text, from.saturating_add(len).min(text.len()));
            text.replace_range(from..to.max(from), "");
        }
        Edit::Insert { at, token } => {
            let at = boundary(text, at);
            text.insert_str(at, TOKENS[token]);
        }
        Edit::Replace { at, len, token } => {
            let from = boundary(text, at);
            let to = boundary(text, from.saturating_add(len).min(text.len()));
            text.replace_range(from..to.max(from), TOKENS[token]);
        }
        Edit::DuplicateLine { at } => {
            let lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let line = lines[at % lines.len()].to_string();
                let at = boundary(text, at);
                text.insert_str(at, &format!("\n{line}\n"));
            }
        }
    }
}

/// Every shipped scenario's text, read once.
fn shipped_scenarios() -> &'static [String] {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    TEXTS.get_or_init(read_shipped_scenarios)
}

fn read_shipped_scenarios() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/ is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "scenarios/ holds the shipped scenarios");
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("scenario is UTF-8"))
        .collect()
}

/// A refusal that a user can act on: it points into the file it was given.
fn check_refusal(text: &str, e: &ScenarioError) -> Result<(), TestCaseError> {
    prop_assert_eq!(&e.file, Path::new(FILE));
    let lines = text.lines().count().max(1);
    prop_assert!(
        e.line >= 1 && e.line <= lines + 1,
        "line {} of a {}-line file: {}",
        e.line,
        lines,
        e
    );
    prop_assert!(e.column >= 1, "column {}: {}", e.column, e);
    prop_assert!(!e.key.is_empty(), "no key named: {}", e);
    prop_assert!(!e.message.trim().is_empty(), "no message: {:?}", e);
    let shown = e.to_string();
    prop_assert!(shown.contains(FILE), "the file is not named: {}", shown);
    Ok(())
}

proptest! {
    #![proptest_config(Config { cases: cases(), ..Config::default() })]

    #[test]
    fn arbitrary_text_is_parsed_or_refused_never_a_panic(text in any::<String>()) {
        if let Err(e) = scenario::parse(&text, Path::new(FILE)) {
            check_refusal(&text, &e)?;
        }
    }

    #[test]
    fn mutated_scenarios_are_parsed_or_refused_with_a_location(
        file in any::<prop::sample::Index>(),
        edits in prop::collection::vec(edit(), 1..6),
    ) {
        let scenarios = shipped_scenarios();
        let mut text = scenarios[file.index(scenarios.len())].clone();
        for e in &edits {
            apply(&mut text, e);
        }
        if let Err(e) = scenario::parse(&text, Path::new(FILE)) {
            check_refusal(&text, &e)?;
        }
    }
}
