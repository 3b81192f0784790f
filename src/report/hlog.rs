//! `<backend>.hlog`: a backend's latency histogram as an HdrHistogram
//! interval log, compressed V2 histograms as HdrHistogram's own tools
//! (`HistogramLogProcessor`, HdrHistogram_py, hdrhistogram for Rust) read
//! them.
//!
//! Invariant: values are nanoseconds from intended time to completion — the
//! same histogram, and so the same percentiles, as `latency_us.histogram` in
//! `run.json`. The log holds one interval, the backend's whole measured
//! span, timestamped in seconds after t0 and tagged with the backend name.

use crate::summary::{BackendSummary, RunSummary};
use base64::Engine;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use hdrhistogram::serialization::{Deserializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use std::time::Duration;

/// The file name of a backend's log (backend names are `[A-Za-z0-9_.@-]`).
pub fn file_name(b: &BackendSummary) -> String {
    format!("{}.hlog", b.name)
}

/// The log for `b`; `None` when its histogram cannot be decoded (a backend
/// that never ran records an empty one, which decodes).
pub fn render(run: &RunSummary, b: &BackendSummary) -> Option<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&b.latency_us.histogram)
        .ok()?;
    let hist: Histogram<u64> = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .ok()?;
    let mut out = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    let mut builder = IntervalLogWriterBuilder::new();
    builder
        .add_comment(&format!(
            "atpsim {} run {} (started {}), scenario {}, backend {}",
            run.tool.version, run.run_id, run.started_at, run.scenario.name, b.name
        ))
        .add_comment(
            "values: latency in nanoseconds, from each order's intended time to its completion",
        )
        .add_comment("interval timestamps: seconds after t0; one interval, the whole measured span")
        // Max values per interval in milliseconds, as HistogramLogProcessor prints them.
        .with_max_value_divisor(1e6);
    let mut writer = builder.begin_log_with(&mut out, &mut serializer).ok()?;
    writer
        .write_histogram(
            &hist,
            Duration::ZERO,
            Duration::from_secs_f64(b.duration_ms.max(0.0) / 1000.0),
            Tag::new(&b.name),
        )
        .ok()?;
    Some(out)
}
