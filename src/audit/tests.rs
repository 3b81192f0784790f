use super::*;
use proptest::prelude::*;

fn totals(
    stock: u64,
    buffer: u64,
    committed: u64,
    unknown: u64,
    refused: &[(u64, u64)],
) -> SkuTotals {
    SkuTotals {
        stock,
        buffer,
        committed,
        unknown,
        unknown_orders: if unknown > 0 { 1 } else { 0 },
        peak_over: committed.saturating_sub(stock + buffer),
        refused: refused.to_vec(),
    }
}

#[test]
fn exact_sale_scores_zero_everywhere() {
    let a = audit_sku(&totals(100, 0, 100, 0, &[(1, 900)]), 100, None);
    assert_eq!(
        a,
        SkuAudit {
            committed: 100,
            ..SkuAudit::default()
        }
    );
}

#[test]
fn oversell_beyond_the_buffer_and_within_it() {
    // 10 stock, 2 buffer, 15 granted: 3 units past the buffer, 2 inside it.
    let a = audit_sku(&totals(10, 2, 15, 0, &[]), 15, None);
    assert_eq!(a.oversold, 3);
    assert_eq!(a.within_buffer, 2);
    assert_eq!(a.peak_overcommit, 3);
}

#[test]
fn lost_updates_are_grants_the_final_state_does_not_show() {
    // The naive race: 130 units granted, the row shows 100.
    let a = audit_sku(&totals(100, 0, 130, 0, &[]), 100, None);
    assert_eq!(a.oversold, 30);
    assert_eq!(a.lost_updates, 30);
    assert_eq!(a.phantom, 0);
}

#[test]
fn unknowns_bound_oversell_from_above_and_phantoms_from_below() {
    // 98 granted, 3 units unknown against 100 in stock.
    let t = totals(100, 0, 98, 3, &[]);
    let a = audit_sku(&t, 100, None);
    assert_eq!(a.oversold, 0);
    assert_eq!(a.oversold_possible, 1);
    assert_eq!(a.phantom, 0, "R = 100 is explained by the unknowns");
    assert_eq!(a.unknowns_unresolved, 1);
    // Without stored ids, R alone settles nothing: a lost update can hide
    // an unknown that took effect.
    assert_eq!(audit_sku(&t, 98, None).unknowns_unresolved, 1);
    assert_eq!(audit_sku(&t, 101, None).unknowns_unresolved, 1);
    assert_eq!(audit_sku(&t, 105, None).phantom, 4);
}

fn stored(stored_units: u64, orders: u64, units: u64) -> SkuResolution {
    SkuResolution {
        stored_units,
        took_effect_orders: orders,
        took_effect_units: units,
    }
}

#[test]
fn stored_ids_that_add_up_to_r_settle_every_unknown_exactly() {
    // 98 granted and one unknown order of 3 units, against 100 in stock.
    let t = totals(100, 0, 98, 3, &[]);
    // Its id was stored: it took effect, and the 101 units are 1 oversold.
    let took = audit_sku(&t, 101, Some(&stored(101, 1, 3)));
    assert_eq!(
        (took.unknowns_resolved_granted, took.unknowns_unresolved),
        (1, 0)
    );
    assert_eq!((took.oversold, took.oversold_possible), (1, 1));
    assert_eq!((took.lost_updates, took.phantom), (0, 0));
    // Settled, its units join C and leave U.
    assert_eq!((took.committed, took.unknown), (101, 0));
    // Not stored: it took nothing, and nothing is oversold, even at most.
    let not = audit_sku(&t, 98, Some(&stored(98, 0, 0)));
    assert_eq!((not.unknowns_resolved_not, not.unknowns_unresolved), (1, 0));
    assert_eq!((not.oversold, not.oversold_possible), (0, 0));
    assert_eq!((not.committed, not.unknown), (98, 0));
    // Stored, but the stock row does not show it: a lost update, exactly.
    let lost = audit_sku(&t, 98, Some(&stored(101, 1, 3)));
    assert_eq!(
        lost.unknowns_unresolved, 1,
        "ids that disagree with R settle nothing"
    );
    assert_eq!(lost.oversold_possible, 1, "the bound stands");
    assert_eq!(
        (lost.committed, lost.unknown),
        (98, 3),
        "as the harness was told"
    );
}

