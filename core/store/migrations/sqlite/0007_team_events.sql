-- 0007: team events. The leader writes each engine event here after the
-- commit that caused it, so every desk on a team database sees documents,
-- exceptions, runs and requests change without polling (PostgreSQL adds a
-- NOTIFY carrying the id); a desk that was away catches up from the last
-- id it saw. On a desk's own file the table stays empty.
CREATE TABLE team_events (
    id     INTEGER PRIMARY KEY,
    type   TEXT NOT NULL,
    data   TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT '',
    at     TEXT NOT NULL
);
