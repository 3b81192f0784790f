-- Whether an order was applied: its rows. Binds: key
SELECT COUNT(*) FROM {{orders}} WHERE order_key = ?
