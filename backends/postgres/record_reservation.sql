-- The order's id, inside the transaction that wrote the stock.
-- $1 order id, $2 sku, $3 quantity
INSERT INTO {{reservations}} (order_id, sku, qty) VALUES ($1, $2, $3)
