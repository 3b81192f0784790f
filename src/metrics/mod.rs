//! Measurement: per-thread recorders (`recorder`), their merge, and the
//! window/peak/percentile arithmetic that turns them into summary figures.

pub mod demand;
pub mod histogram;
pub mod recorder;
pub mod windows;

pub use recorder::{Counts, OrderRecord, Outcome, Recorder, Recorders};
pub use windows::WindowGrid;
