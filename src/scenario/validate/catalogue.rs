//! The catalogue: `[catalogue]` (hot and long-tail SKUs) and `[[sku]]` tables.
//!
//! Invariant: SKU ids are unique, at most `MAX_SKUS` are declared, and each
//! SKU's stock plus buffer, and their total over the catalogue, stay within
//! `MAX_UNITS`; SKUs keep declaration order, which is what `SkuIdx` indexes.

use super::text::thousands;
use super::{Result, Validator};
use crate::scenario::error::line_column;
use crate::scenario::model::*;
use crate::scenario::raw::*;
use std::collections::HashMap;
use toml::Spanned;

/// The table that declares SKUs.
#[derive(Clone, Copy)]
enum Decl {
    Hot,
    LongTail,
    /// The `[[sku]]` table of this index.
    Sku(usize),
}

impl Decl {
    /// Its dotted key: `catalogue.hot`, `sku[3]`.
    fn key(self) -> String {
        match self {
            Decl::Hot => "catalogue.hot".into(),
            Decl::LongTail => "catalogue.long_tail".into(),
            Decl::Sku(i) => format!("sku[{i}]"),
        }
    }

    /// The key that gives its SKUs their ids.
    fn id_key(self) -> String {
        match self {
            Decl::Hot => "catalogue.hot.id".into(),
            Decl::LongTail => "catalogue.long_tail.prefix".into(),
            Decl::Sku(i) => format!("sku[{i}].id"),
        }
    }
}

/// Where SKUs were declared, for later messages about them.
struct SkuOrigin {
    decl: Decl,
    /// Offset of its `stock` value.
    at: usize,
    /// Offset of what gives the SKUs their ids.
    id_at: usize,
}

/// The SKUs declared so far, in catalogue order.
///
/// A declaration is stored once for all the SKUs it makes (a long tail of
/// `MAX_SKUS` SKUs holds one `SkuOrigin`, not one per SKU), and ids are
/// checked for duplicates by borrowing them from `skus`, never by copying.
#[derive(Default)]
struct Catalogue {
    skus: Vec<Sku>,
    /// Each declaration with the index of its first SKU, in order.
    origins: Vec<(usize, SkuOrigin)>,
    /// Σ (stock + buffer) over `skus`; at most `MAX_UNITS`.
    total: u64,
}

impl Catalogue {
    /// Starts a declaration: the SKUs added from now on come from `origin`.
    fn declare(&mut self, origin: SkuOrigin) {
        self.origins.push((self.skus.len(), origin));
    }

    /// The declaration SKU `i` comes from.
    fn origin(&self, i: usize) -> &SkuOrigin {
        let after = self.origins.partition_point(|&(start, _)| start <= i);
        &self.origins[after - 1].1
    }

