//! The regulation as one file (issue 23) in the OpenAPI document: export, plan, apply,
//! versions and rollback. Administrators only.
use super::{any_object, error_ref, item, json_response, query_param, simple};
use utoipa::openapi::path::{HttpMethod, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, PathItem, Paths, RefOr, Required, ResponseBuilder};

const PLAN: &str = "{data: {changes: [{section: workspace|field|pipeline|stage|rule|template|article|quiz, key, name, kind: added|changed|removed, fields: [{field, old, new}]}], impacts: [{key, msg: {code, message, args}}], warnings: [{key, msg}], errors: [{line, path, msg}], summary}}";
const APPLIED: &str = "{data: {outcome: applied, version, summary, changes} | {outcome: unchanged}}";

fn toml_text() -> RefOr<utoipa::openapi::schema::Schema> {
    RefOr::T(ObjectBuilder::new().schema_type(Type::String).description(Some("the regulation file (TOML)")).build().into())
}

fn toml_body() -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("application/toml", ContentBuilder::new().schema(Some(toml_text())).build())
        .build()
}

fn toml_response(desc: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new().description(desc).content("application/toml", ContentBuilder::new().schema(Some(toml_text())).build()).build()
}

fn version_param() -> ParameterBuilder {
    ParameterBuilder::new()
        .name("n")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some("the version number"))
        .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
}

fn move_param() -> ParameterBuilder {
    query_param("move", "where the deals of a removed stage go: PIPELINE/STAGE:TARGET (TARGET is PIPELINE/STAGE or a stage key of the same pipeline); repeatable")
}

pub(super) fn add(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let refused = || {
        json_response("the file does not apply: `field` and `position.line` name the first refusal, `position.errors` lists them all [{line, path, msg}]; nothing was written", Some(error_ref()))
    };
    let forbidden = || json_response("not an administrator", Some(error_ref()));
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    add(
        "/api/v1/regulation",
        item([(
            HttpMethod::Get,
            simple(
                "regulation",
                "export_regulation",
                "The workspace's regulation as one TOML file with stable keys (administrators)",
                "200",
                "the file",
                None,
            )
            .response(
                "200",
                toml_response("the file: workspace settings, fields, pipelines with stages, rules, templates, articles, quizzes"),
            )
            .response("403", forbidden()),
        )]),
    );
    add(
        "/api/v1/regulation/plan",
        item([(
            HttpMethod::Post,
            simple(
                "regulation",
                "plan_regulation",
                "What applying a regulation file would change and do to today's data; nothing is written",
                "200",
                "the plan; `errors` empty means the file applies",
                object(PLAN),
            )
            .request_body(Some(toml_body()))
            .parameter(move_param())
            .response("403", forbidden()),
        )]),
    );
    add(
        "/api/v1/regulation/apply",
        item([(
            HttpMethod::Post,
            simple(
                "regulation",
                "apply_regulation",
                "Apply a regulation file, all or nothing, recorded as a new version",
                "200",
                "the new version",
                object(APPLIED),
            )
            .request_body(Some(toml_body()))
            .parameter(move_param())
            .response("403", forbidden())
            .response("422", refused()),
        )]),
    );
    add(
        "/api/v1/regulation/versions",
        item([(
            HttpMethod::Get,
            simple(
                "regulation",
                "list_regulation_versions",
                "Every version of the regulation, newest first (a change made in the settings since the last one is recorded first)",
                "200",
                "the versions",
                object("{data: [{version, author_id, author_name, summary, created_at}]}"),
            )
            .response("403", forbidden()),
        )]),
    );
    add(
        "/api/v1/regulation/versions/{n}",
        item([(
            HttpMethod::Get,
            simple(
                "regulation",
                "get_regulation_version",
                "One version's file (TOML), or with `format=json` its file and its diff against the version before",
                "200",
                "the version",
                object("{data: {version, author_id, author_name, summary, created_at, toml, diff: [change]}}"),
            )
            .parameter(version_param())
            .parameter(query_param("format", "toml (default) or json"))
            .response("200", toml_response("the version's file"))
            .response("403", forbidden())
            .response("404", json_response("no such version", Some(error_ref()))),
        )]),
    );
    add(
        "/api/v1/regulation/versions/{n}/rollback",
        item([(
            HttpMethod::Post,
            simple(
                "regulation",
                "rollback_regulation",
                "Apply version n's file again, recorded as a new version",
                "200",
                "the new version",
                object(APPLIED),
            )
            .parameter(version_param())
            .parameter(move_param())
            .response("403", forbidden())
            .response("409", json_response("no such version (message_code regulation_no_version)", Some(error_ref())))
            .response("422", refused()),
        )]),
    );
}
