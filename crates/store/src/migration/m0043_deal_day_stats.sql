-- The deals' per-day aggregate the dashboard reads (docs/REPORTS.md, "The dashboard's
-- aggregate"): kept by the write path in the same transaction as every deal write. A row is one
-- key's sums. kind: 'created' (day: the local day the deal was created; stage_id: the furthest
-- stage it reached; status: its status now), 'lead' (the same day, by source), 'closed' (the
-- local day it was won or lost; status won or lost; cycle_ms: created to closed) and 'open' (an
-- open deal now; day: its expected close month as YYYYMM, 0 without one; stage_id: its stage).
-- A day is days since 1970-01-01 in the time zone of deal_day_stats_state. owner_id 0: no owner;
-- source '': none; a dimension a kind does not use is 0 or ''.
CREATE TABLE deal_day_stats (
    workspace_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    day BIGINT NOT NULL,
    pipeline_id BIGINT NOT NULL,
    owner_id BIGINT NOT NULL,
    source TEXT NOT NULL,
    stage_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    deals BIGINT NOT NULL,
    value BIGINT NOT NULL,
    cycle_ms BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, kind, day, pipeline_id, owner_id, source, stage_id, status)
);
-- The time zone a workspace's rows were counted in (read beside the workspace's own: after a
-- change of zone the exact path answers until `poryadok reports rebuild-aggregates`).
CREATE TABLE deal_day_stats_state (
    workspace_id BIGINT NOT NULL PRIMARY KEY,
    timezone TEXT NOT NULL,
    built_at BIGINT NOT NULL
);
