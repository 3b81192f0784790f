//! `[[event]]` tables: restocks, stock corrections and refunds at a time
//! of the run.
//!
//! Invariant: an event carries only the keys of its kind, happens within
//! `MAX_PHASE_END` of `t0`, names SKUs of the catalogue, and restocks never
//! take the units of the catalogue past `MAX_UNITS`; the events come out
//! sorted by `at`, ties in file order.

use super::phases::PHASE_END_WHY;
use super::text::quoted_list;
use super::{Result, Validator};
use crate::scenario::checkout::{Event, EventAction};
use crate::scenario::model::*;
use crate::scenario::raw::RawEvent;
use std::collections::HashMap;
use toml::Spanned;

/// The event kinds, in the order the documentation lists them.
const EVENT_KINDS: [&str; 3] = ["restock", "correction", "refund"];
/// Most orders one refund event cancels.
const MAX_REFUND_ORDERS: i64 = 1_000_000;

impl Validator<'_> {
    pub(super) fn events(&self, raw: &[Spanned<RawEvent>], skus: &[Sku]) -> Result<Vec<Event>> {
        let ids: HashMap<&str, SkuIdx> = skus
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i as SkuIdx))
            .collect();
        // Units on sale so far: the catalogue's, then each restock's.
        let mut on_sale = skus
            .iter()
            .fold(0u64, |sum, s| sum.saturating_add(s.stock + s.buffer));
        let mut events = Vec::with_capacity(raw.len());
        for (i, e) in raw.iter().enumerate() {
            let key = format!("event[{i}]");
            let event = self.event(&key, e, skus, &ids)?;
            if let EventAction::Restock { units, .. } = event.action {
                on_sale = on_sale.saturating_add(units);
                if on_sale > MAX_UNITS {
                    let u = e.get_ref().units.as_ref().expect("a restock has units");
                    return Err(self.loc.span(
                        u.span(),
                        format!("{key}.units"),
                        format!(
                            "this restock brings the units on sale (stock and buffer of the catalogue plus every restock so far) above 2^53 - 1 = {MAX_UNITS}: Redis Lua numbers are doubles, which hold integers exactly only up to there; lower it"
                        ),
                    ));
                }
            }
            events.push(event);
        }
        // Stable: events at the same time keep their order in the file.
        events.sort_by_key(|e| e.at);
        Ok(events)
    }

    fn event(
        &self,
        key: &str,
        raw: &Spanned<RawEvent>,
        skus: &[Sku],
        ids: &HashMap<&str, SkuIdx>,
    ) -> Result<Event> {
        let table_at = raw.span().start;
        let e = raw.get_ref();
        let Some(kind_raw) = &e.kind else {
            return Err(self.missing(
                table_at,
                &format!("{key}.kind"),
                format!(
                    "missing `kind`: every [[event]] needs one of {}",
                    quoted_list(&EVENT_KINDS)
                ),
            ));
        };
        let kind = kind_raw.get_ref().as_str();
        let (takes, described): (&[&str], &str) = match kind {
            "restock" | "correction" => (&["sku", "units"], "`sku` and `units`"),
            "refund" => (&["orders", "sku"], "`orders` and an optional `sku`"),
            _ => {
                return Err(self.loc.span(
                    kind_raw.span(),
                    format!("{key}.kind"),
                    format!(
                        "unknown event kind {kind:?}; expected one of {}",
                        quoted_list(&EVENT_KINDS)
                    ),
                ))
            }
        };
        let present = [
            ("units", e.units.as_ref().map(|v| v.span().start)),
            ("orders", e.orders.as_ref().map(|v| v.span().start)),
        ];
        for (k, at) in present {
            if let (Some(at), false) = (at, takes.contains(&k)) {
                return Err(self.loc.key_of(
                    at,
                    format!("{key}.{k}"),
                    format!(
                        "`{k}` does not apply to kind = {kind:?}, which takes {described}, besides `at` and `kind`"
                    ),
                ));
            }
        }
        let Some(at_raw) = &e.at else {
            return Err(self.missing(
                table_at,
                &format!("{key}.at"),
                "missing `at`: say when the event happens, as an offset from t0, e.g. `at = \"3s\"`"
                    .into(),
            ));
        };
        let at =
            self.capped_duration(at_raw, &format!("{key}.at"), MAX_PHASE_END, PHASE_END_WHY)?;
        let sku = match &e.sku {
            None => None,
            Some(s) => Some(self.known_sku(
                s.get_ref(),
                s.span().start,
                &format!("{key}.sku"),
                skus,
                ids,
            )?),
        };
        let action = match kind {
            "refund" => {
                let Some(o) = &e.orders else {
                    return Err(self.missing(
                        table_at,
                        &format!("{key}.orders"),
                        "a refund event needs `orders`, how many sold orders to refund; add e.g. `orders = 10` (and `sku` to refund only orders of that SKU)".into(),
                    ));
                };
                let orders = self.int(
                    o,
                    &format!("{key}.orders"),
                    1,
                    MAX_REFUND_ORDERS,
                    " (sold orders to refund)",
                )? as u64;
                EventAction::Refund { sku, orders }
            }
            _ => {
                let Some(sku) = sku else {
                    return Err(self.missing(
                        table_at,
                        &format!("{key}.sku"),
                        format!("a {kind} event needs `sku`, the id of the SKU whose stock it changes; add e.g. `sku = {:?}`", skus[0].id),
                    ));
                };
                let Some(u) = &e.units else {
                    return Err(self.missing(
                        table_at,
                        &format!("{key}.units"),
                        format!("a {kind} event needs `units`, how many units it {}; add e.g. `units = 50`", if kind == "restock" { "adds to stock" } else { "takes off stock" }),
                    ));
                };
                let units = self.event_units(u, &format!("{key}.units"))?;
                if kind == "restock" {
                    EventAction::Restock { sku, units }
                } else {
                    EventAction::Correction { sku, units }
                }
            }
        };
        Ok(Event { at, action })
    }

    /// Units a restock or correction moves: `1..=MAX_UNITS`.
    fn event_units(&self, v: &Spanned<i64>, key: &str) -> Result<u64> {
        let n = *v.get_ref();
        if n < 1 {
            return Err(self.loc.span(
                v.span(),
                key,
                format!("`units` must be at least 1: an event that moves no stock does nothing; got {n}"),
            ));
        }
        self.units(v, key)
    }
}
