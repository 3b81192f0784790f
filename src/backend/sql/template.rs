//! SQL templates: the statements of `backends/` and of a team's own files,
//! with table names and (in custom files) parameters as placeholders.
//!
//! - `{{name}}` names a table of the run's namespace: `atpsim_<name>_<run id>`.
//! - `:name` is a named parameter (custom files only), bound per dialect:
//!   `$n` on PostgreSQL, one `?` per occurrence on MySQL.
//! - `;` separates statements.
//!
//! Comments are `--` and `/* */` (MySQL's `#` is an operator in PostgreSQL).
//!
//! Invariant: quoted text (`'…'`, `"…"`, `` `…` ``, `$tag$…$tag$`) and
//! comments are copied verbatim, never searched for placeholders, and `::`
//! (a PostgreSQL cast) is never a parameter.

use std::fmt;

/// Longest `{{name}}`: `atpsim_` + name + `_` + 12-character run id must fit
/// PostgreSQL's 63-byte identifiers.
pub const MAX_TABLE_NAME: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Table(String),
    Param(String),
}

/// One statement of a template, with the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub line: usize,
    pub pieces: Vec<Piece>,
}

impl Statement {
    /// Named parameters in order of appearance (repeats included).
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Param(name) => Some(name.as_str()),
            _ => None,
        })
    }
}

/// A problem in a template, at a 1-based line and column of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Split a custom file into statements and placeholders. `params` lists the
/// named parameters it may use; any other `:name` is an error.
pub fn parse(text: &str, params: &[&str]) -> Result<Vec<Statement>, TemplateError> {
    Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
        params: Some(params),
    }
    .statements()
}

/// Split a built-in file (native `$1` / `?` placeholders; `:name` is text).
pub fn parse_builtin(text: &str) -> Result<Vec<Statement>, TemplateError> {
    Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
        params: None,
    }
    .statements()
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    /// `None` for built-in SQL, where `:name` is not a placeholder.
    params: Option<&'a [&'a str]>,
}

