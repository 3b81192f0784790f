//! First-fit in arrival order: the rule every batching backend grants by.
//!
//! Within one batch, orders are taken in the order they arrived; each is
//! granted if it fits what is still free after the ones granted before it,
//! and refused otherwise — a refused order does not stop a later, smaller
//! one from being granted. So a batch never grants more than was free, and
//! it grants exactly what serving the same orders one at a time, in the same
//! order, would have granted.

/// Which of `quantities` (in arrival order) fit into `free`, and the units
/// granted in all.
pub fn first_fit(free: u64, quantities: &[u64]) -> (Vec<bool>, u64) {
    let mut left = free;
    let granted = quantities
        .iter()
        .map(|&qty| {
            let fits = qty <= left;
            if fits {
                left -= qty;
            }
            fits
        })
        .collect();
    (granted, free - left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_in_arrival_order_until_stock_runs_short() {
        assert_eq!(
            first_fit(3, &[1, 1, 1, 1]),
            (vec![true, true, true, false], 3)
        );
    }

    #[test]
    fn a_refused_order_does_not_block_a_later_smaller_one() {
        assert_eq!(first_fit(3, &[2, 2, 1]), (vec![true, false, true], 3));
    }

    #[test]
    fn nothing_free_grants_nothing() {
        assert_eq!(first_fit(0, &[1, 2]), (vec![false, false], 0));
    }

    #[test]
    fn never_grants_more_than_was_free() {
        for free in 0..20 {
            let quantities = [3, 1, 4, 1, 5, 9, 2, 6];
            let (granted, total) = first_fit(free, &quantities);
            let sum: u64 = quantities
                .iter()
                .zip(&granted)
                .filter(|(_, &g)| g)
                .map(|(q, _)| q)
                .sum();
            assert_eq!(sum, total);
            assert!(total <= free);
        }
    }
}
