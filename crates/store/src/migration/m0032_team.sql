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