impl Parser<'_> {
    fn error(&self, at: usize, message: String) -> TemplateError {
        let before = &self.text[..at];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        TemplateError {
            line,
            column,
            message,
        }
    }

    fn line_of(&self, at: usize) -> usize {
        self.text[..at].matches('\n').count() + 1
    }

    fn statements(mut self) -> Result<Vec<Statement>, TemplateError> {
        let mut out = Vec::new();
        let mut pieces: Vec<Piece> = Vec::new();
        let mut text = String::new();
        let mut start: Option<usize> = None;
        while self.at < self.bytes.len() {
            let b = self.bytes[self.at];
            let begin = self.at;
            match b {
                b';' => {
                    self.at += 1;
                    flush(&mut text, &mut pieces);
                    if let Some(s) = start.take() {
                        out.push(Statement {
                            line: self.line_of(s),
                            pieces: std::mem::take(&mut pieces),
                        });
                    }
                    pieces.clear();
                    continue;
                }
                b'\'' | b'"' | b'`' => self.skip_quoted(b)?,
                b'-' if self.peek(1) == Some(b'-') => self.skip_line_comment(),
                b'/' if self.peek(1) == Some(b'*') => self.skip_block_comment()?,
                b'$' if self.dollar_tag().is_some() => self.skip_dollar_quoted()?,
                b'{' if self.peek(1) == Some(b'{') => {
                    let name = self.table()?;
                    flush(&mut text, &mut pieces);
                    pieces.push(Piece::Table(name));
                    start.get_or_insert(begin);
                    continue;
                }
                b':' if self.peek(1) == Some(b':') => self.at += 2,
                b':' if self.params.is_some() && self.peek(1).is_some_and(is_ident_start) => {
                    let name = self.param()?;
                    flush(&mut text, &mut pieces);
                    pieces.push(Piece::Param(name));
                    start.get_or_insert(begin);
                    continue;
                }
                _ => self.at += utf8_len(b),
            }
            let chunk = &self.text[begin..self.at];
            let is_comment = chunk.starts_with("--") || chunk.starts_with("/*");
            if !is_comment && !chunk.trim().is_empty() {
                start.get_or_insert(begin);
            }
            text.push_str(chunk);
        }
        flush(&mut text, &mut pieces);
        if let Some(s) = start {
            out.push(Statement {
                line: self.line_of(s),
                pieces,
            });
        }
        Ok(out)
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.at + ahead).copied()
    }

    fn skip_quoted(&mut self, quote: u8) -> Result<(), TemplateError> {
        let open = self.at;
        self.at += 1;
        while self.at < self.bytes.len() {
            let b = self.bytes[self.at];
            self.at += 1;
            if b == b'\\' && quote != b'"' {
                self.at += 1;
            } else if b == quote {
                if self.peek(0) == Some(quote) {
                    self.at += 1;
                } else {
                    return Ok(());
                }
            }
        }
        Err(self.error(open, format!("unclosed {} quote", quote as char)))
    }

    fn skip_line_comment(&mut self) {
        while self.at < self.bytes.len() && self.bytes[self.at] != b'\n' {
            self.at += 1;
        }
    }

    fn skip_block_comment(&mut self) -> Result<(), TemplateError> {
        let open = self.at;
        match self.text[self.at + 2..].find("*/") {
            Some(end) => {
                self.at += 2 + end + 2;
                Ok(())
            }
            None => Err(self.error(open, "unclosed /* comment".to_string())),
        }
    }

    /// `$tag$` at the cursor (PostgreSQL dollar quoting), if any.
    fn dollar_tag(&self) -> Option<&str> {
        let rest = &self.text[self.at + 1..];
        let end = rest.find('$')?;
        let tag = &rest[..end];
        tag.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            .then_some(&self.text[self.at..self.at + end + 2])
            .filter(|_| tag.bytes().next().is_none_or(|b| !b.is_ascii_digit()))
    }

    fn skip_dollar_quoted(&mut self) -> Result<(), TemplateError> {
        let open = self.at;
        let tag = self.dollar_tag().expect("checked by caller").to_string();
        self.at += tag.len();
        match self.text[self.at..].find(&tag) {
            Some(end) => {
                self.at += end + tag.len();
                Ok(())
            }
            None => Err(self.error(open, format!("unclosed {tag} quote"))),
        }
    }

    fn table(&mut self) -> Result<String, TemplateError> {
        let open = self.at;
        let Some(len) = self.text[self.at + 2..].find("}}") else {
            return Err(self.error(open, "`{{` without a closing `}}`".to_string()));
        };
        let name = &self.text[self.at + 2..self.at + 2 + len];
        let valid = !name.is_empty()
            && name.len() <= MAX_TABLE_NAME
            && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(self.error(
                open,
                format!(
                    "invalid table placeholder {{{{{name}}}}}: use a lower-case name of at most {MAX_TABLE_NAME} letters, digits and `_`, starting with a letter"
                ),
            ));
        }
        self.at += 2 + len + 2;
        Ok(name.to_string())
    }

    fn param(&mut self) -> Result<String, TemplateError> {
        let open = self.at;
        self.at += 1;
        let from = self.at;
        while self
            .peek(0)
            .is_some_and(|b| is_ident_start(b) || b.is_ascii_digit())
        {
            self.at += 1;
        }
        let name = &self.text[from..self.at];
        let params = self.params.unwrap_or_default();
        if !params.contains(&name) {
            let known: Vec<String> = params.iter().map(|p| format!(":{p}")).collect();
            let allowed = if known.is_empty() {
                "this file takes no parameters".to_string()
            } else {
                format!("this statement may use {}", known.join(", "))
            };
            return Err(self.error(open, format!("unknown parameter :{name}; {allowed}")));
        }
        Ok(name.to_string())
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn flush(text: &mut String, pieces: &mut Vec<Piece>) {
    if !text.is_empty() {
        pieces.push(Piece::Text(std::mem::take(text)));
    }
}

/// How a dialect spells the n-th (0-based) bound parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `$1`, `$2`, … — a name used twice is bound once.
    Postgres,
    /// `?` — bound once per occurrence, in order.
    Mysql,
}

/// A statement ready to run: the SQL text and the parameter names to bind, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub sql: String,
    pub binds: Vec<String>,
}

