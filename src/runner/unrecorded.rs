//! Records of a client's finished orders not yet handed to the recorders.
//! A client whose answers come at once records each run of orders under one
//! lock of its thread's shard, instead of one lock per order.
//!
//! Invariant: nothing measured is dropped. Records are handed over before
//! the client takes its next run and when it stops or returns; only a
//! client that panics loses them (its run, where before its one order).

use crate::metrics::{OrderRecord, Recorders};
use crate::traffic::RUN_MAX;

pub struct Unrecorded<'a> {
    recorders: &'a Recorders,
    records: Vec<OrderRecord>,
}

impl<'a> Unrecorded<'a> {
    pub fn new(recorders: &'a Recorders) -> Self {
        Unrecorded {
            recorders,
            records: Vec::with_capacity(RUN_MAX),
        }
    }

    pub fn push(&mut self, record: OrderRecord) {
        if self.records.len() == RUN_MAX {
            self.flush();
        }
        self.records.push(record);
    }

    pub fn flush(&mut self) {
        if !self.records.is_empty() {
            self.recorders.record_all(&self.records);
            self.records.clear();
        }
    }
}

impl Drop for Unrecorded<'_> {
    fn drop(&mut self) {
        // A panic may have come from the recorders themselves; recording
        // again then could only panic twice and abort the process.
        if !std::thread::panicking() {
            self.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::recorder::granted_record;
    use crate::metrics::WindowGrid;

    fn record(intended_ns: u64) -> OrderRecord {
        granted_record(intended_ns, 0, 10)
    }

    #[test]
    fn every_record_reaches_the_recorders_by_flush_by_cap_or_by_drop() {
        let (grid, _) = WindowGrid::new(1_000, 1_000_000);
        let recorders = Recorders::new(grid, 1, 0);
        let mut unrecorded = Unrecorded::new(&recorders);
        for i in 0..3 {
            unrecorded.push(record(i));
        }
        unrecorded.flush();
        assert!(unrecorded.records.is_empty(), "flushed");
        // Past the cap the earlier records are handed over first.
        for i in 0..RUN_MAX as u64 + 5 {
            unrecorded.push(record(i));
        }
        assert_eq!(unrecorded.records.len(), 5);
        drop(unrecorded);
        assert_eq!(
            recorders.merged().counts.offered,
            3 + RUN_MAX as u64 + 5,
            "every record, the last ones on drop"
        );
    }
}
