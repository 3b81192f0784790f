-- The columns of the marker table atpsim_meta in the current database, in
-- order; none when there is no such table.
SELECT CAST(COLUMN_NAME AS CHAR) FROM information_schema.COLUMNS
 WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'atpsim_meta'
 ORDER BY ORDINAL_POSITION
