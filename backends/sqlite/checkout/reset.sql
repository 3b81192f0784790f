DELETE FROM atpsim_orders
