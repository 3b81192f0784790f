//! Windows on intended time, the peak window and the worst windows.
//!
//! Invariant: an order belongs to the window of its intended time, whenever it
//! completed; at most `MAX_WINDOWS` windows, widening the length if needed.

use super::recorder::{Counts, Recorder, WindowRecord};
use crate::summary::{Peak, Window, WindowOrders, WindowUnits, Worst};

pub const MAX_WINDOWS: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowGrid {
    pub window_ns: u64,
    pub count: usize,
}

impl WindowGrid {
    /// Windows of `requested_ns` over `span_ns`, widened so at most
    /// `MAX_WINDOWS` cover the span. Returns the grid and whether it widened.
    pub fn new(requested_ns: u64, span_ns: u64) -> (Self, bool) {
        let requested_ns = requested_ns.max(1);
        let needed = span_ns.div_ceil(requested_ns).max(1);
        if needed as usize <= MAX_WINDOWS {
            (
                WindowGrid {
                    window_ns: requested_ns,
                    count: needed as usize,
                },
                false,
            )
        } else {
            let window_ns = span_ns.div_ceil(MAX_WINDOWS as u64);
            let count = span_ns.div_ceil(window_ns) as usize;
            (WindowGrid { window_ns, count }, true)
        }
    }

    /// The window of an intended time; times past the span go to the last one.
    pub fn index(&self, intended_ns: u64) -> usize {
        ((intended_ns / self.window_ns) as usize).min(self.count - 1)
    }
}

fn orders(c: &Counts) -> WindowOrders {
    WindowOrders {
        offered: c.offered,
        granted: c.granted,
        sold_out: c.sold_out,
        conflict: c.conflict,
        error: c.error,
        unknown: c.unknown,
        retries: c.retries,
        oversold: c.oversold_orders,
        fairness_inversions: c.fairness_inversions,
    }
}

fn window(grid: WindowGrid, index: usize, rec: Option<&WindowRecord>) -> Window {
    let ms = grid.window_ns as f64 / 1e6;
    let (orders, units, latency_us) = match rec {
        Some(r) => (
            orders(&r.counts),
            WindowUnits {
                granted: r.counts.granted_units,
                oversold_at_grant: r.counts.oversold_units,
            },
            r.latency.window_latency(),
        ),
        None => Default::default(),
    };
    Window {
        index: index as u64,
        start_ms: index as f64 * ms,
        window_ms: ms,
        orders,
        units,
        latency_us,
        holds_live: 0,
        faults: Vec::new(),
    }
}

/// A fault as the windows see it: its name and the span it affects, in
/// nanoseconds from `t0`, end excluded.
pub struct FaultSpan<'a> {
    pub name: &'a str,
    pub start_ns: u64,
    pub end_ns: u64,
}

/// Name in each window's `faults` every fault whose span overlaps it (a
/// kill, one nanosecond long, marks the window it happens in).
pub fn mark_faults(grid: WindowGrid, windows: &mut [Window], faults: &[FaultSpan]) {
    for f in faults {
        if f.end_ns <= f.start_ns {
            continue;
        }
        let first = grid.index(f.start_ns);
        let last = grid.index(f.end_ns - 1);
        for w in windows.iter_mut().take(last + 1).skip(first) {
            w.faults.push(f.name.to_string());
        }
    }
}

/// Every window of the grid, empty ones included, so charts keep their time axis.
pub fn windows(grid: WindowGrid, recs: &[Option<Box<WindowRecord>>]) -> Vec<Window> {
    recs.iter()
        .enumerate()
        .map(|(i, r)| window(grid, i, r.as_deref()))
        .collect()
}

/// The whole run as one window: what a flat peak stands in with.
pub fn whole_run_window(grid: WindowGrid, total: &Recorder) -> Window {
    Window {
        index: 0,
        start_ms: 0.0,
        window_ms: grid.window_ns as f64 * grid.count as f64 / 1e6,
        orders: orders(&total.counts),
        units: WindowUnits {
            granted: total.counts.granted_units,
            oversold_at_grant: total.counts.oversold_units,
        },
        latency_us: total.latency.window_latency(),
        holds_live: 0,
        faults: Vec::new(),
    }
}

/// The window with the most open-loop orders offered (ties to the earliest);
/// flat when it does not exceed the median of the windows up to the last busy
/// one by 20 % — then the whole run stands in for it.
pub fn peak(grid: WindowGrid, total: &Recorder, all: &[Window]) -> Peak {
    let offered: Vec<u64> = total
        .windows
        .iter()
        .map(|w| w.as_ref().map_or(0, |w| w.counts.open_loop_offered))
        .collect();
    let Some(last_busy) = offered.iter().rposition(|&n| n > 0) else {
        return Peak {
            flat: true,
            window: whole_run_window(grid, total),
        };
    };
    let busy = &offered[..=last_busy];
    let (best, &most) = busy
        .iter()
        .enumerate()
        .rev()
        .max_by_key(|(_, &n)| n)
        .expect("at least one busy window");
    let mut sorted = busy.to_vec();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2] as f64;
    if (most as f64) > median * 1.2 {
        Peak {
            flat: false,
            window: all[best].clone(),
        }
    } else {
        Peak {
            flat: true,
            window: whole_run_window(grid, total),
        }
    }
}

