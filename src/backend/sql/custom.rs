//! The conventions of a team's own SQL (`postgres-custom`, `mysql-custom`):
//! which named parameters each file may use and what each must return.
//!
//! - `schema`: run once; creates the tables, each named `{{name}}`.
//! - `reset`: run once per SKU, in one transaction, with `:sku`, `:sku_id`,
//!   `:on_hand`, `:buffer`; leaves that SKU with that stock and nothing reserved.
//! - `reserve`: run per attempt with `:sku`, `:sku_id`, `:qty`.
//!   Several statements run in one transaction. The last one decides: if it
//!   returns a row, its first column (1 or true = granted, 0 or false = sold
//!   out); otherwise rows affected (≥ 1 granted, 0 sold out).
//! - `snapshot`: returns `(sku, reserved)` rows, both integers, `sku` the index.
//!
//! Invariant: a parameter name a file may not use is an error at validation.

use super::template::{self, Dialect, Rendered};
use crate::scenario::SqlFile;

/// The named parameters the file of `option` may use.
pub fn params_of(option: &str) -> &'static [&'static str] {
    match option {
        "reset" => &["sku", "sku_id", "on_hand", "buffer"],
        "reserve" => &["sku", "sku_id", "qty"],
        _ => &[],
    }
}

/// The custom files, rendered for one namespace and dialect.
#[derive(Debug, Clone)]
pub struct CustomStatements {
    pub schema: Vec<Rendered>,
    pub reset: Vec<Rendered>,
    pub reserve: Vec<Rendered>,
    pub snapshot: Vec<Rendered>,
}

impl CustomStatements {
    pub fn render(sql: &crate::scenario::CustomSql, run_id: &str, dialect: Dialect) -> Self {
        let one = |file: &SqlFile, option: &str| -> Vec<Rendered> {
            template::parse(&file.text, params_of(option))
                .expect("validated at load")
                .iter()
                .map(|s| template::render(s, run_id, dialect))
                .collect()
        };
        CustomStatements {
            schema: one(&sql.schema, "schema"),
            reset: one(&sql.reset, "reset"),
            reserve: one(&sql.reserve, "reserve"),
            snapshot: one(&sql.snapshot, "snapshot"),
        }
    }
}

/// The decision a reserve's last statement stands for.
pub fn decide_by_value(value: i64) -> Option<bool> {
    match value {
        1 => Some(true),
        0 => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_may_not_use_reset_parameters() {
        assert!(template::parse("SELECT :on_hand", params_of("reserve")).is_err());
        assert!(template::parse("SELECT :qty, :sku, :sku_id", params_of("reserve")).is_ok());
    }
}
