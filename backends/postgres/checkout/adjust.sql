-- A restock or correction in one statement, never below 0; a concurrent
-- sale waits for the row and is never overwritten. $1 sku, $2 delta
UPDATE {{stock}} SET on_hand = greatest(on_hand + $2, 0) WHERE sku = $1
