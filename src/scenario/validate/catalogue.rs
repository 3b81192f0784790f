//! The catalogue: `[catalogue]` (hot and long-tail SKUs) and `[[sku]]` tables.
//!
//! Invariant: SKU ids are unique, at most `MAX_SKUS` are declared, and each
//! SKU's stock plus buffer stays within `MAX_UNITS`; SKUs keep declaration
//! order, which is what `SkuIdx` indexes.

use super::{Result, Validator};
use crate::scenario::error::line_column;
use crate::scenario::model::*;
use crate::scenario::raw::*;
use std::collections::HashMap;
use toml::Spanned;

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
    pub(super) fn catalogue(&self, raw: &RawScenario, default_buffer: u64) -> Result<Vec<Sku>> {
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
}
