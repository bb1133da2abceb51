-- A person's phones and e-mails beyond the main ones (a JSON array of normalised values); each
-- is also a row of `identities`, as the main phone and e-mail are.
ALTER TABLE persons ADD COLUMN other_phones TEXT;
ALTER TABLE persons ADD COLUMN other_emails TEXT;
