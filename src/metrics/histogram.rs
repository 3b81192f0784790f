//! HdrHistogram shapes and percentile extraction, in one place.
//!
//! Whole-run histograms hold nanoseconds at 3 significant digits (~270 KB);
//! per-window ones hold microseconds at 2 digits with 32-bit counts (~13 KB),
//! so 2,000 windows stay within the memory budget. Each keeps the exact
//! maximum beside it: a reported percentile never exceeds the largest value
//! recorded, so a window's p99 can never read above the whole run's max.

use crate::summary::{Latency, Spread, WindowLatency};
use base64::Engine;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
use hdrhistogram::{Counter, Histogram};

/// One hour in nanoseconds: the largest latency recorded; longer values clamp.
const MAX_NS: u64 = 3_600_000_000_000;
const MAX_US: u64 = MAX_NS / 1000;

/// A histogram plus the exact largest value, in nanoseconds. `SCALE`
/// divides a nanosecond value before it is recorded (1 or 1000); as a
/// constant it costs no division on the per-order path.
#[derive(Clone)]
pub struct Timing<C: Counter, const SCALE: u64> {
    hist: Histogram<C>,
    max_ns: u64,
}

/// Whole-run: nanoseconds, 3 significant digits.
pub type RunTiming = Timing<u64, 1>;
/// Per window: microseconds, 2 significant digits, 32-bit counts.
pub type WindowTiming = Timing<u32, 1000>;

impl RunTiming {
    pub fn new() -> Self {
        Timing {
            hist: Histogram::new_with_bounds(1, MAX_NS, 3).expect("static histogram bounds"),
            max_ns: 0,
        }
    }

    /// V2 compressed, base64: what HdrHistogram's own tools decode (nanoseconds).
    pub fn encode(&self) -> String {
        let mut bytes = Vec::new();
        match V2DeflateSerializer::new().serialize(&self.hist, &mut bytes) {
            Ok(_) => base64::engine::general_purpose::STANDARD.encode(bytes),
            Err(_) => String::new(),
        }
    }
}

impl Default for RunTiming {
    fn default() -> Self {
        Self::new()
    }
}

impl WindowTiming {
    pub fn new() -> Self {
        Timing {
            hist: Histogram::new_with_bounds(1, MAX_US, 2).expect("static histogram bounds"),
            max_ns: 0,
        }
    }
}

impl Default for WindowTiming {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Counter, const SCALE: u64> Timing<C, SCALE> {
    pub fn record(&mut self, ns: u64) {
        self.hist
            .saturating_record((ns / SCALE).clamp(1, MAX_NS / SCALE));
        self.max_ns = self.max_ns.max(ns.min(MAX_NS));
    }

    pub fn add(&mut self, other: &Timing<C, SCALE>) {
        self.hist.add(&other.hist).expect("same histogram bounds");
        self.max_ns = self.max_ns.max(other.max_ns);
    }

    pub fn is_empty(&self) -> bool {
        self.hist.is_empty()
    }

    pub fn len(&self) -> u64 {
        self.hist.len()
    }

    /// The value at quantile `q`, in microseconds, capped at the exact maximum.
    pub fn quantile_us(&self, q: f64) -> f64 {
        if self.hist.is_empty() {
            return 0.0;
        }
        let ns = self.hist.value_at_quantile(q).saturating_mul(SCALE);
        ns.min(self.max_ns) as f64 / 1000.0
    }

    pub fn max_us(&self) -> f64 {
        self.max_ns as f64 / 1000.0
    }

    pub fn window_latency(&self) -> WindowLatency {
        WindowLatency {
            p50: self.quantile_us(0.5),
            p90: self.quantile_us(0.9),
            p99: self.quantile_us(0.99),
            p999: self.quantile_us(0.999),
            max: self.max_us(),
        }
    }

    pub fn spread(&self) -> Spread {
        Spread {
            p50: self.quantile_us(0.5),
            p99: self.quantile_us(0.99),
            max: self.max_us(),
        }
    }
}

pub fn latency(t: &RunTiming) -> Latency {
    let w = t.window_latency();
    Latency {
        p50: w.p50,
        p90: w.p90,
        p99: w.p99,
        p999: w.p999,
        max: w.max,
        histogram: t.encode(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::Deserializer;

    #[test]
    fn percentiles_are_reported_in_microseconds() {
        let mut h = RunTiming::new();
        for v in 1..=1000u64 {
            h.record(v * 1000); // 1 µs .. 1 ms
        }
        let l = latency(&h);
        assert!((l.p50 - 500.0).abs() <= 1.0, "{}", l.p50);
        assert!((l.p99 - 990.0).abs() <= 1.0, "{}", l.p99);
        assert_eq!(l.max, 1000.0);
    }

    #[test]
    fn window_histogram_agrees_within_its_precision() {
        let mut w = WindowTiming::new();
        for v in 1..=1000u64 {
            w.record(v * 1000);
        }
        let l = w.window_latency();
        assert!((l.p99 - 990.0).abs() <= 10.0, "{}", l.p99);
    }

    #[test]
    fn no_percentile_exceeds_the_exact_maximum() {
        // 56,688.639 µs sits in a 2-digit bucket whose top is above it.
        let (mut run, mut window) = (RunTiming::new(), WindowTiming::new());
        for _ in 0..10 {
            run.record(56_688_639);
            window.record(56_688_639);
        }
        let w = window.window_latency();
        assert_eq!(w.max, 56_688.639);
        assert!(w.p99 <= run.max_us() && w.p50 <= w.max, "{w:?}");
    }

    #[test]
    fn empty_histograms_report_zero() {
        assert_eq!(latency(&RunTiming::new()).p99, 0.0);
        assert_eq!(WindowTiming::new().window_latency().max, 0.0);
    }

    #[test]
    fn merged_timings_keep_the_larger_maximum() {
        let (mut a, mut b) = (RunTiming::new(), RunTiming::new());
        a.record(5_000);
        b.record(7_321);
        a.add(&b);
        assert_eq!(a.len(), 2);
        assert_eq!(a.max_us(), 7.321);
    }

    #[test]
    fn encoded_histogram_round_trips() {
        let mut h = RunTiming::new();
        h.record(12_345);
        h.record(999_999);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(h.encode())
            .unwrap();
        let back: Histogram<u64> = Deserializer::new().deserialize(&mut &bytes[..]).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back.max(), h.hist.max());
    }
}
