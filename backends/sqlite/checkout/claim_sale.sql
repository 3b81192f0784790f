-- A sale's conditional update: 0 rows = too little free stock. ?1 sku, ?2 quantity
UPDATE atpsim_stock SET sold = sold + ?2
 WHERE sku = ?1 AND on_hand + buffer - held - sold >= ?2
