-- $1 key, $2 sku, $3 quantity, $4 deadline (µs, harness clock)
INSERT INTO {{orders}} (order_key, sku, qty, expires_us, state)
VALUES ($1, $2, $3, $4, 'held')
