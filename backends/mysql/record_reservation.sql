-- The order's id, inside the transaction that wrote the stock.
-- Binds: order id, sku, quantity
INSERT INTO {{reservations}} (order_id, sku, qty) VALUES (?, ?, ?)
