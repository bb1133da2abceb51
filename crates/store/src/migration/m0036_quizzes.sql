-- Quizzes on the regulation (issue 23). A quiz keeps its questions as the JSON list core::quiz
-- checks; `required_for_role` makes a pass the attestation before a role change; a quiz is
-- assigned to a new user and, with `repeat_days`, again every so many days.
CREATE TABLE quizzes (
    id {ID},
    workspace_id BIGINT NOT NULL,
    quiz_key TEXT NOT NULL,
    title TEXT NOT NULL,
    pass_percent BIGINT NOT NULL,
    required_for_role TEXT,
    assign_new_users BOOLEAN NOT NULL,
    repeat_days BIGINT,
    questions TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX quizzes_key ON quizzes (workspace_id, quiz_key);
-- A quiz due for a user: open until the user passes it (`done_at`).
CREATE TABLE quiz_assignments (
    id {ID},
    workspace_id BIGINT NOT NULL,
    quiz_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    reason TEXT NOT NULL,
    assigned_at BIGINT NOT NULL,
    done_at BIGINT
);
CREATE INDEX quiz_assignments_user ON quiz_assignments (workspace_id, user_id, quiz_id);
-- An attempt: the answers ({question key: [option index]}), the score and, per question, whether
-- it was right (JSON {key: true|false}) for the results by question.
CREATE TABLE quiz_attempts (
    id {ID},
    workspace_id BIGINT NOT NULL,
    quiz_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    quiz_version BIGINT NOT NULL,
    answers TEXT NOT NULL,
    outcome TEXT NOT NULL,
    right_count BIGINT NOT NULL,
    total BIGINT NOT NULL,
    percent BIGINT NOT NULL,
    passed BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX quiz_attempts_user ON quiz_attempts (workspace_id, user_id, quiz_id);
CREATE INDEX quiz_attempts_quiz ON quiz_attempts (workspace_id, quiz_id, created_at);
