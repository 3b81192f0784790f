//! CI gating on the real binary: thresholds, exit codes, and the files CI
//! reads (JUnit, Markdown, the HdrHistogram log); `compare` and `--baseline`.

#[path = "gate/common.rs"]
mod common;
// Only `require` is used here.
#[path = "gate/compare.rs"]
mod compare;
#[path = "gate/files.rs"]
mod files;
#[path = "gate/outputs.rs"]
mod outputs;
#[path = "gate/readme_ci.rs"]
mod readme_ci;
#[path = "gate/thresholds.rs"]
mod thresholds;
#[allow(dead_code)]
#[path = "common/mod.rs"]
mod tools;
