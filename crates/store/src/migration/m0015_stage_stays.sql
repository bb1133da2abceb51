-- Every stay of a deal in a stage: when it entered (from which stage) and when it left, so the
-- funnel's conversion and the time in each stage are counted, not estimated. Written with every
-- deal write that sets or changes the stage; the deals that existed before are filled in from
-- their history by the next migration.
CREATE TABLE stage_stays (
    id {ID},
    workspace_id BIGINT NOT NULL,
    deal_id BIGINT NOT NULL,
    pipeline_id BIGINT NOT NULL,
    stage_id BIGINT NOT NULL,
    from_stage_id BIGINT,
    entered_at BIGINT NOT NULL,
    left_at BIGINT
);
CREATE INDEX stage_stays_deal ON stage_stays (workspace_id, deal_id, entered_at);
CREATE INDEX stage_stays_entered ON stage_stays (workspace_id, pipeline_id, entered_at);
