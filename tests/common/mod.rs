//! Shared by the integration tests that need a tool from outside Rust.
//!
//! Invariant: a missing tool is a skip, printed with its reason, on a
//! developer's machine, and a failure under `CI=true`, where `.ci/run` has
//! installed every such tool.

/// Skip (return `None`) or, under `CI=true`, fail, naming what is missing.
pub fn require<T>(found: Option<T>, what: &str) -> Option<T> {
    if found.is_some() {
        return found;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} is missing, and CI=true requires it (.ci/run installs it)");
    }
    eprintln!("skipped: {what} is missing (.ci/run installs it)");
    None
}

/// The first of `names` that runs with `--version`.
pub fn program(names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        std::process::Command::new(n)
            .arg("--version")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|_| n.to_string())
    })
}

/// The full path of the first of `names` found on `PATH`.
pub fn on_path(names: &[&str]) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|n| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(n))
            .find(|p| p.is_file())
    })
}
