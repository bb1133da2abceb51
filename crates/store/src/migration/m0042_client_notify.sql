-- Client notifications (docs/CONVERSATIONS.md): one rule per event, and per stage for stage
-- entries (stage_id 0 for the other events): switched on or off, the channel (sms, email,
-- telegram, whatsapp, or last: the client's last channel) and the template's key.
CREATE TABLE client_notify_rules (
    id {ID},
    workspace_id BIGINT NOT NULL,
    event TEXT NOT NULL,
    stage_id BIGINT NOT NULL,
    enabled BOOLEAN NOT NULL,
    channel TEXT NOT NULL,
    template_key TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX client_notify_rules_key ON client_notify_rules (workspace_id, event, stage_id);
-- The daily window (HH:MM-HH:MM, the client's local time) when notifications wait.
ALTER TABLE workspaces ADD COLUMN client_quiet_hours TEXT;
-- Files sent with an outgoing e-mail (JSON: [{id, name, size}]), and the instant a message waits
-- for (the end of quiet hours).
ALTER TABLE outbound_messages ADD COLUMN attachments TEXT;
ALTER TABLE outbound_messages ADD COLUMN not_before BIGINT;
-- A user's own mail account for their e-mails to clients (JSON; the password is never shown back).
ALTER TABLE users ADD COLUMN smtp_account TEXT;
