-- Closing a deal as not a lead (a wrong number, a vendor, spam) with a reason from the
-- workspace's list; a person marked as not a client keeps the reason, and later calls from them
-- are recorded without a new deal. A workspace without its own list uses the default one.
ALTER TABLE deals ADD COLUMN not_lead_reason TEXT;
ALTER TABLE persons ADD COLUMN not_lead_reason TEXT;
ALTER TABLE workspaces ADD COLUMN not_lead_reasons TEXT;
