-- A user's secret iCalendar feed address: only its hash is kept. Making a new one revokes the
-- old, so at most one live feed per user.
CREATE TABLE calendar_feeds (
    id {ID},
    workspace_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX calendar_feeds_hash ON calendar_feeds (token_hash);
CREATE INDEX calendar_feeds_user ON calendar_feeds (workspace_id, user_id, revoked_at);
CREATE INDEX activities_ws_owner_due ON activities (workspace_id, owner_id, due_at);

-- Who a note mentions (`@olga`): the note shows them, and each is notified once.
CREATE TABLE note_mentions (
    id {ID},
    workspace_id BIGINT NOT NULL,
    note_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX note_mentions_unique ON note_mentions (workspace_id, note_id, user_id);
