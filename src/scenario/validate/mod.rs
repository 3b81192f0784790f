//! Raw scenario → validated `Scenario`.
//!
//! Invariant: every rule of `scenarios/README.md` is checked here, and every
//! failure is a `ScenarioError` naming file, line, column and dotted key.
//! Checks stop at the first problem and run in the order the documentation
//! describes the format: top-level keys, catalogue, phases, backends,
//! checkout and events, faults, thresholds.
//!
//! This file holds the entry points and the top-level keys; each part of the
//! format has its own child module adding methods to `Validator`.

mod backends;
mod catalogue;
mod checkout;
mod custom_lua;
mod delay;
mod events;
mod faults;
mod phases;
mod scalars;
mod server_options;
mod text;
mod thresholds;
mod workload;

use super::error::{Locator, ScenarioError};
use super::model::*;
use super::raw::*;
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

type Result<T> = std::result::Result<T, ScenarioError>;

/// Orders a shape is expected to produce; `None` for a closed-loop phase,
/// whose count depends on the backend's speed.
///
/// instant and spread: `orders`; constant: ⌊rate × duration⌋; ramp:
/// ⌊(from + to) / 2 × duration⌋; poisson: the mean, rate × duration.
pub fn expected_orders(shape: &Shape) -> Option<f64> {
    match *shape {
        Shape::Instant { orders } | Shape::Spread { orders, .. } => Some(orders as f64),
        Shape::Constant { rate, duration } => Some((rate * duration.as_secs_f64()).floor()),
        Shape::Ramp { from, to, duration } => {
            Some(((from + to) / 2.0 * duration.as_secs_f64()).floor())
        }
        Shape::Poisson { rate, duration } => Some(rate * duration.as_secs_f64()),
        Shape::Closed { .. } => None,
    }
}

/// Validates a deserialized scenario; `text` is the file's content (for
/// line numbers) and `file` its path (for messages and `Scenario::source`).
pub fn validate(raw: RawScenario, text: &str, file: &Path) -> Result<Scenario> {
    let v = Validator {
        loc: Locator { text, file },
    };
    v.scenario(raw)
}

struct Validator<'a> {
    loc: Locator<'a>,
}

impl Validator<'_> {
    fn scenario(&self, raw: RawScenario) -> Result<Scenario> {
        let name = self.scenario_name(raw.name.as_ref())?;
        let seed = match &raw.seed {
            None => {
                return Err(self.loc.at(
                    0,
                    "seed",
                    "missing `seed`: add e.g. `seed = 42` at the top of the file; \
                     the same seed replays the same traffic",
                ))
            }
            Some(s) => self.int(s, "seed", 0, i64::MAX, "")? as u64,
        };
        let concurrency = match &raw.concurrency {
            None => 64,
            Some(c) => self.int(
                c,
                "concurrency",
                1,
                MAX_CONCURRENCY as i64,
                " (the most requests in flight)",
            )? as u32,
        };
        let timeout = self.positive_duration(
            raw.timeout.as_ref(),
            "timeout",
            "2s",
            MAX_RUN_SETTING,
            "an attempt left unanswered that long holds the run open for as long after its last order",
        )?;
        let retries = match &raw.retries {
            None => 3,
            Some(r) => self.int(r, "retries", 0, 100, " (extra attempts after a conflict)")? as u32,
        };
        let window = match &raw.window {
            None => Duration::from_millis(100),
            Some(w) => {
                // A window is at least the timer's resolution, 1ms; every
                // refusal of `window` names its range, since a value that does
                // not parse ("1ns") is as wrong as one that is too fine.
                let range = "`window` takes 1ms to 1h; write e.g. \"100ms\"";
                let d = self.duration(w, "window").map_err(|e| ScenarioError {
                    message: format!("{}; {range}", e.message),
                    ..e
                })?;
                if d < Duration::from_millis(1) {
                    let written = match w.get_ref() {
                        toml::Value::String(s) => s.clone(),
                        _ => text::duration(d),
                    };
                    return Err(self.loc.span(
                        w.span(),
                        "window",
                        format!("`window` is \"{written}\", below the limit of 1ms (the timer's resolution); {range}"),
                    ));
                }
                self.within_cap(
                    w,
                    "window",
                    d,
                    MAX_RUN_SETTING,
                    "a window of more than an hour leaves even a day-long run with too few windows to find its worst ones",
                )?;
                d
            }
        };
        let min_window_orders = match &raw.min_window_orders {
            None => 100,
            Some(m) => self.int(m, "min_window_orders", 1, i64::MAX, "")? as u64,
        };
        let saturation_limit = self.positive_duration(
            raw.saturation_limit.as_ref(),
            "saturation_limit",
            "5ms",
            MAX_RUN_SETTING,
            "a dispatch lag of an hour is saturation by any measure, so a higher limit could never flag it",
        )?;
        let default_buffer = match &raw.oversell_buffer {
            None => 0,
            Some(b) => self.units(b, "oversell_buffer")?,
        };

        let skus = self.catalogue(&raw, default_buffer)?;
        let phases = self.phases(raw.phase.as_deref(), &skus)?;
        let backends = self.backends(raw.backend.as_deref(), &skus, timeout)?;
        let checkout = self.checkout(&raw, &skus, &backends)?;
        let checkout_at = match (&raw.checkout, raw.event.as_deref().and_then(<[_]>::first)) {
            (Some(_), _) => Some(checkout::table_start(self.loc.text, "checkout")),
            (None, e) => e.map(|e| e.span().start),
        };
        let faults = self.faults(
            raw.fault.as_deref().unwrap_or_default(),
            &phases,
            &backends,
            checkout_at,
        )?;
        let thresholds = self.thresholds(raw.threshold.as_deref(), &backends)?;

        Ok(Scenario {
            name,
            seed,
            source: self.loc.file.to_path_buf(),
            skus,
            phases,
            concurrency,
            timeout,
            retries,
            window,
            min_window_orders,
            saturation_limit,
            backends,
            thresholds,
            checkout,
            faults,
        })
    }

    fn scenario_name(&self, raw: Option<&Spanned<String>>) -> Result<String> {
        let Some(name) = raw else {
            return Err(self.loc.at(
                0,
                "name",
                "missing `name`: add e.g. `name = \"flash\"` at the top of the file",
            ));
        };
        let value = name.get_ref();
        let charset_ok = !value.is_empty()
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !charset_ok || value == "." || value == ".." {
            return Err(self.loc.span(
                name.span(),
                "name",
                format!(
                    "invalid scenario name {value:?}: it names the run's directory, so use only letters, digits, `_`, `.` and `-` (and not \".\" or \"..\")"
                ),
            ));
        }
        Ok(value.clone())
    }
}

#[cfg(test)]
mod tests;
