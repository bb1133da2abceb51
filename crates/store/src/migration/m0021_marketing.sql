-- End-to-end analytics (issue 18): what advertising cost, per local day and per channel /
-- medium / campaign / keyword (term), in the workspace currency's minor units. `channel` is the
-- normalised name (after `channel_aliases`); empty text, never NULL, stands for "not given" so one
-- unique index keeps one row a day per (channel, medium, campaign, term) on both backends and a
-- re-import of the same cabinet file replaces rather than adds.
CREATE TABLE marketing_spend (
    id {ID},
    workspace_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    channel TEXT NOT NULL,
    medium TEXT NOT NULL DEFAULT '',
    campaign TEXT NOT NULL DEFAULT '',
    term TEXT NOT NULL DEFAULT '',
    impressions BIGINT,
    clicks BIGINT,
    amount BIGINT NOT NULL,
    import_id BIGINT,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX marketing_spend_key ON marketing_spend (workspace_id, day, channel, medium, campaign, term);
-- Channel names as they arrive (`yandex`, `ya.ru`, `Яндекс.Директ`), lower-cased and trimmed,
-- mapped to one channel name.
CREATE TABLE channel_aliases (
    id {ID},
    workspace_id BIGINT NOT NULL,
    alias TEXT NOT NULL,
    channel TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX channel_aliases_alias ON channel_aliases (workspace_id, alias);
CREATE INDEX touches_ws_time ON touches (workspace_id, occurred_at);
