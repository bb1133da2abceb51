-- The team (issue 22): work schedules that routing reads, and a user's telephony extension.
-- A user's weekly pattern is one row: `shifts` is the JSON list [{day, start, end}] in the
-- workspace's local time (checked in core::schedule: no overlaps). No row: business hours apply.
ALTER TABLE users ADD COLUMN extension TEXT;
CREATE TABLE work_schedules (
    id {ID},
    workspace_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    shifts TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    updated_by BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX work_schedules_user ON work_schedules (workspace_id, user_id);
-- Vacation, sick leave, a day off or an extra shift over local days `from_day..=to_day`
-- (YYYY-MM-DD, which sorts as text); an extra shift has its minutes `[start_min, end_min)`.
CREATE TABLE schedule_exceptions (
    id {ID},
    workspace_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    from_day TEXT NOT NULL,
    to_day TEXT NOT NULL,
    start_min BIGINT,
    end_min BIGINT,
    created_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX schedule_exceptions_user ON schedule_exceptions (workspace_id, user_id, to_day);
CREATE INDEX schedule_exceptions_day ON schedule_exceptions (workspace_id, to_day);
-- Call quality review. A scorecard is versioned by adding rows: the latest version is current,
-- a review keeps the one it was scored with. `criteria` is the JSON list core::review reads.
CREATE TABLE scorecards (
    id {ID},
    workspace_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    version BIGINT NOT NULL,
    criteria TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX scorecards_version ON scorecards (workspace_id, version);
-- Sampling settings: shares in basis points (1000 = 10 %), the minimum duration, and the seed that
-- makes a week's sample the same however often it is drawn.
CREATE TABLE review_settings (
    id {ID},
    workspace_id BIGINT NOT NULL,
    inbound_bp BIGINT NOT NULL,
    outbound_bp BIGINT NOT NULL,
    min_seconds BIGINT NOT NULL,
    seed BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX review_settings_ws ON review_settings (workspace_id);
-- A sampled call: queued → reviewed → (disputed → resolved). The score is kept in tenths of a percent.
CREATE TABLE call_reviews (
    id {ID},
    workspace_id BIGINT NOT NULL,
    activity_id BIGINT NOT NULL,
    manager_id BIGINT NOT NULL,
    week TEXT NOT NULL,
    direction TEXT NOT NULL,
    status TEXT NOT NULL,
    scorecard_id BIGINT,
    reviewer_id BIGINT,
    points TEXT,
    score_tenths BIGINT,
    failed_critical TEXT,
    comment TEXT,
    comment_second BIGINT,
    dispute TEXT,
    resolution TEXT,
    resolution_comment TEXT,
    created_at BIGINT NOT NULL,
    reviewed_at BIGINT,
    disputed_at BIGINT,
    resolved_at BIGINT,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX call_reviews_call ON call_reviews (workspace_id, activity_id);
CREATE INDEX call_reviews_week ON call_reviews (workspace_id, week, manager_id);
CREATE INDEX call_reviews_status ON call_reviews (workspace_id, status, week);
-- The weekly sample reads a week's calls of a workspace.
CREATE INDEX activities_ws_calls ON activities (workspace_id, type, due_at);
