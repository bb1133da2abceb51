-- Quiz limits (issue 23): minutes per attempt and attempts per user; an attempt starts before
-- it is answered (`quiz_starts`), so the time runs from the start and the questions are shuffled
-- by the start's id. `attempt_id` is the answered attempt; NULL while the start is open.
ALTER TABLE quizzes ADD COLUMN time_limit_minutes BIGINT;
ALTER TABLE quizzes ADD COLUMN max_attempts BIGINT;
CREATE TABLE quiz_starts (
    id {ID},
    workspace_id BIGINT NOT NULL,
    quiz_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    deadline_at BIGINT,
    attempt_id BIGINT
);
CREATE INDEX quiz_starts_user ON quiz_starts (workspace_id, user_id, quiz_id);
