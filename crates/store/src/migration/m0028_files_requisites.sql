-- Files on cards (deals, persons, organizations, activities, notes): the row names the record,
-- the bytes live in the blob store under their SHA-256 (docs/FILES.md). A deleted file keeps its
-- row (deleted_at) and its bytes, as history does.
CREATE TABLE files (
    id {ID},
    workspace_id BIGINT NOT NULL,
    entity TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    size BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    kind TEXT,
    uploaded_by BIGINT,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT,
    deleted_by BIGINT
);
CREATE INDEX files_record ON files (workspace_id, entity, record_id, id);
-- The stage gate: does this deal have a live file of this kind.
CREATE INDEX files_kind ON files (workspace_id, entity, record_id, kind);

-- The workspace's own legal details, one row per workspace (they head invoices and contracts).
CREATE TABLE workspace_requisites (
    id {ID},
    workspace_id BIGINT NOT NULL,
    legal_name TEXT,
    inn TEXT,
    kpp TEXT,
    ogrn TEXT,
    legal_address TEXT,
    bank_name TEXT,
    bik TEXT,
    corr_account TEXT,
    account TEXT,
    signatory_name TEXT,
    signatory_title TEXT,
    version BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT
);
CREATE UNIQUE INDEX workspace_requisites_ws ON workspace_requisites (workspace_id);

-- An organization's requisites: a JSON object checked by the core parser (requisites.rs).
ALTER TABLE organizations ADD COLUMN requisites TEXT;
