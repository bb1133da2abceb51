-- Sign-in hardening: failed sign-ins and lockouts (kept in the database so every server process
-- over it sees them), API token expiry and last use, and sessions found by user.
--
-- Failures and lockouts are recorded before anyone is signed in, by e-mail and by client address,
-- so they are looked up by subject, not by workspace; workspace_id is the account's workspace when
-- the e-mail belongs to a user and 0 otherwise.
CREATE TABLE login_failures (
    id {ID},
    workspace_id BIGINT NOT NULL,
    email TEXT NOT NULL,
    client TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, created_at);
CREATE INDEX login_failures_client ON login_failures (client, created_at);

-- One row per locked subject (scope `email` or `client`); `level` counts the lockouts of the
-- current episode and doubles the next one.
CREATE TABLE login_lockouts (
    id {ID},
    workspace_id BIGINT NOT NULL,
    scope TEXT NOT NULL,
    subject TEXT NOT NULL,
    level BIGINT NOT NULL,
    episode_started_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX login_lockouts_subject ON login_lockouts (scope, subject);

ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;
CREATE INDEX api_tokens_ws_user ON api_tokens (workspace_id, user_id);
CREATE INDEX sessions_ws_user ON sessions (workspace_id, user_id);
