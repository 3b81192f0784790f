//! One reservation attempt per strategy, on a connection of the pool, and
//! the final-state read. SQL from `backends/postgres/` (see `sql.rs`).
//!
//! Invariant: a failure says whether the connection was left idle (no
//! transaction open); only then may it go back to the pool.

use super::{Postgres, Strategy};
use crate::backend::sql::attempt::{finish, tally, Attempt, Failure};
use crate::backend::sql::custom;
use crate::backend::{Reply, StoredOrders, UnknownOrder};
use crate::scenario::{Isolation, SkuIdx};
use sqlx::postgres::PgRow;
use sqlx::{Executor, PgConnection, Row};
use std::sync::atomic::Ordering;

pub(super) async fn reserve(
    b: &Postgres,
    conn: &mut PgConnection,
    order: u64,
    sku: SkuIdx,
    qty: u64,
) -> Attempt {
    let one = One { order, sku, qty };
    match &b.strategy {
        Strategy::Naive => naive(b, conn, sku, qty, true)
            .await
            .map_err(Failure::autocommit),
        Strategy::Atomic if b.stores_ids => atomic(
            &b.sql.atomic_with_id,
            conn,
            &[qty as i64, sku as i64, order as i64],
        )
        .await
        .map_err(Failure::autocommit),
        Strategy::Atomic => atomic(&b.sql.atomic, conn, &[qty as i64, sku as i64])
            .await
            .map_err(Failure::autocommit),
        Strategy::ForUpdate => transaction(b, conn, "BEGIN", Body::ForUpdate, one).await,
        Strategy::Advisory => transaction(b, conn, "BEGIN", Body::Advisory, one).await,
        Strategy::Tx(isolation) => {
            transaction(b, conn, begin_at(*isolation), Body::Naive, one).await
        }
        Strategy::Sharded { .. } => sharded(b, conn, sku, qty)
            .await
            .map_err(Failure::autocommit),
        Strategy::Custom => custom(b, conn, sku, qty).await,
        Strategy::Batch => unreachable!("postgres-batch reserves through its queue servers"),
    }
}

fn begin_at(isolation: Isolation) -> &'static str {
    match isolation {
        Isolation::ReadCommitted => "BEGIN ISOLATION LEVEL READ COMMITTED",
        Isolation::RepeatableRead => "BEGIN ISOLATION LEVEL REPEATABLE READ",
        Isolation::Serializable => "BEGIN ISOLATION LEVEL SERIALIZABLE",
    }
}

/// Read, decide in the client, write an absolute value: the seed's race
/// when run in autocommit. `hook`: let a test hold every client between
/// read and write (only where the read takes no lock, or it would deadlock).
async fn naive(
    b: &Postgres,
    conn: &mut PgConnection,
    sku: SkuIdx,
    qty: u64,
    hook: bool,
) -> Result<Reply, sqlx::Error> {
    let (limit, reserved) = read(&b.sql.naive_read, conn, sku).await?;
    if hook {
        b.hooks.after_read().await;
    }
    write_if_fits(b, conn, sku, qty, limit, reserved).await
}

async fn read(
    statement: &str,
    conn: &mut PgConnection,
    sku: SkuIdx,
) -> Result<(i64, i64), sqlx::Error> {
    let row: PgRow = sqlx::query(statement)
        .bind(sku as i64)
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get(0)?, row.try_get(1)?))
}

