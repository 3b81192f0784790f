//! The scenario file as written: serde structs that mirror the TOML one to one.
//!
//! Invariant: every scalar keeps its source span (`toml::Spanned`), every
//! table rejects unknown keys, and nothing here checks ranges or cross
//! references — `validate` does, so each of its errors can name a line.
//! Shapes, SKU picks and quantities are flat structs with optional fields;
//! the enums of the model are built from them during validation.

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use toml::Spanned;

/// A duration as written. Kept as a TOML value so that a bare number can be
/// rejected with a hint instead of a type error.
pub type RawDuration = Spanned<toml::Value>;

/// The whole scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: Option<Spanned<String>>,
    pub seed: Option<Spanned<i64>>,
    pub concurrency: Option<Spanned<i64>>,
    pub timeout: Option<RawDuration>,
    pub retries: Option<Spanned<i64>>,
    pub window: Option<RawDuration>,
    pub min_window_orders: Option<Spanned<i64>>,
    pub saturation_limit: Option<RawDuration>,
    pub oversell_buffer: Option<Spanned<i64>>,
    // Not `Spanned`: a table only implied by `[catalogue.hot]` has no span,
    // and toml then cannot fill one in.
    pub catalogue: Option<RawCatalogue>,
    pub sku: Option<Vec<Spanned<RawSku>>>,
    pub phase: Option<Vec<Spanned<RawPhase>>>,
    pub backend: Option<Vec<Spanned<RawBackend>>>,
    pub threshold: Option<Vec<Spanned<RawThreshold>>>,
    /// Not `Spanned`, as `catalogue`: `[checkout.pay_delay]` alone implies it.
    pub checkout: Option<RawCheckout>,
    pub event: Option<Vec<Spanned<RawEvent>>>,
    pub fault: Option<Vec<Spanned<RawFault>>>,
}

/// `[checkout]`: holds, what the customer does next, retries after a
/// timeout, cart size. Probabilities are read as numbers so `0` and `1` pass.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCheckout {
    pub hold_ttl: Option<RawDuration>,
    pub hold_grace: Option<RawDuration>,
    pub pay_delay: Option<Spanned<RawDelay>>,
    pub abandon: Option<Spanned<f64>>,
    pub cancel: Option<Spanned<f64>>,
    pub cancel_delay: Option<Spanned<RawDelay>>,
    pub cancel_twice: Option<Spanned<f64>>,
    pub after_expiry: Option<Spanned<String>>,
    pub timeout_retries: Option<Spanned<i64>>,
    pub idempotency: Option<Spanned<bool>>,
    pub lines: Option<Spanned<RawLines>>,
}

/// A delay table: exactly one of `fixed`, `median`/`sigma`, `min`/`max`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDelay {
    pub fixed: Option<RawDuration>,
    pub median: Option<RawDuration>,
    pub sigma: Option<Spanned<f64>>,
    pub min: Option<RawDuration>,
    pub max: Option<RawDuration>,
}

/// `lines = { min = 1, max = 3 }` of `[checkout]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLines {
    pub min: Option<Spanned<i64>>,
    pub max: Option<Spanned<i64>>,
}

/// One `[[event]]` table. `units` applies to restock and correction,
/// `orders` to refund; validation rejects the other.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    pub at: Option<RawDuration>,
    pub kind: Option<Spanned<String>>,
    pub sku: Option<Spanned<String>>,
    pub units: Option<Spanned<i64>>,
    pub orders: Option<Spanned<i64>>,
}

/// One `[[fault]]` table. `duration`, `latency` and `jitter` apply to
/// `kind = "latency"`; validation rejects them on other kinds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFault {
    pub name: Option<Spanned<String>>,
    pub kind: Option<Spanned<String>>,
    pub at: Option<RawDuration>,
    pub duration: Option<RawDuration>,
    pub latency: Option<RawDuration>,
    pub jitter: Option<RawDuration>,
    pub backends: Option<Spanned<Vec<Spanned<String>>>>,
}

/// One `[[threshold]]` table: checks on the backends `backends` selects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThreshold {
    pub backends: Option<Spanned<String>>,
    pub checks: Option<Spanned<Vec<Spanned<String>>>>,
    /// A share: `"1%"` or a fraction.
    pub max_failed: Option<Spanned<toml::Value>>,
}

/// `[catalogue]`: generated SKUs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCatalogue {
    pub hot: Option<Spanned<RawHot>>,
    pub long_tail: Option<Spanned<RawLongTail>>,
}

