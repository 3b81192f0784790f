-- No binds: empties the orders before a run.
DELETE FROM {{orders}}
