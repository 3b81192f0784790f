-- The final state (R): reserved units per SKU.
SELECT sku, reserved FROM {{stock}} ORDER BY sku
