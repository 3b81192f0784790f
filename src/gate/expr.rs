//! Threshold expressions: `METRIC OP LIMIT`, where METRIC is a `run.json`
//! path of a backend record or the ratio of two (`orders.error /
//! orders.offered`), OP one of `== != < <= > >=`, and LIMIT a number with an
//! optional unit (`50ms`, `0.1%`) or `true` / `false`.
//!
//! Invariant: a parsed `Check` names only known metrics, and its limit is
//! already converted into the unit the metric is stored in (latencies in
//! microseconds, shares as fractions), so evaluation never sees a unit.

use super::catalogue::{self, Kind, Metric, Scope, Unit};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Op {
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl Op {
    /// Longest first, so `<=` is not read as `<`.
    const ALL: [(&'static str, Op); 6] = [
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("<", Op::Lt),
        (">", Op::Gt),
    ];

    pub fn as_str(self) -> &'static str {
        Op::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(s, _)| s)
    }

    pub fn holds(self, measured: f64, limit: f64) -> bool {
        match self {
            Op::Eq => measured == limit,
            Op::Ne => measured != limit,
            Op::Lt => measured < limit,
            Op::Le => measured <= limit,
            Op::Gt => measured > limit,
            Op::Ge => measured >= limit,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Limit {
    Number(f64),
    Bool(bool),
}

/// One comparison, checked.
#[derive(Debug, Clone)]
pub struct Check {
    /// The expression as written.
    pub text: String,
    pub metric: &'static Metric,
    /// The denominator of a ratio (`a / b`).
    pub per: Option<&'static Metric>,
    pub op: Op,
    pub limit: Limit,
    /// The unit of the compared value (`Ratio` for a ratio of two paths).
    pub unit: Unit,
}

impl Check {
    pub fn scope(&self) -> Scope {
        self.metric.scope
    }

    /// The left-hand side as written, normalised: `a` or `a / b`.
    pub fn subject(&self) -> String {
        match self.per {
            Some(per) => format!("{} / {}", self.metric.path, per.path),
            None => self.metric.path.clone(),
        }
    }
}

/// A problem at byte offset `at` of the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub at: usize,
    pub message: String,
}

fn err(at: usize, message: impl Into<String>) -> ExprError {
    ExprError {
        at,
        message: message.into(),
    }
}

/// Parses and checks one expression.
pub fn parse(text: &str) -> Result<Check, ExprError> {
    let Some((op_at, op_str, op)) = find_op(text) else {
        return Err(err(
            0,
            format!(
                "no comparison in {text:?}: write METRIC OP LIMIT with OP one of == != < <= > >=, e.g. \"units.oversold == 0\""
            ),
        ));
    };
    let lhs = &text[..op_at];
    let rhs_at = op_at + op_str.len();
    let rhs = &text[rhs_at..];
    if find_op(rhs).is_some() {
        return Err(err(
            rhs_at,
            "one comparison per expression: split it into two thresholds",
        ));
    }
    let (metric, per) = operand(lhs)?;
    let ratio = per.is_some();
    let unit = if ratio { Unit::Ratio } else { metric.unit };
    let limit_at = rhs_at + (rhs.len() - rhs.trim_start().len());
    let limit = limit(rhs.trim(), limit_at, metric, unit, op)?;
    Ok(Check {
        text: text.trim().to_string(),
        metric,
        per,
        op,
        limit,
        unit,
    })
}

fn find_op(text: &str) -> Option<(usize, &'static str, Op)> {
    for (i, c) in text.char_indices() {
        for (s, op) in Op::ALL {
            if text[i..].starts_with(s) {
                return Some((i, s, op));
            }
        }
        // A lone `=` or `!` is a typo for `==` / `!=`, not part of a path.
        if matches!(c, '=' | '!') {
            return None;
        }
    }
    None
}

/// `path` or `path / path`.
fn operand(lhs: &str) -> Result<(&'static Metric, Option<&'static Metric>), ExprError> {
    let (first, rest) = match lhs.find('/') {
        Some(i) => (&lhs[..i], Some((i + 1, &lhs[i + 1..]))),
        None => (lhs, None),
    };
    let metric = path(first, 0)?;
    let Some((at, second)) = rest else {
        return Ok((metric, None));
    };
    let per = path(second, at)?;
    for m in [metric, per] {
        if m.kind == Kind::Boolean {
            return Err(err(
                0,
                format!("`{}` is true or false; a ratio needs two numbers", m.path),
            ));
        }
    }
    // `worst.latency` and `worst.oversell` are two different windows.
    let window = |m: &'static Metric| match m.scope {
        Scope::Worst => m.path.split('.').nth(1),
        _ => None,
    };
    if metric.scope != per.scope || window(metric) != window(per) {
        return Err(err(
            at,
            format!(
                "`{}` and `{}` read different windows; a ratio compares figures of the same scope, e.g. `peak.orders.error / peak.orders.offered`",
                metric.path, per.path
            ),
        ));
    }
    if metric.unit != per.unit {
        return Err(err(
            at,
            format!(
                "`{}` and `{}` are in different units",
                metric.path, per.path
            ),
        ));
    }
    Ok((metric, Some(per)))
}

fn path(raw: &str, offset: usize) -> Result<&'static Metric, ExprError> {
    let at = offset + (raw.len() - raw.trim_start().len());
    let name = raw.trim();
    if name.is_empty() {
        return Err(err(
            at,
            "missing metric before the comparison: name a run.json path such as `units.oversold`",
        ));
    }
    catalogue::get(name).ok_or_else(|| err(at, unknown_metric(name)))
}

