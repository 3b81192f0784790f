//! One reservation attempt per strategy, on a connection of the pool, and
//! the final-state read. SQL from `backends/mysql/` (see `sql.rs`).
//!
//! Invariant: a failure says whether the connection was left idle (no
//! transaction open); only then may it go back to the pool. InnoDB rolls
//! back only the statement on a lock wait timeout or a statement timeout,
//! so every error inside a transaction is followed by a ROLLBACK.

use super::{Mysql, Strategy};
use crate::backend::sql::attempt::{end, finish, tally, Attempt, Failure};
use crate::backend::sql::custom;
use crate::backend::{Reply, StoredOrders, UnknownOrder};
use crate::scenario::SkuIdx;
use sqlx::mysql::MySqlRow;
use sqlx::{Column, Executor, MySqlConnection, Row, TypeInfo};

pub(super) async fn reserve(
    b: &Mysql,
    conn: &mut MySqlConnection,
    order: u64,
    sku: SkuIdx,
    qty: u64,
) -> Attempt {
    let one = One { order, sku, qty };
    match &b.strategy {
        Strategy::Naive => naive(b, conn, sku, qty).await.map_err(Failure::autocommit),
        // The id needs a second statement, and both must land or neither:
        // a transaction (MariaDB has no data-changing CTE), sent as one batch.
        Strategy::Atomic if b.stores_ids => atomic_with_id(b, conn, one).await,
        Strategy::Atomic => atomic(b, conn, sku, qty).await.map_err(Failure::autocommit),
        Strategy::ForUpdate => transaction(b, conn, Body::ForUpdate, one).await,
        // The session's isolation level was set at connect.
        Strategy::Tx(_) => transaction(b, conn, Body::Naive, one).await,
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

/// The conditional update and the order's id, in one transaction sent as
/// one text batch (`backends/mysql/atomic_with_id.sql`).
async fn atomic_with_id(b: &Mysql, conn: &mut MySqlConnection, one: One) -> Attempt {
    let batch = b
        .sql
        .atomic_with_id
        .with(&[one.order as i64, one.sku as i64, one.qty as i64]);
    let result = match conn.execute(batch.as_str()).await {
        // Summed over the batch: the UPDATE's row and the INSERT's.
        Ok(done) => match done.rows_affected() {
            2 => Ok(Reply::Granted),
            0 => Ok(Reply::SoldOut),
            n => Err(sqlx::Error::Protocol(format!(
                "the reservation batch affected {n} rows, not 0 or 2"
            ))),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(reply) => Ok(reply),
        // The batch stops at its first error, which may leave the
        // transaction open: `end` rolls it back before the connection is
        // reused.
        Err(error) => end::<sqlx::MySql, Reply>(conn, Err(error), |_| false).await,
    }
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

/// The reservation a transaction makes.
#[derive(Clone, Copy)]
struct One {
    order: u64,
    sku: SkuIdx,
    qty: u64,
}

/// Run `body` in a transaction: COMMIT a grant, ROLLBACK anything else. A
/// grant stores the order's id in the same transaction, where the backend
/// stores ids.
async fn transaction(
    b: &Mysql,
    conn: &mut MySqlConnection,
    body: Body,
    One { order, sku, qty }: One,
) -> Attempt {
    conn.execute("BEGIN").await.map_err(Failure::autocommit)?;
    let result = match body {
        Body::Naive => naive(b, conn, sku, qty).await,
        Body::ForUpdate => match read(&b.sql.for_update_read, conn, sku).await {
            Ok((limit, reserved)) => write_if_fits(b, conn, sku, qty, limit, reserved).await,
            Err(e) => Err(e),
        },
    };
    let result = match result {
        Ok(Reply::Granted) if b.stores_ids => sqlx::query(&b.sql.record_reservation)
            .bind(order as i64)
            .bind(sku as i64)
            .bind(qty as i64)
            .execute(&mut *conn)
            .await
            .map(|_| Reply::Granted),
        other => other,
    };
    finish::<sqlx::MySql>(conn, result).await
}

/// The team's statements, run by `backend::sql::custom::reserve`.
async fn custom(b: &Mysql, conn: &mut MySqlConnection, sku: SkuIdx, qty: u64) -> Attempt {
    let custom = b.custom.as_ref().expect("custom SQL rendered");
    let reading = custom::Reading::<sqlx::MySql> {
        returns_rows: b.reserve_returns_rows,
        decide_row,
        rows_affected: sqlx::mysql::MySqlQueryResult::rows_affected,
    };
    let args = custom::reserve_args(sku, &b.sku_ids[sku as usize], qty);
    custom::reserve(conn, &custom.reserve, &reading, args).await
}

/// The first column of a custom reserve's row: 1/true granted, 0/false sold
/// out; anything else is an error of the team's SQL.
fn decide_row(row: &MySqlRow) -> Result<Reply, sqlx::Error> {
    custom::decide(integer(row, 0))
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

/// The stored order ids, read on the admin connection: units per SKU, and
/// which of `unknown` are there (asked a thousand at a time).
pub(super) async fn stored_orders(
    b: &Mysql,
    unknown: &[UnknownOrder],
) -> Result<StoredOrders, String> {
    let scrub = |e: sqlx::Error| crate::redact::message(&e.to_string(), &b.raw_url);
    let units = units_per_sku(b, &b.sql.stored_units).await?;
    let ids: Vec<u64> = unknown.iter().map(|o| o.id).collect();
    let mut found = Vec::new();
    for chunk in ids.chunks(1000) {
        let statement = b.sql.stored_found(chunk);
        let stored: Vec<i64> = sqlx::query_scalar(&statement)
            .fetch_all(&b.admin)
            .await
            .map_err(scrub)?;
        found.extend(stored.into_iter().map(|id| id as u64));
    }
    Ok(StoredOrders { units, found })
}

/// `R` per SKU, read on the admin connection.
pub(super) async fn snapshot(b: &Mysql) -> Result<Vec<u64>, String> {
    let statement: &str = match &b.strategy {
        Strategy::Custom => {
            let custom = b.custom.as_ref().expect("custom SQL rendered");
            &custom.snapshot.last().expect("validated: not empty").sql
        }
        _ => &b.sql.snapshot,
    };
    units_per_sku(b, statement).await
}

/// `(sku, units)` rows of `statement`, on the admin connection, summed per
/// SKU. Row by row, keeping the two numbers: a million rows fetched at
/// once would hold every row object.
async fn units_per_sku(b: &Mysql, statement: &str) -> Result<Vec<u64>, String> {
    use futures_util::TryStreamExt;
    let scrub = |e: sqlx::Error| crate::redact::message(&e.to_string(), &b.raw_url);
    let mut rows = sqlx::query(statement).fetch(&b.admin);
    let mut pairs = Vec::new();
    while let Some(row) = rows.try_next().await.map_err(scrub)? {
        pairs.push((integer(&row, 0)?, integer(&row, 1)?));
    }
    tally(pairs.into_iter().map(Ok), b.sku_count)
}
