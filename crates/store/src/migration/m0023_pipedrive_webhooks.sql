-- Webhooks registered through the Pipedrive-compatible API (issue 19): the payload shape they
-- are sent in (`pipedrive_v1`, `pipedrive_v2`; NULL is Poryadok's own), their name, the basic
-- auth their receiver expects, and who registered them.
ALTER TABLE webhooks ADD COLUMN format TEXT;
ALTER TABLE webhooks ADD COLUMN name TEXT;
ALTER TABLE webhooks ADD COLUMN http_user TEXT;
ALTER TABLE webhooks ADD COLUMN http_password TEXT;
ALTER TABLE webhooks ADD COLUMN user_id BIGINT;
