//! Quizzes on the regulation in the OpenAPI document (docs/QUIZZES.md).
use super::{any_object, body, error_ref, id_param, item, json_response, simple};
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::{PathItem, Paths};

const SPEC: &str = "{key: a-z0-9_ (stable), title, pass_percent: 1–100, required_for_role?: manager|consultant|head|…, assign_new_users: bool (default true), repeat_days?: 1–3650, \
questions: [{key, text, multiple?: bool, options: [{text, right?: bool, field?: a deal field key, days?: a number of days}] (2–12), explanation?, code?/args?/explanation_code? (a generated question's catalogue wording)}]}";
const QUIZ: &str = "{id, version, updated_at, …spec}";

pub(super) fn add(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let invalid = |what: &str| json_response(what, Some(error_ref()));
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    add(
        "/api/v1/quizzes",
        item([
            (
                HttpMethod::Get,
                simple(
                    "quizzes",
                    "list_quizzes",
                    "Every quiz of the workspace; a user who does not write quizzes reads them without right answers and explanations",
                    "200",
                    "the quizzes",
                    object(&format!("{{data: [quiz]}} where quiz is {QUIZ}")),
                ),
            ),
            (
                HttpMethod::Post,
                simple("quizzes", "create_quiz", "Write a quiz (heads of sales and administrators)", "201", "the quiz", object(&format!("{{data: {QUIZ}}}")))
                    .request_body(Some(body(any_object(SPEC))))
                    .response("403", invalid("not a head or an administrator (quiz_heads_only)"))
                    .response("409", invalid("the key is taken (quiz_key_taken)"))
                    .response("422", invalid("an unknown key (quiz_spec), a question without a right option (quiz_no_right_option), a single-answer question with several (quiz_single_one_right), a bad pass mark or role; `field` names it (questions.<n>.options)")),
            ),
        ]),
    );
    add(
        "/api/v1/quizzes/generate",
        item([(
            HttpMethod::Post,
            simple(
                "quizzes",
                "generate_quiz",
                "Generate the quiz `regulation` from the stage regulation: the required fields of each stage, how long a deal may stay at a stage, the lost reasons, stage goals; the same regulation and seed give the same quiz; generating again replaces its questions",
                "200",
                "the quiz",
                object(&format!("{{data: {QUIZ}}}")),
            )
            .request_body(Some(body(any_object("{seed?: a whole number ≥ 0 (default 1): the order of the options}"))))
            .response("403", invalid("not a head or an administrator"))
            .response("422", invalid("nothing to ask about (quiz_nothing_to_generate)")),
        )]),
    );
    add(
        "/api/v1/quizzes/mine",
        item([(
            HttpMethod::Get,
            simple(
                "quizzes",
                "my_quizzes",
                "The caller's quizzes, due ones first",
                "200",
                "the list",
                object("{data: [{quiz_id, key, title, pass_percent, questions, due, assigned_at, attempts, best_percent, passed}]}"),
            ),
        )]),
    );
    add(
        "/api/v1/quizzes/results",
        item([(
            HttpMethod::Get,
            simple(
                "quizzes",
                "quiz_results",
                "Results for the head: per user and quiz, and per question how often it is failed (most failed first)",
                "200",
                "the results",
                object("{data: {users: [{user_id, user_name, quiz_id, quiz_title, due, attempts, best_percent, last_percent, passed, last_at}], questions: [{quiz_id, quiz_title, question_key, text, question, answered, failed, failed_percent}]}}"),
            )
            .response("403", invalid("not a head or an administrator")),
        )]),
    );
    add(
        "/api/v1/quizzes/{id}",
        item([
            (
                HttpMethod::Get,
                simple(
                    "quizzes",
                    "get_quiz",
                    "One quiz (without right answers for a taker)",
                    "200",
                    "the quiz",
                    object(&format!("{{data: {QUIZ}}}")),
                )
                .parameter(id_param())
                .response("404", invalid("no such quiz in this workspace")),
            ),
            (
                HttpMethod::Put,
                simple(
                    "quizzes",
                    "put_quiz",
                    "Replace a quiz (its version goes up; attempts stay)",
                    "200",
                    "the quiz",
                    object(&format!("{{data: {QUIZ}}}")),
                )
                .parameter(id_param())
                .request_body(Some(body(any_object(SPEC))))
                .response("403", invalid("not a head or an administrator"))
                .response("404", invalid("no such quiz"))
                .response("422", invalid("as for creating")),
            ),
            (
                HttpMethod::Delete,
                simple("quizzes", "delete_quiz", "Delete a quiz with its assignments and attempts", "204", "deleted", None)
                    .parameter(id_param())
                    .response("403", invalid("not a head or an administrator"))
                    .response("404", invalid("no such quiz")),
            ),
        ]),
    );
    add(
        "/api/v1/quizzes/{id}/attempts",
        item([(
            HttpMethod::Post,
            simple(
                "quizzes",
                "submit_quiz",
                "Take the quiz: a question is right when exactly its right options are chosen; passing closes the caller's assignment",
                "201",
                "the score with the right answers and explanations",
                object(&format!("{{data: {{id, quiz_id, pass_percent, right, total, percent, passed, questions: [{{key, chosen, right, correct}}], quiz: {QUIZ}}}}}")),
            )
            .parameter(id_param())
            .request_body(Some(body(any_object("{answers: {question key: [option index from 0]}, start_id?} (a single answer may be a bare index; an unanswered question is wrong; start_id is required when the quiz has a time limit)"))))
            .response("404", invalid("no such quiz"))
            .response("422", invalid("an unknown question (quiz_unknown_question), no such option (quiz_option_range), several answers to a single-answer question (quiz_single_one_answer), the time is over (quiz_time_over), no start for a timed quiz (quiz_not_started), an unknown or answered start (quiz_start_unknown), every attempt used (quiz_no_attempts_left)")),
        )]),
    );
    add(
        "/api/v1/quizzes/{id}/start",
        item([(
            HttpMethod::Post,
            simple(
                "quizzes",
                "start_quiz",
                "Begin an attempt (or get the caller's open one): the time limit runs from now, the questions and options come in this attempt's own order",
                "201",
                "the start",
                object(&format!("{{data: {{start_id, quiz_id, started_at, deadline, attempts_used, max_attempts, order: [{{key, options: [option index]}}], quiz: {QUIZ}}}}}")),
            )
            .parameter(id_param())
            .response("404", invalid("no such quiz"))
            .response("422", invalid("every attempt is used (quiz_no_attempts_left)")),
        )]),
    );
    add(
        "/api/v1/quizzes/{id}/assign",
        item([(
            HttpMethod::Post,
            simple(
                "quizzes",
                "assign_quiz",
                "Assign a quiz now (heads of sales and administrators)",
                "200",
                "how many users got it",
                object("{data: {assigned}}"),
            )
            .parameter(id_param())
            .request_body(Some(body(any_object("{user_ids?: [id]} (every active user when absent; a user with it due is skipped)"))))
            .response("403", invalid("not a head or an administrator"))
            .response("422", invalid("an unknown user")),
        )]),
    );
}
