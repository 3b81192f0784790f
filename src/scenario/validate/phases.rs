//! `[[phase]]` tables: kind, name, shape keys and start offset.
//!
//! Invariant: a phase carries only the keys of its kind, phase names are
//! unique, every open-loop phase expects at least one order, all phases
//! together expect at most `MAX_ORDERS` orders, and every phase ends within
//! `MAX_PHASE_END` of `t0`.

use super::text::{article, duration as duration_text, number, quoted_list, thousands};
use super::{expected_orders, Result, Validator};
use crate::scenario::error::line_column;
use crate::scenario::model::*;
use crate::scenario::raw::*;
use std::collections::HashMap;
use std::time::Duration;
use toml::Spanned;

/// The phase kinds, in the order the documentation lists them.
const PHASE_KINDS: [&str; 6] = ["instant", "spread", "constant", "ramp", "poisson", "closed"];
/// Why phases end within `MAX_PHASE_END`.
pub(super) const PHASE_END_WHY: &str = "a run lasts at most a day, which keeps every send time (nanoseconds from t0) and every metrics window well within range";
/// Keys every phase takes, whatever its kind.
const COMMON_PHASE_KEYS: [&str; 5] = ["name", "kind", "at", "skus", "quantity"];

impl Validator<'_> {
    pub(super) fn phases(
        &self,
        raw: Option<&[Spanned<RawPhase>]>,
        skus: &[Sku],
    ) -> Result<Vec<Phase>> {
        let raw = raw.unwrap_or_default();
        if raw.is_empty() {
            return Err(self.loc.at(
                0,
                "phase",
                "no phases: add at least one `[[phase]]` table with a `kind`",
            ));
        }
        let ids: HashMap<&str, SkuIdx> = skus
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i as SkuIdx))
            .collect();
        let mut phases = Vec::with_capacity(raw.len());
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut total_orders = 0.0f64;
        for (i, p) in raw.iter().enumerate() {
            let key = format!("phase[{i}]");
            let phase = self.phase(&key, i, p, skus, &ids)?;
            let name_at = p
                .get_ref()
                .name
                .as_ref()
                .map_or(p.span().start, |n| n.span().start);
            if let Some(&first) = names.get(&phase.name) {
                let (line, _) = line_column(self.loc.text, first);
                return Err(self.loc.at(
                    name_at,
                    format!("{key}.name"),
                    format!(
                        "duplicate phase name {:?}: the phase at line {line} already has it; phase names must be unique",
                        phase.name
                    ),
                ));
            }
            names.insert(phase.name.clone(), name_at);
            if let Some(n) = expected_orders(&phase.shape) {
                total_orders += n;
                if total_orders > MAX_ORDERS as f64 {
                    let r = p.get_ref();
                    let (driver, at) = match phase.shape {
                        Shape::Instant { .. } | Shape::Spread { .. } => {
                            ("orders", r.orders.as_ref().map(|s| s.span().start))
                        }
                        Shape::Ramp { .. } => {
                            ("duration", r.duration.as_ref().map(|s| s.span().start))
                        }
                        _ => ("rate", r.rate.as_ref().map(|s| s.span().start)),
                    };
                    return Err(self.loc.at(
                        at.unwrap_or(p.span().start),
                        format!("{key}.{driver}"),
                        format!(
                            "this phase brings the scenario to {} orders, above the limit of {}; lower its orders, rate or duration",
                            number(total_orders),
                            thousands(MAX_ORDERS)
                        ),
                    ));
                }
            }
            phases.push(phase);
        }
        Ok(phases)
    }

    fn phase(
        &self,
        key: &str,
        i: usize,
        raw: &Spanned<RawPhase>,
        skus: &[Sku],
        ids: &HashMap<&str, SkuIdx>,
    ) -> Result<Phase> {
        let table_at = raw.span().start;
        let p = raw.get_ref();
        let kind = match &p.kind {
            None => {
                return Err(self.missing(
                    table_at,
                    &format!("{key}.kind"),
                    format!(
                        "missing `kind`: every [[phase]] needs one of {}",
                        quoted_list(&PHASE_KINDS)
                    ),
                ))
            }
            Some(k) => {
                if !PHASE_KINDS.contains(&k.get_ref().as_str()) {
                    return Err(self.loc.span(
                        k.span(),
                        format!("{key}.kind"),
                        format!(
                            "unknown phase kind {:?}; expected one of {}",
                            k.get_ref(),
                            quoted_list(&PHASE_KINDS)
                        ),
                    ));
                }
                k.get_ref().as_str()
            }
        };
        let name = match &p.name {
            None => format!("phase-{}", i + 1),
            Some(n) if n.get_ref().trim().is_empty() => {
                return Err(self.loc.span(
                    n.span(),
                    format!("{key}.name"),
                    "phase names must not be empty; omit `name` for the default `phase-N`",
                ))
            }
            Some(n) => n.get_ref().clone(),
        };

        // Keys of the other kinds first: they are the likelier mistake.
        let takes = phase_keys(kind);
        let present: [(&str, Option<usize>); 7] = [
            ("orders", p.orders.as_ref().map(|v| v.span().start)),
            ("over", p.over.as_ref().map(|v| v.span().start)),
            ("rate", p.rate.as_ref().map(|v| v.span().start)),
            ("duration", p.duration.as_ref().map(|v| v.span().start)),
            ("from", p.from.as_ref().map(|v| v.span().start)),
            ("to", p.to.as_ref().map(|v| v.span().start)),
            ("clients", p.clients.as_ref().map(|v| v.span().start)),
        ];
        for (k, at) in present {
            if let (Some(at), false) = (at, takes.contains(&k)) {
                return Err(self.loc.key_of(
                    at,
                    format!("{key}.{k}"),
                    format!(
                        "`{k}` does not apply to {} {kind} phase; {kind} takes {}, besides {}",
                        article(kind),
                        quoted_list(takes),
                        quoted_list(&COMMON_PHASE_KEYS)
                    ),
                ));
            }
        }

        let need = |k: &str, example: &str| {
            self.missing(
                table_at,
                &format!("{key}.{k}"),
                format!(
                    "{} {kind} phase needs `{k}`; add e.g. `{k} = {example}` to this [[phase]] table",
                    article(kind)
                ),
            )
        };
        let orders = || -> Result<u64> {
            let o = p.orders.as_ref().ok_or_else(|| need("orders", "1000"))?;
            Ok(self.int(o, &format!("{key}.orders"), 1, i64::MAX, "")? as u64)
        };
        let duration = || -> Result<Duration> {
            let d = p
                .duration
                .as_ref()
                .ok_or_else(|| need("duration", "\"1s\""))?;
            let k = format!("{key}.duration");
            let value = self.duration(d, &k)?;
            if value.is_zero() {
                return Err(self.loc.span(
                    d.span(),
                    k,
                    "`duration` must be above zero; write e.g. \"1s\"",
                ));
            }
            self.within_cap(d, &k, value, MAX_PHASE_END, PHASE_END_WHY)?;
            Ok(value)
        };
        let rate = || -> Result<f64> {
            let r = p.rate.as_ref().ok_or_else(|| need("rate", "300"))?;
            self.rate(r, &format!("{key}.rate"), false)
        };

        let shape = match kind {
            "instant" => Shape::Instant { orders: orders()? },
            "spread" => {
                let orders = orders()?;
                let o = p.over.as_ref().ok_or_else(|| need("over", "\"400ms\""))?;
                let k = format!("{key}.over");
                let over = self.duration(o, &k)?;
                if over.is_zero() {
                    return Err(self.loc.span(
                        o.span(),
                        k,
                        "`over` must be above zero; use an instant phase for a burst at one moment",
                    ));
                }
                self.within_cap(o, &k, over, MAX_PHASE_END, PHASE_END_WHY)?;
                Shape::Spread { orders, over }
            }
            "constant" => Shape::Constant {
                rate: rate()?,
                duration: duration()?,
            },
            "poisson" => Shape::Poisson {
                rate: rate()?,
                duration: duration()?,
            },
            "ramp" => {
                let f = p.from.as_ref().ok_or_else(|| need("from", "0"))?;
                let t = p.to.as_ref().ok_or_else(|| need("to", "1000"))?;
                let from = self.rate(f, &format!("{key}.from"), true)?;
                let to = self.rate(t, &format!("{key}.to"), true)?;
                if from == 0.0 && to == 0.0 {
                    return Err(self.loc.span(
                        t.span(),
                        format!("{key}.to"),
                        "`from` and `to` are both 0, so the ramp sends nothing; raise one of them",
                    ));
                }
                Shape::Ramp {
                    from,
                    to,
                    duration: duration()?,
                }
            }
            "closed" => {
                let c = p.clients.as_ref().ok_or_else(|| need("clients", "64"))?;
                let clients =
                    self.int(c, &format!("{key}.clients"), 1, MAX_CONCURRENCY as i64, "")? as u32;
                Shape::Closed {
                    clients,
                    duration: duration()?,
                }
            }
            _ => unreachable!("kind checked against PHASE_KINDS"),
        };

        self.sends_orders(key, p, &shape)?;
        let at = match &p.at {
            None => Duration::ZERO,
            Some(a) => {
                self.capped_duration(a, &format!("{key}.at"), MAX_PHASE_END, PHASE_END_WHY)?
            }
        };
        self.ends_in_time(key, p, at, &shape)?;
        let pick = match &p.skus {
            None => SkuPick::Uniform,
            Some(s) => self.pick(&format!("{key}.skus"), s, skus, ids)?,
        };
        let quantity = match &p.quantity {
            None => Quantity::Fixed { units: 1 },
            Some(q) => self.quantity(&format!("{key}.quantity"), q)?,
        };
        Ok(Phase {
            name,
            at,
            shape,
            skus: pick,
            quantity,
        })
    }
}

