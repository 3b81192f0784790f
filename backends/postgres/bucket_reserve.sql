-- The conditional update on one bucket. $1 quantity, $2 sku, $3 bucket
UPDATE {{bucket}}
   SET reserved = reserved + $1
 WHERE sku = $2 AND bucket = $3
   AND on_hand + buffer - reserved >= $1
