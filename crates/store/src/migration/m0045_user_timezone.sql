-- A person's own time zone (issue 24): their dates in the UI, their e-mails and their shifts are
-- in it; NULL is the workspace's zone.
ALTER TABLE users ADD COLUMN timezone TEXT;
