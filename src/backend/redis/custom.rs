//! The conventions of a team's own Lua (`redis-custom`, `backends/README.md`):
//! the key layout, the arguments each script is given and what its answers
//! mean.
//!
//! Invariant: every key a custom script is handed starts with the run's
//! prefix, so the run's cleanup finds it; an answer atpsim cannot read is
//! never taken for "nothing happened".

use crate::backend::Reply;
use redis::Value;

/// The layout when the scenario names none: one hash per SKU, as `redis-lua` keeps it.
pub const DEFAULT_KEYS: &[&str] = &["stock:{sku}"];

/// Keys a layout may name: enough for stock, holds and an index or two.
pub const MAX_KEYS: usize = 16;

/// Characters of one key template.
pub const MAX_KEY_LEN: usize = 200;

/// Used when the scenario names no `reset`: the `redis-lua` hash layout.
pub const DEFAULT_RESET: &str = include_str!("../../../backends/redis/custom-reset.lua");

/// Used when the scenario names no `snapshot`.
pub const DEFAULT_SNAPSHOT: &str = include_str!("../../../backends/redis/custom-snapshot.lua");

/// One key of the layout: literal text with `{sku}` (the SKU's index) and
/// `{sku_id}` (its id) filled in per SKU, below the run's prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    SkuIndex,
    SkuId,
}

/// Why a key template cannot be used, and at which character (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    pub column: usize,
    pub message: String,
}

impl KeyTemplate {
    pub fn parse(text: &str) -> Result<KeyTemplate, KeyError> {
        if text.is_empty() {
            return Err(KeyError {
                column: 1,
                message: "a key cannot be empty".into(),
            });
        }
        if text.chars().count() > MAX_KEY_LEN {
            return Err(KeyError {
                column: MAX_KEY_LEN + 1,
                message: format!("a key template is at most {MAX_KEY_LEN} characters"),
            });
        }
        if text == "meta" {
            return Err(KeyError {
                column: 1,
                message: "`meta` is atpsim's own marker key of the run; name yours otherwise"
                    .into(),
            });
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        let mut column = 1;
        while let Some(c) = rest.chars().next() {
            if c == '{' {
                let (part, len) = if rest.starts_with("{sku}") {
                    (Part::SkuIndex, "{sku}".len())
                } else if rest.starts_with("{sku_id}") {
                    (Part::SkuId, "{sku_id}".len())
                } else {
                    return Err(KeyError {
                        column,
                        message: "`{` starts a placeholder, and the only ones are `{sku}` \
                                  (the SKU's index) and `{sku_id}` (its id)"
                            .into(),
                    });
                };
                if !literal.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut literal)));
                }
                parts.push(part);
                rest = &rest[len..];
                column += len;
                continue;
            }
            if c == '}' || c.is_whitespace() || c.is_control() {
                return Err(KeyError {
                    column,
                    message: format!("{c:?} cannot appear in a key outside a placeholder"),
                });
            }
            literal.push(c);
            rest = &rest[c.len_utf8()..];
            column += 1;
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(KeyTemplate { parts })
    }

    /// Whether the key differs from one SKU to the next.
    pub fn names_the_sku(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::SkuIndex | Part::SkuId))
    }

    /// The key of one SKU, under the run's prefix.
    pub fn render(&self, prefix: &str, index: u32, id: &str) -> String {
        let mut key = String::from(prefix);
        for part in &self.parts {
            match part {
                Part::Text(t) => key.push_str(t),
                Part::SkuIndex => key.push_str(&index.to_string()),
                Part::SkuId => key.push_str(id),
            }
        }
        key
    }
}

/// What a reserve script's answer stands for: integer 1 (or Lua `true`)
/// granted, 0 sold out. Anything else is an answer atpsim cannot read, after
/// the script may have written: the caller counts it `unknown`.
pub fn reserve_reply(value: &Value) -> Result<Reply, String> {
    match value {
        Value::Int(1) => Ok(Reply::Granted),
        Value::Int(0) => Ok(Reply::SoldOut),
        Value::Nil => Err("the reserve script returned nil (Lua false or no value); \
                           it must return 1 (reserved) or 0 (sold out)"
            .into()),
        other => Err(format!(
            "the reserve script returned {}; it must return 1 (reserved) or 0 (sold out)",
            describe(other)
        )),
    }
}

