//! The knee of a sweep: the first point where more load stops buying
//! throughput and starts costing latency.
//!
//! Definition (README.md, "Sweeps"): walking the measured points in
//! ascending order, the knee is the first point whose throughput grew by
//! less than 10% over the previous measured point while its p99 latency at
//! least doubled. Points that did not run (skipped, failed, aborted) are
//! left out before the walk, so the comparison is always between two
//! measured points; a point after a zero throughput or a zero p99 cannot be
//! a knee (neither growth nor doubling means anything from zero).

/// Growth in throughput below this factor counts as "stopped growing".
pub const GROWTH: f64 = 1.10;
/// p99 at least this factor of the previous point counts as "doubled".
pub const LATENCY: f64 = 2.0;

/// One measured point: where it sits on the axis and what it measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    pub point: f64,
    pub throughput_per_s: f64,
    pub p99_us: f64,
}

/// The knee, with the two figures that put it there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Knee {
    /// The knee point's value on the axis.
    pub point: f64,
    /// The previous measured point it was compared with.
    pub previous: f64,
    /// Throughput at the knee ÷ throughput at the previous point.
    pub throughput_ratio: f64,
    /// p99 at the knee ÷ p99 at the previous point.
    pub p99_ratio: f64,
}

/// The knee of `points` (measured points only, in any order), or `None`.
pub fn find(points: &[Measured]) -> Option<Knee> {
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.point.total_cmp(&b.point));
    sorted.windows(2).find_map(|w| {
        let (prev, cur) = (w[0], w[1]);
        if prev.throughput_per_s <= 0.0 || prev.p99_us <= 0.0 {
            return None;
        }
        let throughput_ratio = cur.throughput_per_s / prev.throughput_per_s;
        let p99_ratio = cur.p99_us / prev.p99_us;
        (throughput_ratio < GROWTH && p99_ratio >= LATENCY).then_some(Knee {
            point: cur.point,
            previous: prev.point,
            throughput_ratio,
            p99_ratio,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(point: f64, throughput_per_s: f64, p99_us: f64) -> Measured {
        Measured {
            point,
            throughput_per_s,
            p99_us,
        }
    }

    #[test]
    fn the_knee_is_the_first_flat_throughput_with_doubled_p99() {
        let points = [
            m(1.0, 1000.0, 100.0),
            m(4.0, 3900.0, 110.0),
            m(16.0, 4200.0, 400.0),  // +7.7%, ×3.6: the knee
            m(64.0, 4300.0, 1600.0), // also flat and slow, but later
        ];
        let k = find(&points).unwrap();
        assert_eq!((k.point, k.previous), (16.0, 4.0));
        assert!((k.throughput_ratio - 4200.0 / 3900.0).abs() < 1e-12);
        assert!((k.p99_ratio - 400.0 / 110.0).abs() < 1e-12);
    }

    #[test]
    fn both_conditions_are_needed_and_the_bounds_are_exact() {
        // Throughput flat, p99 only ×1.9: no knee.
        assert_eq!(find(&[m(1.0, 100.0, 10.0), m(2.0, 100.0, 19.0)]), None);
        // p99 ×4, but throughput grew by 50%: no knee.
        assert_eq!(find(&[m(1.0, 100.0, 10.0), m(2.0, 150.0, 40.0)]), None);
        // Exactly +10% is growth; exactly ×2 is doubling.
        assert_eq!(find(&[m(1.0, 100.0, 10.0), m(2.0, 110.0, 40.0)]), None);
        let k = find(&[m(1.0, 100.0, 10.0), m(2.0, 109.9, 20.0)]).unwrap();
        assert_eq!(k.point, 2.0);
        // Falling throughput with doubled latency is a knee too.
        assert!(find(&[m(1.0, 100.0, 10.0), m(2.0, 60.0, 30.0)]).is_some());
    }

    #[test]
    fn order_of_input_does_not_matter_and_few_points_have_no_knee() {
        let k = find(&[m(8.0, 100.0, 50.0), m(4.0, 100.0, 10.0)]).unwrap();
        assert_eq!((k.point, k.previous), (8.0, 4.0));
        assert_eq!(find(&[]), None);
        assert_eq!(find(&[m(1.0, 100.0, 10.0)]), None);
    }

    #[test]
    fn zeros_cannot_make_a_knee() {
        assert_eq!(find(&[m(1.0, 0.0, 10.0), m(2.0, 0.0, 50.0)]), None);
        assert_eq!(find(&[m(1.0, 100.0, 0.0), m(2.0, 100.0, 50.0)]), None);
    }
}
