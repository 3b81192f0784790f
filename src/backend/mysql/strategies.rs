//! One reservation attempt per strategy, on a connection of the pool, and
//! the final-state read. SQL from `backends/mysql/` (see `sql.rs`).
//!
//! Invariant: a failure says whether the connection was left idle (no
//! transaction open); only then may it go back to the pool. InnoDB rolls
//! back only the statement on a lock wait timeout or a statement timeout,
//! so every error inside a transaction is followed by a ROLLBACK.

use super::{Mysql, Strategy};
use crate::backend::sql::custom::decide_by_value;
use crate::backend::Reply;
use crate::scenario::SkuIdx;
use sqlx::mysql::MySqlRow;
use sqlx::{Column, Executor, MySqlConnection, Row, TypeInfo};

/// A failed attempt: the error, and whether the connection is reusable.
pub(super) struct Failure {
    pub error: sqlx::Error,
    pub idle: bool,
}

impl Failure {
    /// Outside a transaction, the connection is idle after any answer from
    /// the server; after I/O trouble nobody knows.
    fn autocommit(error: sqlx::Error) -> Self {
        let idle = matches!(error, sqlx::Error::Database(_));
        Failure { error, idle }
    }
}

type Attempt = Result<Reply, Failure>;

pub(super) async fn reserve(
    b: &Mysql,
    conn: &mut MySqlConnection,
    sku: SkuIdx,
    qty: u64,
) -> Attempt {
    match &b.strategy {
        Strategy::Naive => naive(b, conn, sku, qty).await.map_err(Failure::autocommit),
        Strategy::Atomic => atomic(b, conn, sku, qty).await.map_err(Failure::autocommit),
        Strategy::ForUpdate => transaction(b, conn, Body::ForUpdate, sku, qty).await,
        // The session's isolation level was set at connect.
        Strategy::Tx(_) => transaction(b, conn, Body::Naive, sku, qty).await,
        Strategy::Custom => custom(b, conn, sku, qty).await,
    }
}

/// Read, decide in the client, write an absolute value: the seed's race
/// when run in autocommit. A test may hold every client between read and
/// write (the read takes no lock, or only a shared one at SERIALIZABLE).
async fn naive(
    b: &Mysql,
    conn: &mut MySqlConnection,
    sku: SkuIdx,
    qty: u64,
) -> Result<Reply, sqlx::Error> {
    let (limit, reserved) = read(&b.sql.naive_read, conn, sku).await?;
    b.hooks.after_read().await;
    write_if_fits(b, conn, sku, qty, limit, reserved).await
}

