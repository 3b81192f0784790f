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

use super::attempt::{bind_named, finish, Arg, Attempt, Failure};
use super::template::{self, Dialect, Rendered};
use crate::backend::Reply;
use crate::scenario::SourceFile;
use sqlx::{Database, Encode, Executor, IntoArguments, Type};

/// A database's refusal of the team's own SQL at open (a syntax error, an
/// unknown column or table) is the scenario's fault, exit 2, with the file
/// named; anything else — a lost connection, a missing privilege — stays a
/// backend failure. `file` picks the statement's file from the spec's
/// custom SQL; a built-in kind has none, and its errors stay as they are.
pub fn blame_refusal(
    error: crate::backend::BackendError,
    cause: &sqlx::Error,
    spec: &crate::scenario::BackendSpec,
    file: fn(&crate::scenario::CustomSql) -> &SourceFile,
) -> crate::backend::BackendError {
    let (Some(sql), sqlx::Error::Database(db)) = (&spec.options.custom, cause) else {
        return error;
    };
    let file = file(sql);
    // SQLSTATE class 42 is "syntax error or access rule violation" on both
    // servers; a missing privilege is the server's set-up, not the file's.
    let code = db.code().unwrap_or_default();
    let denied = code == "42501" || db.message().contains("denied");
    if !code.starts_with("42") || denied {
        return error;
    }
    crate::backend::BackendError::bad_input(
        &error.backend,
        format!("{}: {}", file.path.display(), error.message),
    )
}

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
        let one = |file: &SourceFile, option: &str| -> Vec<Rendered> {
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

/// The reply a custom reserve's first column stands for: 1 granted, 0 sold
/// out. Anything else is an answer atpsim cannot read, so the attempt may or
/// may not have taken effect: a decode error, classified `unknown`.
pub fn decide(value: Result<i64, String>) -> Result<Reply, sqlx::Error> {
    match value {
        Ok(1) => Ok(Reply::Granted),
        Ok(0) => Ok(Reply::SoldOut),
        Ok(v) => Err(sqlx::Error::Decode(
            format!("the reserve's first column is {v}; expected 1 (granted) or 0 (sold out)")
                .into(),
        )),
        Err(e) => Err(sqlx::Error::Decode(
            format!("the reserve's first column is not 0/1 or a boolean: {e}").into(),
        )),
    }
}

/// What a custom reserve needs from its dialect: how to read its results.
pub struct Reading<DB: Database> {
    /// Whether the last statement returns columns (found by `describe` at open).
    pub returns_rows: bool,
    /// The decision a returned row stands for.
    pub decide_row: fn(&DB::Row) -> Result<Reply, sqlx::Error>,
    pub rows_affected: fn(&DB::QueryResult) -> u64,
}

/// Run a custom reserve: one statement in autocommit, several in one
/// transaction; the last decides. `value` gives each named parameter.
pub async fn reserve<'q, DB>(
    conn: &mut DB::Connection,
    statements: &'q [Rendered],
    reading: &Reading<DB>,
    value: impl Fn(&str) -> Arg<'q>,
) -> Attempt
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    i64: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
{
    let many = statements.len() > 1;
    if many {
        conn.execute("BEGIN").await.map_err(Failure::autocommit)?;
    }
    let mut result = Ok(Reply::SoldOut);
    for (i, statement) in statements.iter().enumerate() {
        let query = bind_named::<DB>(&statement.sql, &statement.binds, &value);
        let last = i + 1 == statements.len();
        result = if !last {
            query.execute(&mut *conn).await.map(|_| Reply::SoldOut)
        } else if reading.returns_rows {
            match query.fetch_optional(&mut *conn).await {
                Ok(Some(row)) => (reading.decide_row)(&row),
                Ok(None) => Ok(Reply::SoldOut),
                Err(e) => Err(e),
            }
        } else {
            match query.execute(&mut *conn).await {
                Ok(done) if (reading.rows_affected)(&done) >= 1 => Ok(Reply::Granted),
                Ok(_) => Ok(Reply::SoldOut),
                Err(e) => Err(e),
            }
        };
        if result.is_err() {
            break;
        }
    }
    if many {
        finish::<DB>(conn, result).await
    } else {
        result.map_err(Failure::autocommit)
    }
}

