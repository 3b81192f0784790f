//! SIGINT / SIGTERM: the first stops the run gracefully, a second quits at once.
//!
//! Invariant: a quit never cuts a results file in half — it waits for a
//! write in progress (`report::files::WRITING`) before the process exits.

use crate::error::exit;
use crate::report::files::WRITING;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

/// The signal received so far (0 none, 2 SIGINT, 15 SIGTERM), shared with the run.
#[derive(Clone, Default)]
pub struct Interrupt(Arc<AtomicI32>);

impl Interrupt {
    pub fn received(&self) -> bool {
        self.0.load(Ordering::SeqCst) != 0
    }

    /// The exit code the signal received calls for, if any.
    pub fn exit_code(&self) -> Option<i32> {
        match self.0.load(Ordering::SeqCst) {
            2 => Some(exit::SIGINT),
            15 => Some(exit::SIGTERM),
            _ => None,
        }
    }
}

/// Listen from now on (the handlers are in place when this returns).
/// First signal: record it and tell the clients to stop and drain.
/// Second: exit at once — every backend already finished is on disk.
pub fn listen(
    runtime: &tokio::runtime::Runtime,
    stop: watch::Sender<bool>,
) -> std::io::Result<Interrupt> {
    let _context = runtime.enter();
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    let interrupt = Interrupt::default();
    let seen = interrupt.clone();
    runtime.spawn(async move {
        loop {
            let code = tokio::select! {
                _ = int.recv() => 2,
                _ = term.recv() => 15,
            };
            if seen.0.swap(code, Ordering::SeqCst) != 0 {
                let _writing = WRITING.lock();
                std::process::exit(if code == 2 { exit::SIGINT } else { exit::SIGTERM });
            }
            eprintln!("\ninterrupted: draining requests in flight, then writing results (again to quit now)");
            let _ = stop.send(true);
        }
    });
    Ok(interrupt)
}
