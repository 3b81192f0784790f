//! A checkout run of one backend: the same schedule as a plain run, each
//! order a cart taken as a hold (or sold at once), customers and stock
//! events racing it, then a final reap past every deadline, the backend's
//! books read when quiet, and the audit.
//!
//! Invariant: the final state is read only after every customer and event
//! finished and a reap at a time past the last deadline plus `hold_grace`,
//! so a hold still live then has leaked.

mod customer;
mod shop;

use super::summarize::{self, Measured};
use super::worker::closed_loop_phases;
use super::{BackendRun, RunOptions, LEAD};
use crate::audit::{audit, audit_sku, Resolution};
use crate::backend::{Backend, BackendError};
use crate::ledger::checkout::{CheckoutLedger, CheckoutTotals};
use crate::metrics::Recorders;
use crate::plan::Plan;
use crate::scenario::{BackendSpec, Checkout, Scenario};
use crate::summary::Holds;
use crate::traffic::{workload_for_phase, Schedule, CLOSED_LOOP_ID_BASE};
use shop::Shop;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

pub(super) async fn run<B: Backend>(
    backend: B,
    checkout: &Checkout,
    scenario: &Scenario,
    plan: &Plan,
    spec: &BackendSpec,
    index: usize,
    options: &RunOptions,
) -> Result<BackendRun, BackendError> {
    let environment = backend.environment();
    let shop = Arc::new(Shop {
        backend,
        ledger: CheckoutLedger::new(&scenario.skus, plan.grid),
        recorders: Recorders::new(plan.grid, scenario.skus.len(), plan.hot_sku),
        schedule: Mutex::new(Schedule::new(scenario)),
        workloads: (0..scenario.phases.len())
            .map(|p| workload_for_phase(scenario, p))
            .collect(),
        checkout: checkout.clone(),
        seed: scenario.seed,
        t0: Instant::now() + LEAD,
        timeout: scenario.timeout,
        retries: scenario.retries,
        closed_loop_ids: AtomicU64::new(0),
        trace: options.trace.clone(),
        backend_index: index as u16,
        customers: Mutex::new(Vec::new()),
    });
    let mut tasks = spawn_clients(&shop, scenario, plan, options);
    let ticker = super::ticker::spawn(
        Arc::clone(&shop),
        spec.name.clone(),
        plan.open_loop_orders,
        options.progress,
    );
    let events = {
        let shop = Arc::clone(&shop);
        let stop = options.stop.clone();
        tokio::spawn(async move { shop.events(stop).await })
    };
    for task in tasks.drain(..) {
        // A panicking client loses only its own order; the rest stands.
        let _ = task.await;
    }
    // Clients are done, so no customer is added after this.
    let customers = std::mem::take(&mut *shop.customers.lock().expect("customers lock"));
    for customer in customers {
        let _ = customer.await;
    }
    let _ = events.await;
    let end_ns = shop.now_ns();
    ticker.abort();
    if options.progress {
        super::ticker::clear();
    }
    shop.ledger.finish(end_ns / 1_000);
    // Reap past every deadline, in the backend and in the ledger, then read.
    let grace = shop.checkout.hold_grace.as_micros() as u64;
    let final_us = (end_ns / 1_000).max(shop.ledger.last_deadline_us() + grace);
    let reaped = shop.backend.reap(final_us).await;
    shop.ledger.advance(final_us);
    let totals = shop.ledger.totals();
    let books = match reaped {
        Ok(()) => read_books(&shop, &totals).await,
        Err(e) => Err(e),
    };
    shop.backend.close().await;
    Ok(BackendRun {
        summary: summarize(&shop, &totals, books, scenario, plan, spec, end_ns),
        environment,
    })
}

/// What the backend's books showed when quiet.
struct Books {
    reserved: Vec<u64>,
    leaked: u64,
    duplicates: u64,
    /// SKUs whose books disagree with the ledger's stock or exceed it.
    conservation_failures: u64,
}

/// After the final reap: look up unknown attempts, quiesce, read the books.
async fn read_books<B: Backend>(
    shop: &Shop<B>,
    totals: &CheckoutTotals,
) -> Result<Books, BackendError> {
    // Applications beyond one per order: every applied earlier attempt of
    // a granted order, all but one of an order that was not granted.
    let mut applied: std::collections::BTreeMap<u64, u64> = Default::default();
    for &(order_id, key) in &totals.unknown_attempt_keys {
        *applied.entry(order_id).or_insert(0) += u64::from(shop.backend.took_effect(key).await?);
    }
    let duplicates = applied
        .into_iter()
        .map(|(order_id, n)| {
            if shop.ledger.was_granted(order_id) {
                n
            } else {
                n.saturating_sub(1)
            }
        })
        .sum();
    shop.backend.quiesce().await?;
    let states = shop.backend.stock_state().await?;
    let conservation_failures = states
        .iter()
        .zip(&totals.skus)
        .zip(&totals.stock_uncertain)
        .filter(|((state, sku), uncertain)| {
            // An unanswered restock or correction leaves the stock unknown.
            (!**uncertain && state.on_hand != sku.stock)
                || state.held + state.sold > state.on_hand + sku.buffer
        })
        .count() as u64;
    Ok(Books {
        reserved: states.iter().map(|s| s.held + s.sold).collect(),
        leaked: states.iter().map(|s| s.holds).sum(),
        duplicates,
        conservation_failures,
    })
}

