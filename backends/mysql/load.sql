-- One row of stock. Binds: sku index, on_hand, buffer. The loader repeats
-- the row tuple after VALUES to insert a batch in one statement.
INSERT INTO {{stock}} (sku, on_hand, buffer, reserved) VALUES (?, ?, ?, 0)
