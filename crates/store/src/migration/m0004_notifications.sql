-- In-app notifications, one row per recipient. The dedupe key makes one event notify a user at
-- most once, even when two workers handle it at the same time.
CREATE TABLE notifications (
    id {ID},
    workspace_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT,
    deal_id BIGINT,
    dedupe_key TEXT,
    read_at BIGINT,
    emailed_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX notifications_ws_user_dedupe ON notifications (workspace_id, user_id, dedupe_key);
-- The user's list newest first, and the unread count of the bell on every page.
CREATE INDEX notifications_ws_user_id ON notifications (workspace_id, user_id, id);
CREATE INDEX notifications_ws_user_unread ON notifications (workspace_id, user_id, read_at);
