-- The columns of the marker table atpsim_meta in the schema atpsim uses,
-- in order; none when there is no such table.
SELECT column_name::text FROM information_schema.columns
 WHERE table_schema = current_schema() AND table_name = 'atpsim_meta'
 ORDER BY ordinal_position
