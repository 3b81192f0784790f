//! The keys of one run: `atpsim:<run id>:` and what hangs below it.
//!
//! Invariant: every key a Redis backend writes starts with its run's prefix
//! (run ids are `[a-z0-9]`, so the prefix is also a literal SCAN pattern),
//! and removing the run's keys finds them by `SCAN MATCH`, never `KEYS`.

use redis::aio::MultiplexedConnection;
use redis::RedisResult;

/// Keys per SCAN step and per DEL.
const BATCH: usize = 1000;

#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(run_id: &str) -> Self {
        Keys {
            prefix: format!("atpsim:{run_id}:"),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The marker: a hash holding the backend's name and the tool.
    pub fn meta(&self) -> String {
        format!("{}meta", self.prefix)
    }

    /// Stock of one SKU: a hash of `on_hand`, `buffer`, `reserved`.
    pub fn sku(&self, index: u32) -> String {
        format!("{}sku:{index}", self.prefix)
    }

    /// The order ids stored with one SKU's reservations: a hash of id → quantity.
    pub fn ids(&self, index: u32) -> String {
        format!("{}ids:{index}", self.prefix)
    }

    /// `redis-decr`'s counter of one SKU: `on_hand + buffer` less what was taken.
    pub fn avail(&self, index: u32) -> String {
        format!("{}avail:{index}", self.prefix)
    }

    /// Checkout stock of one SKU: a hash of `on_hand`, `buffer`, `held`, `sold`.
    pub fn stock(&self, index: u32) -> String {
        format!("{}co:sku:{index}", self.prefix)
    }

    /// One SKU's hold deadlines: a sorted set of `<key>:<qty>` by `expires_us`.
    pub fn holds(&self, index: u32) -> String {
        format!("{}co:holds:{index}", self.prefix)
    }

    /// One order's record: its `state`, `expires` and `q:<sku>` per line.
    pub fn order(&self, key: u64) -> String {
        format!("{}co:order:{key}", self.prefix)
    }

    /// Whether the run's marker key is absent, as it is for a fresh run id:
    /// one already there is not this run's, and the run would remove it
    /// with its own keys at the end.
    pub async fn unclaimed(&self, conn: &mut MultiplexedConnection) -> RedisResult<bool> {
        let exists: bool = redis::cmd("EXISTS")
            .arg(self.meta())
            .query_async(conn)
            .await?;
        Ok(!exists)
    }

    /// Write the marker.
    pub async fn mark(&self, conn: &mut MultiplexedConnection, backend: &str) -> RedisResult<()> {
        let tool = format!("atpsim {}", env!("CARGO_PKG_VERSION"));
        redis::cmd("HSET")
            .arg(self.meta())
            .arg("backend")
            .arg(backend)
            .arg("tool")
            .arg(tool)
            .query_async(conn)
            .await
    }

    /// Remove every key of the run, the marker with them.
    pub async fn remove_all(&self, conn: &mut MultiplexedConnection) -> RedisResult<()> {
        self.remove_matching(conn, "*").await
    }

    /// Remove every order record, so a reset run starts with no key seen.
    pub async fn remove_orders(&self, conn: &mut MultiplexedConnection) -> RedisResult<()> {
        self.remove_matching(conn, "co:order:*").await
    }

    /// Remove every stored order id, so a reset run starts with none.
    pub async fn remove_ids(&self, conn: &mut MultiplexedConnection) -> RedisResult<()> {
        self.remove_matching(conn, "ids:*").await
    }

    /// Delete the run's keys matching `<prefix><pattern>`, found by `SCAN
    /// MATCH` and deleted batch by batch as they come: a million SKUs' keys
    /// are never held at once. SCAN still returns every key present from
    /// start to end when others are deleted meanwhile.
    async fn remove_matching(
        &self,
        conn: &mut MultiplexedConnection,
        pattern: &str,
    ) -> RedisResult<()> {
        let pattern = format!("{}{pattern}", self.prefix);
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(BATCH)
                .query_async(conn)
                .await?;
            let ours: Vec<&String> = keys
                .iter()
                .filter(|k| k.starts_with(&self.prefix))
                .collect();
            if !ours.is_empty() {
                redis::cmd("DEL").arg(ours).query_async::<()>(conn).await?;
            }
            if next == 0 {
                return Ok(());
            }
            cursor = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_under_the_prefix() {
        let k = Keys::new("abc123def456");
        assert_eq!(k.prefix(), "atpsim:abc123def456:");
        for key in [
            k.meta(),
            k.sku(7),
            k.avail(7),
            k.stock(7),
            k.holds(7),
            k.order(9),
            k.ids(7),
        ] {
            assert!(key.starts_with(k.prefix()), "{key}");
        }
        assert_eq!(k.sku(7), "atpsim:abc123def456:sku:7");
        assert_eq!(k.avail(0), "atpsim:abc123def456:avail:0");
    }
}
