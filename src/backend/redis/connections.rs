//! Opening a Redis backend and lending its client connections: the admin
//! connection first (so an unreachable server fails at once), the free-slot
//! check, named client connections (their `CLIENT ID`s recorded), one per
//! client or one shared, and the server settings for `run.json`.
//!
//! Invariant: a lent connection comes back only if it is fit for reuse; one
//! that hit I/O trouble (or any error, for `redis-watch`) is dropped.

use super::*;

impl Redis {
    pub async fn open(
        spec: &BackendSpec,
        skus: &[Sku],
        strategy: Strategy,
        ctx: &OpenContext,
    ) -> Result<Self, BackendError> {
        let private = match spec.options.private_redis {
            Some(persistence) => Some(
                private::PrivateServer::start(persistence)
                    .await
                    .map_err(|e| BackendError::new(&spec.name, e))?,
            ),
            None => None,
        };
        let raw_url = match &private {
            Some(server) => server.url(),
            None => spec.options.url.clone(),
        };
        let url = crate::redact::url(&raw_url);
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            let message = crate::redact::message(&e.to_string(), &raw_url);
            BackendError::new(&spec.name, format!("{what} {url}: {message}"))
        };
        let client = redis::Client::open(raw_url.as_str()).map_err(|e| fail("invalid URL", &e))?;
        let timeout = ctx.timeout.max(Duration::from_millis(1));
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(timeout.max(Duration::from_secs(1)))
            .set_response_timeout(timeout);
        let run_id = new_run_id();
        let keys = Keys::new(&run_id);
        // The admin connection doubles as the probe: an unreachable server
        // fails here at once, before anything is written.
        // Set-up, cleanup and the final read may take longer than one
        // attempt's timeout (a large catalogue, a short `timeout`).
        let admin_config = AsyncConnectionConfig::new()
            .set_connection_timeout(timeout.max(Duration::from_secs(1)))
            .set_response_timeout(timeout.max(Duration::from_secs(30)));
        let mut admin = client
            .get_multiplexed_async_connection_with_config(&admin_config)
            .await
            .map_err(|e| fail("cannot connect to", &e))?;
        set_name(&mut admin, &format!("atpsim-{run_id}-admin"))
            .await
            .map_err(|e| fail("cannot use", &e))?;
        let clients = ctx.clients.max(1);
        let needed = spec.connections(clients, skus.len());
        check_free_slots(&mut admin, needed)
            .await
            .map_err(|e| fail("cannot use", &e))?;
        let unclaimed = keys
            .unclaimed(&mut admin)
            .await
            .map_err(|e| fail("cannot read the marker key on", &e))?;
        if !unclaimed {
            return Err(BackendError::new(
                &spec.name,
                format!(
                    "cannot use {url}: the key {} exists already, and atpsim removes only keys of a run it marked itself; run again for a fresh run id",
                    keys.meta()
                ),
            ));
        }
        keys.mark(&mut admin, &spec.name)
            .await
            .map_err(|e| fail("cannot write the marker key on", &e))?;
        let keys_prefix = keys.prefix().to_string();
        let mut backend = Redis {
            name: spec.name.clone(),
            url: url.clone(),
            raw_url: raw_url.clone(),
            strategy,
            mode: spec.options.connection,
            client,
            config,
            client_name: format!("atpsim-{run_id}"),
            admin: Mutex::new(admin),
            private,
            lost_data: AtomicBool::new(false),
            free: Mutex::new(Vec::new()),
            shared: Mutex::new(None),
            closed: AtomicBool::new(false),
            client_ids: Mutex::new(Vec::new()),
            keys,
            run_id,
            script: redis::Script::new(RESERVE_LUA),
            stores_ids: strategy.can_store_ids() && spec.options.order_ids,
            custom: spec
                .options
                .custom_lua
                .as_ref()
                .map(|lua| scripts::CustomScripts::new(lua, &keys_prefix, skus)),
            checkout: matches!(strategy, Strategy::Lua).then(checkout::Scripts::new),
            hooks: ctx.hooks.clone(),
            keep: ctx.keep,
            client_timeout: ctx.timeout,
            environment: serde_json::Value::Null,
            first_error: OnceLock::new(),
            skus: skus.len() as u32,
        };
        // From here on, a failure removes the run's keys again.
        match backend.finish_open(clients).await {
            Ok(environment) => backend.environment = environment,
            Err(e) => {
                backend.drop_clients();
                let _ = backend.remove_keys().await;
                return Err(fail("cannot open client connections on", &e));
            }
        }
        if let Some(custom) = &backend.custom {
            let loaded = custom
                .load(&mut backend.admin(), &backend.name, |e| backend.scrub(e))
                .await;
            if let Err(e) = loaded {
                backend.drop_clients();
                let _ = backend.remove_keys().await;
                return Err(e);
            }
        }
        Ok(backend)
    }

    /// Open every client connection before t0, then read the settings.
    pub(super) async fn finish_open(&self, clients: u32) -> RedisResult<serde_json::Value> {
        match self.mode {
            ConnectionMode::Dedicated => {
                let mut opened = Vec::with_capacity(clients as usize);
                for _ in 0..clients {
                    opened.push(self.connect().await?);
                }
                *self.free.lock().expect("free list") = opened;
            }
            ConnectionMode::Multiplexed => {
                *self.shared.lock().expect("shared") = Some(self.connect().await?);
            }
        }
        if matches!(self.strategy, Strategy::Lua) {
            // Load it now; EVALSHA finds it (and falls back to EVAL if not).
            self.script
                .prepare_invoke()
                .load_async(&mut self.admin())
                .await?;
        }
        if let Some(checkout) = &self.checkout {
            checkout.load(&mut self.admin()).await?;
        }
        self.read_environment(clients).await
    }

    /// A new client connection, named after the run.
    pub(super) async fn connect(&self) -> RedisResult<MultiplexedConnection> {
        let mut conn = self
            .client
            .get_multiplexed_async_connection_with_config(&self.config)
            .await?;
        set_name(&mut conn, &self.client_name).await?;
        // Recorded so a `kill_connections` fault ends exactly the run's own.
        let id: i64 = redis::cmd("CLIENT")
            .arg("ID")
            .query_async(&mut conn)
            .await?;
        self.client_ids
            .lock()
            .expect("client ids")
            .push(id.to_string());
        Ok(conn)
    }

    /// `CLIENT KILL ID` each of `ids`; one already gone counts 0, no error.
    pub(super) async fn kill_clients(&self, ids: &[String]) -> RedisResult<()> {
        for id in ids {
            redis::cmd("CLIENT")
                .arg("KILL")
                .arg("ID")
                .arg(id)
                .query_async::<i64>(&mut self.admin())
                .await?;
        }
        Ok(())
    }

    /// A connection for one attempt: an idle dedicated one, the shared one,
    /// or a fresh one when the last was dropped.
    pub(super) async fn lease(&self) -> RedisResult<MultiplexedConnection> {
        let idle = match self.mode {
            ConnectionMode::Dedicated => self.free.lock().expect("free list").pop(),
            ConnectionMode::Multiplexed => self.shared.lock().expect("shared").clone(),
        };
        if let Some(conn) = idle {
            return Ok(conn);
        }
        if self.closed.load(Ordering::Acquire) {
            return Err(RedisError::from((
                ErrorKind::ClientError,
                "the run's connections are closed",
            )));
        }
        let conn = self.connect().await?;
        if self.mode == ConnectionMode::Multiplexed {
            let mut shared = self.shared.lock().expect("shared");
            match &*shared {
                // Another client reconnected first: share its connection.
                Some(other) => return Ok(other.clone()),
                None => *shared = Some(conn.clone()),
            }
        }
        Ok(conn)
    }

    /// After an attempt: keep the connection, or drop it so the next
    /// attempt opens a fresh one.
    pub(super) fn give_back(&self, conn: MultiplexedConnection, reusable: bool) {
        match self.mode {
            ConnectionMode::Dedicated => {
                if reusable && !self.closed.load(Ordering::Acquire) {
                    self.free.lock().expect("free list").push(conn);
                }
            }
            ConnectionMode::Multiplexed => {
                if !reusable {
                    self.shared.lock().expect("shared").take();
                }
            }
        }
    }

    /// Drop every client connection the backend holds.
    pub(super) fn drop_clients(&self) {
        self.closed.store(true, Ordering::Release);
        self.free.lock().expect("free list").clear();
        self.shared.lock().expect("shared").take();
    }

    /// Remove the run's keys. A reply the driver could not parse (a script's
    /// error text that is not UTF-8) leaves the admin connection unusable,
    /// so after a failure a fresh connection tries once more.
    pub(super) async fn remove_keys(&self) -> RedisResult<()> {
        if self.keys.remove_all(&mut self.admin()).await.is_ok() {
            return Ok(());
        }
        let mut fresh = self.client.get_multiplexed_async_connection().await?;
        self.keys.remove_all(&mut fresh).await
    }

    /// A clone of the admin connection (multiplexed: clones share it).
    pub(super) fn admin(&self) -> MultiplexedConnection {
        self.admin.lock().expect("admin connection").clone()
    }

    /// Whether the run's marker key is still on the server.
    pub(super) async fn marker_exists(&self) -> Result<bool, BackendError> {
        redis::cmd("EXISTS")
            .arg(self.keys.meta())
            .query_async::<bool>(&mut self.admin())
            .await
            .map_err(|e| {
                BackendError::new(
                    &self.name,
                    format!("cannot read final stock: {}", self.scrub(&e)),
                )
            })
    }

    pub(super) fn scrub(&self, e: &RedisError) -> String {
        crate::redact::message(&e.to_string(), &self.raw_url)
    }

    pub(super) async fn read_environment(&self, clients: u32) -> RedisResult<serde_json::Value> {
        let mut admin = self.admin();
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query_async(&mut admin)
            .await?;
        let persistence: String = redis::cmd("INFO")
            .arg("persistence")
            .query_async(&mut admin)
            .await?;
        let field = |text: &str, name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}:")))
                .map(|v| v.trim().to_string())
        };
        // CONFIG may be renamed away on a managed server: then say so.
        let config = |name: &'static str| {
            let mut admin = self.admin();
            async move {
                redis::cmd("CONFIG")
                    .arg("GET")
                    .arg(name)
                    .query_async::<HashMap<String, String>>(&mut admin)
                    .await
                    .ok()
                    .and_then(|mut m| m.remove(name))
            }
        };
        let save = config("save").await;
        let appendonly = config("appendonly").await;
        let appendfsync = config("appendfsync").await;
        let maxclients = config("maxclients").await;
        Ok(serde_json::json!({
            "store": "redis",
            "url": self.url,
            "server_version": field(&info, "redis_version"),
            "save": save,
            "appendonly": appendonly.or_else(|| field(&persistence, "aof_enabled")),
            "appendfsync": appendfsync,
            "maxclients": maxclients.and_then(|m| m.parse::<i64>().ok()),
            "connection": self.mode.as_str(),
            "pool": match self.mode {
                ConnectionMode::Dedicated => clients,
                ConnectionMode::Multiplexed => 1,
            },
            "namespace": self.keys.prefix(),
            "run_id": self.run_id,
            "client_name": self.client_name,
            "kept": self.keep,
        }))
    }

    /// `(id, name)` of every client on the server named exactly `client_name`.
    pub(super) async fn run_clients(&self) -> RedisResult<Vec<String>> {
        let list: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query_async(&mut self.admin())
            .await?;
        Ok(clients_named(&list, &self.client_name))
    }
}

