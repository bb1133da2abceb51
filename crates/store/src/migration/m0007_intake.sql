-- Intake: sources that take calls, forms, Telegram and e-mail in; every inbound event stored raw
-- before it is processed; the messages and attribution touches it produces; round-robin state;
-- merged records.
CREATE TABLE intake_sources (
    id {ID},
    workspace_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    -- The public part of the webhook URL (/hooks/{key}, /f/{key}); unique across workspaces.
    hook_key TEXT NOT NULL,
    -- The source's shared secret: HMAC needs it in clear; it is never logged or listed.
    secret TEXT NOT NULL,
    config TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT '{}',
    active BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE UNIQUE INDEX intake_sources_key ON intake_sources (hook_key);
CREATE INDEX intake_sources_ws ON intake_sources (workspace_id, kind);

CREATE TABLE inbound_events (
    id {ID},
    workspace_id BIGINT NOT NULL,
    source_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    -- The provider's id (call id, update id, Message-ID), or sha256 of the body when it has none.
    external_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    content_type TEXT,
    -- The body as received; base64 when it is not UTF-8.
    body TEXT NOT NULL,
    body_base64 BOOLEAN NOT NULL,
    remote_addr TEXT,
    -- pending → processed, or failed (with error) and retried; rejected for spam (kept, never processed).
    status TEXT NOT NULL,
    error TEXT,
    error_field TEXT,
    attempts BIGINT NOT NULL,
    processed_at BIGINT,
    result TEXT
);
CREATE UNIQUE INDEX inbound_events_external ON inbound_events (workspace_id, source_id, external_id);
CREATE INDEX inbound_events_ws_status ON inbound_events (workspace_id, status, id);

-- Telegram and e-mail messages, in and out, on the client's card.
CREATE TABLE messages (
    id {ID},
    workspace_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    direction TEXT NOT NULL,
    person_id BIGINT,
    deal_id BIGINT,
    event_id BIGINT,
    -- Message-ID for e-mail, chat:message for Telegram.
    external_id TEXT,
    -- The first message of the thread's external id (e-mail threading).
    thread_id TEXT,
    sender TEXT,
    recipients TEXT,
    subject TEXT,
    body TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_ws_person ON messages (workspace_id, person_id, sent_at);
CREATE INDEX messages_ws_deal ON messages (workspace_id, deal_id, sent_at);
CREATE INDEX messages_ws_external ON messages (workspace_id, channel, external_id);

-- Every marketing touch of a deal (the deal's own utm_* keep the first).
CREATE TABLE touches (
    id {ID},
    workspace_id BIGINT NOT NULL,
    deal_id BIGINT NOT NULL,
    person_id BIGINT,
    event_id BIGINT,
    channel TEXT NOT NULL,
    utm_source TEXT,
    utm_medium TEXT,
    utm_campaign TEXT,
    utm_term TEXT,
    utm_content TEXT,
    tracking_number TEXT,
    landing_page TEXT,
    referrer TEXT,
    occurred_at BIGINT NOT NULL
);
CREATE INDEX touches_ws_deal ON touches (workspace_id, deal_id, occurred_at);

-- Where round-robin assignment stopped, per pool.
CREATE TABLE round_robin (
    id {ID},
    workspace_id BIGINT NOT NULL,
    pool TEXT NOT NULL,
    last_user_id BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX round_robin_pool ON round_robin (workspace_id, pool);

ALTER TABLE deals ADD COLUMN landing_page TEXT;
ALTER TABLE deals ADD COLUMN referrer TEXT;
ALTER TABLE activities ADD COLUMN call_seconds BIGINT;
-- A merged record stays (soft-deleted) and points at the record that absorbed it.
ALTER TABLE persons ADD COLUMN merged_into BIGINT;
ALTER TABLE organizations ADD COLUMN merged_into BIGINT;
-- Added for merges: the records merged into one, read with its timeline (partial, so it stays tiny).
CREATE INDEX persons_ws_merged ON persons (workspace_id, merged_into) WHERE merged_into IS NOT NULL;
CREATE INDEX organizations_ws_merged ON organizations (workspace_id, merged_into) WHERE merged_into IS NOT NULL;