#[test]
fn ids_that_disagree_with_r_are_counted_per_sku() {
    let t = [totals(5, 0, 5, 0, &[]), totals(5, 0, 4, 1, &[])];
    let ids = Resolution::Stored(vec![stored(5, 0, 0), stored(4, 0, 0)]);
    assert_eq!(audit(&t, &[5, 4], &ids).ids, IdCheck::Exact);
    assert_eq!(audit(&t, &[5, 5], &ids).ids, IdCheck::Disagree(1));
    assert_eq!(
        audit(&t, &[5, 5], &Resolution::NotStored).ids,
        IdCheck::NotStored
    );
}

#[test]
fn resolutions_count_only_the_unknowns_the_ledger_recorded() {
    use crate::backend::{StoredIds, StoredOrders, UnknownOrder};
    let unknown = [
        UnknownOrder {
            id: 7,
            sku: 0,
            qty: 2,
        },
        UnknownOrder {
            id: 8,
            sku: 1,
            qty: 1,
        },
        UnknownOrder {
            id: 9,
            sku: 1,
            qty: 4,
        },
    ];
    let from_backend = StoredOrders {
        units: vec![12, 4],
        // 99 was never unknown: it changes no resolution.
        found: vec![9, 99, 7],
    };
    let Resolution::Stored(skus) = resolutions(2, &unknown, &StoredIds::Stored(from_backend))
    else {
        panic!("ids were stored");
    };
    assert_eq!(skus, vec![stored(12, 1, 2), stored(4, 1, 4)]);
    let not = resolutions(2, &unknown, &StoredIds::NotStored);
    assert_eq!(not, Resolution::NotStored);
    assert_eq!(resolutions(2, &unknown, &StoredIds::Lost), Resolution::Lost);
}

#[test]
fn multi_unit_refusals_count_as_undersold_only_when_stock_covered_them() {
    // 10 stock, 7 granted: 3 free. Refused: 2 orders of 2 (covered), 1 of 5 (not).
    let a = audit_sku(&totals(10, 0, 7, 0, &[(2, 2), (5, 1)]), 7, None);
    assert_eq!(a.wrongly_refused, 2);
    // Stranded stock is capped by what was free: min(3, 2·2).
    assert_eq!(a.undersold, 3);
}

#[test]
fn audit_sums_over_skus() {
    let t = [
        totals(5, 0, 7, 0, &[]),
        totals(5, 0, 5, 0, &[(1, 3)]),
        totals(5, 0, 2, 0, &[(1, 1)]),
    ];
    let a = audit(&t, &[6, 5, 2], &Resolution::NotStored);
    assert_eq!(a.stock, 15);
    assert_eq!(a.granted, 14);
    assert_eq!(a.total.oversold, 2);
    assert_eq!(a.total.lost_updates, 1);
    assert_eq!(a.total.wrongly_refused, 1);
    assert_eq!(a.total.undersold, 1);
}

proptest! {
    #[test]
    fn oversold_is_bounded_by_possible_and_granted(
        stock in 0u64..1000, buffer in 0u64..50, committed in 0u64..2000,
        unknown in 0u64..50, reserved in 0u64..2000,
    ) {
        let a = audit_sku(&totals(stock, buffer, committed, unknown, &[]), reserved, None);
        prop_assert!(a.oversold <= a.oversold_possible);
        prop_assert!(a.oversold <= committed);
        prop_assert!(a.within_buffer <= buffer);
        prop_assert_eq!(a.oversold + a.within_buffer, committed.saturating_sub(stock).min(committed));
        prop_assert!(a.lost_updates == 0 || a.phantom == 0, "R cannot be both below C and above C + U");
    }
}
