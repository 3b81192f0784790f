//! When orders are due: one lazy iterator of intended times per open-loop phase.
//!
//! Invariant: times are non-decreasing nanosecond offsets from `t0`, computed
//! from the phase alone (plus its own seeded stream for Poisson), so phases can
//! be merged in any order with the same result.

use super::sample;
use crate::scenario::{Phase, Shape};
use rand_chacha::ChaCha8Rng;

const NS_PER_S: f64 = 1e9;

pub struct Arrivals {
    start_ns: u64,
    kind: Kind,
    emitted: u64,
}

enum Kind {
    Instant {
        orders: u64,
    },
    Spread {
        orders: u64,
        over_ns: u64,
    },
    Constant {
        rate: f64,
        count: u64,
    },
    Ramp {
        from: f64,
        slope: f64,
        count: u64,
    },
    Poisson {
        rate: f64,
        end_s: f64,
        elapsed_s: f64,
        rng: Box<ChaCha8Rng>,
    },
    Closed,
}

impl Arrivals {
    /// Arrivals of `phase`; `rng` is the phase's own arrival stream.
    pub fn new(phase: &Phase, rng: ChaCha8Rng) -> Self {
        let kind = match phase.shape {
            Shape::Instant { orders } => Kind::Instant { orders },
            Shape::Spread { orders, over } => Kind::Spread {
                orders,
                over_ns: over.as_nanos() as u64,
            },
            Shape::Constant { rate, duration } => Kind::Constant {
                rate,
                count: (rate * duration.as_secs_f64()).floor() as u64,
            },
            Shape::Ramp { from, to, duration } => {
                let d = duration.as_secs_f64();
                Kind::Ramp {
                    from,
                    slope: (to - from) / d,
                    count: ((from + to) / 2.0 * d).floor() as u64,
                }
            }
            Shape::Poisson { rate, duration } => Kind::Poisson {
                rate,
                end_s: duration.as_secs_f64(),
                elapsed_s: 0.0,
                rng: Box::new(rng),
            },
            Shape::Closed { .. } => Kind::Closed,
        };
        Arrivals {
            start_ns: phase.at.as_nanos() as u64,
            kind,
            emitted: 0,
        }
    }

    fn next_offset_ns(&mut self) -> Option<u64> {
        let k = self.emitted;
        let offset = match &mut self.kind {
            Kind::Instant { orders } => (k < *orders).then_some(0)?,
            Kind::Spread { orders, over_ns } => {
                (k < *orders).then(|| (k as u128 * *over_ns as u128 / *orders as u128) as u64)?
            }
            Kind::Constant { rate, count } => {
                (k < *count).then(|| (k as f64 / *rate * NS_PER_S) as u64)?
            }
            Kind::Ramp { from, slope, count } => {
                if k >= *count {
                    return None;
                }
                // The k-th order is due when the integrated rate
                // from·t + slope·t²/2 reaches k.
                let t = if slope.abs() < 1e-12 {
                    k as f64 / *from
                } else {
                    let disc = *from * *from + 2.0 * *slope * k as f64;
                    (libm::sqrt(disc.max(0.0)) - *from) / *slope
                };
                (t * NS_PER_S) as u64
            }
            Kind::Poisson {
                rate,
                end_s,
                elapsed_s,
                rng,
            } => {
                // The first arrival, like every later one, is one exponential gap on.
                *elapsed_s += sample::exponential(rng.as_mut(), *rate);
                if *elapsed_s >= *end_s {
                    return None;
                }
                (*elapsed_s * NS_PER_S) as u64
            }
            Kind::Closed => return None,
        };
        self.emitted += 1;
        Some(offset)
    }
}

impl Iterator for Arrivals {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        self.next_offset_ns().map(|o| self.start_ns + o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Quantity, SkuPick};
    use std::time::Duration;

    fn phase(shape: Shape) -> Phase {
        Phase {
            name: "p".into(),
            at: Duration::from_millis(10),
            shape,
            skus: SkuPick::Uniform,
            quantity: Quantity::Fixed { units: 1 },
        }
    }

    fn times(shape: Shape) -> Vec<u64> {
        Arrivals::new(&phase(shape), sample::phase_rng(7, 0)).collect()
    }

    #[test]
    fn instant_puts_every_order_at_the_offset() {
        let t = times(Shape::Instant { orders: 5 });
        assert_eq!(t, vec![10_000_000; 5]);
    }

    #[test]
    fn spread_is_even_and_inside_the_span() {
        let over = Duration::from_millis(100);
        let t = times(Shape::Spread { orders: 4, over });
        assert_eq!(t, vec![10_000_000, 35_000_000, 60_000_000, 85_000_000]);
    }

    #[test]
    fn constant_rate_counts_exactly() {
        let t = times(Shape::Constant {
            rate: 250.0,
            duration: Duration::from_secs(2),
        });
        assert_eq!(t.len(), 500);
        assert_eq!(t[1] - t[0], 4_000_000);
    }

    #[test]
    fn ramp_counts_and_accelerates() {
        let t = times(Shape::Ramp {
            from: 100.0,
            to: 300.0,
            duration: Duration::from_secs(1),
        });
        assert_eq!(t.len(), 200);
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
        let early = t[1] - t[0];
        let late = t[199] - t[198];
        assert!(early > 2 * late, "early gap {early} late gap {late}");
        assert!(*t.last().unwrap() < 1_010_000_000);
    }

    #[test]
    fn falling_ramp_from_zero_to_rate_and_back() {
        let down = times(Shape::Ramp {
            from: 300.0,
            to: 0.0,
            duration: Duration::from_secs(1),
        });
        assert_eq!(down.len(), 150);
        assert!(down.windows(2).all(|w| w[0] <= w[1]));
        let up = times(Shape::Ramp {
            from: 0.0,
            to: 300.0,
            duration: Duration::from_secs(1),
        });
        assert_eq!(up.len(), 150);
    }

    #[test]
    fn poisson_count_is_near_rate_times_duration() {
        let t = times(Shape::Poisson {
            rate: 1000.0,
            duration: Duration::from_secs(10),
        });
        assert!((9_700..10_300).contains(&t.len()), "{}", t.len());
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
        assert!(*t.last().unwrap() < 10_010_000_000);
    }

    #[test]
    fn closed_loop_has_no_scheduled_arrivals() {
        let t = times(Shape::Closed {
            clients: 4,
            duration: Duration::from_secs(1),
        });
        assert!(t.is_empty());
    }
}
