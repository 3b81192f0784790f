-- The tables of one namespace. $1 the LIKE pattern atpsim\_%\_<run id>
SELECT tablename FROM pg_tables
 WHERE schemaname = current_schema() AND tablename LIKE $1
