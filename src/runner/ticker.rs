//! The run's ticker: every tick it flushes windows that have gone by out of
//! the recorder shards (bounding their memory), and, when asked, redraws a
//! one-line progress display on stderr.

use crate::metrics::Recorders;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const TICK: Duration = Duration::from_millis(200);

/// What the ticker reads from a run, plain or checkout.
pub trait Ticked: Send + Sync + 'static {
    fn recorders(&self) -> &Recorders;
    fn t0(&self) -> Instant;
    /// Orders taken by clients so far.
    fn dispatched(&self) -> u64;
}

pub fn spawn<T: Ticked>(
    shared: Arc<T>,
    name: String,
    planned: u64,
    progress: bool,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let started = Instant::now();
        let grid = shared.recorders().grid;
        loop {
            tokio::time::sleep(TICK).await;
            let now_ns = Instant::now()
                .saturating_duration_since(shared.t0())
                .as_nanos() as u64;
            // The window before the current one may still be receiving orders
            // sent on time; anything older only gets stragglers.
            shared
                .recorders()
                .flush_before(grid.index(now_ns).saturating_sub(1));
            if progress {
                let done = shared.dispatched();
                let elapsed = started.elapsed().as_secs_f64();
                let bar = bar(done, planned);
                eprint!("\r\x1b[2K  {name:<16} {bar} {done}/{planned} orders  {elapsed:5.1}s");
                let _ = std::io::stderr().flush();
            }
        }
    })
}

fn bar(done: u64, planned: u64) -> String {
    const WIDTH: u64 = 24;
    let filled = (done.min(planned) * WIDTH)
        .checked_div(planned)
        .unwrap_or(0) as usize;
    format!(
        "[{}{}]",
        "#".repeat(filled),
        ".".repeat(WIDTH as usize - filled)
    )
}

/// Clear the progress line before the table is printed.
pub fn clear() {
    eprint!("\r\x1b[2K");
    let _ = std::io::stderr().flush();
}
