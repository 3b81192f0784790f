//! `ScenarioError`: one problem in a scenario file, located by file, line,
//! column and the dotted key it concerns.
//!
//! Invariant: `line` and `column` are 1-based (columns count characters, not
//! bytes) and `message` starts lower-case and says what to change.

use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in a scenario file.
///
/// Displays as `{file}:{line}:{column}: `{key}`: {message}`, e.g.
/// ``scenarios/flash.toml:31:8: `phase[2].rate`: rate must be > 0 …``.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: `{key}`: {message}", file.display())]
pub struct ScenarioError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// Dotted TOML path, with table-array indices in brackets: `phase[2].rate`.
    pub key: String,
    pub message: String,
}

/// Builds located errors for one scenario text.
pub(crate) struct Locator<'a> {
    pub text: &'a str,
    pub file: &'a Path,
}

impl Locator<'_> {
    /// An error at byte offset `at` of the text.
    pub fn at(
        &self,
        at: usize,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ScenarioError {
        let (line, column) = line_column(self.text, at);
        let key = key.into();
        ScenarioError {
            file: self.file.to_path_buf(),
            line,
            column,
            // Outside any key (garbage where a key or header should start)
            // there is nothing to name but the place; say so rather than
            // print an empty key.
            key: if key.is_empty() {
                TOP_LEVEL.to_string()
            } else {
                key
            },
            message: message.into(),
        }
    }

    /// An error at the start of `span`.
    pub fn span(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ScenarioError {
        self.at(span.start, key, message)
    }

    /// An error at the key whose value starts at `value_start` (`key = value`
    /// on one line); falls back to the value itself.
    pub fn key_of(
        &self,
        value_start: usize,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ScenarioError {
        self.at(key_start(self.text, value_start), key, message)
    }

    /// Converts a TOML syntax or deserialization error.
    pub fn toml(&self, error: &toml::de::Error, syntax: bool) -> ScenarioError {
        let at = error.span().map_or(0, |s| s.start.min(self.text.len()));
        let key = key_at(self.text, at);
        let message = if syntax {
            let detail: Vec<&str> = error
                .message()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            format!(
                "invalid TOML: {}; fix the syntax at this position",
                detail.join(": ")
            )
        } else {
            friendly(error.message(), &key)
        };
        self.at(at, key, message)
    }
}

/// The key of an error outside any key.
pub const TOP_LEVEL: &str = "(top level)";

/// 1-based line and column (in characters) of byte offset `at`.
pub(crate) fn line_column(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Byte offset of the key in `key = value`, given where the value starts.
fn key_start(text: &str, value_start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = value_start.min(bytes.len());
    let skip_ws = |mut i: usize| {
        while i > 0 && matches!(bytes[i - 1], b' ' | b'\t') {
            i -= 1;
        }
        i
    };
    i = skip_ws(i);
    if i == 0 || bytes[i - 1] != b'=' {
        return value_start;
    }
    i = skip_ws(i - 1);
    let end = i;
    if i > 0 && matches!(bytes[i - 1], b'"' | b'\'') {
        let quote = bytes[i - 1];
        i -= 1;
        while i > 0 && bytes[i - 1] != quote && bytes[i - 1] != b'\n' {
            i -= 1;
        }
        if i == 0 || bytes[i - 1] != quote {
            return value_start;
        }
        return i - 1;
    }
    while i > 0 && is_bare_key_byte(bytes[i - 1]) {
        i -= 1;
    }
    if i == end {
        value_start
    } else {
        i
    }
}

fn is_bare_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Rewrites serde's wording in terms a scenario author knows.
fn friendly(message: &str, key: &str) -> String {
    let message = message.trim_end();
    // A key inside a table holds an array of strings; only top-level
    // names are arrays of tables.
    if message.contains("expected a sequence") && key.contains('.') {
        let field = key.rsplit('.').next().unwrap_or(key);
        let example = match field {
            "keys" => "[\"stock:{sku}\"]",
            "checks" => "[\"units.oversold == 0\"]",
            "backends" => "[\"postgres-atomic\"]",
            _ => "[\"…\"]",
        };
        return format!("expected an array of strings, e.g. `{field} = {example}`");
    }
    if message.contains("expected a sequence") {
        let name = key.split(['.', '[']).next().unwrap_or(key);
        return format!(
            "expected an array of tables; write each entry under its own `[[{name}]]` header (double brackets)"
        );
    }
    // `[[checkout]]` where one `[checkout]` table belongs.
    if message.starts_with("invalid length") && message.contains("expected struct RawCheckout") {
        return "expected one `[checkout]` table, not an array of them: write the header with single brackets, `[checkout]`".to_string();
    }
    let rewrites = [
        ("expected i64", "expected an integer"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected `true` or `false`, without quotes"),
        (
            "invalid type: sequence, expected a string",
            "expected a string, not an array",
        ),
        (
            "invalid type: map, expected a string",
            "expected a string, not a table",
        ),
        ("expected struct RawScenario", "expected a table"),
        (
            "expected struct RawCatalogue",
            "expected a `[catalogue]` table with `hot` and/or `long_tail`",
        ),
        (
            "expected struct RawHot",
            "expected an inline table such as `{ id = \"HOT\", stock = 100 }`",
        ),
        (
            "expected struct RawLongTail",
            "expected an inline table such as `{ count = 49, stock = 20 }`",
        ),
        ("expected struct RawSku", "expected a `[[sku]]` table"),
        ("expected struct RawPhase", "expected a `[[phase]]` table"),
        (
            "expected struct RawBackend",
            "expected a `[[backend]]` table",
        ),
        (
            "expected struct RawPick",
            "expected an inline table such as `{ pick = \"uniform\" }`",
        ),
        (
            "expected struct RawCheckout",
            "expected a `[checkout]` table",
        ),
        (
            "expected struct RawDelay",
            "expected an inline table such as `{ fixed = \"500ms\" }`, `{ median = \"900ms\", sigma = 0.5 }` or `{ min = \"100ms\", max = \"2s\" }`",
        ),
        (
            "expected struct RawLines",
            "expected an inline table such as `{ min = 1, max = 3 }`",
        ),
        ("expected struct RawEvent", "expected an `[[event]]` table"),
        ("expected struct RawFault", "expected a `[[fault]]` table"),
        (
            "expected struct RawQuantity",
            "expected an inline table such as `{ fixed = 1 }` or `{ min = 1, max = 3 }`",
        ),
    ];
    let mut out = message.to_string();
    for (from, to) in rewrites {
        out = out.replace(from, to);
    }
    if out.starts_with("unknown field") {
        out.push_str("; remove it or correct its spelling");
    }
    out
}

/// The dotted key path at byte offset `at`: the enclosing table header (with
/// its array index), the inline tables and arrays around `at`, and the key
/// written there or whose value contains `at`.
///
/// A lexical scan, used only to name the key of TOML and serde errors; it
/// understands headers, dotted and quoted keys, strings, comments, inline
/// tables and arrays.
pub(crate) fn key_at(text: &str, at: usize) -> String {
    Scan::new(text).run(at.min(text.len()))
}

enum Frame {
    /// An inline table: the key path it is the value of.
    Table(Vec<String>),
    /// An array: the key path it is the value of, and the current element.
    Array(Vec<String>, usize),
}

struct Scan<'a> {
    text: &'a str,
    bytes: &'a [u8],
    i: usize,
    header: Vec<String>,
    counts: std::collections::HashMap<String, usize>,
    frames: Vec<Frame>,
    /// The key of the key/value pair being read.
    key: Vec<String>,
    /// True where a key may start: at a line start outside values, or after
    /// `{` / `,` in an inline table.
    key_position: bool,
}

impl<'a> Scan<'a> {
    fn new(text: &'a str) -> Self {
        Scan {
            text,
            bytes: text.as_bytes(),
            i: 0,
            header: Vec::new(),
            counts: Default::default(),
            frames: Vec::new(),
            key: Vec::new(),
            key_position: true,
        }
    }

    fn path(&self, extra: &[String]) -> String {
        let mut parts: Vec<String> = self.header.clone();
        for frame in &self.frames {
            match frame {
                Frame::Table(key) => parts.extend(key.iter().cloned()),
                Frame::Array(key, index) => {
                    parts.extend(key.iter().cloned());
                    match parts.last_mut() {
                        Some(last) => last.push_str(&format!("[{index}]")),
                        None => parts.push(format!("[{index}]")),
                    }
                }
            }
        }
        parts.extend(extra.iter().cloned());
        parts.join(".")
    }

    fn run(mut self, at: usize) -> String {
        while self.i < self.bytes.len() {
            let b = self.bytes[self.i];
            if self.key_position {
                match b {
                    b' ' | b'\t' | b'\r' | b'\n' => self.i += 1,
                    b'#' => self.skip_comment(),
                    b'[' if self.frames.is_empty() => {
                        let start = self.i;
                        let line_end = self.text[start..]
                            .find('\n')
                            .map_or(self.text.len(), |n| start + n);
                        self.header(start);
                        if at < line_end.max(self.i) && at >= start {
                            return self.path(&[]);
                        }
                    }
                    b'}' => {
                        if at <= self.i {
                            return self.path(&[]);
                        }
                        self.close();
                    }
                    _ => {
                        let start = self.i;
                        let key = self.read_key();
                        if at < self.i || (at == start && self.i == start) {
                            return self.path(&key);
                        }
                        self.key = key;
                        if self.bytes.get(self.i) == Some(&b'=') {
                            self.i += 1;
                            self.key_position = false;
                        } else if self.i == start {
                            // Not a key; step over it so the scan always advances.
                            self.i += 1;
                        }
                    }
                }
                continue;
            }
            if self.i >= at {
                break;
            }
            match b {
                b'"' | b'\'' => self.skip_string(),
                b'#' => self.skip_comment(),
                b'{' => {
                    self.frames
                        .push(Frame::Table(std::mem::take(&mut self.key)));
                    self.key_position = true;
                    self.i += 1;
                }
                b'[' => {
                    self.frames
                        .push(Frame::Array(std::mem::take(&mut self.key), 0));
                    self.i += 1;
                }
                b']' | b'}' => self.close(),
                b',' => {
                    match self.frames.last_mut() {
                        Some(Frame::Array(_, index)) => *index += 1,
                        Some(Frame::Table(_)) => {
                            self.key.clear();
                            self.key_position = true;
                        }
                        None => {}
                    }
                    self.i += 1;
                }
                b'\n' if self.frames.is_empty() => {
                    self.key.clear();
                    self.key_position = true;
                    self.i += 1;
                }
                _ => self.i += 1,
            }
        }
        self.path(&self.key)
    }

    /// Leaves the innermost inline table or array; the pair it was the value of is complete.
    fn close(&mut self) {
        self.key = match self.frames.pop() {
            Some(Frame::Table(key)) | Some(Frame::Array(key, _)) => key,
            None => Vec::new(),
        };
        self.key_position = false;
        self.i += 1;
    }

    fn header(&mut self, start: usize) {
        let array = self.bytes.get(start + 1) == Some(&b'[');
        self.i = start + if array { 2 } else { 1 };
        self.skip_ws();
        let key = self.read_key();
        while self.i < self.bytes.len() && !matches!(self.bytes[self.i], b']' | b'\n') {
            self.i += 1;
        }
        while self.bytes.get(self.i) == Some(&b']') {
            self.i += 1;
        }
        // Parent tables that are arrays refer to their latest element, as
        // in `[phase.skus]` after a `[[phase]]`.
        let mut path = Vec::with_capacity(key.len());
        for (j, part) in key.iter().enumerate() {
            let name = key[..=j].join(".");
            let last = j + 1 == key.len();
            let index = if last && array {
                let count = self.counts.entry(name).or_insert(0);
                *count += 1;
                Some(*count - 1)
            } else {
                self.counts.get(&name).map(|c| c - 1)
            };
            path.push(match index {
                Some(i) => format!("{part}[{i}]"),
                None => part.clone(),
            });
        }
        let key = path;
        self.header = key;
        self.key.clear();
        self.key_position = true;
    }

    /// Reads a possibly dotted, possibly quoted key; stops before `=` or any
    /// byte that cannot be part of a key.
    fn read_key(&mut self) -> Vec<String> {
        let mut parts = Vec::new();
        loop {
            self.skip_ws();
            match self.bytes.get(self.i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let start = self.i + 1;
                    self.i = start;
                    while self.i < self.bytes.len() && !matches!(self.bytes[self.i], b'\n') {
                        if self.bytes[self.i] == q {
                            break;
                        }
                        if q == b'"' && self.bytes[self.i] == b'\\' {
                            self.i += 1;
                        }
                        self.i += 1;
                    }
                    let end = self.i.min(self.bytes.len());
                    parts.push(quote_if_needed(&self.text[start..end]));
                    if self.i < self.bytes.len() && self.bytes[self.i] == q {
                        self.i += 1;
                    }
                }
                Some(&b) if is_bare_key_byte(b) => {
                    let start = self.i;
                    while self.i < self.bytes.len() && is_bare_key_byte(self.bytes[self.i]) {
                        self.i += 1;
                    }
                    parts.push(self.text[start..self.i].to_string());
                }
                _ => break,
            }
            self.skip_ws();
            if self.bytes.get(self.i) == Some(&b'.') {
                self.i += 1;
            } else {
                break;
            }
        }
        parts
    }

    fn skip_ws(&mut self) {
        while self.i < self.bytes.len() && matches!(self.bytes[self.i], b' ' | b'\t') {
            self.i += 1;
        }
    }

    fn skip_comment(&mut self) {
        while self.i < self.bytes.len() && self.bytes[self.i] != b'\n' {
            self.i += 1;
        }
    }

    fn skip_string(&mut self) {
        let q = self.bytes[self.i];
        let triple = self.bytes[self.i..].starts_with(if q == b'"' { b"\"\"\"" } else { b"'''" });
        if triple {
            let delim: &[u8] = if q == b'"' { b"\"\"\"" } else { b"'''" };
            self.i += 3;
            while self.i < self.bytes.len() && !self.bytes[self.i..].starts_with(delim) {
                if q == b'"' && self.bytes[self.i] == b'\\' {
                    self.i += 1;
                }
                self.i += 1;
            }
            self.i = (self.i + 3).min(self.bytes.len());
            return;
        }
        self.i += 1;
        while self.i < self.bytes.len() && !matches!(self.bytes[self.i], b'\n') {
            let b = self.bytes[self.i];
            self.i += 1;
            if b == q {
                return;
            }
            if q == b'"' && b == b'\\' {
                self.i += 1;
            }
        }
    }
}

fn quote_if_needed(key: &str) -> String {
    if !key.is_empty() && key.bytes().all(is_bare_key_byte) {
        key.to_string()
    } else {
        format!("\"{key}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of(text: &str, needle: &str) -> String {
        key_at(text, text.find(needle).expect("needle in text"))
    }

    #[test]
    fn line_column_is_one_based_and_counts_characters() {
        let text = "a = 1\nµ = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, text.find("\"x").unwrap()), (2, 5));
        assert_eq!(line_column(text, text.len()), (3, 1));
    }

    #[test]
    fn key_at_names_headers_arrays_and_inline_tables() {
        let text = "\
seed = \"x\"
[catalogue]
hot = { id = \"HOT\", stock = -1 }
[[phase]]
kind = \"instant\"
[[phase]]
kind = \"zipf\" # a comment, with { braces
skus = { pick = \"weights\", weights = { HOT = 5, \"SKU-01\" = \"x\" } }
list = [1, 2, \"q\"]
[phase.skus.weights]
\"SKU-02\" = true
\"a b\" = 1
[phase]
";
        assert_eq!(key_of(text, "\"x\""), "seed");
        assert_eq!(key_of(text, "-1"), "catalogue.hot.stock");
        assert_eq!(key_of(text, "stock"), "catalogue.hot.stock");
        assert_eq!(key_of(text, "\"instant\""), "phase[0].kind");
        assert_eq!(key_of(text, "\"zipf\""), "phase[1].kind");
        assert_eq!(key_of(text, "\"x\" }"), "phase[1].skus.weights.SKU-01");
        assert_eq!(key_of(text, "\"q\""), "phase[1].list[2]");
        assert_eq!(key_of(text, "true"), "phase[1].skus.weights.SKU-02");
        assert_eq!(key_of(text, "1\n[phase]"), "phase[1].skus.weights.\"a b\"");
        assert_eq!(key_of(text, "[phase]\n"), "phase[1]");
    }

    #[test]
    fn key_start_finds_the_key_before_a_value() {
        let text = "[[phase]]\n  rate   = 3\n\"odd key\" = 4\n";
        let value = text.find('3').unwrap();
        assert_eq!(&text[key_start(text, value)..value], "rate   = ");
        let value = text.find('4').unwrap();
        assert_eq!(&text[key_start(text, value)..value], "\"odd key\" = ");
    }
}
