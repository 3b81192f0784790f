//! Raw scenario → validated `Scenario`.
//!
//! Invariant: every rule of `scenarios/README.md` is checked here, and every
//! failure is a `ScenarioError` naming file, line, column and dotted key.
//! Checks stop at the first problem and run in the order the documentation
//! describes the format: top-level keys, catalogue, phases, backends.

use super::duration::parse_duration;
use super::error::{line_column, Locator, ScenarioError};
use super::model::*;
use super::raw::*;
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;
use toml::Spanned;

type Result<T> = std::result::Result<T, ScenarioError>;

/// The phase kinds, in the order the documentation lists them.
const PHASE_KINDS: [&str; 6] = ["instant", "spread", "constant", "ramp", "poisson", "closed"];
/// Keys every phase takes, whatever its kind.
const COMMON_PHASE_KEYS: [&str; 5] = ["name", "kind", "at", "skus", "quantity"];
const PICKS: [&str; 4] = ["uniform", "one", "zipf", "weights"];

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

/// Where a SKU was declared, for later messages about it.
struct SkuOrigin {
    /// Key of the table that declares it: `catalogue.hot`, `sku[3]`.
    key: String,
    /// Offset of its `stock` value.
    at: usize,
    /// Key and offset that give it its id.
    id_key: String,
    id_at: usize,
}

/// The SKUs declared so far, in catalogue order.
#[derive(Default)]
struct Catalogue {
    skus: Vec<Sku>,
    origins: Vec<SkuOrigin>,
    seen: HashMap<String, usize>,
}

impl Catalogue {
    fn add(&mut self, v: &Validator, sku: Sku, origin: SkuOrigin) -> Result<()> {
        if self.skus.len() >= MAX_SKUS {
            return Err(v.loc.at(
                origin.at,
                origin.key,
                format!("the catalogue has more than {MAX_SKUS} SKUs; use fewer"),
            ));
        }
        if let Some(&first) = self.seen.get(&sku.id) {
            let first = &self.origins[first];
            let (line, _) = line_column(v.loc.text, first.id_at);
            return Err(v.loc.at(
                origin.id_at,
                origin.id_key,
                format!(
                    "duplicate SKU id {:?}: `{}` (line {line}) already has it; SKU ids must be unique",
                    sku.id, first.key
                ),
            ));
        }
        if sku.stock + sku.buffer > MAX_UNITS {
            return Err(v.loc.at(
                origin.at,
                format!("{}.stock", origin.key),
                format!(
                    "stock {} plus buffer {} is above 2^53 - 1 = {MAX_UNITS}: Redis Lua numbers are doubles, which hold integers exactly only up to there; lower one of them",
                    sku.stock, sku.buffer
                ),
            ));
        }
        self.seen.insert(sku.id.clone(), self.skus.len());
        self.skus.push(sku);
        self.origins.push(origin);
        Ok(())
    }
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
        let timeout = self.positive_duration(raw.timeout.as_ref(), "timeout", "2s")?;
        let retries = match &raw.retries {
            None => 3,
            Some(r) => self.int(r, "retries", 0, 100, " (extra attempts after a conflict)")? as u32,
        };
        let window = match &raw.window {
            None => Duration::from_millis(100),
            Some(w) => {
                let d = self.duration(w, "window")?;
                if d < Duration::from_millis(1) {
                    return Err(self.loc.span(
                        w.span(),
                        "window",
                        "`window` must be at least 1ms; write e.g. \"100ms\"",
                    ));
                }
                d
            }
        };
        let min_window_orders = match &raw.min_window_orders {
            None => 100,
            Some(m) => self.int(m, "min_window_orders", 1, i64::MAX, "")? as u64,
        };
        let saturation_limit =
            self.positive_duration(raw.saturation_limit.as_ref(), "saturation_limit", "5ms")?;
        let default_buffer = match &raw.oversell_buffer {
            None => 0,
            Some(b) => self.units(b, "oversell_buffer")?,
        };

        let skus = self.catalogue(&raw, default_buffer)?;
        let phases = self.phases(raw.phase.as_deref(), &skus)?;
        let backends = self.backends(raw.backend.as_deref())?;

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

    // ---- scalars ------------------------------------------------------

    /// An integer in `min..=max`; `what` is appended to the range message.
    fn int(&self, v: &Spanned<i64>, key: &str, min: i64, max: i64, what: &str) -> Result<i64> {
        let n = *v.get_ref();
        if n < min || n > max {
            let range = if max == i64::MAX {
                format!("at least {min}")
            } else {
                format!("between {min} and {max}")
            };
            return Err(self.loc.span(
                v.span(),
                key,
                format!("`{}` must be {range}{what}; got {n}", leaf(key)),
            ));
        }
        Ok(n)
    }

    /// A stock or buffer: `0..=MAX_UNITS`.
    fn units(&self, v: &Spanned<i64>, key: &str) -> Result<u64> {
        let n = *v.get_ref();
        if n < 0 {
            return Err(self.loc.span(
                v.span(),
                key,
                format!("`{}` must be 0 or more units; got {n}", leaf(key)),
            ));
        }
        if n as u64 > MAX_UNITS {
            return Err(self.loc.span(
                v.span(),
                key,
                format!(
                    "`{}` is {n}, above 2^53 - 1 = {MAX_UNITS}: Redis Lua numbers are doubles, which hold integers exactly only up to there; lower it",
                    leaf(key)
                ),
            ));
        }
        Ok(n as u64)
    }

    /// A duration string; a bare number is refused with a hint.
    fn duration(&self, v: &RawDuration, key: &str) -> Result<Duration> {
        match v.get_ref() {
            toml::Value::String(s) => parse_duration(s).map_err(|m| self.loc.span(v.span(), key, m)),
            toml::Value::Integer(n) => Err(self.loc.span(
                v.span(),
                key,
                format!("a bare number is not a duration; write it as a string with a unit, e.g. \"{n}ms\""),
            )),
            toml::Value::Float(n) => Err(self.loc.span(
                v.span(),
                key,
                format!("a bare number is not a duration; write it as a string with a unit, e.g. \"{n}s\""),
            )),
            other => Err(self.loc.span(
                v.span(),
                key,
                format!(
                    "expected a duration string such as \"100ms\", found {}",
                    other.type_str()
                ),
            )),
        }
    }

    /// An optional duration that must be above zero.
    fn positive_duration(
        &self,
        v: Option<&RawDuration>,
        key: &str,
        default: &str,
    ) -> Result<Duration> {
        let Some(v) = v else {
            return Ok(parse_duration(default).expect("defaults parse"));
        };
        let d = self.duration(v, key)?;
        if d.is_zero() {
            return Err(self.loc.span(
                v.span(),
                key,
                format!(
                    "`{}` must be above zero; write e.g. \"{default}\"",
                    leaf(key)
                ),
            ));
        }
        Ok(d)
    }