/// Fill in the namespace's table names and the dialect's placeholders.
pub fn render(statement: &Statement, run_id: &str, dialect: Dialect) -> Rendered {
    let mut sql = String::new();
    let mut binds: Vec<String> = Vec::new();
    for piece in &statement.pieces {
        match piece {
            Piece::Text(t) => sql.push_str(t),
            Piece::Table(name) => sql.push_str(&table_name(name, run_id)),
            Piece::Param(name) => match dialect {
                Dialect::Postgres => {
                    let n = match binds.iter().position(|b| b == name) {
                        Some(i) => i + 1,
                        None => {
                            binds.push(name.clone());
                            binds.len()
                        }
                    };
                    sql.push_str(&format!("${n}"));
                }
                Dialect::Mysql => {
                    binds.push(name.clone());
                    sql.push('?');
                }
            },
        }
    }
    Rendered {
        sql: sql.trim().to_string(),
        binds,
    }
}

/// The table `{{name}}` stands for in namespace `run_id`.
pub fn table_name(name: &str, run_id: &str) -> String {
    format!("atpsim_{name}_{run_id}")
}

/// Render a built-in statement file that holds exactly one statement.
pub fn render_one(text: &str, run_id: &str, dialect: Dialect) -> String {
    let statements = parse_builtin(text).expect("built-in SQL parses");
    assert_eq!(statements.len(), 1, "built-in SQL files hold one statement");
    render(&statements[0], run_id, dialect).sql
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESERVE: &[&str] = &["sku", "qty"];

    #[test]
    fn tables_and_parameters_render_per_dialect() {
        let s = parse(
            "UPDATE {{stock}} SET reserved = reserved + :qty WHERE sku = :sku AND on_hand - reserved >= :qty",
            RESERVE,
        )
        .unwrap();
        let pg = render(&s[0], "abc123", Dialect::Postgres);
        assert_eq!(
            pg.sql,
            "UPDATE atpsim_stock_abc123 SET reserved = reserved + $1 WHERE sku = $2 AND on_hand - reserved >= $1"
        );
        assert_eq!(pg.binds, ["qty", "sku"]);
        let my = render(&s[0], "abc123", Dialect::Mysql);
        assert!(my
            .sql
            .ends_with("reserved + ? WHERE sku = ? AND on_hand - reserved >= ?"));
        assert_eq!(my.binds, ["qty", "sku", "qty"]);
    }

    #[test]
    fn quotes_comments_and_casts_are_not_placeholders() {
        let text = "-- :qty in a comment; still a comment\nSELECT ':sku', \"a:b\", x::bigint, $q$ :qty; $q$ /* :sku; */ FROM {{stock}}";
        let s = parse(text, RESERVE).unwrap();
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s[0].params().count(), 0);
        assert_eq!(s[0].line, 2);
    }

    #[test]
    fn semicolons_split_statements_and_lines_are_kept() {
        let s = parse("SELECT 1;\n\nSELECT :sku;\n-- trailing comment\n", RESERVE).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].line, 3);
    }

    #[test]
    fn unknown_parameter_is_named_with_its_position() {
        let e = parse("SELECT 1;\nSELECT :quantity", RESERVE).unwrap_err();
        assert_eq!((e.line, e.column), (2, 8));
        assert!(e.message.contains(":quantity"), "{}", e.message);
        assert!(e.message.contains(":sku, :qty"), "{}", e.message);
    }

    #[test]
    fn bad_table_placeholders_are_refused() {
        assert!(parse("SELECT * FROM {{Stock}}", RESERVE).is_err());
        assert!(parse("SELECT * FROM {{stock", RESERVE).is_err());
        let long = format!("SELECT * FROM {{{{{}}}}}", "a".repeat(MAX_TABLE_NAME + 1));
        assert!(parse(&long, RESERVE).is_err());
    }

    #[test]
    fn files_without_parameters_refuse_any() {
        let e = parse("SELECT sku, reserved FROM {{stock}} WHERE sku = :sku", &[]).unwrap_err();
        assert!(e.message.contains("takes no parameters"), "{}", e.message);
        assert!(parse_builtin("SELECT x::bigint, ':a' FROM t WHERE y = :z").is_ok());
    }

    #[test]
    fn unclosed_quotes_are_errors() {
        let e = parse("SELECT 'abc", RESERVE).unwrap_err();
        assert_eq!((e.line, e.column), (1, 8));
    }

    #[test]
    fn longest_table_name_fits_postgres_identifiers() {
        assert!(table_name(&"a".repeat(MAX_TABLE_NAME), "abcdefghijkl").len() <= 63);
    }
}
