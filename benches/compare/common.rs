//! What the peer-comparison benchmarks (`pgbench_compare`, `redis_compare`)
//! share: their command line, the skip-or-fail policy for a missing
//! service, the main flow, and the arithmetic of their reports. Each bench
//! includes this file as a module (bench targets are separate crates).
//!
//! Invariant: without `--bench` (that is, under `cargo test --all-targets`)
//! a bench runs its quick smoke mode, and says the figures are not a
//! measurement; a missing service skips unless services are required.

use std::process::ExitCode;

/// A bench's defaults: full and quick client counts, rounds and seconds.
pub(crate) struct Defaults {
    /// The bench's name, for its usage line.
    pub(crate) name: &'static str,
    pub(crate) full_secs: u64,
    /// Appended to the `--secs` line of the usage (how the peer is sized).
    pub(crate) secs_note: &'static str,
    /// Client counts of the full and the quick mode.
    pub(crate) full_clients: &'static [u32],
    pub(crate) quick_clients: &'static [u32],
}

/// The client counts most comparisons measure at.
pub(crate) const FULL_CLIENTS: &[u32] = &[1, 16, 64];
pub(crate) const QUICK_CLIENTS: &[u32] = &[1, 4];
const FULL_ROUNDS: usize = 3;
const QUICK_ROUNDS: usize = 1;
const QUICK_SECS: u64 = 2;
/// Per attempt. One hot key under 64 clients answers in tens of
/// milliseconds; an attempt near this is a stuck server, not a measurement.
const FULL_TIMEOUT_SECS: u64 = 10;
/// The quick mode's few clients answer in milliseconds; a short timeout
/// keeps a stuck server from stalling the smoke run.
const QUICK_TIMEOUT_SECS: u64 = 2;

pub(crate) struct Args {
    pub(crate) quick: bool,
    /// Run by `cargo test`, not `cargo bench`: a smoke run, not a measurement.
    pub(crate) smoke: bool,
    pub(crate) clients: Vec<u32>,
    pub(crate) rounds: usize,
    pub(crate) secs: u64,
    pub(crate) timeout_secs: u64,
    /// Both sides store each order's id with the reservation (the default),
    /// as the backends do; `--without-order-ids` measures them without.
    pub(crate) order_ids: bool,
}

impl Args {
    /// How the header of a run names `order_ids`.
    pub(crate) fn order_ids_text(&self) -> &'static str {
        if self.order_ids {
            "stored"
        } else {
            "not stored"
        }
    }
}

fn usage(d: &Defaults) -> String {
    let list = |c: &[u32]| {
        c.iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let (full, quick) = (list(d.full_clients), list(d.quick_clients));
    format!(
        "usage: {} [--quick] [--rounds R] [--secs S] [--clients C,C,...]
  --quick         smoke mode: clients {quick}, 1 round, {QUICK_SECS} s each side
  --rounds R      rounds per client count; the median is reported (default {FULL_ROUNDS}, or {QUICK_ROUNDS} with --quick)
  --secs S        seconds of each measurement, both sides (default {}, or {QUICK_SECS} with --quick){}
  --clients LIST  client counts, comma-separated, 1 to 64 (default {full}, or {quick} with --quick)
  --without-order-ids  neither side stores the order id with the reservation (pgbench_compare, redis_compare)",
        d.name, d.full_secs, d.secs_note
    )
}

fn parse_args(d: &Defaults) -> Result<Args, String> {
    let mut quick = false;
    let mut under_cargo_bench = false;
    let mut clients = None;
    let mut rounds = None;
    let mut secs = None;
    let mut order_ids = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut text = |name: &str| -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args.next().ok_or(format!("{name} needs a value")),
            }
        };
        match flag.as_str() {
            "--quick" => quick = true,
            "--without-order-ids" => order_ids = false,
            "--rounds" => rounds = Some(whole("--rounds", &text("--rounds")?, 1, 100)? as usize),
            "--secs" => secs = Some(whole("--secs", &text("--secs")?, 1, 3600)?),
            "--clients" => {
                let list = text("--clients")?;
                let parsed = list
                    .split(',')
                    .map(|c| whole("--clients", c.trim(), 1, 64).map(|n| n as u32))
                    .collect::<Result<Vec<_>, _>>()?;
                clients = Some(parsed);
            }
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
        clients: clients.unwrap_or_else(|| {
            if quick {
                d.quick_clients
            } else {
                d.full_clients
            }
            .to_vec()
        }),
        rounds: rounds.unwrap_or(if quick { QUICK_ROUNDS } else { FULL_ROUNDS }),
        secs: secs.unwrap_or(if quick { QUICK_SECS } else { d.full_secs }),
        timeout_secs: if quick {
            QUICK_TIMEOUT_SECS
        } else {
            FULL_TIMEOUT_SECS
        },
        order_ids,
    })
}

