-- The regulation document (issue 23): every version of what the document says, kept as its typed
-- source (JSON) with a fingerprint and a summary of what changed since the version before, each
-- user's "I have read version N", and how many days a change stays highlighted.
CREATE TABLE regulation_doc_versions (
    id {ID},
    workspace_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,
    source TEXT NOT NULL,
    summary TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX regulation_doc_versions_ws ON regulation_doc_versions (workspace_id, version);
CREATE TABLE regulation_doc_reads (
    id {ID},
    workspace_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    read_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX regulation_doc_reads_user ON regulation_doc_reads (workspace_id, user_id, version);
ALTER TABLE workspaces ADD COLUMN regulation_highlight_days BIGINT NOT NULL DEFAULT 14
