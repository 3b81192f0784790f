-- Last resort when the run will not go quiet. No binds: the caller appends
-- one id recorded at connect (KILL takes one id, not a list).
KILL CONNECTION
