-- The final state per SKU: stock, held, sold and live holds.
SELECT s.sku, s.on_hand, s.held, s.sold,
       (SELECT count(*) FROM atpsim_orders o WHERE o.sku = s.sku AND o.state = 'held')
  FROM atpsim_stock s ORDER BY s.sku
