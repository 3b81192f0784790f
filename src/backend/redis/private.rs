//! A private `redis-server` for one backend run: started on a Unix socket in
//! a temporary directory (no port to race for, nobody else's data), with its
//! persistence pinned, so a scenario can restart it or pause its writes
//! without touching a shared server.
//!
//! Invariant: the server process lives exactly as long as this value; it is
//! killed, and its directory removed, on drop.

use crate::scenario::Persistence;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

/// A private server's directory is `<temp>/atpsim-redis-<pid of atpsim>-<random>`.
const DIR_PREFIX: &str = "atpsim-redis-";

/// How long a (re)started server may take to answer PING, AOF loaded.
const READY_WITHIN: Duration = Duration::from_secs(30);

pub struct PrivateServer {
    dir: tempfile::TempDir,
    persistence: Persistence,
    child: Mutex<Option<Child>>,
}

impl PrivateServer {
    /// Start `redis-server` and wait until it answers.
    pub async fn start(persistence: Persistence) -> Result<Self, String> {
        sweep_stale(&std::env::temp_dir());
        let dir = tempfile::Builder::new()
            .prefix(&format!("{DIR_PREFIX}{}-", std::process::id()))
            .tempdir()
            .map_err(|e| format!("cannot create a directory for a private redis-server: {e}"))?;
        let server = PrivateServer {
            dir,
            persistence,
            child: Mutex::new(None),
        };
        server.spawn()?;
        server.wait_ready().await?;
        Ok(server)
    }

    /// The URL of its socket.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket().display())
    }

    fn socket(&self) -> std::path::PathBuf {
        self.dir.path().join("redis.sock")
    }

    fn spawn(&self) -> Result<(), String> {
        let (appendonly, fsync) = match self.persistence {
            Persistence::AofAlways => ("yes", "always"),
            Persistence::None => ("no", "no"),
        };
        let mut command = Command::new("redis-server");
        // The server dies with atpsim, even one killed outright, so no
        // private server outlives its run.
        #[cfg(target_os = "linux")]
        // SAFETY: the closure only calls prctl, which is async-signal-safe.
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command
            .args(["--port", "0", "--unixsocketperm", "700", "--save", ""])
            .arg("--unixsocket")
            .arg(self.socket())
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--appendonly", appendonly, "--appendfsync", fsync])
            .arg("--logfile")
            .arg(self.dir.path().join("redis.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!(
                    "cannot start a private redis-server ({e}); install Redis, or drop \
                     `server = \"private\"` to use a running one"
                )
            })?;
        *self.child.lock().expect("server process") = Some(child);
        Ok(())
    }

    /// PING over the socket until it answers PONG (not LOADING).
    async fn wait_ready(&self) -> Result<(), String> {
        let client = redis::Client::open(self.url()).map_err(|e| e.to_string())?;
        let until = tokio::time::Instant::now() + READY_WITHIN;
        loop {
            let answer = match client.get_multiplexed_async_connection().await {
                Ok(mut conn) => redis::cmd("PING")
                    .query_async::<String>(&mut conn)
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match answer {
                Ok(_) => return Ok(()),
                Err(e) if tokio::time::Instant::now() >= until => {
                    return Err(format!(
                        "the private redis-server did not answer within {}s: {e}; its log is {}",
                        READY_WITHIN.as_secs(),
                        self.dir.path().join("redis.log").display()
                    ))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    /// Kill the server outright (no shutdown, no final save: a crash) and
    /// start it again on the same directory, so only what its persistence
    /// kept comes back.
    pub async fn restart(&self) -> Result<(), String> {
        self.kill();
        self.spawn()?;
        self.wait_ready().await
    }

    fn kill(&self) {
        if let Some(mut child) = self.child.lock().expect("server process").take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Remove the directories of private servers whose atpsim is gone: one
/// killed outright (`kill -9`) cannot remove its own, though its server
/// dies with it. Best effort; a directory whose process id is alive, maybe
/// reused by another process, is left alone.
fn sweep_stale(temp: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = owner_pid(&name.to_string_lossy()) else {
            continue;
        };
        let alive = std::path::Path::new(&format!("/proc/{pid}")).exists();
        if !alive && entry.file_type().is_ok_and(|t| t.is_dir()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The atpsim process id in a private server's directory name.
fn owner_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(DIR_PREFIX)?;
    let (pid, _random) = rest.split_once('-')?;
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_directories_of_dead_owners_are_swept() {
        let temp = tempfile::tempdir().unwrap();
        // Above the kernel's largest pid (2^22), so surely not running.
        let dead = temp.path().join(format!("{DIR_PREFIX}4194305-abc"));
        let alive = temp
            .path()
            .join(format!("{DIR_PREFIX}{}-abc", std::process::id()));
        let other = temp.path().join("atpsim-redis-notapid");
        for dir in [&dead, &alive, &other] {
            std::fs::create_dir(dir).unwrap();
        }
        std::fs::write(dead.join("appendonly.aof"), "x").unwrap();
        sweep_stale(temp.path());
        assert!(!dead.exists());
        assert!(alive.exists() && other.exists());
    }
}
