//! `--trace FILE`: one CSV line per attempt, streamed as it happens.
//!
//! Invariant: nothing is held in memory beyond a bounded channel; a dedicated
//! thread formats and writes, so workers only hand over a small `Copy` record.
//! When the writer falls behind, workers wait — `dispatch_lag_us` shows it.

use crate::metrics::Outcome;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// Attempts buffered between workers and the writer thread (~4 MB).
const CHANNEL_DEPTH: usize = 65_536;

pub const HEADER: &str =
    "order_id,sku,qty,intended_ns,sent_ns,completed_ns,outcome,attempt,backend";

#[derive(Debug, Clone, Copy)]
pub struct AttemptLine {
    pub order_id: u64,
    pub sku: u32,
    pub qty: u64,
    pub intended_ns: u64,
    pub sent_ns: u64,
    pub completed_ns: u64,
    pub outcome: Outcome,
    pub attempt: u32,
    pub backend: u16,
}

/// The sending side, cloned into every worker.
#[derive(Clone)]
pub struct TraceSink(SyncSender<AttemptLine>);

impl TraceSink {
    pub fn send(&self, line: AttemptLine) {
        // A closed writer has already reported its error; the run goes on.
        let _ = self.0.send(line);
    }
}

pub struct TraceWriter {
    sink: Option<TraceSink>,
    thread: Option<JoinHandle<std::io::Result<()>>>,
    path: PathBuf,
}

impl TraceWriter {
    /// Create the file now (a bad path fails before the run) and start the writer.
    pub fn create(
        path: &Path,
        sku_ids: Vec<String>,
        backends: Vec<String>,
    ) -> std::io::Result<Self> {
        let mut file = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
        writeln!(file, "{HEADER}")?;
        let sku_ids: Vec<String> = sku_ids.iter().map(|s| csv_field(s)).collect();
        let backends: Vec<String> = backends.iter().map(|s| csv_field(s)).collect();
        let (tx, rx) = sync_channel(CHANNEL_DEPTH);
        let thread = std::thread::Builder::new()
            .name("atpsim-trace".into())
            .spawn(move || write_lines(file, rx, &sku_ids, &backends))?;
        Ok(TraceWriter {
            sink: Some(TraceSink(tx)),
            thread: Some(thread),
            path: path.to_path_buf(),
        })
    }

    pub fn sink(&self) -> Option<TraceSink> {
        self.sink.clone()
    }

    /// Flush and close; reports a write error that happened on the way.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.sink = None;
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(std::io::Error::other("trace writer panicked")),
            None => Ok(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Quote a field that would otherwise break the CSV.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn write_lines(
    mut file: BufWriter<std::fs::File>,
    rx: Receiver<AttemptLine>,
    sku_ids: &[String],
    backends: &[String],
) -> std::io::Result<()> {
    for l in rx {
        writeln!(
            file,
            "{},{},{},{},{},{},{},{},{}",
            l.order_id,
            sku_ids[l.sku as usize],
            l.qty,
            l.intended_ns,
            l.sent_ns,
            l.completed_ns,
            l.outcome.as_str(),
            l.attempt,
            backends[l.backend as usize],
        )?;
    }
    file.flush()
}
