-- SKUs with holds lapsed at the harness's `now`, for the final reap. $1 now (µs)
SELECT DISTINCT sku FROM {{orders}}
 WHERE state = 'held' AND expires_us <= $1 ORDER BY sku
