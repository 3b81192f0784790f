-- The lazy reap, first half: the SKU's holds lapsed at the harness's `now`
-- leave `held`. Runs after the row lock at READ COMMITTED, so it sees every
-- committed hold and takes no gap locks; writes nothing when none lapsed.
-- Binds: sku, now (µs), sku, sku, now
UPDATE {{stock}}
   SET held = held - (SELECT COALESCE(SUM(o.qty), 0) FROM {{orders}} o
                       WHERE o.sku = ? AND o.state = 'held' AND o.expires_us <= ?)
 WHERE sku = ?
   AND EXISTS (SELECT 1 FROM {{orders}} o
                WHERE o.sku = ? AND o.state = 'held' AND o.expires_us <= ?)
