//! Interrupting the real binary mid-run, as a user pressing Ctrl-C would.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Spawn `cmd`, wait for a stderr line starting with `marker` (the run has
/// begun), wait `after` more, send SIGINT, and return the exit code.
pub fn interrupt_once_started(cmd: &mut Command, marker: &str, after: Duration) -> Option<i32> {
    let mut child = cmd
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.starts_with(marker) {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "binary ended early"
        );
    }
    std::thread::sleep(after);
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    // The reader stays open until the binary has ended.
    let code = child.wait().unwrap().code();
    drop(stderr);
    code
}
