-- ?1 sku index, ?2 on_hand, ?3 buffer
INSERT INTO atpsim_stock (sku, on_hand, buffer, reserved) VALUES (?1, ?2, ?3, 0)
