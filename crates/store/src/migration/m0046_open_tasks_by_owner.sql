-- The load report's and the dashboard's open and overdue tasks per manager (docs/REPORTS.md, "The
-- dashboard's aggregate"): the open activities only, by owner and due time, so counting them per
-- owner reads this index alone (index-only on PostgreSQL once vacuumed, a covering index on
-- SQLite) instead of every open activity's row. The load query writes its condition as this text.
CREATE INDEX activities_ws_open_owner ON activities (workspace_id, owner_id, due_at) WHERE done = false AND deleted_at IS NULL;
