//! The results directory: `run.json`, `summary.md`, `windows.csv` and one
//! `<backend>.hlog` per backend, rewritten after every
//! backend so that an interrupt or a later failure loses nothing measured.
//!
//! Invariant: a results file on disk is always complete — written to a
//! temporary file and renamed, under `WRITING`, which a forced exit waits for.

use crate::summary::RunSummary;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Held while results are written; a second Ctrl-C takes it before exiting.
pub static WRITING: Mutex<()> = Mutex::new(());

/// The files this directory holds for a run.
const FILES: [&str; 8] = [
    "run.json",
    "summary.md",
    "windows.csv",
    "run.json.tmp",
    "summary.md.tmp",
    "windows.csv.tmp",
    "report.html",
    "report.html.tmp",
];

pub struct ResultsDir {
    dir: PathBuf,
    /// Directories this run created, deepest first (removed again by `discard`).
    created: Vec<PathBuf>,
}

impl ResultsDir {
    /// Create the directory now, before anything runs, so a bad path fails
    /// fast. Refuses a directory that already holds a run's results.
    pub fn create(dir: &Path) -> std::io::Result<Self> {
        if dir.exists() && !dir.is_dir() {
            return Err(std::io::Error::other(
                "not a directory; --out takes a directory",
            ));
        }
        if dir.join("run.json").exists() {
            return Err(std::io::Error::other(
                "already holds a run.json from an earlier run; choose another directory or remove it",
            ));
        }
        let created: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_path_buf)
            .collect();
        std::fs::create_dir_all(dir)?;
        let results = ResultsDir {
            dir: dir.to_path_buf(),
            created,
        };
        let probe = dir.join(".atpsim-write-test");
        if let Err(e) = std::fs::write(&probe, b"").and_then(|_| std::fs::remove_file(&probe)) {
            results.discard();
            return Err(e);
        }
        Ok(results)
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Whether `path` names one of this directory's results files.
    pub fn owns(&self, path: &Path) -> bool {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return false;
        };
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        let same_dir = matches!(
            (parent.canonicalize(), self.dir.canonicalize()),
            (Ok(a), Ok(b)) if a == b
        );
        let hlog = Path::new(name)
            .extension()
            .is_some_and(|e| e == "hlog" || e == "tmp");
        same_dir && (hlog || FILES.iter().any(|f| name == *f))
    }

    /// Remove what this run created, when it measured nothing.
    pub fn discard(&self) {
        for d in &self.created {
            // Only empty directories go; anything else stays untouched.
            if std::fs::remove_dir(d).is_err() {
                break;
            }
        }
    }

    pub fn write(&self, run: &RunSummary) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(run).map_err(std::io::Error::other)?;
        let markdown = super::markdown::render(run);
        let _writing = WRITING.lock().unwrap_or_else(|p| p.into_inner());
        write_atomic(&self.dir.join("run.json"), &json)?;
        write_atomic(&self.dir.join("summary.md"), markdown.as_bytes())?;
        let windows = super::windows_csv::render(run);
        write_atomic(&self.dir.join("windows.csv"), windows.as_bytes())?;
        for b in &run.backends {
            if let Some(log) = super::hlog::render(run, b) {
                write_atomic(&self.dir.join(super::hlog::file_name(b)), &log)?;
            }
        }
        Ok(())
    }
}

/// Write to a temporary file and rename it over the target: readers never see
/// half a file, and a crash leaves the previous complete version.
///
/// Only regular files are replaced. A device or a pipe (`--junit
/// /dev/stdout`, a FIFO) is written in place: a rename would put a plain file
/// where it was. A symlink's target is replaced, not the link.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return std::fs::write(path, bytes),
        Ok(_) => std::fs::canonicalize(path)?,
        Err(_) => path.to_path_buf(),
    };
    // `x.svg.tmp`, not `x.tmp`: files of one stem never share a temporary.
    let mut name = target.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let tmp = target.with_file_name(name);
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, &target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discard_removes_only_what_this_run_created() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("keep.txt"), "").unwrap();
        let dir = root.path().join("a/b/c");
        let results = ResultsDir::create(&dir).unwrap();
        assert!(dir.is_dir());
        results.discard();
        assert!(!root.path().join("a").exists());
        assert!(root.path().join("keep.txt").exists());
    }

    #[test]
    fn refuses_a_directory_with_earlier_results_and_a_file() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("run.json"), "{}").unwrap();
        let e = ResultsDir::create(root.path()).err().unwrap();
        assert!(e.to_string().contains("already holds a run.json"), "{e}");
        let file = root.path().join("run.json");
        let e = ResultsDir::create(&file).err().unwrap();
        assert!(e.to_string().contains("--out takes a directory"), "{e}");
    }

    #[test]
    fn atomic_writes_of_one_stem_leave_complete_files_and_no_temporary() {
        let root = tempfile::tempdir().unwrap();
        let (svg, png) = (root.path().join("c.svg"), root.path().join("c.png"));
        // A temporary left by a crash is replaced, never read.
        std::fs::write(root.path().join("c.svg.tmp"), "half").unwrap();
        write_atomic(&svg, b"one").unwrap();
        write_atomic(&png, b"two").unwrap();
        write_atomic(&svg, b"three").unwrap();
        assert_eq!(std::fs::read_to_string(&svg).unwrap(), "three");
        assert_eq!(std::fs::read_to_string(&png).unwrap(), "two");
        let mut names: Vec<String> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["c.png", "c.svg"]);
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_written_in_place_and_symlinks_keep_pointing_at_their_target() {
        write_atomic(Path::new("/dev/null"), b"discarded").unwrap();
        assert!(!Path::new("/dev/null.tmp").exists());
        let root = tempfile::tempdir().unwrap();
        let (target, link) = (root.path().join("t.xml"), root.path().join("l.xml"));
        std::fs::write(&target, "old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }

    #[test]
    fn knows_its_own_files() {
        let root = tempfile::tempdir().unwrap();
        let results = ResultsDir::create(root.path()).unwrap();
        assert!(results.owns(&root.path().join("run.json")));
        assert!(!results.owns(&root.path().join("trace.csv")));
    }
}
