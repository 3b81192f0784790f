-- The lazy reap, first half: the SKU's holds lapsed at the harness's `now`
-- leave `held`. Runs after the row lock, so it sees every committed hold;
-- writes nothing when none lapsed. $1 sku, $2 now (µs)
UPDATE {{stock}}
   SET held = held - (SELECT coalesce(sum(o.qty), 0)::bigint FROM {{orders}} o
                       WHERE o.sku = $1 AND o.state = 'held' AND o.expires_us <= $2)
 WHERE sku = $1
   AND EXISTS (SELECT 1 FROM {{orders}} o
                WHERE o.sku = $1 AND o.state = 'held' AND o.expires_us <= $2)
