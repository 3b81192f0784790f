-- Binds: key, sku, quantity, deadline (µs, harness clock)
INSERT INTO {{orders}} (order_key, sku, qty, expires_us, state)
VALUES (?, ?, ?, ?, 'held')
