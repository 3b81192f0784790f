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
        let dir = tempfile::Builder::new()
            .prefix("atpsim-redis-")
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
