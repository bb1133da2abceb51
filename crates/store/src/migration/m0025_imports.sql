-- Imports of a base from another CRM's export (issue 20). An upload keeps the file's rows
-- (`data`, JSON) until it is run; `settings` holds the confirmed column and value mappings and
-- the duplicates choice; `report` the last run's counts and failed rows.
CREATE TABLE imports (
    id {ID},
    workspace_id BIGINT NOT NULL,
    entity TEXT NOT NULL,
    preset TEXT NOT NULL,
    file_name TEXT NOT NULL,
    file_kind TEXT NOT NULL,
    status TEXT NOT NULL,
    headers TEXT NOT NULL,
    data TEXT,
    settings TEXT NOT NULL,
    report TEXT,
    row_count BIGINT NOT NULL DEFAULT 0,
    created_count BIGINT NOT NULL DEFAULT 0,
    updated_count BIGINT NOT NULL DEFAULT 0,
    skipped_count BIGINT NOT NULL DEFAULT 0,
    failed_count BIGINT NOT NULL DEFAULT 0,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT,
    rolled_back_at BIGINT
);
CREATE INDEX imports_ws ON imports (workspace_id, id);
-- What an import created or updated (with the fields' values before, to restore on rollback).
CREATE TABLE import_records (
    id {ID},
    workspace_id BIGINT NOT NULL,
    import_id BIGINT NOT NULL,
    entity TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    before TEXT
);
CREATE INDEX import_records_import ON import_records (import_id, entity);
-- The other CRM's own ids: a re-import of the same file finds its records instead of adding.
CREATE TABLE import_keys (
    workspace_id BIGINT NOT NULL,
    source TEXT NOT NULL,
    entity TEXT NOT NULL,
    external_id TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    import_id BIGINT NOT NULL
);
CREATE UNIQUE INDEX import_keys_key ON import_keys (workspace_id, source, entity, external_id);
CREATE INDEX import_keys_import ON import_keys (import_id);
