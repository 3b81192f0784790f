use super::*;
use crate::backend::checkout::Line;

fn ledger(stock: u64) -> CheckoutLedger {
    let grid = WindowGrid {
        window_ns: 1_000_000,
        count: 10,
    };
    CheckoutLedger::new(
        &[Sku {
            id: "A".into(),
            stock,
            buffer: 0,
        }],
        grid,
    )
}

fn take(
    l: &CheckoutLedger,
    id: u64,
    qty: u64,
    sent_us: u64,
    ttl: Option<u64>,
    reply: Reply,
) -> u64 {
    let lines = [Line { sku: 0, qty }];
    l.take_sent(&lines);
    l.take_answered(&TakeAnswer {
        order_id: id,
        key: id,
        lines: &lines,
        reply,
        sent_us,
        expires_us: ttl.map(|t| sent_us + t),
        intended_ns: sent_us * 1_000,
        acknowledged_ns: sent_us * 1_000,
    })
    .oversold_units
}

#[test]
fn a_hold_leaves_committed_at_its_deadline() {
    let l = ledger(2);
    assert_eq!(take(&l, 1, 2, 0, Some(1_000), Reply::Granted), 0);
    // Refused while the hold was live: not undersell, but counted as held.
    take(&l, 2, 1, 500, None, Reply::SoldOut);
    assert_eq!(
        take(&l, 3, 2, 1_000, None, Reply::Granted),
        0,
        "the hold lapsed at 1000"
    );
    l.advance(5_000);
    let t = l.totals();
    assert_eq!(t.skus[0].committed, 2);
    assert!(t.skus[0].refused.is_empty(), "{:?}", t.skus[0].refused);
    assert_eq!((t.holds.created, t.holds.expired), (1, 1));
    assert_eq!(t.sold_out_while_held, 1);
    assert_eq!(t.holds.stranded_unit_us, 2 * 1_000);
}

#[test]
fn a_grant_on_stock_still_held_is_oversold() {
    let l = ledger(2);
    take(&l, 1, 2, 0, Some(1_000), Reply::Granted);
    assert_eq!(take(&l, 2, 2, 999, None, Reply::Granted), 2);
    l.advance(2_000);
    let t = l.totals();
    assert_eq!(
        t.skus[0].peak_over, 2,
        "promises broken even though the hold lapsed"
    );
    assert_eq!(t.skus[0].committed, 2);
}

#[test]
fn a_late_confirmation_sold_as_if_live_is_counted_and_recommits() {
    let l = ledger(2);
    take(&l, 1, 2, 0, Some(1_000), Reply::Granted);
    take(&l, 2, 2, 1_100, None, Reply::Granted);
    l.confirm_answered(1, 1_500, Confirmed::Sold);
    let t = l.totals();
    assert_eq!(t.holds.confirmed_after_expiry, 1);
    assert_eq!(t.skus[0].committed, 4, "both sales stand");
    assert_eq!(t.skus[0].peak_over, 2);
}

#[test]
fn a_second_release_that_gives_units_back_is_a_double_release() {
    let l = ledger(2);
    take(&l, 1, 2, 0, Some(1_000), Reply::Granted);
    let live = l.release_sent(1, 100);
    assert!(live);
    l.release_answered(1, live, Released::Released, 105);
    let again = l.release_sent(1, 110);
    assert!(!again);
    l.release_answered(1, again, Released::Released, 115);
    let t = l.totals();
    assert_eq!((t.holds.cancelled, t.holds.double_releases), (1, 1));
    assert_eq!(t.skus[0].committed, 0);
}

#[test]
fn a_failed_release_leaves_the_hold_to_lapse() {
    let l = ledger(2);
    take(&l, 1, 2, 0, Some(1_000), Reply::Granted);
    let live = l.release_sent(1, 100);
    l.release_answered(1, live, Released::Error, 105);
    assert_eq!(take(&l, 2, 1, 500, None, Reply::Granted), 1, "still held");
    l.advance(1_000);
    let h = l.totals().holds;
    assert_eq!(h.expired, 1);
    assert_eq!(
        h.stranded_unit_us,
        2 * 1_000,
        "counted once, at the deadline"
    );
}

