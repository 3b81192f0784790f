-- The lazy reap, second half: those holds are marked lapsed. Binds: sku, now (µs)
UPDATE {{orders}} SET state = 'lapsed'
 WHERE sku = ? AND state = 'held' AND expires_us <= ?
