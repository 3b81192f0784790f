DELETE FROM atpsim_stock
