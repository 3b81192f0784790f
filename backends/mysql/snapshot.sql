-- The final state (R): reserved units per SKU. No binds.
SELECT sku, reserved FROM {{stock}} ORDER BY sku
