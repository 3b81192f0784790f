//! What each order asks for: which SKU and how many units.
//!
//! Invariant: draws come only from the phase's own workload stream, so a
//! phase's orders are the same whatever the other phases do.

use super::sample::{below, WeightedIndex, Zipf};
use crate::scenario::{Phase, Quantity, SkuIdx, SkuPick};
use rand::RngCore;
use rand_chacha::ChaCha8Rng;

pub struct Workload {
    rng: ChaCha8Rng,
    pick: Pick,
    quantity: Qty,
}

enum Pick {
    Uniform(u64),
    One(SkuIdx),
    Weights(Vec<SkuIdx>, WeightedIndex),
    Zipf(Zipf),
}

enum Qty {
    Fixed(u64),
    Uniform { min: u64, span: u64 },
    Weights(Vec<u64>, WeightedIndex),
}

impl Workload {
    pub fn new(phase: &Phase, sku_count: usize, rng: ChaCha8Rng) -> Self {
        let pick = match &phase.skus {
            SkuPick::Uniform => Pick::Uniform(sku_count as u64),
            SkuPick::One { sku } => Pick::One(*sku),
            SkuPick::Weights { weights } => Pick::Weights(
                weights.iter().map(|(s, _)| *s).collect(),
                WeightedIndex::new(weights.iter().map(|(_, w)| *w)),
            ),
            SkuPick::Zipf { exponent } => Pick::Zipf(Zipf::new(sku_count, *exponent)),
        };
        let quantity = match &phase.quantity {
            Quantity::Fixed { units } => Qty::Fixed(*units),
            Quantity::Uniform { min, max } => Qty::Uniform {
                min: *min,
                span: max - min + 1,
            },
            Quantity::Weights { weights } => Qty::Weights(
                weights.iter().map(|(q, _)| *q).collect(),
                WeightedIndex::new(weights.iter().map(|(_, w)| *w)),
            ),
        };
        Workload {
            rng,
            pick,
            quantity,
        }
    }

    /// The next order's SKU and quantity.
    pub fn draw(&mut self) -> (SkuIdx, u64) {
        let Workload {
            rng,
            pick,
            quantity,
        } = self;
        draw(pick, quantity, rng)
    }

    /// A SKU and quantity from another stream (a cart's further lines),
    /// leaving the phase's own stream untouched.
    pub fn draw_from(&self, rng: &mut impl RngCore) -> (SkuIdx, u64) {
        draw(&self.pick, &self.quantity, rng)
    }
}

fn draw(pick: &Pick, quantity: &Qty, rng: &mut impl RngCore) -> (SkuIdx, u64) {
    let sku = match pick {
        Pick::Uniform(n) => below(rng, *n) as SkuIdx,
        Pick::One(s) => *s,
        Pick::Weights(skus, w) => skus[w.sample(rng)],
        Pick::Zipf(z) => z.sample(rng) as SkuIdx,
    };
    let qty = match quantity {
        Qty::Fixed(q) => *q,
        Qty::Uniform { min, span } => min + below(rng, *span),
        Qty::Weights(qs, w) => qs[w.sample(rng)],
    };
    (sku, qty)
}
