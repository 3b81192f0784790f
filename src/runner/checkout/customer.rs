//! What each order of a checkout run is: its cart and what its customer
//! does after the hold is granted.
//!
//! Invariant: both are drawn from a stream of the order's own (seeded by
//! the scenario's seed and the order id), so they are the same for every
//! backend and whatever order the clients take orders in.

use crate::backend::checkout::Line;
use crate::scenario::{Checkout, Delay};
use crate::traffic::sample::{below, phase_rng, unit};
use crate::traffic::{Order, Workload};
use rand_chacha::ChaCha8Rng;
use std::time::Duration;

/// Streams `0..2^40` belong to the phases; an order's own stream lies above.
const ORDER_STREAMS: u64 = 1 << 40;

/// What the customer does once the hold is granted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fate {
    /// Confirms (pays) this long after the grant.
    Pay(Duration),
    /// Cancels this long after the grant, twice when `twice`.
    Cancel { after: Duration, twice: bool },
    /// Walks away: the hold must lapse.
    Abandon,
}

/// The order's cart (its first line is the scheduled SKU and quantity) and
/// its customer's fate.
pub fn draw(
    seed: u64,
    checkout: &Checkout,
    workload: &Workload,
    order: &Order,
) -> (Vec<Line>, Fate) {
    let mut rng = phase_rng(seed, ORDER_STREAMS + order.id);
    let span = u64::from(checkout.lines.max - checkout.lines.min) + 1;
    let count = u64::from(checkout.lines.min) + below(&mut rng, span);
    let mut lines = vec![Line {
        sku: order.sku,
        qty: order.qty,
    }];
    for _ in 1..count {
        let (sku, qty) = workload.draw_from(&mut rng);
        lines.push(Line { sku, qty });
    }
    let u = unit(&mut rng);
    let fate = if u < checkout.abandon {
        Fate::Abandon
    } else if u < checkout.abandon + checkout.cancel {
        Fate::Cancel {
            after: delay(&mut rng, checkout.cancel_delay),
            twice: unit(&mut rng) < checkout.cancel_twice,
        }
    } else {
        Fate::Pay(delay(&mut rng, checkout.pay_delay))
    };
    (lines, fate)
}

fn delay(rng: &mut ChaCha8Rng, delay: Delay) -> Duration {
    match delay {
        Delay::Fixed(d) => d,
        Delay::Uniform { min, max } => min + (max - min).mul_f64(unit(rng)),
        Delay::LogNormal { median, sigma } => {
            // Box–Muller with `libm`, so the draw is the same on every machine.
            let u1 = 1.0 - unit(rng);
            let u2 = unit(rng);
            let z = libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * std::f64::consts::PI * u2);
            let seconds = median.as_secs_f64() * libm::exp(sigma * z);
            // An hour caps the tail: a customer that slow never pays in time.
            Duration::from_secs_f64(seconds.min(3600.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::LineCount;

    #[test]
    fn log_normal_delays_have_the_median_asked_for() {
        let mut rng = phase_rng(7, ORDER_STREAMS);
        let median = Duration::from_millis(900);
        let mut draws: Vec<Duration> = (0..2001)
            .map(|_| delay(&mut rng, Delay::LogNormal { median, sigma: 0.5 }))
            .collect();
        draws.sort();
        let got = draws[1000].as_secs_f64();
        assert!((got - 0.9).abs() < 0.05, "median {got}");
    }

    #[test]
    fn fates_follow_the_shares() {
        let checkout = Checkout {
            hold_ttl: Some(Duration::from_secs(2)),
            abandon: 0.3,
            cancel: 0.1,
            lines: LineCount { min: 1, max: 3 },
            ..Checkout::default()
        };
        let phase: crate::scenario::Phase = crate::scenario::Phase {
            name: "p".into(),
            at: Duration::ZERO,
            shape: crate::scenario::Shape::Instant { orders: 1 },
            skus: crate::scenario::SkuPick::Uniform,
            quantity: crate::scenario::Quantity::Fixed { units: 1 },
        };
        let workload = Workload::new(&phase, 5, phase_rng(1, 1));
        let mut abandoned = 0;
        let mut lines = 0;
        for id in 0..10_000u64 {
            let order = Order {
                id,
                intended_ns: 0,
                sku: 0,
                qty: 1,
                phase: 0,
            };
            let (cart, fate) = draw(1, &checkout, &workload, &order);
            lines += cart.len();
            abandoned += usize::from(fate == Fate::Abandon);
            assert_eq!(
                draw(1, &checkout, &workload, &order).1,
                fate,
                "the same order, the same fate"
            );
        }
        assert!((2_800..3_200).contains(&abandoned), "{abandoned}");
        assert!(
            (19_000..21_000).contains(&lines),
            "{lines} lines for 10k carts of 1..=3"
        );
    }
}
