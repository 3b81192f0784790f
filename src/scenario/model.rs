//! The validated scenario: what every later stage reads.
//!
//! Invariant: a `Scenario` value has passed validation, so downstream code never
//! re-checks ranges (stock ≤ 2^53 − 1 and its total over the catalogue too,
//! 1 ≤ quantities ≤ `MAX_QUANTITY`, rates > 0, every phase ending within
//! `MAX_PHASE_END`, every open-loop phase sending at least one order, unique
//! names).

use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// Largest stock or buffer a SKU may carry: Redis Lua numbers are doubles,
/// so every backend is held to the integers a double represents exactly.
pub const MAX_UNITS: u64 = (1 << 53) - 1;
/// Upper bound on the orders one schedule may contain.
pub const MAX_ORDERS: u64 = 1_000_000_000;
/// Upper bound on the SKUs of a catalogue: the memory of a run grows with
/// its SKUs, and any scenario the validator accepts must run within 256 MB.
pub const MAX_SKUS: usize = 1_000_000;
/// Upper bound on the SKUs of a checkout run (`[checkout]` or `[[event]]`):
/// its books of holds, sales and lapses per SKU take about 500 bytes each,
/// so a million SKUs would need some 550 MB.
pub const MAX_CHECKOUT_SKUS: usize = 250_000;
/// Upper bound on the units one order asks for, so granted units (orders ×
/// quantity ≤ 10^9 × 10^6) never overflow a u64, even when a naive backend
/// oversells.
pub const MAX_QUANTITY: u64 = 1_000_000;
/// Upper bound on `timeout`, `window` and `saturation_limit`.
pub const MAX_RUN_SETTING: Duration = Duration::from_secs(3600);
/// Upper bound on a backend's `rtt`.
pub const MAX_RTT: Duration = Duration::from_secs(60);
/// Upper bound on a SQLite backend's `busy_timeout` (the driver takes it as
/// a 32-bit count of milliseconds, about 24.8 days at most).
pub const MAX_BUSY_TIMEOUT: Duration = Duration::from_secs(3600);
/// Upper bound on a phase's `at`, `duration`, `over` and end (`at + duration`).
pub const MAX_PHASE_END: Duration = Duration::from_secs(24 * 3600);
/// Upper bound on in-flight requests (one long-lived worker each).
pub const MAX_CONCURRENCY: u32 = 10_000;
/// Orders one batch of a `-batch` kind settles unless `batch_size` says otherwise.
pub const DEFAULT_BATCH_SIZE: u32 = 128;
/// The largest `batch_size`: beyond it one statement's arrays grow past what
/// a round trip carries quickly, and no run has that many clients waiting.
pub const MAX_BATCH_SIZE: u32 = 10_000;
/// The longest `batch_wait`: every order of a batch may wait that long.
pub const MAX_BATCH_WAIT: Duration = Duration::from_secs(1);

/// Index of a SKU in `Scenario::skus`.
pub type SkuIdx = u32;

#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub name: String,
    pub seed: u64,
    #[serde(skip)]
    pub source: PathBuf,
    pub skus: Vec<Sku>,
    pub phases: Vec<Phase>,
    /// Most requests the harness keeps in flight in open-loop phases.
    pub concurrency: u32,
    #[serde(serialize_with = "as_ms")]
    pub timeout: Duration,
    /// Extra attempts an order gets after a `conflict`.
    pub retries: u32,
    #[serde(serialize_with = "as_ms")]
    pub window: Duration,
    pub min_window_orders: u64,
    #[serde(serialize_with = "as_ms")]
    pub saturation_limit: Duration,
    pub backends: Vec<BackendSpec>,
    /// `[[threshold]]` tables, checked against the finished run.
    pub thresholds: Vec<crate::gate::ThresholdSet>,
    /// `[checkout]` and `[[event]]`: holds, customers, retries, carts and
    /// stock events; `None` runs plain reservations on the fast path.
    pub checkout: Option<crate::scenario::Checkout>,
    /// `[[fault]]` tables, sorted by `at`; empty: nothing is staged.
    pub faults: Vec<crate::scenario::Fault>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Sku {
    pub id: String,
    pub stock: u64,
    /// Units the business accepts to oversell on purpose (`B` in results/README.md).
    pub buffer: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    pub name: String,
    /// Offset of the phase from `t0`.
    #[serde(serialize_with = "as_ms")]
    pub at: Duration,
    pub shape: Shape,
    pub skus: SkuPick,
    pub quantity: Quantity,
}

