SELECT sku, reserved FROM atpsim_stock ORDER BY sku
