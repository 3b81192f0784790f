//! Hot-counter benchmark: the runner's per-order overhead against the
//! hardware's ceiling on one contended counter.
//!
//! Two measurements of the same number of operations, in one process:
//!
//! - (a) bare loop: one thread per core, each doing a compare-and-swap
//!   reservation on one shared `AtomicU64` and recording the elapsed time of
//!   every iteration into its own histogram. This is about as fast as a
//!   correct "check and take" on one hot SKU can go on this machine.
//! - (b) full runner: the crate's own runner on the `memory-atomic` backend,
//!   an instant burst of N single-unit orders on one SKU whose stock never
//!   runs out, with everything a real run does (schedule, ledger, recorders,
//!   windows, audit, summary) except the trace.
//!
//! The first (b) runs before anything else, so the process's peak resident
//! set (`VmHWM`) read right after it is the runner's peak. Then (a) and (b)
//! alternate; medians are reported. A missed target is reported, not fatal:
//! only wrong counts make the binary exit non-zero.
//!
//! `cargo bench --bench hot_counter` (full) or
//! `cargo bench --bench hot_counter -- --quick` (smoke); see benches/README.md.

use atpsim::plan::Plan;
use atpsim::runner::{run_backend, RunOptions};
use atpsim::scenario::{self, Scenario, MAX_UNITS};
use hdrhistogram::Histogram;
use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Instant;
use tokio::sync::watch;

const FULL_ORDERS: u64 = 10_000_000;
const QUICK_ORDERS: u64 = 200_000;
const FULL_REPEAT: usize = 5;
const QUICK_REPEAT: usize = 1;
const CONCURRENCY: u32 = 64;

/// Ratio (b)/(a) the runner should reach.
const RATIO_TARGET: f64 = 0.4;
/// Peak resident memory of the runner, in MB (10^6 bytes).
const RSS_TARGET_MB: f64 = 200.0;

struct Args {
    quick: bool,
    /// Run by `cargo test`, not `cargo bench`: a smoke run, not a measurement.
    smoke: bool,
    orders: u64,
    repeat: usize,
}

const USAGE: &str = "usage: hot_counter [--quick] [--repeat K] [--orders N]
  --quick      smoke mode: 200,000 orders, 1 repeat
  --repeat K   measure each side K times (default 5, or 1 with --quick)
  --orders N   orders of the burst and operations of the bare loop
               (default 10,000,000, or 200,000 with --quick)";

fn parse_args() -> Result<Args, String> {
    let mut quick = false;
    let mut under_cargo_bench = false;
    let mut orders = None;
    let mut repeat = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<u64, String> {
            let text = match inline.clone() {
                Some(v) => v,
                None => args.next().ok_or(format!("{name} needs a value"))?,
            };
            let n: u64 = text
                .replace('_', "")
                .parse()
                .map_err(|_| format!("{name}: `{text}` is not a whole number"))?;
            if n == 0 {
                return Err(format!("{name} must be at least 1"));
            }
            Ok(n)
        };
        match flag.as_str() {
            "--quick" => quick = true,
            "--repeat" => repeat = Some(value("--repeat")? as usize),
            "--orders" => orders = Some(value("--orders")?),
            // `cargo bench` passes `--bench` to every bench binary.
            "--bench" => under_cargo_bench = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    // Without `--bench` the binary runs under `cargo test --all-targets`:
    // a smoke run that proves the benchmark works, not a measurement.
    let quick = quick || !under_cargo_bench;
    Ok(Args {
        quick,
        smoke: !under_cargo_bench,
        orders: orders.unwrap_or(if quick { QUICK_ORDERS } else { FULL_ORDERS }),
        repeat: repeat.unwrap_or(if quick { QUICK_REPEAT } else { FULL_REPEAT }),
    })
}

/// One instant burst of `orders` single-unit orders on a SKU that never sells out.
fn burst_scenario(orders: u64) -> Scenario {
    // The timeout runs per attempt from the send (runner/worker.rs), not from
    // the intended time, so queued orders of a long burst never hit it; it is
    // generous all the same.
    let text = format!(
        r#"name = "hot-counter-bench"
seed = 1
concurrency = {CONCURRENCY}
timeout = "60s"

[[sku]]
id = "HOT"
stock = {MAX_UNITS}

[[phase]]
kind = "instant"
orders = {orders}
skus = {{ pick = "one", sku = "HOT" }}
quantity = {{ fixed = 1 }}

[[backend]]
kind = "memory-atomic"
rtt = "0ms"
"#
    );
    match scenario::parse(&text, Path::new("benches/hot_counter.toml")) {
        Ok(s) => s,
        Err(e) => panic!("bench scenario does not validate: {e}"),
    }
}

/// One runner measurement.
struct RunnerSample {
    orders_per_s: f64,
    duration_ms: f64,
    /// Whole `run_backend` call: setup, run, drain, audit, summary.
    wall_s: f64,
    latency_p50_us: f64,
    latency_p99_us: f64,
}

fn run_runner(scenario: &Scenario, plan: &Plan, orders: u64) -> Result<RunnerSample, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build the tokio runtime: {e}"))?;
    let started = Instant::now();
    let run = runtime.block_on(async {
        // The sender stays alive for the whole run: a dropped sender is not a stop.
        let (_stop_tx, stop) = watch::channel(atpsim::runner::Stop::Run);
        let options = RunOptions::quiet(stop);
        run_backend(scenario, plan, &scenario.backends[0], 0, &options).await
    });
    let wall_s = started.elapsed().as_secs_f64();
    drop(runtime);
    let run = run.map_err(|e| format!("runner could not set up memory-atomic: {e}"))?;
    let s = &run.summary;
    if s.aborted {
        return Err(format!(
            "runner aborted: {}",
            s.abort_reason.as_deref().unwrap_or("no reason given")
        ));
    }
    if s.orders.offered != orders || s.orders.granted != orders {
        return Err(format!(
            "runner counted offered {} and granted {}, expected {orders} each \
             (sold_out {}, conflict {}, error {}, unknown {})",
            s.orders.offered,
            s.orders.granted,
            s.orders.sold_out,
            s.orders.conflict,
            s.orders.error,
            s.orders.unknown
        ));
    }
    if s.duration_ms <= 0.0 {
        return Err(format!(
            "runner reported a duration of {} ms",
            s.duration_ms
        ));
    }
    Ok(RunnerSample {
        orders_per_s: s.orders.offered as f64 / (s.duration_ms / 1000.0),
        duration_ms: s.duration_ms,
        wall_s,
        latency_p50_us: s.latency_us.p50,
        latency_p99_us: s.latency_us.p99,
    })
}