/// When a phase's orders are due.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Shape {
    /// `orders` orders all due at the phase's offset.
    Instant { orders: u64 },
    /// `orders` orders evenly spaced over `over`.
    Spread {
        orders: u64,
        #[serde(serialize_with = "as_ms")]
        over: Duration,
    },
    /// One order every `1/rate` seconds for `duration`.
    Constant {
        rate: f64,
        #[serde(serialize_with = "as_ms")]
        duration: Duration,
    },
    /// Rate rising (or falling) linearly from `from` to `to` over `duration`.
    Ramp {
        from: f64,
        to: f64,
        #[serde(serialize_with = "as_ms")]
        duration: Duration,
    },
    /// Poisson arrivals at `rate` per second for `duration`.
    Poisson {
        rate: f64,
        #[serde(serialize_with = "as_ms")]
        duration: Duration,
    },
    /// `clients` clients sending back to back for `duration` (closed loop).
    Closed {
        clients: u32,
        #[serde(serialize_with = "as_ms")]
        duration: Duration,
    },
}

impl Phase {
    /// Nanoseconds from `t0` to the phase's end (an instant phase lasts 1 ns).
    pub fn end_ns(&self) -> u64 {
        let length = match &self.shape {
            Shape::Instant { .. } => 1,
            Shape::Spread { over, .. } => over.as_nanos() as u64,
            Shape::Constant { duration, .. }
            | Shape::Ramp { duration, .. }
            | Shape::Poisson { duration, .. }
            | Shape::Closed { duration, .. } => duration.as_nanos() as u64,
        };
        self.at.as_nanos() as u64 + length
    }
}

impl Shape {
    pub fn is_open_loop(&self) -> bool {
        !matches!(self, Shape::Closed { .. })
    }
}

/// Which SKU each order hits.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "pick", rename_all = "snake_case")]
pub enum SkuPick {
    Uniform,
    /// Every order hits this one SKU.
    One {
        sku: SkuIdx,
    },
    /// Integer weights per SKU; SKUs not listed are never picked.
    Weights {
        weights: Vec<(SkuIdx, u64)>,
    },
    /// Zipf over the catalogue in its declared order: rank 1 is the first SKU.
    Zipf {
        exponent: f64,
    },
}

/// How many units each order asks for.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Quantity {
    Fixed {
        units: u64,
    },
    /// Uniform over `min..=max`.
    Uniform {
        min: u64,
        max: u64,
    },
    /// Integer weights per quantity.
    Weights {
        weights: Vec<(u64, u64)>,
    },
}

/// Serialises as `{ name, kind, options }`, where `options` holds only the
/// options of the kind (`options_json`).
#[derive(Debug, Clone)]
pub struct BackendSpec {
    /// Unique in the run; defaults to the kind.
    pub name: String,
    pub kind: BackendKind,
    pub options: BackendOptions,
}

impl BackendSpec {
    /// Connections the backend opens on its server for `clients` clients,
    /// its admin connection not counted; 0 for the embedded stores.
    pub fn connections(&self, clients: u32, skus: usize) -> u32 {
        let clients = clients.max(1);
        match self.kind {
            _ if self.kind.server().is_none() => 0,
            // One per SKU's queue server, whatever the clients.
            BackendKind::PostgresBatch => {
                crate::backend::batch::MAX_SERVERS.min(skus).max(1) as u32
            }
            _ if self.options.connection == ConnectionMode::Multiplexed => 1,
            _ => clients,
        }
    }

