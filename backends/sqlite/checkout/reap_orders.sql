-- The lazy reap, second half: those holds are marked lapsed. ?1 sku, ?2 now (µs)
UPDATE atpsim_orders SET state = 'lapsed'
 WHERE sku = ?1 AND state = 'held' AND expires_us <= ?2
