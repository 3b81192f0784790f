-- The conditional update and the order's id in one transaction and one
-- round trip. MariaDB has no data-changing CTE and a prepared statement
-- holds one statement, so this goes as one text batch, the integers written
-- in. The INSERT adds its row exactly when the UPDATE matched one: rows
-- affected over the batch are 2 for a grant, 0 for sold out.
START TRANSACTION;
UPDATE {{stock}}
   SET reserved = reserved + :qty
 WHERE sku = :sku
   AND on_hand + buffer - reserved >= :qty;
INSERT INTO {{reservations}} (order_id, sku, qty)
SELECT :order, :sku, :qty FROM DUAL WHERE ROW_COUNT() > 0;
COMMIT