/// The units a snapshot script says are reserved for one SKU: an integer
/// (or a string holding one, as `HGET` returns); nil counts as 0, a
/// negative figure as 0, as for custom SQL.
pub fn snapshot_reply(value: &Value) -> Result<u64, String> {
    let n = match value {
        Value::Nil => 0,
        Value::Int(n) => *n,
        Value::BulkString(bytes) => std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .ok_or_else(|| {
                format!(
                    "the snapshot script returned {}; it must return the reserved units as an integer",
                    describe(value)
                )
            })?,
        other => {
            return Err(format!(
                "the snapshot script returned {}; it must return the reserved units as an integer",
                describe(other)
            ))
        }
    };
    Ok(n.max(0) as u64)
}

/// A short, bounded description of a reply for messages.
fn describe(value: &Value) -> String {
    let text = match value {
        Value::Int(n) => format!("the integer {n}"),
        Value::BulkString(b) => format!("the string {:?}", String::from_utf8_lossy(b)),
        Value::SimpleString(s) => format!("the status {s:?}"),
        Value::Array(items) => format!("an array of {}", items.len()),
        other => format!("{other:?}"),
    };
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// The Lua line and message in a Redis compile error
/// (`... user_script:3: '=' expected near 'x'`), if it is one.
pub fn compile_error(message: &str) -> Option<(u32, String)> {
    if !message.contains("Error compiling script") {
        return None;
    }
    let at = message.find("user_script:")? + "user_script:".len();
    let rest = &message[at..];
    let (line, text) = rest.split_once(':')?;
    let line = line.trim().parse().ok()?;
    Some((line, text.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_fills_in_the_index_and_the_id_below_the_prefix() {
        let t = KeyTemplate::parse("stock:{sku}:{sku_id}").unwrap();
        assert!(t.names_the_sku());
        assert_eq!(t.render("atpsim:r1:", 7, "HOT"), "atpsim:r1:stock:7:HOT");
        let shared = KeyTemplate::parse("holds").unwrap();
        assert!(!shared.names_the_sku());
        assert_eq!(shared.render("p:", 3, "X"), "p:holds");
    }

    #[test]
    fn unknown_placeholders_spaces_and_the_marker_are_refused_with_a_column() {
        let e = KeyTemplate::parse("stock:{id}").unwrap_err();
        assert_eq!(e.column, 7);
        assert!(e.message.contains("{sku_id}"), "{}", e.message);
        assert_eq!(KeyTemplate::parse("a b").unwrap_err().column, 2);
        assert_eq!(KeyTemplate::parse("x}").unwrap_err().column, 2);
        assert!(KeyTemplate::parse("").is_err());
        assert!(KeyTemplate::parse("meta").is_err());
        assert!(KeyTemplate::parse("meta:{sku}").is_ok());
    }

    #[test]
    fn only_one_and_zero_are_read_as_answers() {
        assert_eq!(reserve_reply(&Value::Int(1)), Ok(Reply::Granted));
        assert_eq!(reserve_reply(&Value::Int(0)), Ok(Reply::SoldOut));
        assert!(reserve_reply(&Value::Int(2)).is_err());
        assert!(reserve_reply(&Value::Nil).unwrap_err().contains("nil"));
        assert!(reserve_reply(&Value::BulkString(b"1".to_vec())).is_err());
    }

    #[test]
    fn a_snapshot_reads_integers_and_integer_strings() {
        assert_eq!(snapshot_reply(&Value::Int(5)), Ok(5));
        assert_eq!(snapshot_reply(&Value::Int(-3)), Ok(0));
        assert_eq!(snapshot_reply(&Value::Nil), Ok(0));
        assert_eq!(snapshot_reply(&Value::BulkString(b"12".to_vec())), Ok(12));
        assert!(snapshot_reply(&Value::BulkString(b"x".to_vec())).is_err());
        assert!(snapshot_reply(&Value::Array(vec![])).is_err());
    }

    #[test]
    fn compile_errors_give_the_lua_line() {
        let m = "An error was signalled by the server - ResponseError: Error compiling script \
                 (new function): user_script:2: unexpected symbol near 'return'";
        assert_eq!(
            compile_error(m),
            Some((2, "unexpected symbol near 'return'".to_string()))
        );
        assert_eq!(compile_error("ERR user_script:1: attempt to call"), None);
    }
}