/// One bare-loop measurement.
struct BareSample {
    ops_per_s: f64,
    duration_ms: f64,
    iter_p50_ns: u64,
    iter_p99_ns: u64,
}

fn run_bare(total: u64, threads: usize) -> Result<BareSample, String> {
    let counter = Arc::new(AtomicU64::new(0));
    let limit = MAX_UNITS;
    let barrier = Arc::new(Barrier::new(threads + 1));
    let mut handles = Vec::with_capacity(threads);
    for t in 0..threads {
        // Spread the remainder so the totals add up to exactly `total`.
        let ops = total / threads as u64 + u64::from((t as u64) < total % threads as u64);
        let counter = Arc::clone(&counter);
        let barrier = Arc::clone(&barrier);
        handles.push(std::thread::spawn(move || {
            let mut hist = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3)
                .expect("histogram bounds are valid");
            let mut granted = 0u64;
            barrier.wait();
            for _ in 0..ops {
                let start = Instant::now();
                let ok = counter
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |r| {
                        (limit.saturating_sub(r) >= 1).then_some(r + 1)
                    })
                    .is_ok();
                let elapsed = start.elapsed().as_nanos() as u64;
                granted += black_box(ok) as u64;
                hist.saturating_record(elapsed.max(1));
            }
            (granted, hist)
        }));
    }
    barrier.wait();
    let started = Instant::now();
    let mut merged = Histogram::<u64>::new_with_bounds(1, 3_600_000_000_000, 3)
        .expect("histogram bounds are valid");
    let mut granted = 0;
    let mut results = Vec::with_capacity(threads);
    for h in handles {
        results.push(
            h.join()
                .map_err(|_| "a bare-loop thread panicked".to_string())?,
        );
    }
    let elapsed = started.elapsed().as_secs_f64();
    for (g, hist) in results {
        granted += g;
        merged
            .add(&hist)
            .map_err(|e| format!("cannot merge histograms: {e}"))?;
    }
    let count = counter.load(Ordering::SeqCst);
    if granted != total || count != total || merged.len() != total {
        return Err(format!(
            "bare loop: {granted} reservations granted, counter at {count}, \
             {} iterations recorded; expected {total} of each",
            merged.len()
        ));
    }
    Ok(BareSample {
        ops_per_s: total as f64 / elapsed,
        duration_ms: elapsed * 1000.0,
        iter_p50_ns: merged.value_at_quantile(0.5),
        iter_p99_ns: merged.value_at_quantile(0.99),
    })
}

/// `VmHWM` of this process in MB (10^6 bytes), if `/proc` has it.
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0 / 1e6)
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn verdict(pass: bool) -> &'static str {
    if pass {
        "PASS"
    } else {
        "BELOW"
    }
}

