//! SIGINT / SIGTERM, escalating: the first stops taking orders and lets those
//! in flight finish; the second stops waiting for them (they end `unknown`);
//! the third quits at once.
//!
//! Invariant: a quit never cuts a results file in half — it waits for a
//! write in progress (`report::files::WRITING`) before the process exits.

use crate::error::exit;
use crate::report::files::WRITING;
use crate::runner::Stop;
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

    /// Read the signal once for the end of a command, so the results and
    /// the exit code agree: a signal that came after the last results were
    /// written still sets `interrupted` (true is returned when this changed
    /// it, so they are written again), and one that comes later still is
    /// too late to matter. Returns the exit code to end with, if any.
    pub fn settle(&self, interrupted: &mut bool) -> (Option<i32>, bool) {
        let code = self.exit_code();
        let changed = code.is_some() && !*interrupted;
        *interrupted |= changed;
        (code, changed)
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
/// Each signal moves `stop` one step on; results are written with
/// `interrupted: true` after the first two. The third exits at once — every
/// backend already finished is on disk.
pub fn listen(
    runtime: &tokio::runtime::Runtime,
    stop: watch::Sender<Stop>,
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
            seen.0.store(code, Ordering::SeqCst);
            match *stop.borrow() {
                Stop::Run => eprintln!(
                    "\ninterrupted: taking no new orders, letting those in flight finish (again to stop waiting)"
                ),
                Stop::Drain => eprintln!(
                    "\ninterrupted again: no longer waiting for requests in flight; they count as unknown (again to quit now)"
                ),
                Stop::Abandon => {
                    let _writing = WRITING.lock();
                    std::process::exit(if code == 2 { exit::SIGINT } else { exit::SIGTERM });
                }
            }
            stop.send_modify(|s| {
                *s = match *s {
                    Stop::Run => Stop::Drain,
                    _ => Stop::Abandon,
                }
            });
        }
    });
    Ok(interrupt)
}
