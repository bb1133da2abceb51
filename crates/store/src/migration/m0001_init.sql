-- Poryadok schema, version 1. `{ID}` becomes the backend's auto-increment primary key.
-- Every table carries workspace_id; timestamps are Unix milliseconds (UTC); money is minor units.
CREATE TABLE workspaces (
    id {ID},
    name TEXT NOT NULL,
    currency TEXT NOT NULL,
    timezone TEXT NOT NULL,
    locale TEXT NOT NULL,
    region TEXT NOT NULL,
    visibility TEXT NOT NULL,
    business_hours TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE teams (
    id {ID},
    workspace_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    head_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX teams_ws ON teams (workspace_id, name);

CREATE TABLE users (
    id {ID},
    workspace_id BIGINT NOT NULL,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT,
    role TEXT NOT NULL,
    team_id BIGINT,
    active BOOLEAN NOT NULL,
    locale TEXT,
    password_hash TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- Logins are by e-mail before the workspace is known, so an e-mail is unique across workspaces.
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_ws_team ON users (workspace_id, team_id);

CREATE TABLE api_tokens (
    id {ID},
    workspace_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);

CREATE TABLE sessions (
    id {ID},
    workspace_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    token_hash TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sessions_hash ON sessions (token_hash);

CREATE TABLE organizations (
    id {ID},
    workspace_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    owner_id BIGINT,
    address TEXT,
    website TEXT,
    tax_id TEXT,
    custom TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX organizations_ws_updated ON organizations (workspace_id, updated_at, id);
CREATE INDEX organizations_ws_owner ON organizations (workspace_id, owner_id, updated_at, id);

CREATE TABLE persons (
    id {ID},
    workspace_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    organization_id BIGINT,
    owner_id BIGINT,
    job_title TEXT,
    phone TEXT,
    email TEXT,
    telegram TEXT,
    whatsapp TEXT,
    custom TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX persons_ws_updated ON persons (workspace_id, updated_at, id);
CREATE INDEX persons_ws_owner ON persons (workspace_id, owner_id, updated_at, id);
CREATE INDEX persons_ws_org ON persons (workspace_id, organization_id);

-- One row per way to reach a person; unique per workspace, which is what keeps intake free of duplicates.
CREATE TABLE identities (
    id {ID},
    workspace_id BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX identities_value ON identities (workspace_id, kind, value);
CREATE INDEX identities_person ON identities (workspace_id, person_id);

CREATE TABLE pipelines (
    id {ID},
    workspace_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX pipelines_ws ON pipelines (workspace_id, position);

CREATE TABLE stages (
    id {ID},
    workspace_id BIGINT NOT NULL,
    pipeline_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    probability BIGINT,
    rotting_days BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX stages_ws_pipeline ON stages (workspace_id, pipeline_id, position);

CREATE TABLE deals (
    id {ID},
    workspace_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    pipeline_id BIGINT NOT NULL,
    stage_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    value BIGINT NOT NULL,
    currency TEXT NOT NULL,
    owner_id BIGINT,
    person_id BIGINT,
    organization_id BIGINT,
    source TEXT,
    utm_source TEXT,
    utm_medium TEXT,
    utm_campaign TEXT,
    utm_term TEXT,
    utm_content TEXT,
    tracking_number TEXT,
    expected_close_date TEXT,
    stage_entered_at BIGINT NOT NULL,
    lost_reason TEXT,
    frozen_reason TEXT,
    closed_at BIGINT,
    custom TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX deals_ws_updated ON deals (workspace_id, updated_at, id);
CREATE INDEX deals_ws_owner ON deals (workspace_id, owner_id, updated_at, id);
-- The board: cards of one stage, newest first.
CREATE INDEX deals_ws_board ON deals (workspace_id, pipeline_id, stage_id, status, updated_at, id);
-- Funnel and board totals read only this index.
CREATE INDEX deals_ws_funnel ON deals (workspace_id, pipeline_id, stage_id, owner_id, status, value) WHERE deleted_at IS NULL;
CREATE INDEX deals_ws_person ON deals (workspace_id, person_id);
CREATE INDEX deals_ws_org ON deals (workspace_id, organization_id);

CREATE TABLE deal_participants (
    id {ID},
    workspace_id BIGINT NOT NULL,
    deal_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX deal_participants_unique ON deal_participants (workspace_id, deal_id, user_id, role);

CREATE TABLE activities (
    id {ID},
    workspace_id BIGINT NOT NULL,
    type TEXT NOT NULL,
    subject TEXT NOT NULL,
    description TEXT,
    due_at BIGINT,
    duration_min BIGINT,
    done BOOLEAN NOT NULL,
    done_at BIGINT,
    owner_id BIGINT,
    deal_id BIGINT,
    person_id BIGINT,
    organization_id BIGINT,
    call_direction TEXT,
    call_outcome TEXT,
    phone TEXT,
    recording_url TEXT,
    custom TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX activities_ws_updated ON activities (workspace_id, updated_at, id);
CREATE INDEX activities_ws_owner ON activities (workspace_id, owner_id, done, due_at);
CREATE INDEX activities_ws_deal ON activities (workspace_id, deal_id);
CREATE INDEX activities_ws_person ON activities (workspace_id, person_id);

CREATE TABLE notes (
    id {ID},
    workspace_id BIGINT NOT NULL,
    content TEXT NOT NULL,
    author_id BIGINT,
    deal_id BIGINT,
    person_id BIGINT,
    organization_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX notes_ws_updated ON notes (workspace_id, updated_at, id);
CREATE INDEX notes_ws_deal ON notes (workspace_id, deal_id);

CREATE TABLE custom_field_defs (
    id {ID},
    workspace_id BIGINT NOT NULL,
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    field_type TEXT NOT NULL,
    options TEXT,
    position BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE UNIQUE INDEX custom_field_defs_key ON custom_field_defs (workspace_id, entity, key) WHERE deleted_at IS NULL;

-- Append-only: one event per mutation, written in the mutation's transaction.
CREATE TABLE history (
    id {ID},
    workspace_id BIGINT NOT NULL,
    entity TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    actor_id BIGINT,
    channel TEXT NOT NULL,
    changes TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX history_record ON history (workspace_id, entity, record_id, id);
