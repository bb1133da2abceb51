-- Stage regulation: required fields, naming, entry tasks, SLA (JSON checked by the core parser);
-- how far each role may move deals in a pipeline and what winning needs; why deals are lost or
-- frozen, and the comment and return date that closing asks for.
ALTER TABLE stages ADD COLUMN regulation TEXT;
ALTER TABLE pipelines ADD COLUMN role_ranges TEXT;
ALTER TABLE pipelines ADD COLUMN won_required_fields TEXT;
ALTER TABLE deals ADD COLUMN close_comment TEXT;
ALTER TABLE deals ADD COLUMN return_on TEXT;
ALTER TABLE workspaces ADD COLUMN lost_reasons TEXT;
ALTER TABLE workspaces ADD COLUMN frozen_reasons TEXT;
-- A consultant sees the deals they take part in: participants by user.
CREATE INDEX deal_participants_ws_user ON deal_participants (workspace_id, user_id, deal_id);
