-- The conditional update and the order's id in one statement: the id is
-- stored exactly when the stock changed. 0 rows = sold out.
-- $1 quantity, $2 sku, $3 order id
WITH granted AS (
    UPDATE {{stock}}
       SET reserved = reserved + $1
     WHERE sku = $2
       AND on_hand + buffer - reserved >= $1
 RETURNING sku
)
INSERT INTO {{reservations}} (order_id, sku, qty)
SELECT $3, sku, $1 FROM granted
