//! Evaluating one `Check` against one backend record of `run.json`.
//!
//! Invariant: a value that cannot be measured (no window with enough
//! orders, a worst window that is null) is a failure with its reason,
//! never a pass.

use super::catalogue::{Metric, Scope};
use super::expr::{Check, Limit, Op};
use serde_json::Value;

/// What a check measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub value: Option<Limit>,
    pub passed: bool,
    /// Why the check failed without a value, or which window decided it.
    pub reason: Option<String>,
    /// Index of the window the value comes from, for window scopes.
    pub window: Option<u64>,
}

impl Measured {
    fn failed(reason: String) -> Self {
        Measured {
            value: None,
            passed: false,
            reason: Some(reason),
            window: None,
        }
    }
}

/// `backend` is the backend record as `run.json` holds it; windows with
/// fewer than `min_window_orders` offered orders are left out of window
/// scopes, as they are of the worst windows.
pub fn evaluate(check: &Check, backend: &Value, min_window_orders: u64) -> Measured {
    match check.scope() {
        Scope::Run | Scope::Worst | Scope::Peak => {
            let object = match check.scope() {
                Scope::Peak => &backend["peak"],
                _ => backend,
            };
            if check.scope() == Scope::Worst {
                let which = check.metric.path.split('.').nth(1).unwrap_or("");
                if backend["worst"][which].is_null() {
                    return Measured::failed(format!(
                        "worst.{which} is null: no window has at least {min_window_orders} orders (min_window_orders)"
                    ));
                }
            }
            let field = match check.scope() {
                Scope::Peak => &check.metric.field,
                _ => &check.metric.path,
            };
            match value_in(check, object, field) {
                Some(v) => Measured {
                    passed: holds(check, v),
                    value: Some(v),
                    reason: None,
                    window: None,
                },
                None => Measured::failed(format!(
                    "`{}` is missing from the record",
                    check.metric.path
                )),
            }
        }
        Scope::WindowsMax | Scope::WindowsMin | Scope::EveryWindow => {
            windows(check, backend, min_window_orders)
        }
    }
}

fn windows(check: &Check, backend: &Value, min_window_orders: u64) -> Measured {
    let values: Vec<(u64, Limit)> = backend["windows"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|w| w["orders"]["offered"].as_u64().unwrap_or(0) >= min_window_orders)
        .filter_map(|w| {
            let index = w["index"].as_u64()?;
            Some((index, value_in(check, w, &check.metric.field)?))
        })
        .collect();
    if values.is_empty() {
        return Measured::failed(format!(
            "no window has at least {min_window_orders} orders (min_window_orders), so `{}` has no value",
            check.metric.path
        ));
    }
    let number = |l: &Limit| match l {
        Limit::Number(n) => *n,
        Limit::Bool(b) => f64::from(u8::from(*b)),
    };
    // Ties go to the earliest window.
    let pick = |larger: bool| {
        values
            .iter()
            .copied()
            .reduce(|a, b| {
                let better = if larger {
                    number(&b.1) > number(&a.1)
                } else {
                    number(&b.1) < number(&a.1)
                };
                if better {
                    b
                } else {
                    a
                }
            })
            .expect("not empty")
    };
    let (index, value) = match check.scope() {
        Scope::WindowsMax => pick(true),
        Scope::WindowsMin => pick(false),
        _ => match check.op {
            // The window furthest past the limit decides.
            Op::Lt | Op::Le => pick(true),
            Op::Gt | Op::Ge => pick(false),
            Op::Eq | Op::Ne => values
                .iter()
                .copied()
                .find(|(_, v)| !holds(check, *v))
                .unwrap_or(values[0]),
        },
    };
    Measured {
        passed: holds(check, value),
        value: Some(value),
        reason: None,
        window: Some(index),
    }
}

fn holds(check: &Check, value: Limit) -> bool {
    match (value, check.limit) {
        (Limit::Number(v), Limit::Number(l)) => check.op.holds(v, l),
        (Limit::Bool(v), Limit::Bool(l)) => match check.op {
            Op::Ne => v != l,
            _ => v == l,
        },
        _ => false,
    }
}

/// The compared value inside `object`: the field, or the ratio of two (0/0
/// is 0, as `oversell_rate` is when nothing was granted; anything else over
/// 0 is measured as nothing, so the check fails rather than passing on 0).
fn value_in(check: &Check, object: &Value, field: &str) -> Option<Limit> {
    let numerator = lookup(object, field)?;
    let Some(per) = check.per else {
        return Some(numerator);
    };
    let per_field = match per.scope {
        Scope::Run | Scope::Worst => per.path.as_str(),
        _ => per.field.as_str(),
    };
    match (numerator, lookup(object, per_field)?) {
        (Limit::Number(n), Limit::Number(d)) => {
            if d == 0.0 && n != 0.0 {
                return None;
            }
            Some(Limit::Number(if d == 0.0 { 0.0 } else { n / d }))
        }
        _ => None,
    }
}

fn lookup(object: &Value, field: &str) -> Option<Limit> {
    match path(object, field)? {
        Value::Bool(b) => Some(Limit::Bool(*b)),
        Value::Number(n) => n.as_f64().map(Limit::Number),
        _ => None,
    }
}

/// The single value of a numeric metric on `backend` (any scope but
/// `windows[]`); `None` when it has none (a null worst window, no window
/// with enough orders). For baseline comparison.
pub fn scalar(metric: &Metric, backend: &Value, min_window_orders: u64) -> Option<f64> {
    let number = |v: &Value| v.as_f64();
    match metric.scope {
        Scope::Run | Scope::Worst => path(backend, &metric.path).and_then(number),
        Scope::Peak => path(&backend["peak"], &metric.field).and_then(number),
        Scope::WindowsMax | Scope::WindowsMin => {
            let values = backend["windows"]
                .as_array()?
                .iter()
                .filter(|w| w["orders"]["offered"].as_u64().unwrap_or(0) >= min_window_orders)
                .filter_map(|w| path(w, &metric.field).and_then(number));
            if metric.scope == Scope::WindowsMax {
                values.reduce(f64::max)
            } else {
                values.reduce(f64::min)
            }
        }
        Scope::EveryWindow => None,
    }
}

fn path<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(object, |v, key| v.get(key))
}
