-- The tables of one namespace. Binds: the LIKE pattern atpsim\_%\_<run id>
SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES
 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE ?
