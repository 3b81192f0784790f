-- No binds: empties the namespace's stored order ids before a load.
DELETE FROM {{reservations}}
