DELETE FROM {{reservations}}