#[test]
fn a_correction_below_what_was_promised_is_not_the_backends_overcommitment() {
    let l = ledger(5);
    assert_eq!(take(&l, 1, 4, 0, None, Reply::Granted), 0);
    // A take of 1 in flight while a correction of -3 is sent and answered.
    let lines = [Line { sku: 0, qty: 1 }];
    l.take_sent(&lines);
    let moved = l.adjust_sent(0, -3);
    l.adjust_answered(0, -3, moved, Reply::Granted, 5);
    // The take landed before the correction: no oversell at grant.
    let verdict = l.take_answered(&TakeAnswer {
        order_id: 2,
        key: 2,
        lines: &lines,
        reply: Reply::Granted,
        sent_us: 1,
        expires_us: None,
        intended_ns: 1_000,
        acknowledged_ns: 6_000,
    });
    assert_eq!(verdict.oversold_units, 0);
    let t = l.totals();
    assert_eq!((t.skus[0].stock, t.skus[0].committed), (2, 5));
    assert_eq!(
        t.skus[0].peak_over, 0,
        "the correction's doing, not the backend's"
    );
    assert_eq!(
        t.correction_shortfall, 2,
        "4 committed then, stock pushed to 2"
    );
    // The refund of order 1 uses the excuse up (1 committed of 2): granting
    // 2 more is the backend's oversell of 1.
    assert!(l.refund_sent(1, 10));
    l.refund_answered(1, true, Released::Released, 11);
    assert_eq!(take(&l, 3, 2, 20, None, Reply::Granted), 1);
    assert_eq!(l.totals().skus[0].peak_over, 1);
}

#[test]
fn a_restock_counts_for_oversell_from_its_send_and_a_correction_from_its_answer() {
    let l = ledger(2);
    let moved = l.adjust_sent(0, 3);
    assert_eq!(take(&l, 1, 5, 0, None, Reply::Granted), 0);
    l.adjust_answered(0, 3, moved, Reply::Granted, 5);
    let moved = l.adjust_sent(0, -4);
    assert_eq!(take(&l, 2, 1, 10, None, Reply::SoldOut), 0);
    l.adjust_answered(0, -4, moved, Reply::Granted, 15);
    let t = l.totals();
    assert_eq!(t.skus[0].stock, 1);
    assert_eq!(
        t.correction_shortfall, 4,
        "5 committed, stock pushed from 5 to 1"
    );
    assert!(
        t.skus[0].refused.is_empty(),
        "the refusal came after the correction was sent"
    );
}

#[test]
fn a_refusal_while_stock_stayed_free_is_a_candidate_until_stock_falls() {
    let l = ledger(3);
    take(&l, 1, 1, 0, None, Reply::SoldOut);
    take(&l, 2, 2, 0, None, Reply::SoldOut);
    // Free falls to 1: the refusal of 2 is no longer wrongly refused.
    take(&l, 3, 2, 10, None, Reply::Granted);
    let t = l.totals();
    assert_eq!(t.skus[0].refused, vec![(1, 1)]);
}

#[test]
fn unknown_holds_stop_being_possible_at_their_deadline() {
    let l = ledger(2);
    take(&l, 1, 2, 0, Some(1_000), Reply::Unknown);
    assert_eq!(l.totals().skus[0].unknown, 2);
    l.advance(1_000);
    assert_eq!(l.totals().skus[0].unknown, 0);
}

#[test]
fn units_over_time_apply_every_step_at_or_before_the_time_asked() {
    let units = UnitsOverTime::new(vec![(10, 3), (20, -3), (15, 2), (30, -2)]);
    let at: Vec<i128> = [5, 10, 15, 20, 29, 30]
        .iter()
        .map(|&t| units.at(t))
        .collect();
    assert_eq!(at, [0, 3, 5, 2, 2, 0]);
}

