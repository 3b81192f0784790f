-- The lazy reap, first half: the SKU's holds lapsed at the harness's `now`
-- leave `held`; writes nothing when none lapsed. ?1 sku, ?2 now (µs)
UPDATE atpsim_stock
   SET held = held - (SELECT coalesce(sum(o.qty), 0) FROM atpsim_orders o
                       WHERE o.sku = ?1 AND o.state = 'held' AND o.expires_us <= ?2)
 WHERE sku = ?1
   AND EXISTS (SELECT 1 FROM atpsim_orders o
                WHERE o.sku = ?1 AND o.state = 'held' AND o.expires_us <= ?2)
