-- Units per SKU of every stored order id, to check against the stock rows.
SELECT sku, CAST(SUM(qty) AS SIGNED) FROM {{reservations}} GROUP BY sku
