-- A restock or correction in one statement, never below 0 (max() of two
-- values is SQLite's greatest()). ?1 sku, ?2 delta
UPDATE atpsim_stock SET on_hand = max(on_hand + ?2, 0) WHERE sku = ?1
