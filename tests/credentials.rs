//! Credentials never appear in output: a password planted in each server's
//! URL is looked for in every file a run writes and in what it prints, for a
//! run that succeeds and for one that cannot connect.
//!
//! Needs the local PostgreSQL and MariaDB, and `redis-server` on PATH (a
//! private one is started with a password); a missing server is a skip, or a
//! failure under `ATPSIM_REQUIRE_SERVICES=1`.

#[allow(dead_code)]
#[path = "sql/common.rs"]
mod common;
#[allow(dead_code)]
#[path = "common/mod.rs"]
mod tools;

use atpsim::scenario::Server;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// A scenario of one backend at `url`: a small burst, enough to fill every
/// output (windows, histograms, a threshold for the JUnit file).
fn scenario(kind: &str, url: &str) -> String {
    format!(
        "name = \"credentials\"\nseed = 3\nconcurrency = 4\ntimeout = \"5s\"\n\
         [catalogue]\nhot = {{ stock = 20 }}\nlong_tail = {{ count = 3, stock = 5 }}\n\
         [[phase]]\nkind = \"spread\"\norders = 60\nover = \"200ms\"\n\
         [[backend]]\nkind = \"{kind}\"\nurl = \"{url}\"\n\
         [[threshold]]\nchecks = [\"units.oversold == 0\"]\n"
    )
}

/// Every place a run writes to, under one directory.
struct Outputs {
    dir: tempfile::TempDir,
}

impl Outputs {
    fn new() -> Self {
        Outputs {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `atpsim run` with every output it has, from inside the directory (so
    /// `results/` lands there too), `extra` arguments appended.
    fn run(&self, scenario_text: &str, tag: &str, extra: &[&str]) -> Output {
        let file = self.path(&format!("{tag}.toml"));
        std::fs::write(&file, scenario_text).expect("write scenario");
        let out = self.path(&format!("{tag}-out"));
        let trace = self.path(&format!("{tag}-trace.csv"));
        let junit = self.path(&format!("{tag}-junit.xml"));
        let markdown = self.path(&format!("{tag}-summary.md"));
        let mut args: Vec<&str> = vec!["run"];
        let (file, out, trace, junit, markdown) = (
            file.to_str().unwrap(),
            out.to_str().unwrap(),
            trace.to_str().unwrap(),
            junit.to_str().unwrap(),
            markdown.to_str().unwrap(),
        );
        args.extend([file, "--out", out, "--trace", trace, "--junit", junit]);
        args.extend(["--markdown", markdown]);
        args.extend(extra);
        Command::new(env!("CARGO_BIN_EXE_atpsim"))
            .args(&args)
            .current_dir(self.dir.path())
            .env("GITHUB_STEP_SUMMARY", self.path(&format!("{tag}-step.md")))
            .env_remove("ATPSIM_POSTGRES_URL")
            .env_remove("ATPSIM_MYSQL_URL")
            .env_remove("ATPSIM_REDIS_URL")
            .output()
            .expect("atpsim runs")
    }

    /// `atpsim validate`, which prints the resolved plan.
    fn validate(&self, scenario_text: &str, tag: &str) -> Output {
        let file = self.path(&format!("{tag}.toml"));
        std::fs::write(&file, scenario_text).expect("write scenario");
        Command::new(env!("CARGO_BIN_EXE_atpsim"))
            .arg("validate")
            .arg(&file)
            .output()
            .expect("atpsim validate runs")
    }

    /// Fails naming every written file (scenario files aside: the test wrote
    /// those) and stream that holds `secret`; returns how many files it read.
    fn assert_no_secret(&self, secret: &str, printed: &[(&str, &Output)]) -> usize {
        let mut leaks = Vec::new();
        for (what, output) in printed {
            for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
                if contains(bytes, secret) {
                    leaks.push(format!(
                        "{what} {stream}: {}",
                        String::from_utf8_lossy(bytes)
                    ));
                }
            }
        }
        let mut files = Vec::new();
        walk(self.dir.path(), &mut files);
        let written: Vec<&PathBuf> = files
            .iter()
            .filter(|f| f.extension().is_none_or(|e| e != "toml"))
            .collect();
        for file in &written {
            let bytes = std::fs::read(file).expect("read output");
            if contains(&bytes, secret) {
                leaks.push(format!("{}", file.display()));
            }
        }
        assert!(leaks.is_empty(), "the password appears in: {leaks:#?}");
        written.len()
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files);
        } else {
            files.push(path);
        }
    }
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The run succeeded and wrote each of its outputs, so the search covered them.
fn assert_wrote_everything(outputs: &Outputs, tag: &str, run: &Output) {
    assert_eq!(run.status.code(), Some(0), "{}", text(run));
    let out = outputs.path(&format!("{tag}-out"));
    for name in ["run.json", "summary.md", "windows.csv", "report.html"] {
        assert!(out.join(name).is_file(), "{name} written: {}", text(run));
    }
    let has = |suffix: &str| {
        std::fs::read_dir(&out)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(suffix))
    };
    assert!(
        has(".hlog") && has(".svg") && has(".png"),
        "hlog and charts"
    );
    for file in ["trace.csv", "junit.xml", "summary.md", "step.md"] {
        let path = outputs.path(&format!("{tag}-{file}"));
        assert!(path.is_file(), "{} written", path.display());
    }
}