/// 1234567.8 → "1,234,568".
fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x);
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", digits.as_str()),
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if e.is_empty() {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match bench(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench(args: &Args) -> Result<(), String> {
    let n = args.orders;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let mode = if args.quick { "quick" } else { "full" };
    println!(
        "hot_counter ({mode}): N = {} orders, {cores} cores, {} repeat(s), \
         concurrency {CONCURRENCY}, memory-atomic, rtt 0",
        thousands(n as f64),
        args.repeat
    );
    if args.smoke {
        println!("smoke run under cargo test (debug build): checks counts only; the figures are not measurements");
    }

    // Setup, not measured: parse, then the plan's one pass over the schedule.
    let setup = Instant::now();
    let scenario = burst_scenario(n);
    let plan = Plan::measure(&scenario);
    if plan.open_loop_orders != n {
        return Err(format!(
            "plan counts {} open-loop orders, expected {n}",
            plan.open_loop_orders
        ));
    }
    let setup_s = setup.elapsed().as_secs_f64();

    let mut runner = Vec::with_capacity(args.repeat);
    let mut bare = Vec::with_capacity(args.repeat);
    // (b) first, so the high-water mark read right after it is the runner's.
    runner.push(run_runner(&scenario, &plan, n)?);
    let peak_rss = peak_rss_mb();
    bare.push(run_bare(n, cores)?);
    for _ in 1..args.repeat {
        runner.push(run_runner(&scenario, &plan, n)?);
        bare.push(run_bare(n, cores)?);
    }

    println!();
    println!(
        "{:>3}  {:>13}  {:>10}  {:>8}  {:>9}  {:>9}  {:>13}  {:>10}  {:>8}  {:>8}  {:>7}",
        "run",
        "runner ord/s",
        "runner ms",
        "wall s",
        "p50 us",
        "p99 us",
        "bare ops/s",
        "bare ms",
        "iter p50",
        "iter p99",
        "ratio"
    );
    let ratios: Vec<f64> = runner
        .iter()
        .zip(&bare)
        .map(|(r, b)| r.orders_per_s / b.ops_per_s)
        .collect();
    for (i, ((r, b), ratio)) in runner.iter().zip(&bare).zip(&ratios).enumerate() {
        println!(
            "{:>3}  {:>13}  {:>10.1}  {:>8.2}  {:>9.0}  {:>9.0}  {:>13}  {:>10.1}  {:>6}ns  {:>6}ns  {:>7.3}",
            i + 1,
            thousands(r.orders_per_s),
            r.duration_ms,
            r.wall_s,
            r.latency_p50_us,
            r.latency_p99_us,
            thousands(b.ops_per_s),
            b.duration_ms,
            b.iter_p50_ns,
            b.iter_p99_ns,
            ratio
        );
    }
    let runner_median = median(&runner.iter().map(|r| r.orders_per_s).collect::<Vec<_>>());
    let bare_median = median(&bare.iter().map(|b| b.ops_per_s).collect::<Vec<_>>());
    let ratio_median = median(&ratios);
    println!(
        "{:>3}  {:>13}  {:>10.1}  {:>8.2}  {:>9}  {:>9}  {:>13}  {:>10.1}  {:>8}  {:>8}  {:>7.3}",
        "med",
        thousands(runner_median),
        median(&runner.iter().map(|r| r.duration_ms).collect::<Vec<_>>()),
        median(&runner.iter().map(|r| r.wall_s).collect::<Vec<_>>()),
        "",
        "",
        thousands(bare_median),
        median(&bare.iter().map(|b| b.duration_ms).collect::<Vec<_>>()),
        "",
        "",
        ratio_median
    );
    println!();
    println!("setup (parse + plan pass, not measured): {setup_s:.2} s");
    println!(
        "ratio runner/bare (median of per-run ratios): {ratio_median:.3}  \
         target >= {RATIO_TARGET}: {}",
        verdict(ratio_median >= RATIO_TARGET)
    );
    match peak_rss {
        Some(mb) => println!(
            "peak RSS of the runner (VmHWM after the first run): {mb:.1} MB  \
             target < {RSS_TARGET_MB} MB: {}",
            verdict(mb < RSS_TARGET_MB)
        ),
        None => println!(
            "peak RSS of the runner: unavailable (no VmHWM in /proc/self/status)  \
             target < {RSS_TARGET_MB} MB: not checked"
        ),
    }

    let result = serde_json::json!({
        "mode": mode,
        "n": n,
        "cores": cores,
        "repeat": args.repeat,
        "concurrency": CONCURRENCY,
        "runner_orders_per_s": runner_median.round(),
        "bare_ops_per_s": bare_median.round(),
        "ratio": (ratio_median * 1000.0).round() / 1000.0,
        "ratio_target": RATIO_TARGET,
        "ratio_pass": ratio_median >= RATIO_TARGET,
        "peak_rss_mb": peak_rss.map(|mb| (mb * 10.0).round() / 10.0),
        "rss_target_mb": RSS_TARGET_MB,
        "rss_pass": peak_rss.map(|mb| mb < RSS_TARGET_MB),
    });
    println!("RESULT {result}");
    Ok(())
}
