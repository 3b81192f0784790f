//! The commands: wire scenario → plan → runner → reports, and choose the exit code.
//!
//! Invariant: bad input is refused before anything runs (exit 2, nothing
//! written); once a run starts, every finished backend's results are on disk
//! before the next one starts.

mod compare;
mod gate;
mod report;
mod run;
mod saved;
mod signals;
mod sweep;
mod sweep_report;

use crate::cli::{Cli, Command};
use crate::error::{exit, AppError};
use crate::plan::Plan;
use crate::scenario::{self, Scenario, Shape};
use std::path::PathBuf;

/// Run the parsed command line; the result is the process exit code.
pub fn main(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Run(args) => run::run(args),
        Command::Report(args) => report::report(args),
        Command::Validate { file } => validate(file),
        Command::Compare(args) => compare::compare_command(args),
        Command::Sweep(args) => sweep::sweep(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

fn validate(file: PathBuf) -> Result<i32, AppError> {
    let scenario = scenario::load(&file)?;
    let plan = Plan::measure(&scenario);
    print!("{}", describe_plan(&scenario, &plan));
    Ok(exit::OK)
}

/// The checkout lines of `atpsim validate`: holds, customers, retries,
/// carts and each stock event.
fn describe_checkout(s: &Scenario, c: &scenario::Checkout) -> String {
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let holds = match c.hold_ttl {
        Some(ttl) => format!(
            "holds of {:.0} ms (grace {:.0} ms); customers abandon {:.0}%, cancel {:.0}% ({:.0}% of those twice), pay the rest; late payments: {}",
            ms(ttl),
            ms(c.hold_grace),
            c.abandon * 100.0,
            c.cancel * 100.0,
            c.cancel_twice * 100.0,
            c.after_expiry.as_str()
        ),
        None => "no holds: orders are sold at once".to_string(),
    };
    let mut out = format!(
        "  checkout: {holds}\n    carts of {}..={} lines; {} retr{} after a timeout, idempotency keys {}\n",
        c.lines.min,
        c.lines.max,
        c.timeout_retries,
        if c.timeout_retries == 1 { "y" } else { "ies" },
        if c.idempotency { "on" } else { "off" }
    );
    for e in &c.events {
        let sku = |i: u32| s.skus[i as usize].id.as_str();
        let what = match &e.action {
            scenario::EventAction::Restock { sku: k, units } => {
                format!("restock {units} of {}", sku(*k))
            }
            scenario::EventAction::Correction { sku: k, units } => {
                format!("correction: {units} fewer of {}", sku(*k))
            }
            scenario::EventAction::Refund {
                sku: Some(k),
                orders,
            } => {
                format!("refund {orders} sold orders of {}", sku(*k))
            }
            scenario::EventAction::Refund { sku: None, orders } => {
                format!("refund {orders} sold orders")
            }
        };
        out.push_str(&format!("    event at {:>8.1} ms  {what}\n", ms(e.at)));
    }
    out
}

/// The resolved plan as `atpsim validate` prints it.
pub fn describe_plan(s: &Scenario, plan: &Plan) -> String {
    let stock: u64 = s.skus.iter().map(|k| k.stock).sum();
    let mut out = format!(
        "scenario {} (seed {}): valid\n  skus: {} with {} units of stock; hottest: {}\n  phases:\n",
        s.name,
        s.seed,
        s.skus.len(),
        stock,
        s.skus[plan.hot_sku as usize].id
    );
    for (phase, orders) in s.phases.iter().zip(&plan.phase_orders) {
        let kind = match phase.shape {
            Shape::Instant { .. } => "instant",
            Shape::Spread { .. } => "spread",
            Shape::Constant { .. } => "constant",
            Shape::Ramp { .. } => "ramp",
            Shape::Poisson { .. } => "poisson",
            Shape::Closed { .. } => "closed",
        };
        let orders = match (orders, &phase.shape) {
            (Some(n), _) => format!("{n} orders"),
            (None, Shape::Closed { clients, .. }) => format!("{clients} closed-loop clients"),
            (None, _) => "closed loop".to_string(),
        };
        out.push_str(&format!(
            "    {:<16} {:<8} at {:>8.1} ms  {}\n",
            phase.name,
            kind,
            phase.at.as_secs_f64() * 1000.0,
            orders
        ));
    }
    out.push_str(&format!(
        "  open-loop orders: {}\n  span: {:.1} ms in {} window{} of {:.1} ms{}\n  peak: {} orders in one window ({:.0} orders/s)\n",
        plan.open_loop_orders,
        plan.span_ns as f64 / 1e6,
        plan.grid.count,
        if plan.grid.count == 1 { "" } else { "s" },
        plan.grid.window_ns as f64 / 1e6,
        if plan.widened { " (widened to keep at most 2000 windows)" } else { "" },
        plan.peak_window_orders,
        plan.peak_rate_per_s,
    ));
    if let Some(c) = &s.checkout {
        out.push_str(&describe_checkout(s, c));
    }
    out.push_str(&format!(
        "  concurrency {}, timeout {} ms, conflict retries {}\n  backends: {}\n  schedule hash: {}\n",
        s.concurrency,
        s.timeout.as_millis(),
        s.retries,
        s.backends
            .iter()
            .map(|b| b.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        plan.schedule_hash
    ));
    out.push_str(&describe_servers(s, plan));
    out.push_str(&describe_faults(s));
    for t in &s.thresholds {
        let checks: Vec<&str> = t.checks.iter().map(|c| c.text.as_str()).collect();
        out.push_str(&format!(
            "  threshold on {}: {}
",
            t.backends,
            checks.join("; ")
        ));
    }
    out
}

/// One line per `[[fault]]`: when, what, and on which backends.
fn describe_faults(s: &crate::scenario::Scenario) -> String {
    use crate::scenario::FaultAction;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    s.faults
        .iter()
        .map(|f| {
            let what = match f.action {
                FaultAction::Latency {
                    duration,
                    latency,
                    jitter,
                } => format!(
                    "+{} ms ± {} ms per call for {} ms",
                    ms(latency),
                    ms(jitter),
                    ms(duration)
                ),
                FaultAction::KillConnections => "server sessions killed".to_string(),
                FaultAction::StallRow { duration } => {
                    format!("the hottest SKU's row locked for {} ms", ms(duration))
                }
                FaultAction::PauseWrites { duration } => {
                    format!("writes paused for {} ms", ms(duration))
                }
                FaultAction::RestartServer => "the private server killed and restarted".into(),
            };
            format!(
                "  fault {} at {:.1} ms: {what}, on {}\n",
                f.name,
                ms(f.at),
                f.backends.join(", ")
            )
        })
        .collect()
}

/// One line per server URL the backends use, with the connections each of
/// its backends opens (one per client), so a run that will not fit the
/// server's free slots is visible before it starts.
fn describe_servers(s: &crate::scenario::Scenario, plan: &crate::plan::Plan) -> String {
    use crate::scenario::ConnectionMode;
    let clients = crate::runner::clients(s, plan);
    // Per server URL: its backends, and the most connections one of them opens.
    let mut servers: Vec<(String, usize, u32)> = Vec::new();
    for b in s.backends.iter().filter(|b| b.kind.server().is_some()) {
        let url = b.options.redacted_url();
        let shared = b.kind.supported_options().contains(&"connection")
            && b.options.connection == ConnectionMode::Multiplexed;
        let opens = if shared { 1 } else { clients };
        match servers.iter_mut().find(|(u, _, _)| *u == url) {
            Some((_, count, most)) => {
                *count += 1;
                *most = (*most).max(opens);
            }
            None => servers.push((url, 1, opens)),
        }
    }
    servers
        .iter()
        .map(|(url, count, most)| {
            format!(
                "  server {url}: {count} backend(s), one at a time, at most {most} connections each (+1 admin)\n"
            )
        })
        .collect()
}