/// Run the `reset` statements for every SKU (the caller holds the transaction).
pub async fn reset<'q, DB>(
    conn: &mut DB::Connection,
    statements: &'q [Rendered],
    skus: &'q [crate::scenario::Sku],
) -> Result<(), sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    i64: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
{
    for (i, s) in skus.iter().enumerate() {
        for statement in statements {
            let value = |name: &str| match name {
                "sku" => Arg::Int(i as i64),
                "sku_id" => Arg::Text(s.id.as_str()),
                "on_hand" => Arg::Int(s.stock as i64),
                "buffer" => Arg::Int(s.buffer as i64),
                other => unreachable!("validated parameter {other}"),
            };
            bind_named::<DB>(&statement.sql, &statement.binds, value)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// The named parameters of one reserve attempt.
pub fn reserve_args<'a>(sku: u32, sku_id: &'a str, qty: u64) -> impl Fn(&str) -> Arg<'a> + 'a {
    move |name| match name {
        "sku" => Arg::Int(sku as i64),
        "sku_id" => Arg::Text(sku_id),
        "qty" => Arg::Int(qty as i64),
        other => unreachable!("validated parameter {other}"),
    }
}

/// The first `CREATE TABLE` of a schema that names its table literally
/// instead of through `{{name}}`, as the line of its statement: such a table
/// would live outside the run's namespace and never be dropped.
pub fn literal_table(statements: &[template::Statement]) -> Option<usize> {
    use template::Piece;
    for statement in statements {
        for (i, piece) in statement.pieces.iter().enumerate() {
            let Piece::Text(text) = piece else { continue };
            let words: Vec<String> = text
                .split(|c: char| c.is_whitespace() || c == '(')
                .filter(|w| !w.is_empty())
                .map(|w| w.to_ascii_lowercase())
                .collect();
            let Some(create) = words.iter().position(|w| w == "create") else {
                continue;
            };
            let mut rest = words[create + 1..].iter().map(String::as_str);
            let mut word = rest.next();
            while matches!(
                word,
                Some("temporary" | "temp" | "unlogged" | "global" | "local")
            ) {
                word = rest.next();
            }
            if word != Some("table") {
                continue;
            }
            let mut name = rest.next();
            if name == Some("if") {
                // IF NOT EXISTS
                rest.next();
                rest.next();
                name = rest.next();
            }
            let next_is_placeholder = matches!(statement.pieces.get(i + 1), Some(Piece::Table(_)));
            if name.is_some() || !next_is_placeholder {
                return Some(statement.line);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_tables_must_be_placeholders() {
        let parse = |t: &str| template::parse(t, &[]).unwrap();
        assert_eq!(
            literal_table(&parse("CREATE TABLE {{stock}} (sku bigint)")),
            None
        );
        assert_eq!(
            literal_table(&parse(
                "CREATE TABLE IF NOT EXISTS {{a}} (x int);\nCREATE INDEX i ON {{a}} (x)"
            )),
            None
        );
        assert_eq!(
            literal_table(&parse(
                "CREATE TABLE {{a}} (x int);\n\ncreate table audit (x int)"
            )),
            Some(3)
        );
        assert_eq!(
            literal_table(&parse("CREATE UNLOGGED TABLE IF NOT EXISTS log(x int)")),
            Some(1)
        );
    }

    #[test]
    fn reserve_may_not_use_reset_parameters() {
        assert!(template::parse("SELECT :on_hand", params_of("reserve")).is_err());
        assert!(template::parse("SELECT :qty, :sku, :sku_id", params_of("reserve")).is_ok());
    }
}
