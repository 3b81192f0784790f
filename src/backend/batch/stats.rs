//! How full the batches were: one count per batch size, per queue server.

use crate::summary::Batches;
use std::sync::Mutex;

/// Batches settled, by size (`sizes[n]` = batches of n orders).
#[derive(Default)]
pub struct BatchSizes {
    sizes: Mutex<Vec<u64>>,
}

impl BatchSizes {
    /// Count one batch of `orders` orders (one conditional step).
    pub fn record(&self, orders: usize) {
        let mut sizes = self.sizes.lock().expect("batch sizes lock");
        if sizes.len() <= orders {
            sizes.resize(orders + 1, 0);
        }
        sizes[orders] += 1;
    }

    /// The figures of every server's batches together.
    pub fn summarize<'a>(all: impl IntoIterator<Item = &'a BatchSizes>) -> Batches {
        let mut merged: Vec<u64> = Vec::new();
        for stats in all {
            let sizes = stats.sizes.lock().expect("batch sizes lock");
            if merged.len() < sizes.len() {
                merged.resize(sizes.len(), 0);
            }
            for (m, s) in merged.iter_mut().zip(sizes.iter()) {
                *m += s;
            }
        }
        let count: u64 = merged.iter().sum();
        let orders: u64 = merged.iter().enumerate().map(|(n, c)| n as u64 * c).sum();
        // The size at rank ⌈q × count⌉, as the latency percentiles are read.
        let quantile = |q: f64| -> u64 {
            let rank = ((q * count as f64).ceil() as u64).max(1);
            let mut seen = 0;
            for (n, c) in merged.iter().enumerate() {
                seen += c;
                if seen >= rank {
                    return n as u64;
                }
            }
            0
        };
        Batches {
            count,
            orders,
            size_mean: if count == 0 {
                0.0
            } else {
                orders as f64 / count as f64
            },
            size_p50: quantile(0.5),
            size_p99: quantile(0.99),
            size_max: merged.iter().rposition(|&c| c > 0).unwrap_or(0) as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_add_up_over_servers() {
        let (a, b) = (BatchSizes::default(), BatchSizes::default());
        for n in [1, 2, 2, 3] {
            a.record(n);
        }
        b.record(10);
        let s = BatchSizes::summarize([&a, &b]);
        assert_eq!((s.count, s.orders), (5, 18));
        assert_eq!((s.size_p50, s.size_p99, s.size_max), (2, 10, 10));
        assert!((s.size_mean - 3.6).abs() < 1e-9);
    }

    #[test]
    fn no_batches_reads_as_zeros() {
        let s = BatchSizes::summarize([&BatchSizes::default()]);
        assert_eq!((s.count, s.orders, s.size_p50, s.size_max), (0, 0, 0, 0));
    }
}