    /// A finite number of orders per second; `allow_zero` for ramp ends.
    fn rate(&self, v: &Spanned<f64>, key: &str, allow_zero: bool) -> Result<f64> {
        let r = *v.get_ref();
        let ok = r.is_finite() && (r > 0.0 || (allow_zero && r == 0.0));
        if !ok {
            let bound = if allow_zero { "0 or more" } else { "above 0" };
            return Err(self.loc.span(
                v.span(),
                key,
                format!(
                    "`{}` must be a finite number of orders per second, {bound}; got {r}",
                    leaf(key)
                ),
            ));
        }
        Ok(r)
    }

    fn missing(&self, table_at: usize, key: &str, message: String) -> ScenarioError {
        self.loc.at(table_at, key, message)
    }

    // ---- catalogue ----------------------------------------------------

    fn catalogue(&self, raw: &RawScenario, default_buffer: u64) -> Result<Vec<Sku>> {
        let mut cat = Catalogue::default();
        if let Some(catalogue) = &raw.catalogue {
            let catalogue = catalogue.get_ref();
            if let Some(hot) = &catalogue.hot {
                let at = hot.span().start;
                let h = hot.get_ref();
                let (id, id_at) = match &h.id {
                    None => ("HOT".to_string(), at),
                    Some(id) => (self.sku_id(id, "catalogue.hot.id")?, id.span().start),
                };
                let Some(stock) = &h.stock else {
                    return Err(self.loc.at(
                        at,
                        "catalogue.hot.stock",
                        "missing `stock`: the hot SKU needs its units on sale, e.g. `hot = { id = \"HOT\", stock = 100 }`",
                    ));
                };
                let sku = Sku {
                    id,
                    stock: self.units(stock, "catalogue.hot.stock")?,
                    buffer: match &h.buffer {
                        None => default_buffer,
                        Some(b) => self.units(b, "catalogue.hot.buffer")?,
                    },
                };
                let origin = SkuOrigin {
                    key: "catalogue.hot".into(),
                    at: stock.span().start,
                    id_key: "catalogue.hot.id".into(),
                    id_at,
                };
                cat.add(self, sku, origin)?;
            }
            if let Some(tail) = &catalogue.long_tail {
                let at = tail.span().start;
                let t = tail.get_ref();
                let Some(count) = &t.count else {
                    return Err(self.loc.at(
                        at,
                        "catalogue.long_tail.count",
                        "missing `count`: say how many long-tail SKUs to generate, e.g. `long_tail = { count = 49, stock = 20 }`",
                    ));
                };
                let count = self.int(
                    count,
                    "catalogue.long_tail.count",
                    1,
                    MAX_SKUS as i64,
                    " (omit `long_tail` for none)",
                )? as usize;
                let Some(stock_raw) = &t.stock else {
                    return Err(self.loc.at(
                        at,
                        "catalogue.long_tail.stock",
                        "missing `stock`: give the units of each long-tail SKU, e.g. `long_tail = { count = 49, stock = 20 }`",
                    ));
                };
                let stock = self.units(stock_raw, "catalogue.long_tail.stock")?;
                let buffer = match &t.buffer {
                    None => default_buffer,
                    Some(b) => self.units(b, "catalogue.long_tail.buffer")?,
                };
                let (prefix, prefix_at) = match &t.prefix {
                    None => ("SKU-", at),
                    Some(p) => (p.get_ref().as_str(), p.span().start),
                };
                let width = count.to_string().len();
                for n in 1..=count {
                    let sku = Sku {
                        id: format!("{prefix}{n:0width$}"),
                        stock,
                        buffer,
                    };
                    let origin = SkuOrigin {
                        key: "catalogue.long_tail".into(),
                        at: stock_raw.span().start,
                        id_key: "catalogue.long_tail.prefix".into(),
                        id_at: prefix_at,
                    };
                    cat.add(self, sku, origin)?;
                }
            }
        }

        for (i, raw_sku) in raw.sku.iter().flatten().enumerate() {
            let at = raw_sku.span().start;
            let s = raw_sku.get_ref();
            let key = format!("sku[{i}]");
            let Some(id) = &s.id else {
                return Err(self.loc.at(
                    at,
                    format!("{key}.id"),
                    "missing `id`: every [[sku]] needs an id, e.g. `id = \"SKU-A\"`",
                ));
            };
            let Some(stock) = &s.stock else {
                return Err(self.loc.at(
                    at,
                    format!("{key}.stock"),
                    "missing `stock`: every [[sku]] needs its units on sale, e.g. `stock = 20`",
                ));
            };
            let sku = Sku {
                id: self.sku_id(id, &format!("{key}.id"))?,
                stock: self.units(stock, &format!("{key}.stock"))?,
                buffer: match &s.buffer {
                    None => default_buffer,
                    Some(b) => self.units(b, &format!("{key}.buffer"))?,
                },
            };
            let origin = SkuOrigin {
                key: key.clone(),
                at: stock.span().start,
                id_key: format!("{key}.id"),
                id_at: id.span().start,
            };
            cat.add(self, sku, origin)?;
        }

        let Catalogue { skus, origins, .. } = cat;
        if skus.is_empty() {
            return Err(self.loc.at(
                0,
                "catalogue",
                "the catalogue is empty; add `[catalogue]` with `hot` or `long_tail`, or `[[sku]]` tables",
            ));
        }
        if skus.iter().all(|s| s.stock == 0) {
            return Err(self.loc.at(
                origins[0].at,
                format!("{}.stock", origins[0].key),
                "zero stock everywhere: every SKU has stock 0, so nothing can be sold; give at least one SKU stock above 0",
            ));
        }
        Ok(skus)
    }

    fn sku_id(&self, id: &Spanned<String>, key: &str) -> Result<String> {
        if id.get_ref().is_empty() {
            return Err(self.loc.span(
                id.span(),
                key,
                "SKU ids must not be empty; write e.g. `id = \"SKU-A\"`",
            ));
        }
        Ok(id.get_ref().clone())
    }

    // ---- phases -------------------------------------------------------

