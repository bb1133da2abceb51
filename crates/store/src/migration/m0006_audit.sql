-- Order in the CRM: hygiene rules (filter expressions with a criticality and an explanation),
-- audit rounds that record every hit as a violation for its responsible user, the user's answer,
-- the head's review, and warnings.
CREATE TABLE rules (
    id {ID},
    workspace_id BIGINT NOT NULL,
    catalogue_key TEXT,
    name TEXT NOT NULL,
    entity TEXT NOT NULL,
    expression TEXT NOT NULL,
    criticality BIGINT NOT NULL,
    why TEXT,
    fix TEXT,
    responsible TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX rules_ws ON rules (workspace_id, position);
CREATE TABLE audit_rounds (
    id {ID},
    workspace_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    started_by BIGINT,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    deadline_at BIGINT,
    violations BIGINT NOT NULL,
    error TEXT
);
-- At most one round of a workspace runs at a time.
CREATE UNIQUE INDEX audit_rounds_one_running ON audit_rounds (workspace_id) WHERE status = 'running';
CREATE INDEX audit_rounds_ws ON audit_rounds (workspace_id, id);
CREATE TABLE violations (
    id {ID},
    workspace_id BIGINT NOT NULL,
    round_id BIGINT NOT NULL,
    rule_id BIGINT NOT NULL,
    entity TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    user_id BIGINT,
    status TEXT NOT NULL,
    comment TEXT,
    answered_at BIGINT,
    deadline_at BIGINT NOT NULL,
    recheck TEXT,
    review TEXT,
    review_comment TEXT,
    reviewed_by BIGINT,
    reviewed_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX violations_ws_round ON violations (workspace_id, round_id, rule_id);
CREATE INDEX violations_ws_user ON violations (workspace_id, user_id, round_id);
CREATE TABLE warnings (
    id {ID},
    workspace_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    violation_id BIGINT NOT NULL,
    comment TEXT NOT NULL,
    issued_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX warnings_ws_user ON warnings (workspace_id, user_id);
