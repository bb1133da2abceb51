-- The durable job queue: background work (SLA timers, notifications, audits, assistants) is a row
-- here before it runs. A dedupe key makes enqueueing the same work twice a no-op.
CREATE TABLE jobs (
    id {ID},
    workspace_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    dedupe_key TEXT,
    status TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    locked_by TEXT,
    locked_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT
);
CREATE UNIQUE INDEX jobs_ws_dedupe ON jobs (workspace_id, dedupe_key);
CREATE INDEX jobs_status_run ON jobs (status, run_at);
CREATE INDEX jobs_ws_created ON jobs (workspace_id, created_at);
-- Recurring work: each firing enqueues a job keyed by the schedule and the planned time.
CREATE TABLE schedules (
    id {ID},
    workspace_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    every_ms BIGINT NOT NULL,
    next_run_at BIGINT NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX schedules_ws_name ON schedules (workspace_id, name);
-- Named leases: on SQLite one process at a time runs the jobs.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