fn summarize<B: Backend>(
    shop: &Shop<B>,
    totals: &CheckoutTotals,
    books: Result<Books, BackendError>,
    scenario: &Scenario,
    plan: &Plan,
    spec: &BackendSpec,
    end_ns: u64,
) -> crate::summary::BackendSummary {
    let (books, abort_reason) = match books {
        Ok(books) => (books, None),
        Err(e) => (
            // Without the final state, lost updates and phantoms are unmeasured.
            Books {
                reserved: totals.skus.iter().map(|t| t.committed).collect(),
                leaked: 0,
                duplicates: 0,
                conservation_failures: 0,
            },
            Some(format!("final state unreadable: {}", e.message)),
        ),
    };
    // Checkout takes are looked up by key for duplicates only; their
    // unknowns stay bounds (a hold that took effect may have lapsed since).
    let audit = audit(&totals.skus, &books.reserved, &Resolution::NotStored);
    let sku_audit = |i: usize| {
        let reserved = books.reserved.get(i).copied().unwrap_or(0);
        audit_sku(&totals.skus[i], reserved, None)
    };
    let recorder = shop.recorders.merged();
    let samples = shop.ledger.samples();
    let mut summary = summarize::backend_summary(&Measured {
        spec,
        scenario,
        plan,
        recorder: &recorder,
        audit: &audit,
        sku_audit: &sku_audit,
        samples: &samples,
        duration_ns: end_ns,
        abort_reason,
        first_error: shop.backend.first_error(),
    });
    summary.orders.duplicate_grants = books.duplicates;
    summary.orders.sold_out_while_held = totals.sold_out_while_held;
    summary.units.correction_shortfall = totals.correction_shortfall;
    for (window, live) in summary.windows.iter_mut().zip(&totals.holds_live) {
        window.holds_live = *live;
    }
    let h = &totals.holds;
    let sold: u64 = audit.committed.iter().sum();
    summary.sell_through = if audit.stock == 0 {
        0.0
    } else {
        sold as f64 / audit.stock as f64
    };
    summary.holds = Some(Holds {
        created: h.created,
        confirmed: h.confirmed,
        reacquired: h.reacquired,
        expired: h.expired,
        cancelled: h.cancelled,
        confirm_refused: h.confirm_refused,
        confirmed_after_expiry: h.confirmed_after_expiry,
        double_releases: h.double_releases,
        unknown: h.unknown,
        live_at_end: h.live_at_end,
        leaked: books.leaked,
        refunded: h.refunded,
        stranded_unit_seconds: h.stranded_unit_us as f64 / 1e6,
        conservation_failures: books.conservation_failures,
    });
    summary
}

fn spawn_clients<B: Backend>(
    shop: &Arc<Shop<B>>,
    scenario: &Scenario,
    plan: &Plan,
    options: &RunOptions,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut handles = Vec::new();
    let open = (scenario.concurrency as u64).min(plan.open_loop_orders) as usize;
    for _ in 0..open {
        let shop = Arc::clone(shop);
        let mut stop = options.stop.clone();
        handles.push(tokio::spawn(async move {
            let mut free_ns = shop.now_ns();
            loop {
                let Some(order) = shop.schedule.lock().expect("schedule lock").next() else {
                    return;
                };
                if !shop.until(order.intended_ns, &mut stop).await {
                    return;
                }
                free_ns = shop.execute(order, free_ns, true, &mut stop).await;
            }
        }));
    }
    for (phase, start, end, clients) in closed_loop_phases(scenario) {
        let workload = Arc::new(Mutex::new(workload_for_phase(scenario, phase as usize)));
        for _ in 0..clients {
            let shop = Arc::clone(shop);
            let mut stop = options.stop.clone();
            let workload = Arc::clone(&workload);
            handles.push(tokio::spawn(async move {
                if !shop.until(start, &mut stop).await {
                    return;
                }
                loop {
                    let now = shop.now_ns();
                    if now >= end || *stop.borrow() != crate::runner::Stop::Run {
                        return;
                    }
                    let (sku, qty) = workload.lock().expect("workload lock").draw();
                    let id =
                        CLOSED_LOOP_ID_BASE + shop.closed_loop_ids.fetch_add(1, Ordering::Relaxed);
                    let order = crate::traffic::Order {
                        id,
                        intended_ns: now,
                        sku,
                        qty,
                        phase,
                    };
                    shop.execute(order, now, false, &mut stop).await;
                }
            }));
        }
    }
    handles
}

#[cfg(test)]
mod tests;
