-- A hold's conditional update: 0 rows = too little free stock. $1 sku, $2 quantity
UPDATE {{stock}} SET held = held + $2
 WHERE sku = $1 AND on_hand + buffer - held - sold >= $2
