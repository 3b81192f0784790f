-- The conditional update: check and add in one statement; 0 rows = sold out
-- (the driver asks for rows matched, not rows changed).
-- Binds: quantity, sku, quantity
UPDATE {{stock}}
   SET reserved = reserved + ?
 WHERE sku = ?
   AND on_hand + buffer - reserved >= ?
