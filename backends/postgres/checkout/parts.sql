-- The rows of one order. $1 key
SELECT sku, qty, state FROM {{orders}} WHERE order_key = $1 ORDER BY sku
