-- Binds: key, sku, quantity
INSERT INTO {{orders}} (order_key, sku, qty, expires_us, state)
VALUES (?, ?, ?, NULL, 'sold')
