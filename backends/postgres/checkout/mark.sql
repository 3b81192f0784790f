-- $1 key, $2 sku, $3 new state
UPDATE {{orders}} SET state = $3 WHERE order_key = $1 AND sku = $2
