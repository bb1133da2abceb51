-- Scheduled reports: whether a user gets the weekly summary and the monthly review (NULL: the
-- default, yes).
ALTER TABLE users ADD COLUMN weekly_report BOOLEAN;
ALTER TABLE users ADD COLUMN monthly_review BOOLEAN;
