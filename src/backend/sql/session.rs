//! Server sessions of a run: the ids recorded at connect, the server-side
//! timeouts, and the wait for the run to go quiet.
//!
//! Invariant: the final state is read only once none of the sessions the
//! run's pool opened remains on the server (METRICS.md, "quiet"), so a
//! statement the client gave up on cannot change `R` after it was read.

use crate::backend::BackendError;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Server-side ids (`pg_backend_pid()`, `CONNECTION_ID()`) of every pooled
/// connection, recorded as each one connects.
#[derive(Clone, Default)]
pub struct SessionIds(Arc<Mutex<Vec<i64>>>);

impl SessionIds {
    pub fn record(&self, id: i64) {
        self.0.lock().expect("session ids").push(id);
    }

    pub fn all(&self) -> Vec<i64> {
        self.0.lock().expect("session ids").clone()
    }
}

/// The server-side statement and lock timeouts: below the client's, so a
/// statement the client abandoned is cancelled by the server soon after,
/// rather than committing long after or holding the hot row into the next
/// backend's run.
pub fn server_timeout(client: Duration) -> Duration {
    (client * 9 / 10).max(Duration::from_millis(1))
}

/// How long after the pool closed the run may take to go quiet before its
/// remaining sessions are terminated: the server timeout plus a margin.
pub fn quiet_deadline(client: Duration) -> Duration {
    server_timeout(client) + Duration::from_secs(5)
}

/// Poll `remaining` until it reports no session left; past `deadline`,
/// `terminate` them once and poll for as long again.
pub async fn wait_quiet<R, RF, T, TF>(
    backend: &str,
    deadline: Duration,
    mut remaining: R,
    terminate: T,
) -> Result<(), BackendError>
where
    R: FnMut() -> RF,
    RF: Future<Output = Result<i64, String>>,
    T: FnOnce() -> TF,
    TF: Future<Output = Result<(), String>>,
{
    const POLL: Duration = Duration::from_millis(10);
    let fail = |m: String| BackendError::new(backend, m);
    let until = tokio::time::Instant::now() + deadline;
    loop {
        if remaining().await.map_err(fail)? == 0 {
            return Ok(());
        }
        if tokio::time::Instant::now() >= until {
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    terminate().await.map_err(fail)?;
    let until = tokio::time::Instant::now() + deadline;
    loop {
        let left = remaining().await.map_err(fail)?;
        if left == 0 {
            return Ok(());
        }
        if tokio::time::Instant::now() >= until {
            return Err(fail(format!(
                "the run never went quiet: {left} of its sessions are still on the server after being terminated"
            )));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Open all `clients` connections of `pool` at once, so every one is open
/// before t0 (a pool fills its minimum in the background). On failure, the
/// message says how far it got and why that can happen after the slot check.
pub async fn warm<DB: sqlx::Database>(pool: &sqlx::Pool<DB>, clients: u32) -> Result<(), String> {
    let mut held = Vec::with_capacity(clients as usize);
    for _ in 0..clients {
        match pool.acquire().await {
            Ok(conn) => held.push(conn),
            Err(e) => {
                let opened = held.len();
                drop(held);
                pool.close().await;
                return Err(format!(
                    "opened only {opened} of the {clients} connections the run needs (the free \
                     slots were checked a moment before: another client or a parallel run may \
                     have taken them; lower `concurrency` or run one at a time): {e}"
                ));
            }
        }
    }
    Ok(())
}

/// Close `pool`, then close it again.
///
/// sqlx 0.8's `Pool::close` pops the idle connections, waits for the
/// checked-out ones to come back and returns without popping again, so a
/// connection that was just being returned (a dropped `PoolConnection`
/// pings the server on its way back) can be left idle and open in the
/// closed pool; the second close pops it. The quiet check closes again on
/// every poll for the same reason.
pub async fn close_fully<DB: sqlx::Database>(pool: &sqlx::Pool<DB>) {
    pool.close().await;
    pool.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_timeout_sits_below_the_clients() {
        for ms in [1u64, 5, 100, 1000, 30_000] {
            let client = Duration::from_millis(ms);
            let server = server_timeout(client);
            assert!(server <= client && server > Duration::ZERO, "{ms}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn stragglers_are_terminated_then_waited_for() {
        let left = std::cell::Cell::new(3i64);
        let terminated = std::cell::Cell::new(false);
        wait_quiet(
            "b",
            Duration::from_millis(50),
            || async {
                if terminated.get() {
                    left.set(0);
                }
                Ok(left.get())
            },
            || async {
                terminated.set(true);
                Ok(())
            },
        )
        .await
        .unwrap();
        assert!(terminated.get());
    }
}
