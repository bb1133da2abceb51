-- Replies from the card: who wrote an outgoing message, on which deal and person, and how it
-- continues the conversation (e-mail: our Message-ID, In-Reply-To and References; Telegram: the
-- bot's source and the chat), as JSON in `thread`.
ALTER TABLE outbound_messages ADD COLUMN user_id BIGINT;
ALTER TABLE outbound_messages ADD COLUMN deal_id BIGINT;
ALTER TABLE outbound_messages ADD COLUMN person_id BIGINT;
ALTER TABLE outbound_messages ADD COLUMN thread TEXT;
-- The conversation's own row of an outgoing message, so the card shows its delivery state.
ALTER TABLE messages ADD COLUMN outbound_id BIGINT;
-- The WhatsApp provider's HTTP API, set like the SMS gateway.
ALTER TABLE workspaces ADD COLUMN whatsapp_gateway TEXT;
