//! The checkout calls on the embedded backends (memory and SQLite): the contract every safe
//! backend keeps, and what the naive one gets wrong. The server backends run
//! the same contract in `sql_servers.rs`.

#[path = "checkout/contract.rs"]
mod contract;
#[path = "checkout/property.rs"]
mod property;
#[path = "checkout/run.rs"]
mod run;

#[test]
fn memory_atomic_keeps_the_checkout_contract() {
    contract::check("kind = \"memory-atomic\"");
}

#[test]
fn memory_lock_keeps_the_checkout_contract() {
    contract::check("kind = \"memory-lock\"");
}

#[test]
fn memory_queue_keeps_the_checkout_contract() {
    contract::check("kind = \"memory-queue\"");
}

#[test]
fn sqlite_atomic_keeps_the_checkout_contract() {
    contract::check("kind = \"sqlite-atomic\"");
}

/// The naive backend breaks the rules atomicity keeps: the contract must
/// catch it, or the contract proves nothing.
#[test]
fn memory_naive_breaks_the_checkout_contract() {
    let broken = std::panic::catch_unwind(|| contract::check("kind = \"memory-naive\""));
    let message = match broken {
        Ok(_) => panic!("memory-naive passed the checkout contract"),
        Err(e) => e.downcast_ref::<String>().cloned().unwrap_or_default(),
    };
    for rule in [
        "a late confirmation is refused under reject",
        "a release returns units once",
        "a restock racing a sale loses neither",
    ] {
        assert!(message.contains(rule), "{rule} not caught:\n{message}");
    }
}

#[test]
fn checkout_runs_on_the_embedded_safe_backends_keep_the_lifecycle() {
    for kind in [
        "memory-atomic",
        "memory-lock",
        "memory-queue",
        "sqlite-atomic",
    ] {
        for policy in ["reject", "reacquire"] {
            let r = run::run(&format!("kind = \"{kind}\""), policy);
            run::assert_keeps_the_lifecycle(&r);
            if policy == "reacquire" {
                assert!(
                    r.holds.as_ref().unwrap().reacquired > 0,
                    "{kind}: none reacquired"
                );
            }
        }
    }
}

#[test]
fn holds_conserve_stock_on_the_embedded_safe_backends() {
    for kind in [
        "memory-atomic",
        "memory-lock",
        "memory-queue",
        "sqlite-atomic",
    ] {
        property::conserves_stock(&format!("kind = \"{kind}\""), 32);
    }
}

/// The property must catch a backend that loses updates, or it proves nothing.
#[test]
fn memory_naive_breaks_conservation() {
    let broken =
        std::panic::catch_unwind(|| property::conserves_stock("kind = \"memory-naive\"", 64));
    assert!(
        broken.is_err(),
        "memory-naive kept its books in step with its replies"
    );
}
