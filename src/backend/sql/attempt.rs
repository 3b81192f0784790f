//! What both server dialects do the same way around one reservation
//! attempt: the failure type, ending a transaction, binding named
//! parameters, and settling the borrowed connection.
//!
//! Invariant: a connection goes back to the pool only when the server
//! answered and no transaction is left open on it.

use super::checkout::Checkout;
use crate::backend::Reply;
use sqlx::{Database, Encode, Executor, IntoArguments, Type};

/// A failed attempt: the error, and whether the connection is reusable.
pub struct Failure {
    pub error: sqlx::Error,
    pub idle: bool,
}

impl Failure {
    /// Outside a transaction, the connection is idle after any answer from
    /// the server; after I/O trouble nobody knows.
    pub fn autocommit(error: sqlx::Error) -> Self {
        let idle = matches!(error, sqlx::Error::Database(_));
        Failure { error, idle }
    }
}

pub type Attempt = Result<Reply, Failure>;

/// End a transaction after its body: COMMIT a grant (the commit itself may
/// still fail, e.g. a serialization failure), ROLLBACK the rest. After a
/// server error the transaction is rolled back before the connection may be
/// reused — InnoDB's lock wait timeout undoes only the statement and leaves
/// the transaction open, and PostgreSQL's aborted transaction refuses
/// everything until it is.
pub async fn finish<DB>(conn: &mut DB::Connection, result: Result<Reply, sqlx::Error>) -> Attempt
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    end::<DB, _>(conn, result, |reply| *reply == Reply::Granted).await
}

/// End a transaction whose body answered `result`: COMMIT when `commits`
/// says the answer changed something, ROLLBACK otherwise (see `finish`).
pub async fn end<DB, T>(
    conn: &mut DB::Connection,
    result: Result<T, sqlx::Error>,
    commits: impl FnOnce(&T) -> bool,
) -> Result<T, Failure>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    let error = match result {
        Ok(answer) if commits(&answer) => match conn.execute("COMMIT").await {
            Ok(_) => return Ok(answer),
            Err(e) => e,
        },
        Ok(answer) => {
            return match conn.execute("ROLLBACK").await {
                Ok(_) => Ok(answer),
                Err(error) => Err(Failure { error, idle: false }),
            }
        }
        Err(e) => e,
    };
    let idle = matches!(error, sqlx::Error::Database(_)) && conn.execute("ROLLBACK").await.is_ok();
    Err(Failure { error, idle })
}

impl<DB: Database> Checkout<DB> {
    /// Turn an attempt into its reply, and give the connection back to the
    /// pool or close it. The first error behind an `Error` or `Unknown`
    /// reply is kept in `first_error`.
    pub fn settle(
        self,
        attempt: Attempt,
        classify: fn(&sqlx::Error) -> Reply,
        first_error: &std::sync::OnceLock<String>,
    ) -> Reply {
        self.settle_any(attempt, classify, first_error)
            .unwrap_or_else(|reply| reply)
    }

    /// `settle` for a call of any answer: a failure comes back as the
    /// reply it stands for (`Conflict`, `Error` or `Unknown`).
    pub fn settle_any<T>(
        self,
        attempt: Result<T, Failure>,
        classify: fn(&sqlx::Error) -> Reply,
        first_error: &std::sync::OnceLock<String>,
    ) -> Result<T, Reply> {
        match attempt {
            Ok(answer) => {
                self.release();
                Ok(answer)
            }
            Err(failure) => {
                let reply = classify(&failure.error);
                if matches!(reply, Reply::Error | Reply::Unknown) {
                    let _ = first_error.set(failure.error.to_string());
                }
                if reply != Reply::Unknown && failure.idle {
                    self.release();
                }
                Err(reply)
            }
        }
    }
}

/// `R` per SKU from a snapshot's `(sku, reserved)` rows, over a catalogue of
/// `skus`: several rows of one SKU add up, a negative `reserved` counts as 0.
pub fn tally(
    rows: impl IntoIterator<Item = Result<(i64, i64), String>>,
    skus: usize,
) -> Result<Vec<u64>, String> {
    let mut reserved = vec![0u64; skus];
    for row in rows {
        let (sku, units) =
            row.map_err(|e| format!("the snapshot must return (sku, reserved) as integers: {e}"))?;
        let slot = usize::try_from(sku)
            .ok()
            .and_then(|s| reserved.get_mut(s))
            .ok_or_else(|| {
                format!(
                    "the snapshot returned sku {sku}, not an index of the catalogue (0..{skus})"
                )
            })?;
        *slot += units.max(0) as u64;
    }
    Ok(reserved)
}

/// A value for a named parameter of a custom statement.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Int(i64),
    Text(&'a str),
}

/// `sql` with its parameters bound in order, each name's value from `value`.
pub fn bind_named<'q, DB>(
    sql: &'q str,
    names: &[String],
    value: impl Fn(&str) -> Arg<'q>,
) -> sqlx::query::Query<'q, DB, <DB as Database>::Arguments<'q>>
where
    DB: Database,
    i64: Encode<'q, DB> + Type<DB>,
    &'q str: Encode<'q, DB> + Type<DB>,
    <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
{
    let mut query = sqlx::query::<DB>(sql);
    for name in names {
        query = match value(name) {
            Arg::Int(v) => query.bind(v),
            Arg::Text(v) => query.bind(v),
        };
    }
    query
}
