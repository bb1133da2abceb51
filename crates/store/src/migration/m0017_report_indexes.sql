-- The reports read the deals created or closed in a period of a pipeline: without these, a
-- month's funnel at a million deals walks the whole table.
CREATE INDEX deals_ws_created ON deals (workspace_id, pipeline_id, created_at);
CREATE INDEX deals_ws_closed ON deals (workspace_id, pipeline_id, closed_at);
-- Fresh statistics keep the planner on the narrow index (see m0013).
ANALYZE deals;
ANALYZE stage_stays;
