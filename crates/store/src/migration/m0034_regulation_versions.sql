-- Regulation as code (issue 23): stable keys for pipelines, stages and rules, so a regulation
-- file names them across workspaces; a stage's goal (its exit criterion); every applied version
-- of the regulation with its author, file and typed diff.
ALTER TABLE pipelines ADD COLUMN key TEXT;
ALTER TABLE stages ADD COLUMN key TEXT;
ALTER TABLE stages ADD COLUMN goal TEXT;
ALTER TABLE rules ADD COLUMN key TEXT;

CREATE TABLE regulation_versions (
    id {ID},
    workspace_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    author_id BIGINT,
    toml TEXT NOT NULL,
    diff TEXT NOT NULL,
    summary TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX regulation_versions_ws ON regulation_versions (workspace_id, version);
