//! Recorders: histograms and counters, one shard per runtime thread.
//!
//! Invariant: memory grows with windows and SKUs, never with orders — nor with
//! threads. A worker records into its own thread's shard (an uncontended
//! lock); a flusher moves windows that have gone by out of the shards into one
//! shared store every tick, so each shard holds only the last few windows
//! (a late order re-opens its window in the shard until the next flush:
//! `Histogram::add` makes the merge exact whenever it happens).

use super::demand::{Demand, DemandCache};
use super::histogram::{RunTiming, WindowTiming};
use super::windows::WindowGrid;
use crate::scenario::SkuIdx;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// An order's final outcome (results/README.md): that of its last attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Granted,
    SoldOut,
    Conflict,
    Error,
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Granted => "granted",
            Outcome::SoldOut => "sold_out",
            Outcome::Conflict => "conflict",
            Outcome::Error => "error",
            Outcome::Unknown => "unknown",
        }
    }
}

/// Everything recorded about one finished order.
#[derive(Debug, Clone, Copy)]
pub struct OrderRecord {
    pub intended_ns: u64,
    pub sku: SkuIdx,
    pub qty: u64,
    pub outcome: Outcome,
    pub latency_ns: u64,
    pub service_ns: u64,
    pub wait_ns: u64,
    pub lag_ns: u64,
    pub retries: u32,
    pub oversold_units: u64,
    pub fairness_inversion: bool,
    pub open_loop: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub offered: u64,
    pub open_loop_offered: u64,
    pub granted: u64,
    /// Units of the granted orders (their `qty`).
    pub granted_units: u64,
    pub sold_out: u64,
    pub conflict: u64,
    pub error: u64,
    pub unknown: u64,
    pub retries: u64,
    pub oversold_orders: u64,
    pub oversold_units: u64,
    pub fairness_inversions: u64,
}

impl Counts {
    fn add_order(&mut self, r: &OrderRecord) {
        self.offered += 1;
        self.open_loop_offered += r.open_loop as u64;
        match r.outcome {
            Outcome::Granted => {
                self.granted += 1;
                self.granted_units += r.qty;
            }
            Outcome::SoldOut => self.sold_out += 1,
            Outcome::Conflict => self.conflict += 1,
            Outcome::Error => self.error += 1,
            Outcome::Unknown => self.unknown += 1,
        }
        self.retries += r.retries as u64;
        self.oversold_orders += (r.oversold_units > 0) as u64;
        self.oversold_units += r.oversold_units;
        self.fairness_inversions += r.fairness_inversion as u64;
    }

    fn merge(&mut self, o: &Counts) {
        self.offered += o.offered;
        self.open_loop_offered += o.open_loop_offered;
        self.granted += o.granted;
        self.granted_units += o.granted_units;
        self.sold_out += o.sold_out;
        self.conflict += o.conflict;
        self.error += o.error;
        self.unknown += o.unknown;
        self.retries += o.retries;
        self.oversold_orders += o.oversold_orders;
        self.oversold_units += o.oversold_units;
        self.fairness_inversions += o.fairness_inversions;
    }
}

/// Counters and latency of one window (allocated on first use).
#[derive(Clone)]
pub struct WindowRecord {
    pub counts: Counts,
    pub latency: WindowTiming,
    /// Every order in it so far was for the hottest SKU, and the hottest
    /// SKU's record of this window is not kept apart: this one stands for
    /// both. Only a shard's own windows are ever in this state; the first
    /// order of another SKU splits them, and merging always does.
    hot_only: bool,
}

impl WindowRecord {
    fn new() -> Self {
        WindowRecord {
            counts: Counts::default(),
            latency: WindowTiming::new(),
            hot_only: true,
        }
    }

    fn add(&mut self, r: &OrderRecord) {
        self.counts.add_order(r);
        self.latency.record(r.latency_ns);
    }

    /// The result keeps the hottest SKU's record apart.
    fn merge(&mut self, o: &WindowRecord) {
        self.counts.merge(&o.counts);
        self.latency.add(&o.latency);
        self.hot_only = false;
    }
}