/// Refuse up front a run the server has no room for (`maxclients` less the
/// clients connected). A server whose `CONFIG` is disabled is not checked.
pub(super) async fn check_free_slots(
    admin: &mut MultiplexedConnection,
    needed: u32,
) -> Result<(), String> {
    let max: Option<i64> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("maxclients")
        .query_async::<HashMap<String, String>>(admin)
        .await
        .ok()
        .and_then(|mut m| m.remove("maxclients"))
        .and_then(|v| v.parse().ok());
    let Some(max) = max else {
        return Ok(());
    };
    let info: String = redis::cmd("INFO")
        .arg("clients")
        .query_async(admin)
        .await
        .map_err(|e| e.to_string())?;
    let used: i64 = info
        .lines()
        .find_map(|l| l.strip_prefix("connected_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let free = (max - used).max(0);
    if i64::from(needed) > free {
        return Err(format!(
            "the run needs {needed} connections (one per client) but the server has {free} free \
             (maxclients {max}, {used} connected); lower `concurrency` (or a closed phase's \
             `clients`), use `connection = \"multiplexed\"` or raise maxclients"
        ));
    }
    Ok(())
}

pub(super) async fn set_name(conn: &mut MultiplexedConnection, name: &str) -> RedisResult<()> {
    redis::cmd("CLIENT")
        .arg("SETNAME")
        .arg(name)
        .query_async(conn)
        .await
}

/// The ids of the clients in a `CLIENT LIST` reply named exactly `name`.
pub(super) fn clients_named(list: &str, name: &str) -> Vec<String> {
    list.lines()
        .filter(|line| {
            line.split(' ')
                .any(|f| f.strip_prefix("name=") == Some(name))
        })
        .filter_map(|line| {
            line.split(' ')
                .find_map(|f| f.strip_prefix("id="))
                .map(str::to_string)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(super) fn only_clients_of_the_exact_name_are_counted() {
        let list = "id=3 addr=127.0.0.1:1 name=atpsim-abc age=1 cmd=hmget\n\
                    id=4 addr=127.0.0.1:2 name=atpsim-abc-admin age=1 cmd=client|list\n\
                    id=5 addr=127.0.0.1:3 name= age=1 cmd=get\n\
                    id=6 addr=127.0.0.1:4 name=atpsim-abc age=1 cmd=watch\n";
        assert_eq!(clients_named(list, "atpsim-abc"), ["3", "6"]);
    }
}
