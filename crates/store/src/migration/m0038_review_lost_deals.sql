-- Call review sampling (issue 22): optionally every answered call of a deal that was lost in the
-- week goes to the review queue beside the share drawn at random.
ALTER TABLE review_settings ADD COLUMN lost_deals BOOLEAN NOT NULL DEFAULT FALSE;