/// The message for a path that is not a metric, with the nearest ones.
pub fn unknown_metric(name: &str) -> String {
    let near = catalogue::close_matches(name, 3);
    let hint = if near.is_empty() {
        "metrics are the number and boolean paths of a backend record in results/README.md, e.g. `units.oversold`, `peak.latency_us.p99`, `windows.max.latency_us.p99`".to_string()
    } else {
        format!(
            "did you mean {}?",
            near.iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    format!("unknown metric `{name}`: {hint}")
}

fn limit(raw: &str, at: usize, metric: &Metric, unit: Unit, op: Op) -> Result<Limit, ExprError> {
    if raw.is_empty() {
        return Err(err(
            at,
            "missing limit after the comparison, e.g. `== 0` or `< 50ms`",
        ));
    }
    if metric.kind == Kind::Boolean {
        let value = match raw {
            "true" => true,
            "false" => false,
            _ => {
                return Err(err(
                    at,
                    format!(
                        "`{}` is true or false; compare it with `== true` or `== false`",
                        metric.path
                    ),
                ))
            }
        };
        if !matches!(op, Op::Eq | Op::Ne) {
            return Err(err(
                at,
                format!("`{}` is true or false: only == and != apply", metric.path),
            ));
        }
        return Ok(Limit::Bool(value));
    }
    if raw == "true" || raw == "false" {
        return Err(err(
            at,
            format!("`{}` is a number; give a number as the limit", metric.path),
        ));
    }
    let split = raw
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | '_' | 'e' | 'E')))
        .unwrap_or(raw.len());
    // `1e3ms` is a number then a unit; `5s` must not lose its `s` to an exponent.
    let (number, suffix) = raw.split_at(split);
    let value: f64 = number.replace('_', "").parse().map_err(|_| {
        err(
            at,
            format!("{raw:?} is not a number with an optional unit (ns, us, ms, s, %)"),
        )
    })?;
    if !value.is_finite() {
        return Err(err(at, format!("{raw:?} is not a finite number")));
    }
    let suffix = suffix.trim();
    let scale = match (unit, suffix) {
        (_, "") => 1.0,
        (Unit::Microseconds, s) => {
            time_scale(s, 1e3).ok_or_else(|| bad_unit(at + split, s, metric, unit))?
        }
        (Unit::Milliseconds, s) => {
            time_scale(s, 1e6).ok_or_else(|| bad_unit(at + split, s, metric, unit))?
        }
        (Unit::Ratio, "%") => 0.01,
        (_, s) => return Err(bad_unit(at + split, s, metric, unit)),
    };
    let limit = value * scale;
    if !limit.is_finite() {
        return Err(err(
            at,
            format!("{raw:?} in the field's unit is beyond any finite number"),
        ));
    }
    Ok(Limit::Number(limit))
}

/// Nanoseconds per suffix over nanoseconds per stored unit.
fn time_scale(suffix: &str, per_unit_ns: f64) -> Option<f64> {
    let ns = match suffix {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return None,
    };
    Some(ns / per_unit_ns)
}

fn bad_unit(at: usize, suffix: &str, metric: &Metric, unit: Unit) -> ExprError {
    let what = match unit {
        Unit::Microseconds => "is in microseconds: use ns, us, ms or s, or no unit for microseconds".to_string(),
        Unit::Milliseconds => "is in milliseconds: use ns, us, ms or s, or no unit for milliseconds".to_string(),
        Unit::Ratio => "is a share: use % or a plain fraction (0.001 = 0.1%)".to_string(),
        Unit::Plain => format!(
            "is a plain figure and takes no unit; for a share divide it, e.g. `{} / orders.offered < 1%`",
            metric.path
        ),
    };
    err(
        at,
        format!("unit {suffix:?} does not fit: `{}` {what}", metric.path),
    )
}

#[cfg(test)]
mod tests;
