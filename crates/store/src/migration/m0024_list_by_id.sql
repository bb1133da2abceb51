-- Lists in id order (the Pipedrive-compatible API's default, `sort=id` in ours): an index whose
-- order is the id within a workspace, so a page reads its rows instead of sorting the workspace's
-- (SQLite chose a (workspace, created_at) index and sorted 100k deals: 74 ms a page).
CREATE INDEX deals_ws_id ON deals (workspace_id, id);
CREATE INDEX persons_ws_id ON persons (workspace_id, id);
CREATE INDEX organizations_ws_id ON organizations (workspace_id, id);
CREATE INDEX activities_ws_id ON activities (workspace_id, id);