    fn phases(&self, raw: Option<&[Spanned<RawPhase>]>, skus: &[Sku]) -> Result<Vec<Phase>> {
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
                            "this phase brings the scenario to {total_orders:.0} orders, above the limit of {MAX_ORDERS}; lower its orders, rate or duration"
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

        let at = match &p.at {
            None => Duration::ZERO,
            Some(a) => self.duration(a, &format!("{key}.at"))?,
        };
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

    fn pick(
        &self,
        key: &str,
        raw: &Spanned<RawPick>,
        skus: &[Sku],
        ids: &HashMap<&str, SkuIdx>,
    ) -> Result<SkuPick> {
        let table_at = raw.span().start;
        let r = raw.get_ref();
        let Some(pick) = &r.pick else {
            return Err(self.missing(
                table_at,
                &format!("{key}.pick"),
                format!(
                    "missing `pick`: write e.g. `skus = {{ pick = \"uniform\" }}`; pick is one of {}",
                    quoted_list(&PICKS)
                ),
            ));
        };
        let form = pick.get_ref().as_str();
        let takes: &[&str] = match form {
            "uniform" => &[],
            "one" => &["sku"],
            "zipf" => &["exponent"],
            "weights" => &["weights"],
            _ => {
                return Err(self.loc.span(
                    pick.span(),
                    format!("{key}.pick"),
                    format!(
                        "unknown pick {form:?}; expected one of {}",
                        quoted_list(&PICKS)
                    ),
                ))
            }
        };
        let present = [
            ("sku", r.sku.as_ref().map(|v| v.span().start)),
            ("exponent", r.exponent.as_ref().map(|v| v.span().start)),
            ("weights", r.weights.as_ref().map(|v| v.span().start)),
        ];
        for (k, at) in present {
            if let (Some(at), false) = (at, takes.contains(&k)) {
                let what = if takes.is_empty() {
                    "no other keys".to_string()
                } else {
                    quoted_list(takes)
                };
                return Err(self.loc.key_of(
                    at,
                    format!("{key}.{k}"),
                    format!("`{k}` does not apply to pick = {form:?}, which takes {what}"),
                ));
            }
        }
        match form {
            "uniform" => Ok(SkuPick::Uniform),
            "one" => {
                let Some(sku) = &r.sku else {
                    return Err(self.missing(
                        table_at,
                        &format!("{key}.sku"),
                        "pick = \"one\" needs `sku`, the id of the SKU every order hits, e.g. `{ pick = \"one\", sku = \"HOT\" }`".into(),
                    ));
                };
                let idx = self.known_sku(
                    sku.get_ref(),
                    sku.span().start,
                    &format!("{key}.sku"),
                    skus,
                    ids,
                )?;
                Ok(SkuPick::One { sku: idx })
            }
            "zipf" => {
                let Some(e) = &r.exponent else {
                    return Err(self.missing(
                        table_at,
                        &format!("{key}.exponent"),
                        "pick = \"zipf\" needs `exponent`, e.g. `{ pick = \"zipf\", exponent = 1.1 }`".into(),
                    ));
                };
                let exponent = *e.get_ref();
                if !(exponent.is_finite() && exponent > 0.0) {
                    return Err(self.loc.span(
                        e.span(),
                        format!("{key}.exponent"),
                        format!("the zipf `exponent` must be a finite number above 0, e.g. 1.1; got {exponent}"),
                    ));
                }
                Ok(SkuPick::Zipf { exponent })
            }
            _ => {
                let Some(w) = &r.weights else {
                    return Err(self.missing(
                        table_at,
                        &format!("{key}.weights"),
                        "pick = \"weights\" needs `weights`, e.g. `{ pick = \"weights\", weights = { HOT = 5, \"SKU-01\" = 1 } }`".into(),
                    ));
                };
                let mut weights = Vec::with_capacity(w.get_ref().0.len());
                let mut sum: u64 = 0;
                for (id, weight) in &w.get_ref().0 {
                    let k = format!("{key}.weights.{}", toml_key(id.get_ref()));
                    let idx = self.known_sku(id.get_ref(), id.span().start, &k, skus, ids)?;
                    let n = self.weight(weight, &k)?;
                    sum = sum.saturating_add(n);
                    weights.push((idx, n));
                }
                self.weight_sum(sum, w.span().start, &format!("{key}.weights"))?;
                Ok(SkuPick::Weights { weights })
            }
        }
    }

    fn known_sku(
        &self,
        id: &str,
        at: usize,
        key: &str,
        skus: &[Sku],
        ids: &HashMap<&str, SkuIdx>,
    ) -> Result<SkuIdx> {
        ids.get(id).copied().ok_or_else(|| {
            self.loc.at(
                at,
                key,
                format!(
                    "unknown SKU {id:?}; the catalogue has {}",
                    describe_ids(skus)
                ),
            )
        })
    }

    fn weight(&self, v: &Spanned<i64>, key: &str) -> Result<u64> {
        let n = *v.get_ref();
        if n < 0 {
            return Err(self.loc.span(
                v.span(),
                key,
                format!("weights must be 0 or more; got {n}"),
            ));
        }
        Ok(n as u64)
    }

    fn weight_sum(&self, sum: u64, at: usize, key: &str) -> Result<()> {
        if sum == 0 {
            return Err(self.loc.at(
                at,
                key,
                "all weights are 0 (or none are given); give at least one a weight above 0",
            ));
        }
        if sum > MAX_UNITS {
            return Err(self.loc.at(
                at,
                key,
                format!(
                    "the weights add up to more than 2^53 - 1 = {MAX_UNITS}; use smaller weights"
                ),
            ));
        }
        Ok(())
    }

    fn quantity(&self, key: &str, raw: &Spanned<RawQuantity>) -> Result<Quantity> {
        let table_at = raw.span().start;
        let q = raw.get_ref();
        let forms = "exactly one of `fixed = 2`, `min = 1, max = 3` or `weights = { \"1\" = 8, \"2\" = 2 }`";
        // The first key of each form present, in written order.
        let mut present: Vec<(&str, usize)> = [
            ("fixed", q.fixed.as_ref().map(|v| v.span().start)),
            ("min", q.min.as_ref().map(|v| v.span().start)),
            ("max", q.max.as_ref().map(|v| v.span().start)),
            ("weights", q.weights.as_ref().map(|v| v.span().start)),
        ]
        .into_iter()
        .filter_map(|(k, at)| at.map(|at| (k, at)))
        .collect();
        present.sort_by_key(|&(_, at)| at);
        fn form_of(k: &str) -> &str {
            if k == "max" {
                "min"
            } else {
                k
            }
        }
        if present.is_empty() {
            return Err(self.missing(
                table_at,
                key,
                format!("the quantity table is empty; write {forms}"),
            ));
        }
        let first = form_of(present[0].0);
        if let Some(&(other, at)) = present.iter().find(|(k, _)| form_of(k) != first) {
            return Err(self.loc.key_of(
                at,
                format!("{key}.{other}"),
                format!(
                    "`{other}` cannot be combined with `{}`; write {forms}",
                    present[0].0
                ),
            ));
        }
        match first {
            "fixed" => {
                let f = q.fixed.as_ref().expect("present");
                Ok(Quantity::Fixed {
                    units: self.units_per_order(f, &format!("{key}.fixed"))?,
                })
            }
            "min" => {
                let (Some(min), Some(max)) = (&q.min, &q.max) else {
                    let (has, lacks) = if q.min.is_some() {
                        ("min", "max")
                    } else {
                        ("max", "min")
                    };
                    return Err(self.missing(
                        table_at,
                        &format!("{key}.{lacks}"),
                        format!("`{has}` needs `{lacks}`: write e.g. `quantity = {{ min = 1, max = 3 }}`"),
                    ));
                };
                let lo = self.units_per_order(min, &format!("{key}.min"))?;
                let hi = self.units_per_order(max, &format!("{key}.max"))?;
                if lo > hi {
                    return Err(self.loc.span(
                        max.span(),
                        format!("{key}.max"),
                        format!("`max` ({hi}) is below `min` ({lo}); swap them or raise `max`"),
                    ));
                }
                Ok(Quantity::Uniform { min: lo, max: hi })
            }
            _ => {
                let w = q.weights.as_ref().expect("present");
                let mut weights = Vec::with_capacity(w.get_ref().0.len());
                let mut sum: u64 = 0;
                for (units, weight) in &w.get_ref().0 {
                    let k = format!("{key}.weights.{}", toml_key(units.get_ref()));
                    let n = self.quantity_key(units, &k)?;
                    let wt = self.weight(weight, &k)?;
                    sum = sum.saturating_add(wt);
                    weights.push((n, wt));
                }
                self.weight_sum(sum, w.span().start, &format!("{key}.weights"))?;
                Ok(Quantity::Weights { weights })
            }
        }
    }

    /// A key of quantity weights: a unit count written as a string.
    fn quantity_key(&self, units: &Spanned<String>, key: &str) -> Result<u64> {
        let text = units.get_ref().trim();
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        let message = if digits(text) {
            match text.parse::<u64>() {
                Ok(0) => format!(
                    "non-positive quantities are not orders: {text:?}; quantities must be at least 1"
                ),
                Ok(n) if n <= MAX_UNITS => return Ok(n),
                _ => format!("quantity {text} is above 2^53 - 1 = {MAX_UNITS}; lower it"),
            }
        } else if text.strip_prefix('-').is_some_and(digits) {
            format!(
                "non-positive quantities are not orders: {text:?}; quantities must be at least 1"
            )
        } else {
            format!(
                "{text:?} is not a quantity: the keys of quantity weights are unit counts, \
                 e.g. `weights = {{ \"1\" = 8, \"2\" = 2 }}`"
            )
        };
        Err(self.loc.span(units.span(), key, message))
    }

    fn units_per_order(&self, v: &Spanned<i64>, key: &str) -> Result<u64> {
        let n = *v.get_ref();
        if n < 1 {
            return Err(self.loc.span(
                v.span(),
                key,
                format!("non-positive quantities are not orders: got {n}; a quantity must be at least 1 unit"),
            ));
        }
        if n as u64 > MAX_UNITS {
            return Err(self.loc.span(
                v.span(),
                key,
                format!("quantity {n} is above 2^53 - 1 = {MAX_UNITS}; lower it"),
            ));
        }
        Ok(n as u64)
    }

    // ---- backends -----------------------------------------------------

    fn backends(&self, raw: Option<&[Spanned<RawBackend>]>) -> Result<Vec<BackendSpec>> {
        let raw = raw.unwrap_or_default();
        if raw.is_empty() {
            return Err(self.loc.at(
                0,
                "backend",
                "no backends: add at least one `[[backend]]` table with a `kind`",
            ));
        }
        let kinds: Vec<&str> = BackendKind::ALL.iter().map(|k| k.as_str()).collect();
        let mut out = Vec::with_capacity(raw.len());
        let mut names: HashMap<String, (usize, usize)> = HashMap::new();
        for (i, b) in raw.iter().enumerate() {
            let key = format!("backend[{i}]");
            let table_at = b.span().start;
            let r = b.get_ref();
            let Some(kind_raw) = &r.kind else {
                return Err(self.missing(
                    table_at,
                    &format!("{key}.kind"),
                    format!(
                        "missing `kind`: every [[backend]] needs one of {}",
                        quoted_list(&kinds)
                    ),
                ));
            };
            let Some(kind) = BackendKind::parse(kind_raw.get_ref()) else {
                return Err(self.loc.span(
                    kind_raw.span(),
                    format!("{key}.kind"),
                    format!(
                        "unknown backend kind {:?}; expected one of {}",
                        kind_raw.get_ref(),
                        quoted_list(&kinds)
                    ),
                ));
            };
            let supported = kind.supported_options();
            let options = [
                ("rtt", r.rtt.as_ref().map(|v| v.span().start)),
                ("pool", r.pool.as_ref().map(|v| v.span().start)),
                (
                    "busy_timeout",
                    r.busy_timeout.as_ref().map(|v| v.span().start),
                ),
            ];
            for (option, at) in options {
                if let (Some(at), false) = (at, supported.contains(&option)) {
                    return Err(self.loc.key_of(
                        at,
                        format!("{key}.{option}"),
                        format!(
                            "`{option}` is not an option of {}; {} supports {}",
                            kind.as_str(),
                            kind.as_str(),
                            quoted_list(supported)
                        ),
                    ));
                }
            }
            let mut opts = BackendOptions::default();
            if let Some(rtt) = &r.rtt {
                opts.rtt = self.duration(rtt, &format!("{key}.rtt"))?;
            }
            if let Some(pool) = &r.pool {
                opts.pool = self.int(pool, &format!("{key}.pool"), 1, 64, " connections")? as u32;
            }
            if let Some(bt) = &r.busy_timeout {
                opts.busy_timeout = self.duration(bt, &format!("{key}.busy_timeout"))?;
            }
            let (name, name_at, defaulted) = match &r.name {
                None => (kind.as_str().to_string(), kind_raw.span().start, true),
                Some(n) => {
                    let value = n.get_ref();
                    let ok = !value.is_empty()
                        && value.chars().all(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '@' | '-')
                        });
                    if !ok {
                        return Err(self.loc.span(
                            n.span(),
                            format!("{key}.name"),
                            format!("invalid backend name {value:?}: use only letters, digits, `_`, `.`, `@` and `-`"),
                        ));
                    }
                    (value.clone(), n.span().start, false)
                }
            };
            if let Some(&(first, first_at)) = names.get(&name) {
                let (line, _) = line_column(self.loc.text, first_at);
                let hint = if defaulted {
                    " (a backend without `name` is named after its kind)"
                } else {
                    ""
                };
                return Err(self.loc.at(
                    name_at,
                    format!("{key}.name"),
                    format!(
                        "duplicate backend name {name:?}{hint}: backend[{first}] at line {line} already has it; give one of them a distinct `name`"
                    ),
                ));
            }
            names.insert(name.clone(), (i, name_at));
            out.push(BackendSpec {
                name,
                kind,
                options: opts,
            });
        }
        Ok(out)
    }
}