/// The run could not connect: exit 3, the backend named, the password
/// shown as `redacted`.
fn assert_refused_redacted(run: &Output, backend: &str) {
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(3), "{}", text(run));
    assert!(stderr.contains(backend), "names the backend: {stderr}");
    assert!(stderr.contains("redacted"), "shows the redaction: {stderr}");
}

#[test]
fn a_postgres_password_never_reaches_output() {
    let _one = common::one_at_a_time();
    let Some(_) = common::server_url(Server::Postgres) else {
        return;
    };
    // Trust authentication ignores the password, so the run succeeds with it.
    let secret = "SECRETpw123";
    let outputs = Outputs::new();
    let url = format!("postgres://postgres:{secret}@127.0.0.1:5432/test");
    let ok = outputs.run(&scenario("postgres-atomic", &url), "ok", &[]);
    assert_wrote_everything(&outputs, "ok", &ok);
    let plan = outputs.validate(&scenario("postgres-atomic", &url), "plan");
    let bad_url = format!("postgres://postgres:{secret}@127.0.0.1:1/test");
    let refused = outputs.run(&scenario("postgres-atomic", &bad_url), "refused", &[]);
    assert_refused_redacted(&refused, "postgres-atomic");
    let read = outputs.assert_no_secret(
        secret,
        &[("run", &ok), ("validate", &plan), ("refused run", &refused)],
    );
    assert!(read >= 10, "searched {read} files");
}

/// A MariaDB user with a password, dropped again however the test ends.
struct MariaUser {
    admin_url: String,
    name: String,
}

impl MariaUser {
    fn create(admin_url: &str, name: &str, password: &str) -> Self {
        let user = MariaUser {
            admin_url: admin_url.to_string(),
            name: name.to_string(),
        };
        user.admin(&[
            format!("DROP USER IF EXISTS '{name}'@'%'"),
            format!("CREATE USER '{name}'@'%' IDENTIFIED BY '{password}'"),
            format!("GRANT ALL PRIVILEGES ON test.* TO '{name}'@'%'"),
        ]);
        user
    }

    fn admin(&self, statements: &[String]) {
        use sqlx::Connection;
        let url = self.admin_url.clone();
        let statements = statements.to_vec();
        common::runtime().block_on(async move {
            let mut conn = sqlx::MySqlConnection::connect(&url)
                .await
                .expect("admin connection to MariaDB");
            for s in &statements {
                sqlx::Executor::execute(&mut conn, s.as_str())
                    .await
                    .unwrap_or_else(|e| panic!("{s}: {e}"));
            }
            let _ = conn.close().await;
        });
    }
}

impl Drop for MariaUser {
    fn drop(&mut self) {
        self.admin(&[format!("DROP USER IF EXISTS '{}'@'%'", self.name)]);
    }
}

