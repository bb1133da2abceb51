-- Optimistic concurrency: every record carries a version, bumped by each change; the API
-- sends it as the ETag and refuses an If-Match write made against an older one (412).
ALTER TABLE organizations ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE persons ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE deals ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE activities ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE notes ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE pipelines ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE stages ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE teams ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE custom_field_defs ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE saved_filters ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
-- /healthz proves the writer can write by touching this one row.
CREATE TABLE writer_probe (id BIGINT PRIMARY KEY, probed_at BIGINT NOT NULL);
INSERT INTO writer_probe (id, probed_at) VALUES (1, 0);
-- A provider's call id → the call's activity, so a later event of the call (the end, with the
-- duration and the recording) updates it rather than being taken for a replay.
CREATE TABLE provider_calls (
    workspace_id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    call_id TEXT NOT NULL,
    activity_id BIGINT NOT NULL,
    callback_task_id BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, source_id, call_id)
);