/// The last segment of a dotted key, for messages.
fn leaf(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
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

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A TOML key as it would be written: bare when possible, quoted otherwise.
fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

/// A few SKU ids, for "unknown SKU" messages.
fn describe_ids(skus: &[Sku]) -> String {
    const SHOWN: usize = 4;
    let mut shown: Vec<String> = skus
        .iter()
        .take(SHOWN)
        .map(|s| format!("{:?}", s.id))
        .collect();
    if skus.len() > SHOWN + 1 {
        shown.push("…".into());
        shown.push(format!("{:?}", skus[skus.len() - 1].id));
        format!("{} ({} SKUs)", shown.join(", "), skus.len())
    } else {
        if skus.len() == SHOWN + 1 {
            shown.push(format!("{:?}", skus[SHOWN].id));
        }
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    const HEAD: &str = r#"name = "t"
seed = 1

[catalogue]
hot = { stock = 10 }
long_tail = { count = 3, stock = 5 }
"#;

    const BACKEND: &str = r#"
[[backend]]
kind = "memory-atomic"
"#;

    const PHASE: &str = r#"
[[phase]]
kind = "instant"
orders = 10
"#;

    fn doc(head: &str, phases: &str, backends: &str) -> String {
        format!("{head}{phases}{backends}")
    }

    /// Parses `text`, expects an error at the line holding `needle`, with `key`
    /// and a message containing every one of `words`.
    #[track_caller]
    fn assert_err(text: &str, needle: &str, key: &str, words: &[&str]) -> ScenarioError {
        let e = parse(text, Path::new("s.toml")).expect_err("scenario should be rejected");
        let at = text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in text"));
        let line = text[..at].matches('\n').count() + 1;
        assert_eq!((e.line, e.key.as_str()), (line, key), "{e}");
        for w in words {
            assert!(e.message.contains(w), "message lacks {w:?}: {e}");
        }
        assert!(
            e.message.starts_with(|c: char| !c.is_uppercase()),
            "messages start lower-case: {e}"
        );
        e
    }

    #[test]
    fn full_scenario_resolves_defaults_ids_and_indices() {
        let text = r#"
name = "full.v1"
seed = 7
retries = 0
oversell_buffer = 2

[catalogue]
hot = { stock = 100, buffer = 0 }
long_tail = { count = 12, stock = 20 }

[[sku]]
id = "EXTRA"
stock = 3
buffer = 1

[[phase]]
kind = "instant"
orders = 5
skus = { pick = "one", sku = "EXTRA" }

[[phase]]
name = "ramp-up"
kind = "ramp"
at = "1.5s"
from = 0
to = 100.5
duration = "2s"
skus = { pick = "weights", weights = { "SKU-12" = 3, HOT = 1 } }
quantity = { weights = { "2" = 1, "1" = 4 } }

[[phase]]
kind = "closed"
clients = 8
duration = "250ms"
skus = { pick = "zipf", exponent = 1.1 }
quantity = { min = 1, max = 3 }

[[backend]]
kind = "sqlite-atomic"
pool = 4

[[backend]]
kind = "memory-naive"
name = "naive@1ms"
rtt = "1ms"
"#;
        let s = parse(text, Path::new("dir/full.toml")).unwrap();
        assert_eq!((s.name.as_str(), s.seed), ("full.v1", 7));
        assert_eq!(s.source, Path::new("dir/full.toml"));
        assert_eq!(s.concurrency, 64);
        assert_eq!(s.timeout, Duration::from_secs(2));
        assert_eq!(s.retries, 0);
        assert_eq!(s.window, Duration::from_millis(100));
        assert_eq!(s.min_window_orders, 100);
        assert_eq!(s.saturation_limit, Duration::from_millis(5));

        let ids: Vec<&str> = s.skus.iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ids.len(), 14);
        assert_eq!(&ids[..3], ["HOT", "SKU-01", "SKU-02"]);
        assert_eq!(&ids[12..], ["SKU-12", "EXTRA"]);
        assert_eq!((s.skus[0].stock, s.skus[0].buffer), (100, 0));
        assert_eq!((s.skus[1].stock, s.skus[1].buffer), (20, 2));
        assert_eq!((s.skus[13].stock, s.skus[13].buffer), (3, 1));

        assert_eq!(s.phases.len(), 3);
        let p = &s.phases[0];
        assert_eq!((p.name.as_str(), p.at), ("phase-1", Duration::ZERO));
        assert!(matches!(p.shape, Shape::Instant { orders: 5 }));
        assert!(matches!(p.skus, SkuPick::One { sku: 13 }));
        assert!(matches!(p.quantity, Quantity::Fixed { units: 1 }));

        let p = &s.phases[1];
        assert_eq!(
            (p.name.as_str(), p.at),
            ("ramp-up", Duration::from_millis(1500))
        );
        match p.shape {
            Shape::Ramp { from, to, duration } => {
                assert_eq!((from, to, duration), (0.0, 100.5, Duration::from_secs(2)))
            }
            ref other => panic!("{other:?}"),
        }
        match &p.skus {
            SkuPick::Weights { weights } => assert_eq!(weights, &[(12, 3), (0, 1)]),
            other => panic!("{other:?}"),
        }
        match &p.quantity {
            Quantity::Weights { weights } => assert_eq!(weights, &[(2, 1), (1, 4)]),
            other => panic!("{other:?}"),
        }
        assert_eq!(expected_orders(&p.shape), Some(100.0));

        let p = &s.phases[2];
        assert_eq!(p.name, "phase-3");
        assert!(matches!(p.shape, Shape::Closed { clients: 8, .. }));
        assert!(matches!(p.skus, SkuPick::Zipf { exponent } if exponent == 1.1));
        assert!(matches!(p.quantity, Quantity::Uniform { min: 1, max: 3 }));
        assert_eq!(expected_orders(&p.shape), None);

        assert_eq!(s.backends.len(), 2);
        let b = &s.backends[0];
        assert_eq!(
            (b.name.as_str(), b.kind),
            ("sqlite-atomic", BackendKind::SqliteAtomic)
        );
        assert_eq!(b.options.pool, 4);
        assert_eq!(
            b.options.busy_timeout,
            BackendOptions::default().busy_timeout
        );
        let b = &s.backends[1];
        assert_eq!(
            (b.name.as_str(), b.kind),
            ("naive@1ms", BackendKind::MemoryNaive)
        );
        assert_eq!(b.options.rtt, Duration::from_millis(1));
    }

    #[test]
    fn long_tail_ids_are_padded_to_the_width_of_count() {
        let head = "name = \"t\"\nseed = 1\n[catalogue]\nlong_tail = { count = 100, stock = 1, prefix = \"P\" }\n";
        let s = parse(&doc(head, PHASE, BACKEND), Path::new("s.toml")).unwrap();
        assert_eq!(s.skus[0].id, "P001");
        assert_eq!(s.skus[99].id, "P100");
        let head = "name = \"t\"\nseed = 1\n[catalogue]\nlong_tail = { count = 9, stock = 1 }\n";
        let s = parse(&doc(head, PHASE, BACKEND), Path::new("s.toml")).unwrap();
        assert_eq!(s.skus[8].id, "SKU-9");
    }

    #[test]
    fn display_is_file_line_column_key_message() {
        let text = doc("name = \"t\"\nseed = -1\n", PHASE, BACKEND);
        let e = parse(&text, Path::new("a/b.toml")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a/b.toml:2:8: `seed`: `seed` must be at least 0; got -1"
        );
    }

    #[test]
    fn toml_syntax_error() {
        let text = doc(
            HEAD,
            "\n[[phase]]\nkind = \"instant\"\norders = 10 20\n",
            BACKEND,
        );
        assert_err(
            &text,
            "orders = 10 20",
            "phase[0].orders",
            &["invalid TOML"],
        );
    }

    #[test]
    fn unknown_top_level_key() {
        let text = doc(&format!("{HEAD}\nconcurency = 3\n"), PHASE, BACKEND);
        let text = text.replacen("[catalogue]", "concurency = 3\n[catalogue]", 1);
        let e = assert_err(
            &text,
            "concurency",
            "concurency",
            &["unknown field `concurency`"],
        );
        assert!(
            e.message.contains("`concurrency`"),
            "lists the expected keys: {e}"
        );
    }

    #[test]
    fn unknown_key_in_phase() {
        let text = doc(HEAD, "\n[[phase]]\nkind = \"instant\"\norders = 10\n\n[[phase]]\nkind = \"instant\"\norder = 10\n", BACKEND);
        assert_err(
            &text,
            "order = 10",
            "phase[1].order",
            &["unknown field `order`", "`orders`"],
        );
    }

    #[test]
    fn wrong_types() {
        let text = doc("name = \"t\"\nseed = \"x\"\n", PHASE, BACKEND);
        assert_err(
            &text,
            "seed",
            "seed",
            &["invalid type", "expected an integer"],
        );
        let text = doc(
            HEAD,
            "\n[[phase]]\nkind = \"constant\"\nrate = \"fast\"\nduration = \"1s\"\n",
            BACKEND,
        );
        assert_err(&text, "rate", "phase[0].rate", &["expected a number"]);
        let text = doc(
            HEAD,
            "\n[phase]\nkind = \"instant\"\norders = 10\n",
            BACKEND,
        );
        assert_err(&text, "[phase]", "phase", &["[[phase]]"]);
        let text = doc(
            HEAD,
            "\n[[phase]]\nkind = \"instant\"\norders = 10\nskus = \"HOT\"\n",
            BACKEND,
        );
        assert_err(&text, "skus", "phase[0].skus", &["{ pick = \"uniform\" }"]);
    }

    #[test]
    fn zero_stock_everywhere() {
        let head = "name = \"t\"\nseed = 1\n[catalogue]\nhot = { stock = 0 }\n\n[[sku]]\nid = \"B\"\nstock = 0\n";
        assert_err(
            &doc(head, PHASE, BACKEND),
            "hot",
            "catalogue.hot.stock",
            &["zero stock everywhere"],
        );
    }

    #[test]
    fn stock_and_buffer_limits() {
        let head = "name = \"t\"\nseed = 1\n\n[[sku]]\nid = \"A\"\nstock = 9007199254740992\n";
        assert_err(
            &doc(head, PHASE, BACKEND),
            "stock =",
            "sku[0].stock",
            &["2^53 - 1", "Redis Lua numbers are doubles"],
        );
        let head = "name = \"t\"\nseed = 1\n\n[[sku]]\nid = \"A\"\nstock = -3\n";
        assert_err(
            &doc(head, PHASE, BACKEND),
            "stock =",
            "sku[0].stock",
            &["0 or more"],
        );
        let head = "name = \"t\"\nseed = 1\noversell_buffer = 9007199254740992\n[[sku]]\nid = \"A\"\nstock = 1\n";
        assert_err(
            &doc(head, PHASE, BACKEND),
            "oversell_buffer",
            "oversell_buffer",
            &["2^53 - 1"],
        );
        let head =
            "name = \"t\"\nseed = 1\n[[sku]]\nid = \"A\"\nstock = 9007199254740991\nbuffer = 1\n";
        assert_err(
            &doc(head, PHASE, BACKEND),
            "stock =",
            "sku[0].stock",
            &["plus buffer"],
        );
    }

    #[test]
    fn duplicate_and_missing_sku_ids() {
        let head = format!(
            "{HEAD}\n[[sku]]\nid = \"X\"\nstock = 1\n\n[[sku]]\nid = \"SKU-2\"\nstock = 1\n"
        );
        assert_err(
            &doc(&head, PHASE, BACKEND),
            "id = \"SKU-2\"",
            "sku[1].id",
            &["duplicate SKU id", "catalogue.long_tail", "line 6"],
        );
        let head = format!("{HEAD}\n[[sku]]\nstock = 1\n");
        assert_err(
            &doc(&head, PHASE, BACKEND),
            "[[sku]]",
            "sku[0].id",
            &["missing `id`"],
        );
    }

    #[test]
    fn non_positive_quantities() {
        for (q, key) in [
            ("{ fixed = 0 }", "phase[0].quantity.fixed"),
            ("{ fixed = -2 }", "phase[0].quantity.fixed"),
            ("{ min = 0, max = 3 }", "phase[0].quantity.min"),
            ("{ weights = { \"0\" = 1 } }", "phase[0].quantity.weights.0"),
            (
                "{ weights = { \"-1\" = 1 } }",
                "phase[0].quantity.weights.-1",
            ),
        ] {
            let phase = format!("\n[[phase]]\nkind = \"instant\"\norders = 10\nquantity = {q}\n");
            assert_err(
                &doc(HEAD, &phase, BACKEND),
                "quantity",
                key,
                &["non-positive quantities"],
            );
        }
    }

    #[test]
    fn malformed_quantities() {
        for (q, key, word) in [
            (
                "{ fixed = 1, min = 1, max = 2 }",
                "phase[0].quantity.min",
                "cannot be combined",
            ),
            ("{ min = 1 }", "phase[0].quantity.max", "needs `max`"),
            (
                "{ min = 3, max = 2 }",
                "phase[0].quantity.max",
                "below `min`",
            ),
            ("{ }", "phase[0].quantity", "empty"),
            (
                "{ weights = { \"1\" = 0 } }",
                "phase[0].quantity.weights",
                "above 0",
            ),
            (
                "{ weights = { two = 1 } }",
                "phase[0].quantity.weights.two",
                "not a quantity",
            ),
        ] {
            let phase = format!("\n[[phase]]\nkind = \"instant\"\norders = 10\nquantity = {q}\n");
            assert_err(&doc(HEAD, &phase, BACKEND), "quantity", key, &[word]);
        }
    }

    #[test]
    fn zero_and_negative_rates() {
        for rate in ["0", "-5", "nan", "inf"] {
            let phase =
                format!("\n[[phase]]\nkind = \"poisson\"\nrate = {rate}\nduration = \"1s\"\n");
            assert_err(
                &doc(HEAD, &phase, BACKEND),
                "rate",
                "phase[0].rate",
                &["above 0"],
            );
        }
        let phase = "\n[[phase]]\nkind = \"ramp\"\nfrom = 0\nto = 0\nduration = \"1s\"\n";
        assert_err(
            &doc(HEAD, phase, BACKEND),
            "to = 0",
            "phase[0].to",
            &["both 0"],
        );
        let phase = "\n[[phase]]\nkind = \"ramp\"\nfrom = -1\nto = 3\nduration = \"1s\"\n";
        assert_err(
            &doc(HEAD, phase, BACKEND),
            "from",
            "phase[0].from",
            &["0 or more"],
        );
    }

    #[test]
    fn zipf_exponent_must_be_positive() {
        for exponent in ["0", "-1.5", "0.0"] {
            let phase = format!("\n[[phase]]\nkind = \"instant\"\norders = 10\nskus = {{ pick = \"zipf\", exponent = {exponent} }}\n");
            assert_err(
                &doc(HEAD, &phase, BACKEND),
                "skus",
                "phase[0].skus.exponent",
                &["above 0"],
            );
        }
    }

    #[test]
    fn more_than_a_billion_orders() {
        let phases = "\n[[phase]]\nkind = \"instant\"\norders = 600000000\n\n[[phase]]\nkind = \"constant\"\nrate = 1000000\nduration = \"10m\"\n";
        let e = assert_err(
            &doc(HEAD, phases, BACKEND),
            "rate",
            "phase[1].rate",
            &["1000000000"],
        );
        assert!(e.message.contains("1200000000 orders"), "{e}");
        let phases = "\n[[phase]]\nkind = \"spread\"\norders = 1000000001\nover = \"1s\"\n";
        assert_err(
            &doc(HEAD, phases, BACKEND),
            "orders",
            "phase[0].orders",
            &["limit"],
        );
        // Closed-loop phases do not count.
        let phases = "\n[[phase]]\nkind = \"instant\"\norders = 1000000000\n\n[[phase]]\nkind = \"closed\"\nclients = 4\nduration = \"10m\"\n";
        parse(&doc(HEAD, phases, BACKEND), Path::new("s.toml")).unwrap();
    }

    #[test]
    fn duplicate_backend_names() {
        let backends = "\n[[backend]]\nkind = \"memory-naive\"\n\n[[backend]]\nkind = \"memory-naive\"\nrtt = \"1ms\"\n";
        let text = doc(HEAD, PHASE, backends);
        let second = text.rfind("kind = \"memory-naive\"").unwrap();
        let e = parse(&text, Path::new("s.toml")).unwrap_err();
        assert_eq!(e.key, "backend[1].name");
        assert_eq!(e.line, text[..second].matches('\n').count() + 1);
        let first_line = text
            .find("kind = \"memory-naive\"")
            .map(|a| text[..a].matches('\n').count() + 1)
            .unwrap();
        assert!(
            e.message.contains("duplicate backend name")
                && e.message.contains(&format!("line {first_line}")),
            "{e}"
        );

        let backends = "\n[[backend]]\nkind = \"memory-naive\"\nname = \"a\"\n\n[[backend]]\nkind = \"sqlite-naive\"\nname = \"a\"\n";
        let text = doc(HEAD, PHASE, backends);
        let e = parse(&text, Path::new("s.toml")).unwrap_err();
        assert_eq!(
            (e.key.as_str(), e.line),
            ("backend[1].name", text.lines().count())
        );
    }

    #[test]
    fn unknown_backend_kind() {
        let backends = "\n[[backend]]\nkind = \"redis-lua\"\n";
        let e = assert_err(
            &doc(HEAD, PHASE, backends),
            "redis-lua",
            "backend[0].kind",
            &["unknown backend kind"],
        );
        for k in BackendKind::ALL {
            assert!(e.message.contains(k.as_str()), "lists {}: {e}", k.as_str());
        }
        let backends = "\n[[backend]]\nname = \"x\"\n";
        assert_err(
            &doc(HEAD, PHASE, backends),
            "[[backend]]",
            "backend[0].kind",
            &["missing `kind`"],
        );
    }

    #[test]
    fn unsupported_backend_option() {
        let backends = "\n[[backend]]\nkind = \"memory-lock\"\npool = 4\n";
        let e = assert_err(
            &doc(HEAD, PHASE, backends),
            "pool",
            "backend[0].pool",
            &["memory-lock", "`rtt`"],
        );
        assert_eq!(e.column, 1, "points at the key: {e}");
        let backends = "\n[[backend]]\nkind = \"sqlite-naive\"\nrtt = \"1ms\"\n";
        assert_err(
            &doc(HEAD, PHASE, backends),
            "rtt",
            "backend[0].rtt",
            &["sqlite-naive", "`pool`, `busy_timeout`"],
        );
        let backends = "\n[[backend]]\nkind = \"sqlite-naive\"\npool = 65\n";
        assert_err(
            &doc(HEAD, PHASE, backends),
            "pool",
            "backend[0].pool",
            &["between 1 and 64"],
        );
    }

    #[test]
    fn unknown_skus_in_picks() {
        let phase = "\n[[phase]]\nkind = \"instant\"\norders = 10\nskus = { pick = \"one\", sku = \"COLD\" }\n";
        let e = assert_err(
            &doc(HEAD, phase, BACKEND),
            "skus",
            "phase[0].skus.sku",
            &["unknown SKU \"COLD\"", "\"HOT\""],
        );
        assert!(e.column > 20, "points at the id: {e}");
        let phase = "\n[[phase]]\nkind = \"instant\"\norders = 10\nskus = { pick = \"weights\", weights = { HOT = 1, \"SKU-9\" = 2 } }\n";
        assert_err(
            &doc(HEAD, phase, BACKEND),
            "skus",
            "phase[0].skus.weights.SKU-9",
            &["unknown SKU \"SKU-9\""],
        );
        let phase = "\n[[phase]]\nkind = \"instant\"\norders = 10\nskus = { pick = \"weights\", weights = { HOT = 0 } }\n";
        assert_err(
            &doc(HEAD, phase, BACKEND),
            "skus",
            "phase[0].skus.weights",
            &["above 0"],
        );
        let phase = "\n[[phase]]\nkind = \"instant\"\norders = 10\nskus = { pick = \"one\", exponent = 1 }\n";
        assert_err(
            &doc(HEAD, phase, BACKEND),
            "skus",
            "phase[0].skus.exponent",
            &["does not apply", "`sku`"],
        );
    }

    #[test]
    fn bad_durations() {
        let text =
            doc(HEAD, PHASE, BACKEND).replacen("seed = 1", "seed = 1\ntimeout = \"fast\"", 1);
        assert_err(
            &text,
            "timeout",
            "timeout",
            &["not a duration", "\"100ms\""],
        );
        let text = doc(HEAD, PHASE, BACKEND).replacen("seed = 1", "seed = 1\nwindow = 100", 1);
        assert_err(&text, "window", "window", &["bare number", "\"100ms\""]);
        let text = doc(HEAD, PHASE, BACKEND).replacen("seed = 1", "seed = 1\ntimeout = \"0ms\"", 1);
        assert_err(&text, "timeout", "timeout", &["above zero"]);
        let text =
            doc(HEAD, PHASE, BACKEND).replacen("seed = 1", "seed = 1\nwindow = \"500us\"", 1);
        assert_err(&text, "window", "window", &["at least 1ms"]);
        let phase = "\n[[phase]]\nkind = \"spread\"\norders = 10\nover = \"0s\"\n";
        assert_err(
            &doc(HEAD, phase, BACKEND),
            "over",
            "phase[0].over",
            &["above zero"],
        );
        let phase = "\n[[phase]]\nkind = \"instant\"\norders = 10\nat = \"1.5\"\n";
        assert_err(
            &doc(HEAD, phase, BACKEND),
            "at =",
            "phase[0].at",
            &["no unit"],
        );
    }

    #[test]
    fn missing_required_keys() {
        let phases = "\n[[phase]]\nkind = \"instant\"\norders = 10\n\n[[phase]]\nname = \"x\"\n";
        let text = doc(HEAD, phases, BACKEND);
        let second = text.rfind("[[phase]]").unwrap();
        let e = parse(&text, Path::new("s.toml")).unwrap_err();
        assert_eq!(
            (e.key.as_str(), e.line),
            ("phase[1].kind", text[..second].matches('\n').count() + 1)
        );
        assert!(
            e.message.contains("missing `kind`") && e.message.contains("`instant`"),
            "{e}"
        );

        let phase = "\n[[phase]]\nkind = \"instant\"\nat = \"1s\"\n";
        assert_err(
            &doc(HEAD, phase, BACKEND),
            "[[phase]]",
            "phase[0].orders",
            &["an instant phase needs `orders`"],
        );
        let phase = "\n[[phase]]\nkind = \"closed\"\nclients = 3\n";
        assert_err(
            &doc(HEAD, phase, BACKEND),
            "[[phase]]",
            "phase[0].duration",
            &["needs `duration`"],
        );
        let phase = "\n[[phase]]\nkind = \"instant\"\norders = 1\nskus = { sku = \"HOT\" }\n";
        assert_err(
            &doc(HEAD, phase, BACKEND),
            "skus",
            "phase[0].skus.pick",
            &["missing `pick`"],
        );

        let text = doc(HEAD, "", BACKEND);
        let e = parse(&text, Path::new("s.toml")).unwrap_err();
        assert_eq!((e.key.as_str(), e.line, e.column), ("phase", 1, 1));
        let text = doc(HEAD, PHASE, "");
        assert_eq!(
            parse(&text, Path::new("s.toml")).unwrap_err().key,
            "backend"
        );
        let text = doc(&HEAD.replacen("seed = 1\n", "", 1), PHASE, BACKEND);
        assert_eq!(parse(&text, Path::new("s.toml")).unwrap_err().key, "seed");
    }

    #[test]
    fn keys_of_other_phase_kinds() {
        let phase = "\n[[phase]]\nkind = \"instant\"\norders = 10\nrate = 300\n";
        let e = assert_err(
            &doc(HEAD, phase, BACKEND),
            "rate",
            "phase[0].rate",
            &["`rate` does not apply to an instant phase", "`orders`"],
        );
        assert_eq!(e.column, 1);
        let phase = "\n[[phase]]\nkind = \"closed\"\nclients = 2\nduration = \"1s\"\norders = 3\n";
        assert_err(
            &doc(HEAD, phase, BACKEND),
            "orders",
            "phase[0].orders",
            &["closed", "`clients`, `duration`"],
        );
        let phase = "\n[[phase]]\nkind = \"burst\"\norders = 3\n";
        assert_err(
            &doc(HEAD, phase, BACKEND),
            "burst",
            "phase[0].kind",
            &["unknown phase kind", "`ramp`"],
        );
    }

    #[test]
    fn names_are_checked() {
        let text = doc(HEAD, PHASE, BACKEND).replacen("name = \"t\"", "name = \"../x\"", 1);
        assert_err(&text, "name", "name", &["letters, digits"]);
        let phases = "\n[[phase]]\nname = \"a\"\nkind = \"instant\"\norders = 1\n\n[[phase]]\nname = \"a\"\nkind = \"instant\"\norders = 1\n";
        let text = doc(HEAD, phases, BACKEND);
        let e = parse(&text, Path::new("s.toml")).unwrap_err();
        assert_eq!(e.key, "phase[1].name");
        assert!(e.message.contains("duplicate phase name"), "{e}");
        let backends = "\n[[backend]]\nkind = \"memory-lock\"\nname = \"a b\"\n";
        assert_err(
            &doc(HEAD, PHASE, backends),
            "a b",
            "backend[0].name",
            &["letters, digits"],
        );
    }

    #[test]
    fn expected_orders_per_shape() {
        let s = Duration::from_secs;
        assert_eq!(expected_orders(&Shape::Instant { orders: 7 }), Some(7.0));
        assert_eq!(
            expected_orders(&Shape::Spread {
                orders: 7,
                over: s(1)
            }),
            Some(7.0)
        );
        assert_eq!(
            expected_orders(&Shape::Constant {
                rate: 2.5,
                duration: s(3)
            }),
            Some(7.0)
        );
        assert_eq!(
            expected_orders(&Shape::Ramp {
                from: 0.0,
                to: 5.0,
                duration: s(3)
            }),
            Some(7.0)
        );
        assert_eq!(
            expected_orders(&Shape::Poisson {
                rate: 2.5,
                duration: s(3)
            }),
            Some(7.5)
        );
        assert_eq!(
            expected_orders(&Shape::Closed {
                clients: 2,
                duration: s(3)
            }),
            None
        );
    }
}