    /// Adds a SKU of the latest declaration.
    fn add(&mut self, v: &Validator, sku: Sku) -> Result<()> {
        if self.skus.len() >= MAX_SKUS {
            let origin = self.origin(self.skus.len());
            return Err(v.loc.at(
                origin.at,
                origin.decl.key(),
                format!(
                    "the catalogue has more than {} SKUs, the limit; use fewer (the memory of a run grows with its SKUs)",
                    thousands(MAX_SKUS as u64)
                ),
            ));
        }
        let units = sku.stock + sku.buffer;
        let (stock, buffer) = (sku.stock, sku.buffer);
        self.skus.push(sku);
        let i = self.skus.len() - 1;
        if units > MAX_UNITS {
            let origin = self.origin(i);
            return Err(v.loc.at(
                origin.at,
                format!("{}.stock", origin.decl.key()),
                format!(
                    "stock {stock} plus buffer {buffer} is above 2^53 - 1 = {MAX_UNITS}: Redis Lua numbers are doubles, which hold integers exactly only up to there; lower one of them"
                ),
            ));
        }
        match self.total.checked_add(units).filter(|&t| t <= MAX_UNITS) {
            Some(total) => self.total = total,
            None => {
                let origin = self.origin(i);
                return Err(v.loc.at(
                    origin.at,
                    format!("{}.stock", origin.decl.key()),
                    format!(
                        "stock plus buffer over the whole catalogue passes 2^53 - 1 = {MAX_UNITS} at SKU {:?} (number {} of the catalogue): totals over all SKUs must stay exact as doubles (Redis Lua) and as JSON numbers in the report, like the units of one SKU; lower stock or buffer, or use fewer SKUs",
                        self.skus[i].id,
                        i + 1
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Fails on the first SKU, in catalogue order, whose id an earlier SKU has.
    fn unique_ids(&self, v: &Validator) -> Result<()> {
        let mut seen: HashMap<&str, usize> = HashMap::with_capacity(self.skus.len());
        for (i, sku) in self.skus.iter().enumerate() {
            if let Some(first) = seen.insert(sku.id.as_str(), i) {
                let (first, origin) = (self.origin(first), self.origin(i));
                let (line, _) = line_column(v.loc.text, first.id_at);
                return Err(v.loc.at(
                    origin.id_at,
                    origin.decl.id_key(),
                    format!(
                        "duplicate SKU id {:?}: `{}` (line {line}) already has it; SKU ids must be unique",
                        sku.id,
                        first.decl.key()
                    ),
                ));
            }
        }
        Ok(())
    }
}

impl Validator<'_> {
    pub(super) fn catalogue(&self, raw: &RawScenario, default_buffer: u64) -> Result<Vec<Sku>> {
        let mut cat = Catalogue::default();
        if let Err(e) = self.declare_skus(raw, default_buffer, &mut cat) {
            // A duplicate among the SKUs added so far comes first: it is
            // checked once, here, rather than as each SKU is added.
            cat.unique_ids(self)?;
            return Err(e);
        }
        cat.unique_ids(self)?;
        if cat.skus.is_empty() {
            return Err(self.loc.at(
                0,
                "catalogue",
                "the catalogue is empty; add `[catalogue]` with `hot` or `long_tail`, or `[[sku]]` tables",
            ));
        }
        if cat.skus.iter().all(|s| s.stock == 0) {
            let first = cat.origin(0);
            return Err(self.loc.at(
                first.at,
                format!("{}.stock", first.decl.key()),
                "zero stock everywhere: every SKU has stock 0, so nothing can be sold; give at least one SKU stock above 0",
            ));
        }
        Ok(cat.skus)
    }

    /// Adds the SKUs of `[catalogue]` and of the `[[sku]]` tables to `cat`,
    /// in catalogue order; ids are checked for duplicates by the caller.
    fn declare_skus(
        &self,
        raw: &RawScenario,
        default_buffer: u64,
        cat: &mut Catalogue,
    ) -> Result<()> {
        if let Some(catalogue) = &raw.catalogue {
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
                cat.declare(SkuOrigin {
                    decl: Decl::Hot,
                    at: stock.span().start,
                    id_at,
                });
                cat.add(self, sku)?;
            }
            if let Some(tail) = &catalogue.long_tail {
                let at = tail.span().start;
                let t = tail.get_ref();
                let Some(count_raw) = &t.count else {
                    return Err(self.loc.at(
                        at,
                        "catalogue.long_tail.count",
                        "missing `count`: say how many long-tail SKUs to generate, e.g. `long_tail = { count = 49, stock = 20 }`",
                    ));
                };
                let count = self.int(
                    count_raw,
                    "catalogue.long_tail.count",
                    1,
                    MAX_SKUS as i64,
                    " (omit `long_tail` for none; the memory of a run grows with its SKUs)",
                )? as usize;
                // The hot SKU comes first: a count within the limit on its
                // own may still take the catalogue past it, and `count` is
                // what to change, so it is refused here rather than at the
                // SKU that would cross.
                if cat.skus.len() + count > MAX_SKUS {
                    return Err(self.loc.span(
                        count_raw.span(),
                        "catalogue.long_tail.count",
                        format!(
                            "`count` is {count}, which with the hot SKU makes {} SKUs, above the limit of {} (the memory of a run grows with its SKUs); lower it to {}",
                            thousands((cat.skus.len() + count) as u64),
                            thousands(MAX_SKUS as u64),
                            MAX_SKUS - cat.skus.len()
                        ),
                    ));
                }
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
                cat.declare(SkuOrigin {
                    decl: Decl::LongTail,
                    at: stock_raw.span().start,
                    id_at: prefix_at,
                });
                cat.skus.reserve(count);
                for n in 1..=count {
                    let sku = Sku {
                        id: format!("{prefix}{n:0width$}"),
                        stock,
                        buffer,
                    };
                    cat.add(self, sku)?;
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
            cat.declare(SkuOrigin {
                decl: Decl::Sku(i),
                at: stock.span().start,
                id_at: id.span().start,
            });
            cat.add(self, sku)?;
        }

        Ok(())
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
