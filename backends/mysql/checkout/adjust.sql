-- A restock or correction in one statement, never below 0; a concurrent
-- sale waits for the row and is never overwritten. Binds: delta, sku
UPDATE {{stock}} SET on_hand = GREATEST(on_hand + ?, 0) WHERE sku = ?
