//! A phase's workload: which SKUs it hits (`skus`) and how many units each
//! order asks for (`quantity`).
//!
//! Invariant: every SKU named here exists in the catalogue, weights are
//! non-negative with a sum above 0 and within `MAX_UNITS`, quantities are in
//! `1..=MAX_QUANTITY`, and each quantity of a weights table is written once,
//! in plain decimal.

use super::text::{describe_ids, quoted_list, thousands, toml_key};
use super::{Result, Validator};
use crate::scenario::error::line_column;
use crate::scenario::model::*;
use crate::scenario::raw::*;
use std::collections::HashMap;
use toml::Spanned;

const PICKS: [&str; 4] = ["uniform", "one", "zipf", "weights"];

impl Validator<'_> {
    pub(super) fn pick(
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

    pub(super) fn known_sku(
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

    pub(super) fn quantity(&self, key: &str, raw: &Spanned<RawQuantity>) -> Result<Quantity> {
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
                // Quantity → the key that gave it, for duplicates.
                let mut seen: HashMap<u64, &Spanned<String>> = HashMap::new();
                for (units, weight) in &w.get_ref().0 {
                    let k = format!("{key}.weights.{}", toml_key(units.get_ref()));
                    let n = self.quantity_key(units, &k)?;
                    if let Some(first) = seen.insert(n, units) {
                        let (line, _) = line_column(self.loc.text, first.span().start);
                        return Err(self.loc.span(
                            units.span(),
                            k,
                            format!(
                                "{:?} is quantity {n} again: key {:?} (line {line}) already gives it; list each quantity once",
                                units.get_ref(),
                                first.get_ref()
                            ),
                        ));
                    }
                    if *units.get_ref() != n.to_string() {
                        return Err(self.loc.span(
                            units.span(),
                            k,
                            format!(
                                "write the quantity {:?} as \"{n}\": keys of quantity weights are plain decimal, without sign, spaces or leading zeros, so that each quantity has one spelling",
                                units.get_ref()
                            ),
                        ));
                    }
                    let wt = self.weight(weight, &k)?;
                    sum = sum.saturating_add(wt);
                    weights.push((n, wt));
                }
                self.weight_sum(sum, w.span().start, &format!("{key}.weights"))?;
                Ok(Quantity::Weights { weights })
            }
        }
    }

    /// A key of quantity weights: a unit count written as a string. Read
    /// leniently (spaces, `+`, leading zeros) so that the caller can name
    /// the quantity a non-canonical key stands for.
    fn quantity_key(&self, units: &Spanned<String>, key: &str) -> Result<u64> {
        let text = units.get_ref().trim();
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        let unsigned = text.strip_prefix('+').unwrap_or(text);
        let message = if digits(unsigned) {
            let significant = unsigned.trim_start_matches('0');
            match significant.parse::<u64>() {
                _ if significant.is_empty() => format!(
                    "non-positive quantities are not orders: {text:?}; quantities must be at least 1"
                ),
                Ok(n) if n <= MAX_QUANTITY => return Ok(n),
                _ => above_max_quantity(significant),
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
        if n as u64 > MAX_QUANTITY {
            return Err(self
                .loc
                .span(v.span(), key, above_max_quantity(&n.to_string())));
        }
        Ok(n as u64)
    }
}

fn above_max_quantity(n: &str) -> String {
    format!(
        "quantity {n} is above the limit of {} units per order: granted units are counted as orders × quantity, which stays within a u64 (10^9 orders × 10^6 units) even when a backend oversells; lower it",
        thousands(MAX_QUANTITY)
    )
}
