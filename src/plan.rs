//! The resolved plan of a scenario: one lazy pass over its schedule, before
//! anything runs, for `atpsim validate` and for sizing the run's windows.
//!
//! Invariant: the pass streams the schedule (constant memory) and is exactly
//! the schedule every backend will be offered.

use crate::metrics::WindowGrid;
use crate::scenario::{Scenario, SkuIdx};
use crate::traffic::{schedule_hash, Schedule};

/// Orders between two checks for cancellation.
const CHECK_EVERY: usize = 1 << 16;

#[derive(Debug, Clone)]
pub struct Plan {
    /// Orders per phase (`None` for closed-loop phases: as many as the backend allows).
    pub phase_orders: Vec<Option<u64>>,
    pub open_loop_orders: u64,
    /// Time from `t0` to the end of the last phase.
    pub span_ns: u64,
    pub grid: WindowGrid,
    /// The window length was widened to keep at most 2,000 windows.
    pub widened: bool,
    /// Most open-loop orders due in one window, and as a rate.
    pub peak_window_orders: u64,
    pub peak_rate_per_s: f64,
    /// The SKU with the most open-loop orders (its windows are reported apart).
    pub hot_sku: SkuIdx,
    pub schedule_hash: String,
}

impl Plan {
    pub fn measure(scenario: &Scenario) -> Plan {
        Self::measure_until(scenario, &|| false).expect("never cancelled")
    }

    /// As `measure`, but gives up (None) once `cancelled` returns true; it is
    /// asked every `CHECK_EVERY` orders, so a huge schedule stays interruptible.
    pub fn measure_until(scenario: &Scenario, cancelled: &dyn Fn() -> bool) -> Option<Plan> {
        let span_ns = scenario
            .phases
            .iter()
            .map(|p| p.end_ns())
            .max()
            .unwrap_or(1);
        let (grid, widened) = WindowGrid::new(scenario.window.as_nanos() as u64, span_ns);
        let mut per_phase = vec![0u64; scenario.phases.len()];
        let mut per_window = vec![0u64; grid.count];
        let mut per_sku = vec![0u64; scenario.skus.len()];
        for (i, order) in Schedule::new(scenario).enumerate() {
            if i % CHECK_EVERY == 0 && cancelled() {
                return None;
            }
            per_phase[order.phase as usize] += 1;
            per_window[grid.index(order.intended_ns)] += 1;
            per_sku[order.sku as usize] += 1;
        }
        let peak_window_orders = per_window.iter().copied().max().unwrap_or(0);
        let hot_sku = per_sku
            .iter()
            .enumerate()
            .rev()
            .max_by_key(|(_, &n)| n)
            .map_or(0, |(i, _)| i as SkuIdx);
        Some(Plan {
            phase_orders: scenario
                .phases
                .iter()
                .zip(&per_phase)
                .map(|(p, &n)| p.shape.is_open_loop().then_some(n))
                .collect(),
            open_loop_orders: per_phase.iter().sum(),
            span_ns,
            grid,
            widened,
            peak_window_orders,
            peak_rate_per_s: peak_window_orders as f64 / (grid.window_ns as f64 / 1e9),
            hot_sku,
            schedule_hash: schedule_hash(scenario),
        })
    }
}
