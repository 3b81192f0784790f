//! Turn one backend's merged recorder, ledger and audit into its `BackendSummary`.
//!
//! Invariant: a pure assembly step — every figure was measured or audited
//! upstream; nothing here talks to a backend.

use crate::audit::{Audit, IdCheck, SkuAudit};
use crate::ledger::GrantSample;
use crate::metrics::histogram;
use crate::metrics::windows::{self, FaultSpan, WindowGrid};
use crate::metrics::Recorder;
use crate::plan::Plan;
use crate::scenario::{BackendSpec, Scenario};
use crate::summary::{BackendSummary, Orders, OversellSample, SkuSummary, Units, Unknowns};

/// SKUs listed in `skus[]`, by demand.
const TOP_SKUS: usize = 10;

pub struct Measured<'a> {
    pub spec: &'a BackendSpec,
    pub scenario: &'a Scenario,
    pub plan: &'a Plan,
    pub recorder: &'a Recorder,
    pub audit: &'a Audit,
    /// One SKU's findings, for the few SKUs the summary lists: the audit
    /// keeps only their sums.
    pub sku_audit: &'a dyn Fn(usize) -> SkuAudit,
    pub samples: &'a [GrantSample],
    /// From `t0` to the last completion.
    pub duration_ns: u64,
    pub abort_reason: Option<String>,
    pub first_error: Option<String>,
}

pub fn backend_summary(m: &Measured) -> BackendSummary {
    let rec = m.recorder;
    let audit = m.audit;
    let grid: WindowGrid = m.plan.grid;
    let faults: Vec<FaultSpan> = m
        .scenario
        .faults
        .iter()
        .filter(|f| f.applies_to(&m.spec.name))
        .filter_map(|f| {
            let (start_ns, end_ns) = f.span_ns();
            // A fault the run never reached (it ended or was interrupted
            // first) never happened, and one it cut short ends with it.
            (start_ns < m.duration_ns).then(|| FaultSpan {
                name: &f.name,
                start_ns,
                end_ns: end_ns.min(m.duration_ns),
            })
        })
        .collect();
    let mut all_windows = windows::windows(grid, &rec.windows);
    windows::mark_faults(grid, &mut all_windows, &faults);
    let mut peak = windows::peak(grid, rec, &all_windows);
    if peak.flat {
        // The whole run stands in for the peak: every fault of it was active.
        peak.window.faults = faults.iter().map(|f| f.name.to_string()).collect();
    }
    let c = &rec.counts;
    let (store, strategy) = m.spec.kind.store_and_strategy();
    let duration_s = m.duration_ns as f64 / 1e9;
    let ms = |ns: u64| ns as f64 / 1e6;
    let lag = rec.lag.spread();
    BackendSummary {
        name: m.spec.name.clone(),
        store: store.to_string(),
        strategy: strategy.to_string(),
        options: m.spec.options_json(),
        aborted: m.abort_reason.is_some(),
        cut_short: false,
        abort_reason: m.abort_reason.clone(),
        first_error: m.first_error.clone(),
        orders: Orders {
            offered: c.offered,
            granted: c.granted,
            sold_out: c.sold_out,
            conflict: c.conflict,
            error: c.error,
            unknown: c.unknown,
            retries: c.retries,
            oversold: c.oversold_orders,
            wrongly_refused: audit.total.wrongly_refused,
            fairness_inversions: c.fairness_inversions,
            duplicate_grants: 0,
            sold_out_while_held: 0,
        },
        units: Units {
            stock: audit.stock,
            granted: audit.granted,
            unknown: audit.unknown,
            oversold: audit.total.oversold,
            oversold_possible: audit.total.oversold_possible,
            within_buffer: audit.total.within_buffer,
            peak_overcommit: audit.total.peak_overcommit,
            oversold_at_grant: c.oversold_units,
            lost_updates: audit.total.lost_updates,
            phantom: audit.total.phantom,
            correction_shortfall: 0,
            undersold: audit.total.undersold,
        },
        unknowns: Unknowns {
            order_ids: match audit.ids {
                IdCheck::Exact => "exact",
                IdCheck::Disagree(_) => "disagree",
                IdCheck::NotStored => "not_stored",
                IdCheck::Lost => "lost",
                IdCheck::TooMany => "too_many",
            }
            .to_string(),
            id_mismatch_skus: match audit.ids {
                IdCheck::Disagree(n) => n,
                _ => 0,
            },
            resolved_granted: audit.total.unknowns_resolved_granted,
            resolved_not: audit.total.unknowns_resolved_not,
            unresolved: audit.total.unknowns_unresolved,
        },
        oversell_rate: ratio(audit.total.oversold, audit.granted),
        sell_through: ratio(audit.granted, audit.stock),
        throughput_per_s: if duration_s > 0.0 {
            c.granted as f64 / duration_s
        } else {
            0.0
        },
        duration_ms: ms(m.duration_ns),
        latency_us: histogram::latency(&rec.latency),
        service_us: rec.service.spread(),
        wait_us: rec.wait.spread(),
        co_safe: c.offered == c.open_loop_offered,
        harness_saturated: lag.p99 * 1000.0 > m.scenario.saturation_limit.as_nanos() as f64,
        dispatch_lag_us: lag,
        peak,
        worst: windows::worst(&all_windows, m.scenario.min_window_orders),
        skus: top_skus(m, grid, &faults),
        oversell_samples: m
            .samples
            .iter()
            .map(|s| OversellSample {
                order_id: s.order_id,
                sku: m.scenario.skus[s.sku as usize].id.clone(),
                qty: s.qty,
                intended_ms: ms(s.intended_ns),
                acknowledged_ms: ms(s.acknowledged_ns),
            })
            .collect(),
        windows: all_windows,
        holds: None,
        batches: None,
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The most demanded SKUs; the hottest (by the plan) carries its own windows.
fn top_skus(m: &Measured, grid: WindowGrid, faults: &[FaultSpan]) -> Vec<SkuSummary> {
    let rec = m.recorder;
    // The first `TOP_SKUS` by (most orders, lowest index), kept as they come:
    // sorting every SKU's index would take 8 MB and more for a million.
    let key = |i: usize| (std::cmp::Reverse(rec.sku_orders[i]), i);
    let mut order: Vec<usize> = Vec::with_capacity(TOP_SKUS + 1);
    for i in 0..m.scenario.skus.len() {
        if order.len() < TOP_SKUS || key(i) < key(order[TOP_SKUS - 1]) {
            let at = order.partition_point(|&j| key(j) < key(i));
            order.insert(at, i);
            order.truncate(TOP_SKUS);
        }
    }
    order
        .into_iter()
        .map(|i| {
            let sku = &m.scenario.skus[i];
            let a = &(m.sku_audit)(i);
            SkuSummary {
                id: sku.id.clone(),
                stock: sku.stock,
                buffer: sku.buffer,
                offered: rec.sku_orders[i],
                demand_units: rec.sku_units[i],
                granted: m.audit.committed[i],
                oversold: a.oversold,
                undersold: a.undersold,
                windows: if i == m.plan.hot_sku as usize {
                    let mut hot = windows::windows(grid, &rec.hot_windows);
                    windows::mark_faults(grid, &mut hot, faults);
                    hot
                } else {
                    Vec::new()
                },
            }
        })
        .collect()
}
