//! Hygiene audits and assistants in the OpenAPI document: rules, rounds, violations, standings,
//! the assistants' settings and runs, and what they did to a record.
use super::{any_object, body, error_ref, id_param, item, json_response, query_param, simple};
use utoipa::openapi::path::{HttpMethod, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{PathItem, Paths, Required};

const RULE: &str = "{id, catalogue_key, name, entity: deal|person|organization|activity, expression, criticality: 1..3, why, fix, responsible: owner|head, enabled}";
const ROUND: &str = "{id, status: running|done|failed, user_id, started_at, finished_at, deadline_at, violations, error}";
const VIOLATION: &str = "{id, round_id, rule_id, rule_name, criticality, entity, record_id, user_id, status, comment, answered_at, deadline_at, recheck, review, review_comment, reviewed_at, created_at}";

fn name_param() -> ParameterBuilder {
    ParameterBuilder::new()
        .name("name")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some("forgotten, release, churned, unpaid, debtors or escalation"))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
}

pub(super) fn add(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let invalid = |what: &str| json_response(what, Some(error_ref()));
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    add(
        "/api/v1/rules",
        item([
            (
                HttpMethod::Get,
                simple(
                    "audit",
                    "list_rules",
                    "The workspace's hygiene rules",
                    "200",
                    "a page of rules",
                    object(&format!("{{data: [{RULE}], next_cursor}}")),
                ),
            ),
            (
                HttpMethod::Post,
                simple(
                    "audit",
                    "create_rule",
                    "Create a rule (administrators and heads)",
                    "201",
                    "the rule",
                    object(&format!("{{data: {RULE}}}")),
                )
                .request_body(Some(body(any_object(
                    "{name, entity, expression (filter language), criticality, why, fix, responsible, enabled}",
                ))))
                .response("403", invalid("the caller may not manage rules"))
                .response("422", invalid("an unknown field, or an expression that does not check (with error.position)")),
            ),
        ]),
    );
    add(
        "/api/v1/rules/catalogue",
        item([(
            HttpMethod::Post,
            simple(
                "audit",
                "install_catalogue",
                "Install the built-in rule catalogue, mapped to the workspace's own names",
                "201",
                "the rules added",
                object(&format!("{{data: [{RULE}]}}")),
            )
            .request_body(Some(body(any_object("{params: {stage_demo_done: \"Демо проведено\", …}} (optional; the body may be empty)"))))
            .response("422", invalid("params is not an object of names")),
        )]),
    );
    add(
        "/api/v1/rules/{id}",
        item([
            (
                HttpMethod::Get,
                simple("audit", "get_rule", "One rule", "200", "the rule", object(&format!("{{data: {RULE}}}")))
                    .parameter(id_param())
                    .response("404", invalid("no such rule")),
            ),
            (
                HttpMethod::Patch,
                simple("audit", "update_rule", "Change a rule", "200", "the rule", object(&format!("{{data: {RULE}}}")))
                    .parameter(id_param())
                    .request_body(Some(body(any_object("any of the rule's fields"))))
                    .response("422", invalid("invalid input")),
            ),
            (HttpMethod::Delete, simple("audit", "delete_rule", "Delete a rule", "204", "deleted", None).parameter(id_param())),
        ]),
    );
    add(
        "/api/v1/audit/rounds",
        item([
            (
                HttpMethod::Get,
                simple(
                    "audit",
                    "list_rounds",
                    "Audit rounds, newest first",
                    "200",
                    "a page of rounds",
                    object(&format!("{{data: [{ROUND}], next_cursor}}")),
                ),
            ),
            (
                HttpMethod::Post,
                simple(
                    "audit",
                    "start_round",
                    "Start a round; the job worker evaluates every enabled rule",
                    "202",
                    "the round, running",
                    object("{data: {id, status: running}}"),
                )
                .request_body(Some(body(any_object(
                    "{now: RFC 3339 timestamp} (optional): evaluate the rules as of that moment; the body may be empty",
                ))))
                .response("409", invalid("a round is already running"))
                .response("422", invalid("now is not an RFC 3339 timestamp, or an unknown field")),
            ),
        ]),
    );
    add(
        "/api/v1/audit/rounds/{id}/export",
        item([(
            HttpMethod::Get,
            simple(
                "audit",
                "export_round",
                "A round's violations as an XLSX workbook (default) or CSV",
                "200",
                "the file (attachment)",
                None,
            )
            .parameter(id_param())
            .parameter(query_param("format", "xlsx (default) or csv"))
            .response("404", invalid("no such round"))
            .response("422", invalid("an unknown format or parameter")),
        )]),
    );
    add(
        "/api/v1/audit/standings",
        item([(
            HttpMethod::Get,
            simple(
                "audit",
                "standings",
                "Per manager: violations listed, answered, fixed on time and warnings",
                "200",
                "the standings",
                object("{data: {rows: [row], never_listed: [{user_id, name}]}}"),
            ),
        )]),
    );
    add(
        "/api/v1/violations",
        item([(
            HttpMethod::Get,
            simple(
                "audit",
                "list_violations",
                "Violations the caller sees (their own; everyone's for heads, administrators, analysts), oldest first, 50 a page by default; the filters combine",
                "200",
                "a page",
                object(&format!("{{data: [{VIOLATION}], next_cursor}}")),
            )
            .parameter(query_param("round_id", "only this round's"))
            .parameter(query_param("rule_id", "only this rule's"))
            .parameter(query_param("user_id", "only this user's"))
            .parameter(query_param(
                "state",
                "only in this state: open (not closed yet), closed (reviewed, or closed by the re-check), not_processed, fixed, not_fixed (the answer), still_matches (a fixed claim the re-check found still matching)",
            ))
            .parameter(query_param("answered", "true: answered fixed or not_fixed; false: not answered yet"))
            .parameter(query_param("round", "the same as round_id (not both)"))
            .parameter(query_param("user", "the same as user_id (not both)"))
            .parameter(query_param("rule", "the same as rule_id (not both)"))
            .parameter(query_param("status", "only with this answer (not_processed, fixed, not_fixed)"))
            .response(
                "422",
                invalid("a bad parameter (limit out of 1 to 500, a non-integer id, an unknown state, answered not true or false, a filter under both its names, an unknown parameter), named in `field`"),
            ),
        )]),
    );
    add(
        "/api/v1/violations/{id}/answer",
        item([(
            HttpMethod::Post,
            simple(
                "audit",
                "answer_violation",
                "The responsible user's answer",
                "200",
                "the violation",
                object(&format!("{{data: {VIOLATION}}}")),
            )
            .parameter(id_param())
            .request_body(Some(body(any_object("{status, comment (required unless fixed)}"))))
            .response("403", invalid("not the responsible user"))
            .response("409", invalid("the violation is closed"))
            .response("422", invalid("a bad status or a missing comment")),
        )]),
    );
    add(
        "/api/v1/violations/{id}/review",
        item([(
            HttpMethod::Post,
            simple(
                "audit",
                "review_violation",
                "A head's review: accept the answer or issue a warning",
                "200",
                "the violation",
                object(&format!("{{data: {VIOLATION}}}")),
            )
            .parameter(id_param())
            .request_body(Some(body(any_object("{decision: accept|warn, comment (required with a warning)}"))))
            .response("409", invalid("the violation is already closed"))
            .response("422", invalid("a bad decision or a missing comment")),
        )]),
    );
    add(
        "/api/v1/assistants",
        item([(
            HttpMethod::Get,
            simple(
                "assistants",
                "list_assistants",
                "The assistants with their settings",
                "200",
                "a page",
                object("{data: [{name, enabled, settings, last_run_at, …}], next_cursor}"),
            ),
        )]),
    );
    add(
        "/api/v1/assistants/{name}",
        item([(
            HttpMethod::Patch,
            simple(
                "assistants",
                "update_assistant",
                "Change an assistant's settings (administrators)",
                "200",
                "the assistant",
                object("{data: assistant}"),
            )
            .parameter(name_param())
            .request_body(Some(body(any_object("{enabled, settings}"))))
            .response("404", invalid("no such assistant"))
            .response("422", invalid("a bad setting, named in `field`")),
        )]),
    );
    add(
        "/api/v1/assistants/{name}/run",
        item([(
            HttpMethod::Post,
            simple(
                "assistants",
                "run_assistant",
                "Run an assistant now (administrators), or a dry run listing what it would do and why (heads too)",
                "200",
                "the report",
                object("{data: report}"),
            )
            .parameter(name_param())
            .request_body(Some(body(any_object("{dry_run: bool, now: RFC 3339 timestamp}; both optional"))))
            .response("403", invalid("the caller may not run it"))
            .response("400", invalid("dry_run or now malformed")),
        )]),
    );
    for collection in ["deals", "persons", "organizations", "activities"] {
        add(
            &format!("/api/v1/{collection}/{{id}}/assistant_actions"),
            item([(
                HttpMethod::Get,
                simple(
                    "assistants",
                    &format!("{collection}_assistant_actions"),
                    "What the assistants did to this record",
                    "200",
                    "a page",
                    object("{data: [action], next_cursor}"),
                )
                .parameter(id_param()),
            )]),
        );
        add(
            &format!("/api/v1/{collection}/{{id}}/labels"),
            item([(
                HttpMethod::Get,
                simple(
                    "assistants",
                    &format!("{collection}_labels"),
                    "The labels the assistants put on this record",
                    "200",
                    "a page",
                    object("{data: [label], next_cursor}"),
                )
                .parameter(id_param()),
            )]),
        );
    }
    add(
        "/api/v1/openapi.json",
        item([(HttpMethod::Get, simple("meta", "openapi", "This document", "200", "the OpenAPI document", object("OpenAPI 3.1")))]),
    );
}