async fn read(
    statement: &str,
    conn: &mut MySqlConnection,
    sku: SkuIdx,
) -> Result<(i64, i64), sqlx::Error> {
    let row: MySqlRow = sqlx::query(statement)
        .bind(sku as i64)
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

async fn write_if_fits(
    b: &Mysql,
    conn: &mut MySqlConnection,
    sku: SkuIdx,
    qty: u64,
    limit: i64,
    reserved: i64,
) -> Result<Reply, sqlx::Error> {
    if limit - reserved < qty as i64 {
        return Ok(Reply::SoldOut);
    }
    sqlx::query(&b.sql.naive_write)
        .bind(reserved + qty as i64)
        .bind(sku as i64)
        .execute(&mut *conn)
        .await?;
    Ok(Reply::Granted)
}

/// The conditional update: granted when it matched a row.
async fn atomic(
    b: &Mysql,
    conn: &mut MySqlConnection,
    sku: SkuIdx,
    qty: u64,
) -> Result<Reply, sqlx::Error> {
    let done = sqlx::query(&b.sql.atomic)
        .bind(qty as i64)
        .bind(sku as i64)
        .bind(qty as i64)
        .execute(&mut *conn)
        .await?;
    Ok(if done.rows_affected() >= 1 {
        Reply::Granted
    } else {
        Reply::SoldOut
    })
}

/// What runs between BEGIN and COMMIT.
#[derive(Clone, Copy)]
enum Body {
    /// The naive read-then-write, at the session's isolation level.
    Naive,
    /// `SELECT … FOR UPDATE`, then the write. No test hook: a second client
    /// blocks in its locking read and would never reach it.
    ForUpdate,
}

/// Run `body` in a transaction: COMMIT a grant, ROLLBACK anything else.
async fn transaction(
    b: &Mysql,
    conn: &mut MySqlConnection,
    body: Body,
    sku: SkuIdx,
    qty: u64,
) -> Attempt {
    conn.execute("BEGIN").await.map_err(Failure::autocommit)?;
    let result = match body {
        Body::Naive => naive(b, conn, sku, qty).await,
        Body::ForUpdate => match read(&b.sql.for_update_read, conn, sku).await {
            Ok((limit, reserved)) => write_if_fits(b, conn, sku, qty, limit, reserved).await,
            Err(e) => Err(e),
        },
    };
    finish(conn, result).await
}

/// End a transaction after its body: COMMIT a grant, ROLLBACK the rest. On
/// a server error (a failed COMMIT included) the transaction is rolled back
/// before the connection may be reused: after a lock wait timeout InnoDB
/// has undone only the statement and the transaction is still open.
async fn finish(conn: &mut MySqlConnection, result: Result<Reply, sqlx::Error>) -> Attempt {
    let error = match result {
        Ok(Reply::Granted) => match conn.execute("COMMIT").await {
            Ok(_) => return Ok(Reply::Granted),
            Err(e) => e,
        },
        Ok(reply) => {
            return match conn.execute("ROLLBACK").await {
                Ok(_) => Ok(reply),
                Err(e) => Err(Failure {
                    error: e,
                    idle: false,
                }),
            }
        }
        Err(e) => e,
    };
    let idle = matches!(error, sqlx::Error::Database(_)) && conn.execute("ROLLBACK").await.is_ok();
    Err(Failure { error, idle })
}

/// The team's statements: one in autocommit, several in one transaction;
/// the last decides (`backend::sql::custom`).
async fn custom(b: &Mysql, conn: &mut MySqlConnection, sku: SkuIdx, qty: u64) -> Attempt {
    let custom = b.custom.as_ref().expect("custom SQL rendered");
    let statements = &custom.reserve;
    let many = statements.len() > 1;
    if many {
        conn.execute("BEGIN").await.map_err(Failure::autocommit)?;
    }
    let mut result = Ok(Reply::SoldOut);
    for (i, statement) in statements.iter().enumerate() {
        let mut query = sqlx::query(&statement.sql);
        for name in &statement.binds {
            query = match name.as_str() {
                "sku" => query.bind(sku as i64),
                "sku_id" => query.bind(b.sku_ids[sku as usize].as_str()),
                "qty" => query.bind(qty as i64),
                other => unreachable!("validated parameter {other}"),
            };
        }
        let last = i + 1 == statements.len();
        result = if !last {
            query.execute(&mut *conn).await.map(|_| Reply::SoldOut)
        } else if b.reserve_returns_rows {
            match query.fetch_optional(&mut *conn).await {
                Ok(Some(row)) => Ok(decide_row(&row)),
                Ok(None) => Ok(Reply::SoldOut),
                Err(e) => Err(e),
            }
        } else {
            match query.execute(&mut *conn).await {
                Ok(done) if done.rows_affected() >= 1 => Ok(Reply::Granted),
                Ok(_) => Ok(Reply::SoldOut),
                Err(e) => Err(e),
            }
        };
        if result.is_err() {
            break;
        }
    }
    if many {
        finish(conn, result).await
    } else {
        result.map_err(Failure::autocommit)
    }
}

/// The first column of a custom reserve's row: 1/true granted, 0/false sold
/// out; anything else is an error of the team's SQL.
fn decide_row(row: &MySqlRow) -> Reply {
    match integer(row, 0).ok().and_then(decide_by_value) {
        Some(true) => Reply::Granted,
        Some(false) => Reply::SoldOut,
        None => Reply::Error,
    }
}

/// Column `i` as an integer: any signed or unsigned integer type, or a
/// DECIMAL without a fraction (what `SUM()` of integers returns).
fn integer(row: &MySqlRow, i: usize) -> Result<i64, String> {
    if let Ok(v) = row.try_get::<i64, _>(i) {
        return Ok(v);
    }
    if let Ok(v) = row.try_get::<u64, _>(i) {
        return i64::try_from(v).map_err(|e| e.to_string());
    }
    let column = row
        .columns()
        .get(i)
        .ok_or_else(|| format!("no column {i}"))?;
    let type_name = column.type_info().name();
    if type_name == "DECIMAL" {
        // DECIMAL travels as text in both protocols.
        let text: String = row.try_get_unchecked(i).map_err(|e| e.to_string())?;
        return text
            .parse::<i64>()
            .map_err(|_| format!("{text} is not an integer"));
    }
    Err(format!("column {} is {type_name}", column.name()))
}

/// `R` per SKU, read on the admin connection.
pub(super) async fn snapshot(b: &Mysql) -> Result<Vec<u64>, String> {
    let scrub = |e: sqlx::Error| crate::redact::message(&e.to_string(), &b.raw_url);
    let statement: &str = match &b.strategy {
        Strategy::Custom => {
            let custom = b.custom.as_ref().expect("custom SQL rendered");
            &custom.snapshot.last().expect("validated: not empty").sql
        }
        _ => &b.sql.snapshot,
    };
    let rows = sqlx::query(statement)
        .fetch_all(&b.admin)
        .await
        .map_err(scrub)?;
    let mut reserved = vec![0u64; b.skus];
    for row in &rows {
        let int = |i: usize| {
            integer(row, i)
                .map_err(|e| format!("the snapshot must return (sku, reserved) as integers: {e}"))
        };
        let sku = int(0)?;
        let units = int(1)?;
        let slot = usize::try_from(sku)
            .ok()
            .and_then(|s| reserved.get_mut(s))
            .ok_or_else(|| {
                format!(
                    "the snapshot returned sku {sku}, not an index of the catalogue (0..{})",
                    b.skus
                )
            })?;
        *slot += units.max(0) as u64;
    }
    Ok(reserved)
}
