-- The conditional update: check and add in one statement; 0 rows = sold out.
-- $1 quantity, $2 sku
UPDATE {{stock}}
   SET reserved = reserved + $1
 WHERE sku = $2
   AND on_hand + buffer - reserved >= $1
