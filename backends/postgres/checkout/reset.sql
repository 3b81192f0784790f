DELETE FROM {{orders}}
