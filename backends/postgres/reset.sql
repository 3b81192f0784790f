DELETE FROM {{stock}}
