-- Sales plans: a target per manager (user_id) or team (team_id) per month (`2026-11`) or quarter
-- (`2026-Q4`) for one metric (revenue in minor units, won deals, calls, e-mails, invoices).
-- `target_key` (`u42`, `t7`) names the one target so a single unique index keeps one plan per
-- target, period and metric on both backends (NULLs never clash in a unique index).
CREATE TABLE plans (
    id {ID},
    workspace_id BIGINT NOT NULL,
    user_id BIGINT,
    team_id BIGINT,
    target_key TEXT NOT NULL,
    period TEXT NOT NULL,
    metric TEXT NOT NULL,
    value BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX plans_target ON plans (workspace_id, period, target_key, metric);