/// `catalogue.hot`: the one SKU everybody wants.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHot {
    pub id: Option<Spanned<String>>,
    pub stock: Option<Spanned<i64>>,
    pub buffer: Option<Spanned<i64>>,
}

/// `catalogue.long_tail`: `count` SKUs with the same stock.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLongTail {
    pub count: Option<Spanned<i64>>,
    pub stock: Option<Spanned<i64>>,
    pub prefix: Option<Spanned<String>>,
    pub buffer: Option<Spanned<i64>>,
}

/// One `[[sku]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSku {
    pub id: Option<Spanned<String>>,
    pub stock: Option<Spanned<i64>>,
    pub buffer: Option<Spanned<i64>>,
}

/// One `[[phase]]` table. The shape keys (`orders` … `clients`) that apply
/// depend on `kind`; validation rejects the others.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhase {
    pub name: Option<Spanned<String>>,
    pub kind: Option<Spanned<String>>,
    pub at: Option<RawDuration>,
    pub orders: Option<Spanned<i64>>,
    pub over: Option<RawDuration>,
    pub rate: Option<Spanned<f64>>,
    pub duration: Option<RawDuration>,
    pub from: Option<Spanned<f64>>,
    pub to: Option<Spanned<f64>>,
    pub clients: Option<Spanned<i64>>,
    pub skus: Option<Spanned<RawPick>>,
    pub quantity: Option<Spanned<RawQuantity>>,
}

/// `skus = { pick = … }` of a phase.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPick {
    pub pick: Option<Spanned<String>>,
    pub sku: Option<Spanned<String>>,
    pub exponent: Option<Spanned<f64>>,
    pub weights: Option<Spanned<Entries<Spanned<i64>>>>,
}

/// `quantity = { … }` of a phase: exactly one of `fixed`, `min`/`max`, `weights`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuantity {
    pub fixed: Option<Spanned<i64>>,
    pub min: Option<Spanned<i64>>,
    pub max: Option<Spanned<i64>>,
    pub weights: Option<Spanned<Entries<Spanned<i64>>>>,
}

/// One `[[backend]]` table. Options apply to the kinds that list them in
/// `BackendKind::supported_options`; validation rejects the others.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBackend {
    pub kind: Option<Spanned<String>>,
    pub name: Option<Spanned<String>>,
    pub rtt: Option<RawDuration>,
    pub late_replies: Option<Spanned<f64>>,
    pub late_reply: Option<RawDuration>,
    pub pool: Option<Spanned<i64>>,
    pub busy_timeout: Option<RawDuration>,
    pub url: Option<Spanned<String>>,
    pub isolation: Option<Spanned<String>>,
    pub buckets: Option<Spanned<i64>>,
    pub batch_size: Option<Spanned<i64>>,
    pub batch_wait: Option<RawDuration>,
    pub schema: Option<Spanned<String>>,
    pub reset: Option<Spanned<String>>,
    pub reserve: Option<Spanned<String>>,
    pub snapshot: Option<Spanned<String>>,
    pub connection: Option<Spanned<String>>,
    pub keys: Option<Spanned<Vec<Spanned<String>>>>,
    pub order_ids: Option<Spanned<bool>>,
    pub server: Option<Spanned<String>>,
    pub persistence: Option<Spanned<String>>,
}

/// A table read as key/value pairs in the order they are written, each key
/// with its span.
#[derive(Debug)]
pub struct Entries<V>(pub Vec<(Spanned<String>, V)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<V>(std::marker::PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
            type Value = Entries<V>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of weights such as `{ HOT = 5, \"SKU-01\" = 1 }`")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry()? {
                    entries.push((key, value));
                }
                Ok(Entries(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_keep_written_order_and_key_spans() {
        let text = "skus = { pick = \"weights\", weights = { z = 1, \"SKU-01\" = 2, a = 3 } }\n";
        #[derive(Deserialize)]
        struct Doc {
            skus: RawPick,
        }
        let doc: Doc = toml::from_str(text).unwrap();
        let weights = doc.skus.weights.unwrap().into_inner().0;
        let keys: Vec<&str> = weights.iter().map(|(k, _)| k.get_ref().as_str()).collect();
        assert_eq!(keys, ["z", "SKU-01", "a"]);
        assert_eq!(&text[weights[1].0.span()], "\"SKU-01\"");
        assert_eq!(*weights[2].1.get_ref(), 3);
    }

    #[test]
    fn integers_are_accepted_as_rates() {
        let raw: RawPhase = toml::from_str("kind = \"constant\"\nrate = 300\n").unwrap();
        assert_eq!(*raw.rate.unwrap().get_ref(), 300.0);
    }
}
