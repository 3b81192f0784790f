//! Run ids: the suffix of every table one backend's run creates.
//!
//! Invariant: an id is exactly `RUN_ID_LEN` characters of `[a-z0-9]` and is
//! drawn fresh for every backend opened, so two runs (or two tests) against
//! one server never share a table.

use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// PostgreSQL truncates identifiers at 63 bytes; 12 characters leave room
/// for `atpsim_` and a table name of up to 40.
pub const RUN_ID_LEN: usize = 12;

/// A fresh run id: a hash of the clock, the process and a counter, in base 36.
pub fn new_run_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = Sha256::new();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.update(now.to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let digest = hasher.finalize();
    let mut n = u128::from_le_bytes(digest[..16].try_into().expect("16 bytes"));
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut id = String::with_capacity(RUN_ID_LEN);
    for _ in 0..RUN_ID_LEN {
        id.push(DIGITS[(n % 36) as usize] as char);
        n /= 36;
    }
    id
}

/// A 32-bit key derived from the run id, for locks keyed by run (the first
/// half of PostgreSQL's two-integer advisory lock).
pub fn run_key(run_id: &str) -> i32 {
    let digest = Sha256::digest(run_id.as_bytes());
    i32::from_le_bytes(digest[..4].try_into().expect("4 bytes"))
}

/// `LIKE` pattern matching every table of the namespace (backslash escapes `_`).
pub fn table_pattern(run_id: &str) -> String {
    format!("atpsim\\_%\\_{run_id}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_short_lower_case_and_fresh() {
        let ids: HashSet<String> = (0..1000).map(|_| new_run_id()).collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            assert_eq!(id.len(), RUN_ID_LEN);
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "{id}"
            );
        }
    }

    #[test]
    fn run_keys_differ_between_runs() {
        assert_ne!(run_key("aaaaaaaaaaaa"), run_key("aaaaaaaaaaab"));
    }
}