    /// The options the kind supports (`BackendKind::supported_options`),
    /// under their scenario keys; durations in milliseconds.
    pub fn options_json(&self) -> serde_json::Value {
        let ms = |d: Duration| serde_json::Value::from(d.as_secs_f64() * 1000.0);
        let options = self
            .kind
            .supported_options()
            .iter()
            .map(|&key| {
                let value = match key {
                    "rtt" => ms(self.options.rtt),
                    "late_replies" => serde_json::Value::from(self.options.late_replies),
                    "late_reply" => ms(self.options.late_reply),
                    "pool" => serde_json::Value::from(self.options.pool),
                    "busy_timeout" => ms(self.options.busy_timeout),
                    // A private server's socket is made at run time (see `environment`).
                    "url" if self.options.private_redis.is_some() => serde_json::Value::Null,
                    "url" => serde_json::Value::from(self.options.redacted_url()),
                    "isolation" => serde_json::Value::from(self.options.isolation.as_str()),
                    "buckets" => serde_json::Value::from(self.options.buckets),
                    "batch_size" => serde_json::Value::from(self.options.batch_size),
                    "batch_wait" => ms(self.options.batch_wait),
                    "connection" => serde_json::Value::from(self.options.connection.as_str()),
                    "order_ids" => serde_json::Value::from(self.options.order_ids),
                    "server" => serde_json::Value::from(match self.options.private_redis {
                        Some(_) => "private",
                        None => "shared",
                    }),
                    "persistence" => match self.options.private_redis {
                        Some(p) => serde_json::Value::from(p.as_str()),
                        None => serde_json::Value::Null,
                    },
                    "schema" | "reset" | "reserve" | "snapshot" => match self.custom_file(key) {
                        Some(file) => serde_json::Value::from(file.path.display().to_string()),
                        // A built-in script stands in.
                        None => serde_json::Value::Null,
                    },
                    "keys" => serde_json::Value::from(
                        self.options
                            .custom_lua
                            .as_ref()
                            .map(|c| c.keys_text.clone())
                            .unwrap_or_default(),
                    ),
                    other => unreachable!("option {other:?} has no field"),
                };
                (key.to_string(), value)
            })
            .collect();
        serde_json::Value::Object(options)
    }
}

impl Scenario {
    /// The files the backends read: custom SQL and Lua.
    pub fn input_files(&self) -> impl Iterator<Item = &std::path::Path> {
        self.backends.iter().flat_map(|b| {
            ["schema", "reset", "reserve", "snapshot"]
                .into_iter()
                .filter_map(move |key| b.custom_file(key))
                .map(|f| f.path.as_path())
        })
    }
}

impl BackendSpec {
    /// The team's file behind a `-custom` option, `None` where a built-in stands in.
    fn custom_file(&self, key: &str) -> Option<&SourceFile> {
        if let Some(sql) = &self.options.custom {
            return Some(match key {
                "schema" => &sql.schema,
                "reset" => &sql.reset,
                "reserve" => &sql.reserve,
                _ => &sql.snapshot,
            });
        }
        let lua = self.options.custom_lua.as_ref()?;
        match key {
            "reserve" => Some(&lua.reserve),
            "reset" => lua.reset.as_ref(),
            "snapshot" => lua.snapshot.as_ref(),
            _ => None,
        }
    }
}

impl Serialize for BackendSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("BackendSpec", 3)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("kind", &self.kind)?;
        st.serialize_field("options", &self.options_json())?;
        st.end()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    MemoryNaive,
    MemoryAtomic,
    MemoryLock,
    MemoryQueue,
    MemoryBatch,
    SqliteNaive,
    SqliteAtomic,
    PostgresNaive,
    PostgresAtomic,
    PostgresForUpdate,
    PostgresAdvisory,
    PostgresTx,
    PostgresSharded,
    PostgresCustom,
    PostgresBatch,
    MysqlNaive,
    MysqlAtomic,
    MysqlForUpdate,
    MysqlTx,
    MysqlCustom,
    RedisNaive,
    RedisWatch,
    RedisLua,
    RedisDecr,
    RedisCustom,
}

/// The server a backend kind talks to, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Postgres,
    Mysql,
    Redis,
}

