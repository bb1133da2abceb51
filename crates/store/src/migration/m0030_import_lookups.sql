-- An import finds the company a row names by its exact name, a chunk of names at a time: an
-- index, so a look-up reads the names asked for instead of scanning the workspace's
-- organizations once per chunk (PostgreSQL scanned them).
CREATE INDEX organizations_ws_name ON organizations (workspace_id, name);
