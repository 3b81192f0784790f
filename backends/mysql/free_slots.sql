-- Connection slots: max_connections, and the sessions open now (all of
-- them only with the PROCESS privilege; otherwise just the user's own).
SELECT CAST(@@max_connections AS SIGNED),
       (SELECT COUNT(*) FROM information_schema.PROCESSLIST)