impl Server {
    /// The environment variable that overrides the default URL.
    pub fn url_variable(self) -> &'static str {
        match self {
            Server::Postgres => "ATPSIM_POSTGRES_URL",
            Server::Mysql => "ATPSIM_MYSQL_URL",
            Server::Redis => "ATPSIM_REDIS_URL",
        }
    }

    /// The local server every machine of the project runs.
    pub fn default_url(self) -> &'static str {
        match self {
            Server::Postgres => "postgres://postgres@127.0.0.1:5432/test",
            Server::Mysql => "mysql://root@127.0.0.1:3306/test",
            Server::Redis => "redis://127.0.0.1:6379/0",
        }
    }

    /// URL schemes the driver accepts.
    pub fn schemes(self) -> &'static [&'static str] {
        match self {
            Server::Postgres => &["postgres", "postgresql"],
            Server::Mysql => &["mysql", "mariadb"],
            Server::Redis => &["redis", "rediss"],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Server::Postgres => "PostgreSQL",
            Server::Mysql => "MariaDB/MySQL",
            Server::Redis => "Redis",
        }
    }
}

impl BackendKind {
    pub const ALL: [BackendKind; 25] = [
        BackendKind::MemoryNaive,
        BackendKind::MemoryAtomic,
        BackendKind::MemoryLock,
        BackendKind::MemoryQueue,
        BackendKind::MemoryBatch,
        BackendKind::SqliteNaive,
        BackendKind::SqliteAtomic,
        BackendKind::PostgresNaive,
        BackendKind::PostgresAtomic,
        BackendKind::PostgresForUpdate,
        BackendKind::PostgresAdvisory,
        BackendKind::PostgresTx,
        BackendKind::PostgresSharded,
        BackendKind::PostgresCustom,
        BackendKind::PostgresBatch,
        BackendKind::MysqlNaive,
        BackendKind::MysqlAtomic,
        BackendKind::MysqlForUpdate,
        BackendKind::MysqlTx,
        BackendKind::MysqlCustom,
        BackendKind::RedisNaive,
        BackendKind::RedisWatch,
        BackendKind::RedisLua,
        BackendKind::RedisDecr,
        BackendKind::RedisCustom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::MemoryNaive => "memory-naive",
            BackendKind::MemoryAtomic => "memory-atomic",
            BackendKind::MemoryLock => "memory-lock",
            BackendKind::MemoryQueue => "memory-queue",
            BackendKind::MemoryBatch => "memory-batch",
            BackendKind::SqliteNaive => "sqlite-naive",
            BackendKind::SqliteAtomic => "sqlite-atomic",
            BackendKind::PostgresNaive => "postgres-naive",
            BackendKind::PostgresAtomic => "postgres-atomic",
            BackendKind::PostgresForUpdate => "postgres-for-update",
            BackendKind::PostgresAdvisory => "postgres-advisory",
            BackendKind::PostgresTx => "postgres-tx",
            BackendKind::PostgresSharded => "postgres-sharded",
            BackendKind::PostgresCustom => "postgres-custom",
            BackendKind::PostgresBatch => "postgres-batch",
            BackendKind::MysqlNaive => "mysql-naive",
            BackendKind::MysqlAtomic => "mysql-atomic",
            BackendKind::MysqlForUpdate => "mysql-for-update",
            BackendKind::MysqlTx => "mysql-tx",
            BackendKind::MysqlCustom => "mysql-custom",
            BackendKind::RedisNaive => "redis-naive",
            BackendKind::RedisWatch => "redis-watch",
            BackendKind::RedisLua => "redis-lua",
            BackendKind::RedisDecr => "redis-decr",
            BackendKind::RedisCustom => "redis-custom",
        }
    }

    pub fn parse(s: &str) -> Option<BackendKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// `(store, strategy)` as `run.json` reports them.
    pub fn store_and_strategy(self) -> (&'static str, &'static str) {
        let s = self.as_str();
        let (store, strategy) = s.split_once('-').expect("kinds are store-strategy");
        (store, strategy)
    }

    /// The server this kind needs, `None` for the embedded stores.
    pub fn server(self) -> Option<Server> {
        match self.store_and_strategy().0 {
            "postgres" => Some(Server::Postgres),
            "mysql" => Some(Server::Mysql),
            "redis" => Some(Server::Redis),
            _ => None,
        }
    }

    /// Whether a `kill_connections` fault can end this kind's sessions:
    /// only a server has them; an embedded store keeps its stock in process.
    pub fn can_kill_connections(self) -> bool {
        self.server().is_some()
    }

    /// Kinds whose reservations lock the SKU's row of the `{{stock}}`
    /// table, which a `stall_row` fault then holds locked.
    pub fn can_stall_row(self) -> bool {
        use BackendKind::*;
        matches!(
            self,
            PostgresNaive
                | PostgresAtomic
                | PostgresForUpdate
                | PostgresAdvisory
                | PostgresTx
                | PostgresBatch
                | MysqlNaive
                | MysqlAtomic
                | MysqlForUpdate
                | MysqlTx
        )
    }

    /// Whether the kind implements the checkout calls (`take`, `confirm`,
    /// `release`, `refund`, `adjust`, `reap`) a scenario with `[checkout]`
    /// or `[[event]]` needs.
    pub fn supports_checkout(self) -> bool {
        use BackendKind::*;
        matches!(
            self,
            MemoryNaive
                | MemoryAtomic
                | MemoryLock
                | MemoryQueue
                | SqliteAtomic
                | PostgresAtomic
                | MysqlAtomic
                | RedisLua
        )
    }

    /// The option keys this kind accepts in a `[[backend]]` table.
    pub fn supported_options(self) -> &'static [&'static str] {
        use BackendKind::*;
        match self {
            MemoryNaive | MemoryAtomic | MemoryLock | MemoryQueue => {
                &["rtt", "late_replies", "late_reply"]
            }
            MemoryBatch => &["rtt", "batch_size", "batch_wait"],
            SqliteNaive | SqliteAtomic => &["pool", "busy_timeout"],
            PostgresNaive | MysqlNaive => &["url"],
            PostgresAtomic | PostgresForUpdate | PostgresAdvisory | MysqlAtomic
            | MysqlForUpdate => &["url", "order_ids"],
            PostgresTx | MysqlTx => &["url", "isolation", "order_ids"],
            PostgresSharded => &["url", "buckets"],
            PostgresBatch => &["url", "batch_size", "batch_wait"],
            PostgresCustom | MysqlCustom => &["url", "schema", "reset", "reserve", "snapshot"],
            RedisNaive | RedisDecr => &["url", "server", "persistence", "connection"],
            RedisWatch | RedisLua => &["url", "server", "persistence", "connection", "order_ids"],
            RedisCustom => &[
                "url",
                "server",
                "persistence",
                "connection",
                "keys",
                "reset",
                "reserve",
                "snapshot",
            ],
        }
    }
}