pub struct Recorder {
    pub counts: Counts,
    pub latency: RunTiming,
    pub service: RunTiming,
    pub wait: RunTiming,
    pub lag: RunTiming,
    /// Offered orders and units per SKU.
    pub sku_orders: Vec<u64>,
    pub sku_units: Vec<u64>,
    pub windows: Vec<Option<Box<WindowRecord>>>,
    /// Windows of the hottest SKU alone.
    pub hot_windows: Vec<Option<Box<WindowRecord>>>,
    grid: WindowGrid,
    hot_sku: SkuIdx,
    /// The window of the last order recorded, as (start, end, index):
    /// orders mostly come in time order, so most find their window here
    /// without a division.
    last_window: (u64, u64, usize),
}

impl Recorder {
    pub fn new(grid: WindowGrid, sku_count: usize, hot_sku: SkuIdx) -> Self {
        Recorder {
            counts: Counts::default(),
            latency: RunTiming::new(),
            service: RunTiming::new(),
            wait: RunTiming::new(),
            lag: RunTiming::new(),
            sku_orders: vec![0; sku_count],
            sku_units: vec![0; sku_count],
            windows: (0..grid.count).map(|_| None).collect(),
            hot_windows: (0..grid.count).map(|_| None).collect(),
            grid,
            hot_sku,
            last_window: (0, 0, 0),
        }
    }

    /// The window of an intended time, as `WindowGrid::index`.
    fn window_of(&mut self, intended_ns: u64) -> usize {
        let (start, end, index) = self.last_window;
        if (start..end).contains(&intended_ns) {
            return index;
        }
        let index = self.grid.index(intended_ns);
        let start = index as u64 * self.grid.window_ns;
        // The last window also takes every time past the span.
        let end = if index + 1 == self.grid.count {
            u64::MAX
        } else {
            start + self.grid.window_ns
        };
        self.last_window = (start, end, index);
        index
    }

    pub fn record(&mut self, r: &OrderRecord) {
        self.counts.add_order(r);
        self.latency.record(r.latency_ns);
        self.service.record(r.service_ns);
        self.wait.record(r.wait_ns);
        self.lag.record(r.lag_ns);
        // A shard has no per-SKU counts: its set keeps them (`Recorders`).
        if let Some(orders) = self.sku_orders.get_mut(r.sku as usize) {
            *orders += 1;
            self.sku_units[r.sku as usize] += r.qty;
        }
        let w = self.window_of(r.intended_ns);
        let hot = r.sku == self.hot_sku;
        let window = self.windows[w].get_or_insert_with(|| Box::new(WindowRecord::new()));
        if window.hot_only && hot {
            // A window of the hottest SKU alone (a flash sale's burst) is
            // recorded once and copied when it leaves the shard.
            window.add(r);
            return;
        }
        if window.hot_only {
            self.split(w);
        }
        self.windows[w].as_mut().expect("created above").add(r);
        if hot {
            self.hot_windows[w]
                .get_or_insert_with(|| Box::new(WindowRecord::new()))
                .add(r);
        }
    }

    /// Keep window `w`'s record of the hottest SKU apart from now on.
    fn split(&mut self, w: usize) {
        if let Some(window) = self.windows[w].as_mut() {
            if window.hot_only {
                window.hot_only = false;
                if window.counts.offered > 0 {
                    debug_assert!(self.hot_windows[w].is_none());
                    self.hot_windows[w] = Some(window.clone());
                }
            }
        }
    }

    pub fn merge(&mut self, o: &Recorder) {
        self.counts.merge(&o.counts);
        self.latency.add(&o.latency);
        self.service.add(&o.service);
        self.wait.add(&o.wait);
        self.lag.add(&o.lag);
        for (a, b) in self.sku_orders.iter_mut().zip(&o.sku_orders) {
            *a += b;
        }
        for (a, b) in self.sku_units.iter_mut().zip(&o.sku_units) {
            *a += b;
        }
        for w in 0..self.windows.len() {
            if let Some(theirs) = o.windows[w].as_deref() {
                self.split(w);
                merge_window(&mut self.windows[w], theirs);
                if theirs.hot_only {
                    merge_window(&mut self.hot_windows[w], theirs);
                }
            }
        }
        merge_windows(&mut self.hot_windows, &o.hot_windows);
    }
}

fn merge_windows(mine: &mut [Option<Box<WindowRecord>>], theirs: &[Option<Box<WindowRecord>>]) {
    for (a, b) in mine.iter_mut().zip(theirs) {
        if let Some(b) = b {
            merge_window(a, b);
        }
    }
}

fn merge_window(into: &mut Option<Box<WindowRecord>>, from: &WindowRecord) {
    into.get_or_insert_with(|| Box::new(WindowRecord::new()))
        .merge(from);
}

