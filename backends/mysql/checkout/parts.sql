-- The rows of one order. Binds: key
SELECT sku, qty, state FROM {{orders}} WHERE order_key = ? ORDER BY sku
