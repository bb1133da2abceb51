-- Saved filters: a named filter expression over one entity, private to its owner or shared.
CREATE TABLE saved_filters (
    id {ID},
    workspace_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    entity TEXT NOT NULL,
    expression TEXT NOT NULL,
    shared BOOLEAN NOT NULL,
    owner_id BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX saved_filters_ws_owner ON saved_filters (workspace_id, owner_id);
-- Filters read activities by their deal, person and organization, open tasks first.
CREATE INDEX activities_ws_deal_open ON activities (workspace_id, deal_id, done, due_at);
CREATE INDEX activities_ws_org ON activities (workspace_id, organization_id);
