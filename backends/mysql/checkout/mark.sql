-- Binds: new state, key, sku
UPDATE {{orders}} SET state = ? WHERE order_key = ? AND sku = ?
