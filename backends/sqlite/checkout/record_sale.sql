-- ?1 key, ?2 sku, ?3 quantity
INSERT INTO atpsim_orders (order_key, sku, qty, expires_us, state)
VALUES (?1, ?2, ?3, NULL, 'sold')