static NEXT_SET_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's shard of the recorder set it last wrote to.
    static SHARD: RefCell<Option<(u64, Arc<Mutex<Shard>>)>> = const { RefCell::new(None) };
}

/// One thread's recorder and its pending per-SKU demand.
struct Shard {
    recorder: Recorder,
    demand: DemandCache,
}

/// The recorder shards of one backend's run, and the store of flushed windows.
pub struct Recorders {
    id: u64,
    pub grid: WindowGrid,
    sku_count: usize,
    hot_sku: SkuIdx,
    shards: Mutex<Vec<Arc<Mutex<Shard>>>>,
    /// Orders and units offered per SKU, for every shard at once (demand.rs).
    demand: Demand,
    /// Windows flushed out of the shards: (all orders, hottest SKU).
    flushed: Mutex<FlushedWindows>,
}

type WindowSlots = Vec<Option<Box<WindowRecord>>>;

struct FlushedWindows {
    all: WindowSlots,
    hot: WindowSlots,
}

impl Recorders {
    pub fn new(grid: WindowGrid, sku_count: usize, hot_sku: SkuIdx) -> Self {
        let empty = || (0..grid.count).map(|_| None).collect();
        Recorders {
            id: NEXT_SET_ID.fetch_add(1, Ordering::Relaxed),
            grid,
            sku_count,
            hot_sku,
            shards: Mutex::new(Vec::new()),
            demand: Demand::new(sku_count),
            flushed: Mutex::new(FlushedWindows {
                all: empty(),
                hot: empty(),
            }),
        }
    }

    /// Record into the calling thread's shard, registering it on first use.
    pub fn record(&self, r: &OrderRecord) {
        self.record_all(std::slice::from_ref(r));
    }

    /// Record several orders under one lock of the calling thread's shard.
    pub fn record_all(&self, records: &[OrderRecord]) {
        SHARD.with(|cell| {
            let mut cell = cell.borrow_mut();
            if !matches!(&*cell, Some((id, _)) if *id == self.id) {
                let shard = Arc::new(Mutex::new(Shard {
                    // No per-SKU counts: `demand` keeps them.
                    recorder: Recorder::new(self.grid, 0, self.hot_sku),
                    demand: DemandCache::default(),
                }));
                self.shards
                    .lock()
                    .expect("shard list")
                    .push(Arc::clone(&shard));
                *cell = Some((self.id, shard));
            }
            let (_, shard) = cell.as_ref().expect("registered above");
            let mut shard = shard.lock().expect("recorder shard");
            let Shard { recorder, demand } = &mut *shard;
            for r in records {
                recorder.record(r);
                demand.add(r.sku, r.qty, &self.demand);
            }
        });
    }

    /// Move every shard's windows with index below `before` into the shared
    /// store. Shard locks are held only to take the boxes, not to merge them.
    pub fn flush_before(&self, before: usize) {
        let before = before.min(self.grid.count);
        let shards: Vec<_> = self.shards.lock().expect("shard list").clone();
        for shard in shards {
            let (all, hot): (Vec<_>, Vec<_>) = {
                let mut s = shard.lock().expect("recorder shard");
                let take = |slots: &mut WindowSlots| -> Vec<(usize, Box<WindowRecord>)> {
                    slots[..before]
                        .iter_mut()
                        .enumerate()
                        .filter_map(|(i, w)| w.take().map(|w| (i, w)))
                        .collect()
                };
                (
                    take(&mut s.recorder.windows),
                    take(&mut s.recorder.hot_windows),
                )
            };
            let mut store = self.flushed.lock().expect("flushed windows");
            for (i, w) in all {
                merge_window(&mut store.all[i], &w);
                if w.hot_only {
                    merge_window(&mut store.hot[i], &w);
                }
            }
            for (i, w) in hot {
                merge_window(&mut store.hot[i], &w);
            }
        }
    }

    /// Merge every shard (call once no worker records any more).
    pub fn merged(&self) -> Recorder {
        self.flush_before(self.grid.count);
        let mut total = Recorder::new(self.grid, self.sku_count, self.hot_sku);
        for shard in self.shards.lock().expect("shard list").iter() {
            let mut shard = shard.lock().expect("recorder shard");
            total.merge(&shard.recorder);
            shard.demand.flush(&self.demand);
        }
        for i in 0..self.sku_count {
            (total.sku_orders[i], total.sku_units[i]) = self.demand.of(i);
        }
        let mut store = self.flushed.lock().expect("flushed windows");
        total.windows = std::mem::take(&mut store.all);
        total.hot_windows = std::mem::take(&mut store.hot);
        total
    }
}

