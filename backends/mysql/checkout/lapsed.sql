-- SKUs with holds lapsed at the harness's `now`, for the final reap. Binds: now (µs)
SELECT DISTINCT sku FROM {{orders}}
 WHERE state = 'held' AND expires_us <= ? ORDER BY sku
