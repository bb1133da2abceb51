-- A list's count and value per currency read only this index, whatever its owner, stage,
-- status or pipeline filters (the funnel's index with the currency added).
CREATE INDEX deals_ws_totals ON deals (workspace_id, pipeline_id, stage_id, owner_id, status, currency, value) WHERE deleted_at IS NULL;
