//! A pooled connection that is closed, not reused, unless the call that
//! borrowed it finished cleanly.
//!
//! Invariant: a connection whose future was dropped mid-statement (timeout,
//! abandon) or whose transaction could not be rolled back never returns to
//! the pool, so the next order never inherits half a transaction.

use sqlx::pool::PoolConnection;
use sqlx::Database;

pub struct Checkout<DB: Database> {
    conn: Option<PoolConnection<DB>>,
}

impl<DB: Database> Checkout<DB> {
    pub fn new(conn: PoolConnection<DB>) -> Self {
        Checkout { conn: Some(conn) }
    }

    /// A connection of `pool` for one attempt, or `None` (the attempt is
    /// an `error`: nothing was sent), the reason kept in `first_error`.
    pub async fn acquire(
        pool: &sqlx::Pool<DB>,
        first_error: &std::sync::OnceLock<String>,
    ) -> Option<Self> {
        match pool.acquire().await {
            Ok(conn) => Some(Checkout::new(conn)),
            Err(e) => {
                let _ = first_error.set(format!("no connection from the pool: {e}"));
                None
            }
        }
    }

    pub fn conn(&mut self) -> &mut DB::Connection {
        self.conn.as_mut().expect("checked out")
    }

    /// The call finished and left the connection idle: back to the pool.
    pub fn release(mut self) {
        drop(self.conn.take());
    }
}

impl<DB: Database> Drop for Checkout<DB> {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            conn.close_on_drop();
        }
    }
}
