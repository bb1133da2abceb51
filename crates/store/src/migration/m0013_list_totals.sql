-- A list's count and value per currency read only this index, whatever its owner, stage,
-- status or pipeline filters (the funnel's index with the currency added).
CREATE INDEX deals_ws_totals ON deals (workspace_id, pipeline_id, stage_id, owner_id, status, currency, value) WHERE deleted_at IS NULL;
-- Without statistics for the new index the planner takes it for a narrow one and walks it for
-- every list of deals (2.5 s instead of 0.2 ms at a million); fresh statistics keep the plans.
ANALYZE deals;
