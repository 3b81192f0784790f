//! A one-line progress display on stderr while a backend runs.

use super::worker::Shared;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

const TICK: Duration = Duration::from_millis(200);

pub fn spawn<B: Send + Sync + 'static>(
    shared: Arc<Shared<B>>,
    name: String,
    planned: u64,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(TICK).await;
            let done = super::dispatched(&shared);
            let elapsed = started.elapsed().as_secs_f64();
            let bar = bar(done, planned);
            eprint!("\r\x1b[2K  {name:<16} {bar} {done}/{planned} orders  {elapsed:5.1}s");
            let _ = std::io::stderr().flush();
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

pub fn clear() {
    eprint!("\r\x1b[2K");
    let _ = std::io::stderr().flush();
}