/// Isolation level of the `-tx` backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Isolation {
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

impl Isolation {
    pub const ALL: [Isolation; 3] = [
        Isolation::ReadCommitted,
        Isolation::RepeatableRead,
        Isolation::Serializable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "read-committed",
            Isolation::RepeatableRead => "repeatable-read",
            Isolation::Serializable => "serializable",
        }
    }

    pub fn parse(s: &str) -> Option<Isolation> {
        Self::ALL.into_iter().find(|i| i.as_str() == s)
    }

    /// As SQL spells it (`ISOLATION LEVEL …`).
    pub fn sql(self) -> &'static str {
        match self {
            Isolation::ReadCommitted => "READ COMMITTED",
            Isolation::RepeatableRead => "REPEATABLE READ",
            Isolation::Serializable => "SERIALIZABLE",
        }
    }

    /// The level a server runs a transaction at when none is asked for.
    pub fn server_default(server: Server) -> Isolation {
        match server {
            Server::Postgres => Isolation::ReadCommitted,
            Server::Mysql => Isolation::RepeatableRead,
            // Not a transactional store: a script or MULTI/EXEC runs alone.
            Server::Redis => Isolation::Serializable,
        }
    }
}

/// What a private `redis-server` keeps across a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Persistence {
    /// `appendonly yes`, `appendfsync always`: every acknowledged write
    /// survives a crash.
    AofAlways,
    /// No AOF and no snapshots: a restart comes back empty.
    None,
}

