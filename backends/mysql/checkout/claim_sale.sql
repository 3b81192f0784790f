-- A sale's conditional update: 0 rows matched = too little free stock.
-- Binds: quantity, sku, quantity
UPDATE {{stock}} SET sold = sold + ?
 WHERE sku = ? AND on_hand + buffer - held - sold >= ?