/// Worst windows by p99 latency and by oversold units, among windows with at
/// least `min_orders` orders (ties to the earliest).
pub fn worst(all: &[Window], min_orders: u64) -> Worst {
    let eligible = || all.iter().filter(|w| w.orders.offered >= min_orders);
    let pick = |key: &dyn Fn(&Window) -> f64| {
        eligible()
            .fold(None::<&Window>, |best, w| match best {
                Some(b) if key(b) >= key(w) => Some(b),
                _ => Some(w),
            })
            .cloned()
    };
    Worst {
        latency: pick(&|w| w.latency_us.p99),
        oversell: pick(&|w| w.units.oversold_at_grant as f64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::recorder::{OrderRecord, Outcome};

    fn record(rec: &mut Recorder, intended_ms: u64, latency_ms: u64, oversold: u64) {
        rec.record(&OrderRecord {
            intended_ns: intended_ms * 1_000_000,
            sku: 0,
            qty: 1,
            outcome: Outcome::Granted,
            latency_ns: latency_ms * 1_000_000,
            service_ns: 0,
            wait_ns: 0,
            lag_ns: 0,
            retries: 0,
            oversold_units: oversold,
            fairness_inversion: false,
            open_loop: true,
        });
    }

    #[test]
    fn grid_widens_past_the_cap_and_says_so() {
        let (g, widened) = WindowGrid::new(100_000_000, 1_000_000_000);
        assert_eq!((g.window_ns, g.count, widened), (100_000_000, 10, false));
        let hour = 3_600_000_000_000;
        let (g, widened) = WindowGrid::new(100_000_000, hour);
        assert!(widened && g.count <= MAX_WINDOWS && g.window_ns >= 1_800_000_000);
        assert_eq!(g.index(hour + 5), g.count - 1);
    }

    #[test]
    fn burst_window_is_the_peak_and_constant_load_is_flat() {
        let (grid, _) = WindowGrid::new(100_000_000, 1_000_000_000);
        let mut rec = Recorder::new(grid, 1, 0);
        for w in 0..10 {
            for _ in 0..10 {
                record(&mut rec, w * 100 + 5, 1, 0);
            }
        }
        let all = windows(grid, &rec.windows);
        assert!(peak(grid, &rec, &all).flat);
        for _ in 0..50 {
            record(&mut rec, 420, 30, 1);
        }
        let all = windows(grid, &rec.windows);
        let p = peak(grid, &rec, &all);
        assert!(!p.flat);
        assert_eq!(p.window.index, 4);
        assert_eq!(p.window.orders.offered, 60);
        assert_eq!(p.window.units.oversold_at_grant, 50);
        assert_eq!(p.window.units.granted, 60);
    }

    #[test]
    fn worst_windows_ignore_small_windows() {
        let (grid, _) = WindowGrid::new(100_000_000, 300_000_000);
        let mut rec = Recorder::new(grid, 1, 0);
        for _ in 0..100 {
            record(&mut rec, 10, 5, 0);
        }
        for _ in 0..100 {
            record(&mut rec, 110, 20, 2);
        }
        for _ in 0..3 {
            record(&mut rec, 210, 900, 9);
        }
        let all = windows(grid, &rec.windows);
        let w = worst(&all, 100);
        assert_eq!(w.latency.unwrap().index, 1);
        assert_eq!(w.oversell.unwrap().index, 1);
        assert!(worst(&all, 1000).latency.is_none());
    }

    #[test]
    fn a_fault_marks_the_windows_its_span_overlaps() {
        let (grid, _) = WindowGrid::new(100, 1000);
        let mut all = windows(grid, &vec![None; grid.count]);
        let faults = [
            // A kill at a window's first instant marks that window alone.
            FaultSpan {
                name: "kill",
                start_ns: 300,
                end_ns: 301,
            },
            // [150, 400): windows 1, 2 and 3, not 4.
            FaultSpan {
                name: "slow",
                start_ns: 150,
                end_ns: 400,
            },
        ];
        mark_faults(grid, &mut all, &faults);
        let marked: Vec<Vec<String>> = all.iter().map(|w| w.faults.clone()).collect();
        assert_eq!(marked[0], Vec::<String>::new());
        assert_eq!(marked[1], ["slow"]);
        assert_eq!(marked[2], ["slow"]);
        assert_eq!(marked[3], ["kill", "slow"]);
        assert!(marked[4..].iter().all(Vec::is_empty));
    }
}
