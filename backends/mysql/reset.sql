-- No binds: empties the namespace's stock before a load.
DELETE FROM {{stock}}