impl Persistence {
    pub const ALL: [Persistence; 2] = [Persistence::AofAlways, Persistence::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Persistence::AofAlways => "aof-always",
            Persistence::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Persistence> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// How the Redis backends connect: a connection per client, or one shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionMode {
    /// One connection per client, used by that client alone (the default).
    Dedicated,
    /// One multiplexed connection shared by every client.
    Multiplexed,
}

impl ConnectionMode {
    pub const ALL: [ConnectionMode; 2] = [ConnectionMode::Dedicated, ConnectionMode::Multiplexed];

    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionMode::Dedicated => "dedicated",
            ConnectionMode::Multiplexed => "multiplexed",
        }
    }

    pub fn parse(s: &str) -> Option<ConnectionMode> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// One file of a team's own code (SQL or Lua) for a `-custom` backend:
/// where it came from and what it says.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

/// The team's own statements for a `-custom` backend (see `backends/README.md`).
#[derive(Debug, Clone)]
pub struct CustomSql {
    pub schema: SourceFile,
    pub reset: SourceFile,
    pub reserve: SourceFile,
    pub snapshot: SourceFile,
}

/// The team's own scripts for `redis-custom` (see `backends/README.md`).
#[derive(Debug, Clone)]
pub struct CustomLua {
    pub reserve: SourceFile,
    /// `None`: the built-in `backends/redis/custom-reset.lua`.
    pub reset: Option<SourceFile>,
    /// `None`: the built-in `backends/redis/custom-snapshot.lua`.
    pub snapshot: Option<SourceFile>,
    /// The key layout handed to every script as `KEYS`, one SKU at a time.
    pub keys: Vec<crate::backend::redis::custom::KeyTemplate>,
    /// The layout as written, for `run.json`.
    pub keys_text: Vec<String>,
}

/// Options of one backend; each field applies to the kinds that list it in
/// `BackendKind::supported_options`, the others keep their defaults.
#[derive(Debug, Clone)]
pub struct BackendOptions {
    /// Simulated round trip added once per memory-backend call.
    pub rtt: Duration,
    /// Share of memory-backend calls whose reply comes `late_reply` after
    /// the store applied them (a slow way back: timeouts after the effect).
    pub late_replies: f64,
    pub late_reply: Duration,
    /// SQLite connection pool size.
    pub pool: u32,
    /// SQLite busy timeout: how long a writer waits for the lock before `SQLITE_BUSY`.
    pub busy_timeout: Duration,
    /// Server URL, resolved at validation (scenario, then the environment
    /// variable, then the local server). Holds the password: print `redacted_url`.
    pub url: String,
    /// Isolation level of the `-tx` kinds.
    pub isolation: Isolation,
    /// Bucket rows per SKU of `postgres-sharded`.
    pub buckets: u32,
    /// The statements of a `-custom` kind.
    pub custom: Option<CustomSql>,
    /// How the Redis kinds connect.
    pub connection: ConnectionMode,
    /// The scripts of `redis-custom`.
    pub custom_lua: Option<CustomLua>,
    /// A Redis kind on a `redis-server` of its own, started for the run
    /// with this persistence (`server = "private"`), instead of `url`.
    pub private_redis: Option<Persistence>,
    /// Store each reservation's order id with it, so the audit can settle
    /// unknowns (the kinds that list `order_ids`; off to measure its cost).
    pub order_ids: bool,
    /// The most orders one batch of a `-batch` kind settles.
    pub batch_size: u32,
    /// How long a `-batch` kind's queue server waits for more orders once
    /// one is in; zero: it settles what is already queued.
    pub batch_wait: Duration,
}

impl Default for BackendOptions {
    fn default() -> Self {
        BackendOptions {
            rtt: Duration::ZERO,
            late_replies: 0.0,
            late_reply: Duration::ZERO,
            pool: 16,
            busy_timeout: Duration::from_millis(5000),
            url: String::new(),
            isolation: Isolation::ReadCommitted,
            buckets: 8,
            custom: None,
            connection: ConnectionMode::Dedicated,
            custom_lua: None,
            order_ids: true,
            private_redis: None,
            batch_size: DEFAULT_BATCH_SIZE,
            batch_wait: Duration::ZERO,
        }
    }
}

impl BackendOptions {
    /// The URL with any password replaced, fit for output.
    pub fn redacted_url(&self) -> String {
        crate::redact::url(&self.url)
    }
}

fn as_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}