async fn write_if_fits(
    b: &Postgres,
    conn: &mut PgConnection,
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

/// A conditional update: granted when it changed a row.
async fn atomic(
    statement: &str,
    conn: &mut PgConnection,
    binds: &[i64],
) -> Result<Reply, sqlx::Error> {
    let mut query = sqlx::query(statement);
    for &v in binds {
        query = query.bind(v);
    }
    let done = query.execute(&mut *conn).await?;
    Ok(if done.rows_affected() >= 1 {
        Reply::Granted
    } else {
        Reply::SoldOut
    })
}

/// What runs between BEGIN and COMMIT.
#[derive(Clone, Copy)]
enum Body {
    /// The naive read-then-write, at the transaction's isolation level.
    Naive,
    /// `SELECT … FOR UPDATE`, then the write.
    ForUpdate,
    /// `pg_advisory_xact_lock(run, sku)`, then the naive read-then-write.
    Advisory,
}

/// The reservation a transaction makes.
#[derive(Clone, Copy)]
struct One {
    order: u64,
    sku: SkuIdx,
    qty: u64,
}

/// Run `body` in a transaction: COMMIT a grant, ROLLBACK anything else. On
/// a server error the transaction is rolled back before the connection may
/// be reused (a retry then starts clean). A grant stores the order's id in
/// the same transaction, where the backend stores ids.
async fn transaction(
    b: &Postgres,
    conn: &mut PgConnection,
    begin: &str,
    body: Body,
    One { order, sku, qty }: One,
) -> Attempt {
    conn.execute(begin).await.map_err(Failure::autocommit)?;
    let result = match body {
        Body::Naive => naive(b, conn, sku, qty, true).await,
        Body::ForUpdate => match read(&b.sql.for_update_read, conn, sku).await {
            Ok((limit, reserved)) => write_if_fits(b, conn, sku, qty, limit, reserved).await,
            Err(e) => Err(e),
        },
        Body::Advisory => {
            let locked = sqlx::query(super::sql::ADVISORY_LOCK)
                .bind(crate::backend::sql::namespace::run_key(&b.run_id))
                .bind(sku as i32)
                .execute(&mut *conn)
                .await;
            match locked {
                Ok(_) => naive(b, conn, sku, qty, false).await,
                Err(e) => Err(e),
            }
        }
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
    finish::<sqlx::Postgres>(conn, result).await
}

/// Try one bucket, then the others in turn, before declaring sold out.
async fn sharded(
    b: &Postgres,
    conn: &mut PgConnection,
    sku: SkuIdx,
    qty: u64,
) -> Result<Reply, sqlx::Error> {
    let k = b.buckets[sku as usize] as u64;
    let first = splitmix(b.next_bucket.fetch_add(1, Ordering::Relaxed)) % k;
    for i in 0..k {
        let bucket = ((first + i) % k) as i64;
        let reply = atomic(
            &b.sql.bucket_reserve,
            conn,
            &[qty as i64, sku as i64, bucket],
        )
        .await?;
        if reply == Reply::Granted {
            return Ok(reply);
        }
    }
    Ok(Reply::SoldOut)
}

/// A well-mixed 64-bit value from a counter, so consecutive reservations
/// start at unrelated buckets.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The team's statements, run by `backend::sql::custom::reserve`.
async fn custom(b: &Postgres, conn: &mut PgConnection, sku: SkuIdx, qty: u64) -> Attempt {
    let custom = b.custom.as_ref().expect("custom SQL rendered");
    let reading = custom::Reading::<sqlx::Postgres> {
        returns_rows: b.reserve_returns_rows,
        decide_row,
        rows_affected: sqlx::postgres::PgQueryResult::rows_affected,
    };
    let args = custom::reserve_args(sku, &b.sku_ids[sku as usize], qty);
    custom::reserve(conn, &custom.reserve, &reading, args).await
}

/// The first column of a custom reserve's row: 1/true granted, 0/false sold
/// out; anything else is an error of the team's SQL.
fn decide_row(row: &PgRow) -> Result<Reply, sqlx::Error> {
    let value = row
        .try_get::<i64, _>(0)
        .or_else(|_| row.try_get::<i32, _>(0).map(i64::from))
        .or_else(|_| row.try_get::<bool, _>(0).map(i64::from))
        .map_err(|e| e.to_string());
    custom::decide(value)
}

/// The stored order ids, read on the admin connection: units per SKU, and
/// which of `unknown` are there.
pub(super) async fn stored_orders(
    b: &Postgres,
    unknown: &[UnknownOrder],
) -> Result<StoredOrders, String> {
    let scrub = |e: sqlx::Error| crate::redact::message(&e.to_string(), &b.raw_url);
    let units = units_per_sku(b, &b.sql.stored_units).await?;
    let ids: Vec<i64> = unknown.iter().map(|o| o.id as i64).collect();
    let found: Vec<i64> = sqlx::query_scalar(&b.sql.stored_found)
        .bind(ids)
        .fetch_all(&b.admin)
        .await
        .map_err(scrub)?;
    Ok(StoredOrders {
        units,
        found: found.into_iter().map(|id| id as u64).collect(),
    })
}

/// `R` per SKU, read on the admin connection.
pub(super) async fn snapshot(b: &Postgres) -> Result<Vec<u64>, String> {
    let statement: &str = match &b.strategy {
        Strategy::Sharded { .. } => &b.sql.bucket_snapshot,
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
async fn units_per_sku(b: &Postgres, statement: &str) -> Result<Vec<u64>, String> {
    use futures_util::TryStreamExt;
    let scrub = |e: sqlx::Error| crate::redact::message(&e.to_string(), &b.raw_url);
    let int = |row: &PgRow, i: usize| {
        row.try_get::<i64, _>(i)
            .or_else(|_| row.try_get::<i32, _>(i).map(i64::from))
            .map_err(|e| e.to_string())
    };
    let mut rows = sqlx::query(statement).fetch(&b.admin);
    let mut pairs = Vec::new();
    while let Some(row) = rows.try_next().await.map_err(scrub)? {
        pairs.push((int(&row, 0)?, int(&row, 1)?));
    }
    tally(pairs.into_iter().map(Ok), b.sku_count)
}
