-- Assistants that scan the base (issue 9): invoices and payments, assistant settings, runs and
-- their actions, labels on records, each client's last activity, message templates, outgoing
-- e-mail/SMS to clients, and outbound webhooks with their delivery log.
CREATE TABLE invoices (
    id {ID},
    workspace_id BIGINT NOT NULL,
    number TEXT NOT NULL,
    deal_id BIGINT,
    organization_id BIGINT,
    owner_id BIGINT,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    due_on TEXT,
    -- Kept equal to the sum of the invoice's live payments.
    paid_amount BIGINT NOT NULL DEFAULT 0,
    paid_on TEXT,
    status TEXT NOT NULL,
    comment TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE UNIQUE INDEX invoices_number ON invoices (workspace_id, number) WHERE deleted_at IS NULL;
CREATE INDEX invoices_ws_updated ON invoices (workspace_id, updated_at, id);
CREATE INDEX invoices_ws_org ON invoices (workspace_id, organization_id);
CREATE INDEX invoices_ws_deal ON invoices (workspace_id, deal_id);
CREATE INDEX invoices_ws_status ON invoices (workspace_id, status, issued_on);

CREATE TABLE payments (
    id {ID},
    workspace_id BIGINT NOT NULL,
    invoice_id BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    paid_on TEXT NOT NULL,
    reference TEXT,
    source TEXT NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX payments_ws_invoice ON payments (workspace_id, invoice_id);

CREATE TABLE assistants (
    id {ID},
    workspace_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    settings TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX assistants_name ON assistants (workspace_id, name);

CREATE TABLE assistant_runs (
    id {ID},
    workspace_id BIGINT NOT NULL,
    assistant TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    as_of BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    actions BIGINT NOT NULL,
    summary TEXT
);
CREATE INDEX assistant_runs_ws ON assistant_runs (workspace_id, assistant, id);

-- What an assistant did, and why: the explanation a card's timeline shows.
CREATE TABLE assistant_actions (
    id {ID},
    workspace_id BIGINT NOT NULL,
    run_id BIGINT NOT NULL,
    assistant TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    reason TEXT NOT NULL,
    task_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX assistant_actions_record ON assistant_actions (workspace_id, entity, record_id, created_at);
CREATE INDEX assistant_actions_run ON assistant_actions (workspace_id, run_id);

-- Marks an assistant puts on a record ("forgotten", "churned", "debtor"); cleared, never deleted.
CREATE TABLE labels (
    id {ID},
    workspace_id BIGINT NOT NULL,
    entity TEXT NOT NULL,
    record_id BIGINT NOT NULL,
    label TEXT NOT NULL,
    assistant TEXT,
    reason TEXT,
    set_at BIGINT NOT NULL,
    cleared_at BIGINT
);
CREATE UNIQUE INDEX labels_live ON labels (workspace_id, entity, record_id, label) WHERE cleared_at IS NULL;
CREATE INDEX labels_ws_label ON labels (workspace_id, label, set_at);

-- The last touch of any kind with a client (calls, messages, notes, done tasks, documents),
-- kept by every such write, so a scan for forgotten clients reads one indexed column.
ALTER TABLE organizations ADD COLUMN last_activity_at BIGINT;
CREATE INDEX organizations_ws_last_activity ON organizations (workspace_id, last_activity_at);
-- Which assistant made a task (escalation watches those).
ALTER TABLE activities ADD COLUMN assistant TEXT;

CREATE TABLE message_templates (
    id {ID},
    workspace_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    channel TEXT NOT NULL,
    subject TEXT,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX message_templates_key ON message_templates (workspace_id, key, channel);

-- E-mail and SMS to clients: a row before it is sent; sent only when the server accepted it.
CREATE TABLE outbound_messages (
    id {ID},
    workspace_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT,
    body TEXT NOT NULL,
    template_key TEXT,
    entity TEXT,
    record_id BIGINT,
    dedupe_key TEXT,
    status TEXT NOT NULL,
    error TEXT,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE UNIQUE INDEX outbound_messages_dedupe ON outbound_messages (workspace_id, dedupe_key);
CREATE INDEX outbound_messages_ws ON outbound_messages (workspace_id, id);

CREATE TABLE webhooks (
    id {ID},
    workspace_id BIGINT NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    deleted_at BIGINT
);
CREATE INDEX webhooks_ws ON webhooks (workspace_id);

CREATE TABLE webhook_deliveries (
    id {ID},
    workspace_id BIGINT NOT NULL,
    webhook_id BIGINT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    response_code BIGINT,
    error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX webhook_deliveries_ws ON webhook_deliveries (workspace_id, webhook_id, id);

-- The SMS gateway: {url, method, headers, body} with {to} and {text} placeholders.
ALTER TABLE workspaces ADD COLUMN sms_gateway TEXT;

-- (Appended by the invoices import.) Finding an accounting export's counterparties by tax id.
CREATE INDEX organizations_ws_tax_id ON organizations (workspace_id, tax_id);

-- Tasks still ahead, by due time: "do not forget while a task is active" reads only these.
CREATE INDEX activities_ws_open_due ON activities (workspace_id, due_at) WHERE done = false AND deleted_at IS NULL;