impl Validator<'_> {
    /// Refuses an open-loop phase whose order count rounds to zero.
    fn sends_orders(&self, key: &str, p: &RawPhase, shape: &Shape) -> Result<()> {
        let Some(n) = expected_orders(shape) else {
            return Ok(());
        };
        if n >= 1.0 {
            return Ok(());
        }
        let (driver, raw, product) = match *shape {
            Shape::Constant { rate, duration } => (
                "rate",
                &p.rate,
                format!(
                    "rate {} × {} = {}, rounded down to 0",
                    number(rate),
                    duration_text(duration),
                    number(rate * duration.as_secs_f64())
                ),
            ),
            Shape::Poisson { rate, duration } => (
                "rate",
                &p.rate,
                format!(
                    "rate {} × {} = {} expected, below 1",
                    number(rate),
                    duration_text(duration),
                    number(rate * duration.as_secs_f64())
                ),
            ),
            Shape::Ramp { from, to, duration } => (
                "to",
                &p.to,
                format!(
                    "(from {} + to {}) / 2 × {} = {}, rounded down to 0",
                    number(from),
                    number(to),
                    duration_text(duration),
                    number((from + to) / 2.0 * duration.as_secs_f64())
                ),
            ),
            // `orders` is at least 1.
            Shape::Instant { .. } | Shape::Spread { .. } | Shape::Closed { .. } => return Ok(()),
        };
        let at = raw.as_ref().map_or(0, |r| r.span().start);
        Err(self.loc.at(
            at,
            format!("{key}.{driver}"),
            format!(
                "this phase would send no orders ({product}); raise {} or duration",
                if driver == "to" { "from/to" } else { "rate" }
            ),
        ))
    }

    /// Refuses a phase that ends after `MAX_PHASE_END`.
    fn ends_in_time(&self, key: &str, p: &RawPhase, at: Duration, shape: &Shape) -> Result<()> {
        let (k, raw, length) = match *shape {
            Shape::Instant { .. } => return Ok(()),
            Shape::Spread { over, .. } => ("over", &p.over, over),
            Shape::Constant { duration, .. }
            | Shape::Ramp { duration, .. }
            | Shape::Poisson { duration, .. }
            | Shape::Closed { duration, .. } => ("duration", &p.duration, duration),
        };
        let end = at + length;
        if end <= MAX_PHASE_END {
            return Ok(());
        }
        let raw = raw.as_ref().expect("the shape was built from it");
        Err(self.loc.span(
            raw.span(),
            format!("{key}.{k}"),
            format!(
                "this phase ends at `at` + `{k}` = {} + {} = {}, after the limit of {}: {PHASE_END_WHY}; start it earlier or shorten it",
                duration_text(at),
                duration_text(length),
                duration_text(end),
                duration_text(MAX_PHASE_END)
            ),
        ))
    }
}

fn phase_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "instant" => &["orders"],
        "spread" => &["orders", "over"],
        "constant" | "poisson" => &["rate", "duration"],
        "ramp" => &["from", "to", "duration"],
        "closed" => &["clients", "duration"],
        _ => &[],
    }
}
