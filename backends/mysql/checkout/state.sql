-- The final state per SKU: stock, held, sold and live holds. No binds.
SELECT s.sku, s.on_hand, s.held, s.sold,
       (SELECT COUNT(*) FROM {{orders}} o WHERE o.sku = s.sku AND o.state = 'held')
  FROM {{stock}} s ORDER BY s.sku
