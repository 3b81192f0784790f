//! The `stall_row` fault of both server dialects: a transaction on the
//! backend's admin session that locks one SKU's stock row, holds it, and
//! rolls back.
//!
//! Invariant: it changes nothing; dropped before `hold` has passed (the run
//! ended), its transaction is rolled back as the connection is reused.

use crate::scenario::SkuIdx;
use sqlx::{Database, Encode, Executor, IntoArguments, Pool, Type};
use std::time::Duration;

/// Lock `sku`'s row with `lock_row` (its `SELECT … FOR UPDATE`, one `sku`
/// parameter) for `hold`, then roll back.
pub async fn hold_row<'q, DB>(
    admin: &Pool<DB>,
    lock_row: &'q str,
    sku: SkuIdx,
    hold: Duration,
) -> Result<(), sqlx::Error>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    i64: Encode<'q, DB> + Type<DB>,
    <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
{
    let mut tx = admin.begin().await?;
    sqlx::query::<DB>(lock_row)
        .bind(sku as i64)
        .fetch_one(&mut *tx)
        .await?;
    tokio::time::sleep(hold).await;
    tx.rollback().await
}
