-- Whether an order was applied: its rows. $1 key
SELECT count(*) FROM {{orders}} WHERE order_key = $1