fn whole(name: &str, text: &str, min: u64, max: u64) -> Result<u64, String> {
    let n: u64 = text
        .replace('_', "")
        .parse()
        .map_err(|_| format!("{name}: `{text}` is not a whole number"))?;
    if !(min..=max).contains(&n) {
        return Err(format!("{name} must be {min} to {max}; got {n}"));
    }
    Ok(n)
}

/// Why a benchmark could not measure.
pub(crate) enum Stopped {
    /// A service is missing: skip, unless services are required.
    Missing(String),
    /// Something is wrong with a measurement or its setup.
    Broken(String),
}

/// Whether a missing service is a failure rather than a skip.
fn services_required() -> Option<&'static str> {
    if std::env::var("ATPSIM_REQUIRE_SERVICES").as_deref() == Ok("1") {
        Some("ATPSIM_REQUIRE_SERVICES=1")
    } else if std::env::var("CI").as_deref() == Ok("true") {
        Some("CI=true")
    } else {
        None
    }
}

/// The whole bench: parse the arguments, measure, report; exit 2 on bad
/// arguments, 1 when a measurement broke (or a required service is
/// missing), 0 otherwise — a ratio below target included.
pub(crate) fn main<T>(
    defaults: &Defaults,
    bench: impl FnOnce(&Args) -> Result<T, Stopped>,
    report: impl FnOnce(&Args, &T),
) -> ExitCode {
    let args = match parse_args(defaults) {
        Ok(a) => a,
        Err(e) => {
            if e.is_empty() {
                println!("{}", usage(defaults));
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e}\n{}", usage(defaults));
            return ExitCode::from(2);
        }
    };
    match bench(&args) {
        Ok(levels) => {
            report(&args, &levels);
            ExitCode::SUCCESS
        }
        Err(Stopped::Missing(why)) => match services_required() {
            Some(setting) => {
                eprintln!("error: {why}, and {setting} makes a missing service a failure");
                ExitCode::FAILURE
            }
            None => {
                println!("skipped: {why}");
                ExitCode::SUCCESS
            }
        },
        Err(Stopped::Broken(why)) => {
            eprintln!("error: {why}");
            ExitCode::FAILURE
        }
    }
}

/// The verdict line and the machine-readable `RESULT` line every report ends with.
pub(crate) fn verdict(
    args: &Args,
    target: f64,
    what: &str,
    all_met: bool,
    levels: Vec<serde_json::Value>,
) {
    println!();
    println!(
        "target {what} >= {target} at every C: {}",
        if all_met {
            "met"
        } else {
            "BELOW (a measurement, not a failure)"
        }
    );
    let result = serde_json::json!({
        "mode": if args.quick { "quick" } else { "full" },
        "rounds": args.rounds,
        "secs": args.secs,
        "ratio_target": target,
        "all_met": all_met,
        "levels": levels,
    });
    println!("RESULT {result}");
}

pub(crate) fn median(values: &[f64]) -> f64 {
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

/// 1234567.8 → "1,234,568".
pub(crate) fn thousands(x: f64) -> String {
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
