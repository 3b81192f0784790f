//! HdrHistogram shapes and percentile extraction, in one place.
//!
//! Whole-run histograms hold nanoseconds at 3 significant digits (~270 KB);
//! per-window ones hold microseconds at 2 digits with 32-bit counts (~13 KB),
//! so 2,000 windows stay within the memory budget.

use crate::summary::{Latency, Spread, WindowLatency};
use base64::Engine;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;

/// One hour in nanoseconds: the largest latency recorded; longer values clamp.
const MAX_NS: u64 = 3_600_000_000_000;
const MAX_US: u64 = MAX_NS / 1000;

pub fn whole_run() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_NS, 3).expect("static histogram bounds")
}

pub fn window() -> Histogram<u32> {
    Histogram::new_with_bounds(1, MAX_US, 2).expect("static histogram bounds")
}

pub fn record_ns(h: &mut Histogram<u64>, ns: u64) {
    h.saturating_record(ns.clamp(1, MAX_NS));
}

pub fn record_window_us(h: &mut Histogram<u32>, ns: u64) {
    h.saturating_record((ns / 1000).clamp(1, MAX_US));
}

fn ns_to_us(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

fn at(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        ns_to_us(h.value_at_quantile(q))
    }
}

pub fn latency(h: &Histogram<u64>) -> Latency {
    Latency {
        p50: at(h, 0.5),
        p90: at(h, 0.9),
        p99: at(h, 0.99),
        p999: at(h, 0.999),
        max: if h.is_empty() { 0.0 } else { ns_to_us(h.max()) },
        histogram: encode(h),
    }
}

pub fn spread(h: &Histogram<u64>) -> Spread {
    Spread {
        p50: at(h, 0.5),
        p99: at(h, 0.99),
        max: if h.is_empty() { 0.0 } else { ns_to_us(h.max()) },
    }
}

pub fn window_latency(h: &Histogram<u32>) -> WindowLatency {
    let at = |q: f64| {
        if h.is_empty() {
            0.0
        } else {
            h.value_at_quantile(q) as f64
        }
    };
    WindowLatency {
        p50: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        p999: at(0.999),
        max: if h.is_empty() { 0.0 } else { h.max() as f64 },
    }
}

/// Whole-run latency of a summary window: the whole-run histogram's percentiles.
pub fn as_window_latency(h: &Histogram<u64>) -> WindowLatency {
    let l = latency(h);
    WindowLatency {
        p50: l.p50,
        p90: l.p90,
        p99: l.p99,
        p999: l.p999,
        max: l.max,
    }
}

/// V2 compressed, base64: what HdrHistogram's own tools decode.
pub fn encode(h: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    match V2DeflateSerializer::new().serialize(h, &mut bytes) {
        Ok(_) => base64::engine::general_purpose::STANDARD.encode(bytes),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::Deserializer;

    #[test]
    fn percentiles_are_reported_in_microseconds() {
        let mut h = whole_run();
        for v in 1..=1000u64 {
            record_ns(&mut h, v * 1000); // 1 µs .. 1 ms
        }
        let l = latency(&h);
        assert!((l.p50 - 500.0).abs() <= 1.0, "{}", l.p50);
        assert!((l.p99 - 990.0).abs() <= 1.0, "{}", l.p99);
        assert!((l.max - 1000.0).abs() <= 1.0, "{}", l.max);
    }

    #[test]
    fn window_histogram_agrees_within_its_precision() {
        let mut w = window();
        for v in 1..=1000u64 {
            record_window_us(&mut w, v * 1000);
        }
        let l = window_latency(&w);
        assert!((l.p99 - 990.0).abs() <= 10.0, "{}", l.p99);
    }

    #[test]
    fn empty_histograms_report_zero() {
        assert_eq!(latency(&whole_run()).p99, 0.0);
        assert_eq!(window_latency(&window()).max, 0.0);
    }

    #[test]
    fn encoded_histogram_round_trips() {
        let mut h = whole_run();
        record_ns(&mut h, 12_345);
        record_ns(&mut h, 999_999);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encode(&h))
            .unwrap();
        let back: Histogram<u64> = Deserializer::new().deserialize(&mut &bytes[..]).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back.max(), h.max());
    }
}