#[test]
fn a_mariadb_password_never_reaches_output() {
    let _one = common::one_at_a_time();
    let Some(admin_url) = common::server_url(Server::Mysql) else {
        return;
    };
    let secret = "SECRETmaria913";
    let name = format!("atpsim_cred_{}", std::process::id());
    let _user = MariaUser::create(&admin_url, &name, secret);
    let outputs = Outputs::new();
    let url = format!("mysql://{name}:{secret}@127.0.0.1:3306/test");
    let ok = outputs.run(&scenario("mysql-atomic", &url), "ok", &[]);
    assert_wrote_everything(&outputs, "ok", &ok);
    let bad_url = format!("mysql://{name}:{secret}@127.0.0.1:1/test");
    let refused = outputs.run(&scenario("mysql-atomic", &bad_url), "refused", &[]);
    assert_refused_redacted(&refused, "mysql-atomic");
    // The right port and a wrong password: the server's refusal is quoted.
    let wrong = format!("mysql://{name}:{secret}x@127.0.0.1:3306/test");
    let denied = outputs.run(&scenario("mysql-atomic", &wrong), "denied", &[]);
    assert_refused_redacted(&denied, "mysql-atomic");
    outputs.assert_no_secret(
        secret,
        &[
            ("run", &ok),
            ("refused run", &refused),
            ("denied run", &denied),
        ],
    );
}

/// A private `redis-server` that requires a password, stopped on drop.
struct PrivateRedis {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl PrivateRedis {
    fn start(binary: &Path, password: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        // A port the system just handed out and took back: free unless
        // something grabs it in between, which the start-up would report.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new(binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--requirepass", password])
            .args(["--save", "", "--appendonly", "no", "--logfile", ""])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        // It says when it is ready; reading its log waits for exactly that.
        let stdout = child.stdout.take().expect("piped");
        let ready = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains("Ready to accept connections"));
        let mut server = PrivateRedis {
            child,
            port,
            _dir: dir,
        };
        if !ready {
            let status = server.child.try_wait();
            panic!("redis-server on port {port} did not start: {status:?}");
        }
        server
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `redis-server` from PATH; missing, a skip, or a failure under
/// `ATPSIM_REQUIRE_SERVICES=1` (as for the servers themselves).
fn redis_server() -> Option<PathBuf> {
    let found = tools::on_path(&["redis-server"]);
    if found.is_none() && std::env::var("ATPSIM_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!("redis-server is not on PATH, and ATPSIM_REQUIRE_SERVICES=1 makes that a failure");
    }
    tools::require(found, "redis-server")
}

#[test]
fn a_redis_password_never_reaches_output() {
    let _one = common::one_at_a_time();
    let Some(binary) = redis_server() else {
        return;
    };
    let secret = "SECRETredis457";
    let redis = PrivateRedis::start(&binary, secret);
    let outputs = Outputs::new();
    let url = format!("redis://:{secret}@127.0.0.1:{}/0", redis.port);
    // `--keep` too: its note names the server the keys stay on (a private
    // one, gone with the test).
    let ok = outputs.run(&scenario("redis-lua", &url), "ok", &["--keep"]);
    assert_wrote_everything(&outputs, "ok", &ok);
    assert!(
        String::from_utf8_lossy(&ok.stderr).contains("redacted"),
        "the --keep note shows the server, redacted: {}",
        text(&ok)
    );
    let bad_url = format!("redis://:{secret}@127.0.0.1:1/0");
    let refused = outputs.run(&scenario("redis-lua", &bad_url), "refused", &[]);
    assert_refused_redacted(&refused, "redis-lua");
    let wrong = format!("redis://:{secret}x@127.0.0.1:{}/0", redis.port);
    let denied = outputs.run(&scenario("redis-lua", &wrong), "denied", &[]);
    assert_refused_redacted(&denied, "redis-lua");
    outputs.assert_no_secret(
        secret,
        &[
            ("run", &ok),
            ("refused run", &refused),
            ("denied run", &denied),
        ],
    );
}
