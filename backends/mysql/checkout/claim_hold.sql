-- A hold's conditional update: 0 rows matched = too little free stock.
-- Binds: quantity, sku, quantity
UPDATE {{stock}} SET held = held + ?
 WHERE sku = ? AND on_hand + buffer - held - sold >= ?