/// A granted open-loop order of `1 + sku` units, for tests.
#[cfg(test)]
pub(crate) fn granted_record(intended_ns: u64, sku: SkuIdx, latency_ns: u64) -> OrderRecord {
    OrderRecord {
        intended_ns,
        sku,
        qty: 1 + sku as u64,
        outcome: Outcome::Granted,
        latency_ns,
        service_ns: 0,
        wait_ns: 0,
        lag_ns: 0,
        retries: 0,
        oversold_units: 0,
        fairness_inversion: false,
        open_loop: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_window_used_finds_the_same_window_as_the_grid() {
        let (grid, _) = WindowGrid::new(100, 1_000);
        let mut rec = Recorder::new(grid, 1, 0);
        // In order, out of order, on the edges, and past the span.
        for t in [
            0,
            5,
            99,
            100,
            250,
            101,
            0,
            999,
            1_000,
            5_000,
            899,
            900,
            u64::MAX,
        ] {
            assert_eq!(rec.window_of(t), grid.index(t), "intended {t}");
        }
    }

    fn order(intended_ns: u64, sku: SkuIdx, latency_ns: u64) -> OrderRecord {
        granted_record(intended_ns, sku, latency_ns)
    }

    /// What each window should hold: its orders, and the hottest SKU's alone.
    fn expected(orders: &[OrderRecord], grid: WindowGrid, hot: SkuIdx) -> Vec<(Counts, Counts)> {
        let mut out = vec![(Counts::default(), Counts::default()); grid.count];
        for r in orders {
            let w = grid.index(r.intended_ns);
            out[w].0.add_order(r);
            if r.sku == hot {
                out[w].1.add_order(r);
            }
        }
        out
    }

    fn counts(slots: &[Option<Box<WindowRecord>>]) -> Vec<Counts> {
        slots
            .iter()
            .map(|w| w.as_ref().map_or_else(Counts::default, |w| w.counts))
            .collect()
    }

    #[test]
    fn windows_of_the_hottest_sku_alone_are_kept_apart_when_they_leave() {
        let (grid, _) = WindowGrid::new(100, 400);
        // Window 0: hot only. 1: hot, then another SKU, then hot. 2: another
        // SKU first. 3: hot only, flushed, then a straggler of another SKU.
        let orders = [
            order(10, 0, 5_000),
            order(20, 0, 7_000),
            order(110, 0, 1_000),
            order(120, 1, 2_000),
            order(130, 0, 3_000),
            order(210, 1, 4_000),
            order(220, 0, 9_000),
            order(310, 0, 6_000),
        ];
        let set = Recorders::new(grid, 2, 0);
        for r in &orders {
            set.record(r);
        }
        set.flush_before(4);
        let late = order(320, 1, 8_000);
        set.record(&late);
        let total = set.merged();
        let mut all = orders.to_vec();
        all.push(late);
        let want = expected(&all, grid, 0);
        assert_eq!(
            counts(&total.windows),
            want.iter().map(|w| w.0).collect::<Vec<_>>()
        );
        assert_eq!(
            counts(&total.hot_windows),
            want.iter().map(|w| w.1).collect::<Vec<_>>()
        );
        let hot0 = total.hot_windows[0].as_ref().unwrap();
        assert_eq!(hot0.latency.len(), 2);
        assert_eq!(hot0.latency.max_us(), 7.0);
        let hot1 = total.hot_windows[1].as_ref().unwrap();
        assert_eq!((hot1.latency.len(), hot1.latency.max_us()), (2, 3.0));

        // Merging shards directly agrees too.
        let mut a = Recorder::new(grid, 2, 0);
        let mut b = Recorder::new(grid, 2, 0);
        for (i, r) in all.iter().enumerate() {
            if i % 2 == 0 {
                a.record(r)
            } else {
                b.record(r)
            }
        }
        let mut merged = Recorder::new(grid, 2, 0);
        merged.merge(&a);
        merged.merge(&b);
        assert_eq!(
            counts(&merged.windows),
            want.iter().map(|w| w.0).collect::<Vec<_>>()
        );
        assert_eq!(
            counts(&merged.hot_windows),
            want.iter().map(|w| w.1).collect::<Vec<_>>()
        );
    }
}