#[test]
fn only_refusals_the_lapsing_holds_would_have_covered_count_as_held() {
    let l = ledger(3);
    take(&l, 1, 2, 0, Some(1_000), Reply::Granted);
    take(&l, 2, 1, 0, None, Reply::Granted);
    // Free is 0: the lapsing hold's 2 units cover a refusal of 2, not of 3.
    take(&l, 3, 2, 500, None, Reply::SoldOut);
    take(&l, 4, 3, 500, None, Reply::SoldOut);
    l.advance(2_000);
    assert_eq!(l.totals().sold_out_while_held, 1);
}

#[test]
fn a_refusal_sent_before_a_deadline_the_ledger_has_passed_saw_the_hold_live() {
    let l = ledger(2);
    take(&l, 1, 2, 0, Some(1_000), Reply::Granted);
    // A take at a later clock lapses the hold in the ledger and takes 1 unit.
    take(&l, 2, 1, 1_100, None, Reply::Granted);
    // A refusal sent at 900, answered after: the hold was live for it.
    take(&l, 3, 1, 900, None, Reply::SoldOut);
    l.advance(5_000);
    let t = l.totals();
    assert!(
        t.skus[0].refused.is_empty(),
        "wrongly refused: {:?}",
        t.skus[0].refused
    );
    assert_eq!(t.sold_out_while_held, 1);
}

#[test]
fn a_hold_granted_after_its_own_deadline_does_not_underflow() {
    let l = ledger(2);
    let lines = [Line { sku: 0, qty: 1 }];
    l.take_sent(&lines);
    l.take_answered(&TakeAnswer {
        order_id: 1,
        key: 1,
        lines: &lines,
        reply: Reply::Granted,
        sent_us: 2_000,
        expires_us: Some(1_500),
        intended_ns: 0,
        acknowledged_ns: 0,
    });
    l.advance(3_000);
    let h = l.totals().holds;
    assert_eq!((h.expired, h.stranded_unit_us), (1, 0));
}

#[test]
fn a_refusal_without_holds_is_never_a_held_refusal() {
    let l = ledger(2);
    take(&l, 1, 1, 0, None, Reply::SoldOut);
    l.advance(2_000);
    let t = l.totals();
    assert_eq!(t.skus[0].refused, vec![(1, 1)], "wrongly refused, plainly");
    assert_eq!(t.sold_out_while_held, 0);
}

#[test]
fn a_reacquired_hold_the_ledger_still_held_live_counts_as_expired() {
    let l = ledger(2);
    take(&l, 1, 1, 0, Some(1_000), Reply::Granted);
    l.confirm_answered(1, 900, Confirmed::Reacquired);
    l.advance(2_000);
    let t = l.totals();
    let h = &t.holds;
    assert_eq!(
        h.created,
        h.confirmed + h.cancelled + h.expired + h.unknown,
        "{h:?}"
    );
    assert_eq!((h.expired, h.reacquired), (1, 1));
    assert_eq!(t.skus[0].committed, 1, "sold");
}

#[test]
fn a_refusal_answered_after_a_release_was_acknowledged_saw_the_hold() {
    let l = ledger(1);
    take(&l, 1, 1, 0, Some(1_000_000), Reply::Granted);
    let lines = [Line { sku: 0, qty: 1 }];
    // B is sent at 100, while the hold is live, and rightly refused ...
    l.take_sent(&lines);
    // ... but the hold's release is acknowledged before B's answer is judged.
    let live = l.release_sent(1, 150);
    l.release_answered(1, live, Released::Released, 160);
    l.take_answered(&TakeAnswer {
        order_id: 2,
        key: 2,
        lines: &lines,
        reply: Reply::SoldOut,
        sent_us: 100,
        expires_us: None,
        intended_ns: 100_000,
        acknowledged_ns: 200_000,
    });
    l.advance(2_000_000);
    assert!(
        l.totals().skus[0].refused.is_empty(),
        "{:?}",
        l.totals().skus[0].refused
    );
}
