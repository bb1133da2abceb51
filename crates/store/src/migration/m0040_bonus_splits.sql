-- The bonus split by role (issue 22): per pipeline, what a won deal's bonus is a share of
-- (`revenue` or `margin`) and each role's share in basis points (1 % = 100; the three add up to
-- at most 10000, checked in core::bonus). No row: the pipeline pays no bonus.
CREATE TABLE bonus_splits (
    id {ID},
    workspace_id BIGINT NOT NULL,
    pipeline_id BIGINT NOT NULL,
    basis TEXT NOT NULL,
    manager_bp BIGINT NOT NULL,
    consultant_bp BIGINT NOT NULL,
    head_bp BIGINT NOT NULL,
    version BIGINT NOT NULL,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX bonus_splits_pipeline ON bonus_splits (workspace_id, pipeline_id);
