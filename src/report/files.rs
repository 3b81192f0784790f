//! The results directory: `run.json` and `summary.md`, rewritten after every
//! backend so that an interrupt or a later failure loses nothing measured.

use crate::summary::RunSummary;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct ResultsDir {
    dir: PathBuf,
}

impl ResultsDir {
    /// Create the directory now, before anything runs, so a bad path fails fast.
    pub fn create(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let probe = dir.join(".atpsim-write-test");
        std::fs::write(&probe, b"")?;
        std::fs::remove_file(&probe)?;
        Ok(ResultsDir {
            dir: dir.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    pub fn write(&self, run: &RunSummary) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(run).map_err(std::io::Error::other)?;
        write_atomic(&self.dir.join("run.json"), &json)?;
        write_atomic(
            &self.dir.join("summary.md"),
            super::markdown::render(run).as_bytes(),
        )
    }
}

/// Write to a temporary file and rename it over the target: readers never see
/// half a file, and a crash leaves the previous complete version.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}
