-- Time in stage reads the stays that ended in a period: without this, a month of them at a
-- million deals walks every stay of the pipeline (5.5 s, against 0.4 s with it). Only ended
-- stays are indexed; the open ones (one per deal) are found through the deals.
CREATE INDEX IF NOT EXISTS stage_stays_left ON stage_stays (workspace_id, pipeline_id, left_at) WHERE left_at IS NOT NULL;
ANALYZE stage_stays;
