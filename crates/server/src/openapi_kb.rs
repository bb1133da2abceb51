//! The knowledge base in the OpenAPI document (docs/KNOWLEDGE_BASE.md).
use super::{any_object, body, error_ref, if_match_param, item, json_response, query_param, simple};
use utoipa::openapi::path::{HttpMethod, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{PathItem, Paths, Required};

const INPUT: &str = "{key? (only when creating: a-z, 0-9, _ and -, at most 64; made from the title when absent), section, title (≤ 200), \
kind?: article|script (default article), body: Markdown (≤ 100 000 characters), links?: [\"stage:<pipeline key>/<stage key>\" or \"stage:<stage key>\", \"rule:<rule key>\", \"entry_task:<stage key>\", \"template:<template key>\"]}";
const ARTICLE: &str = "{id, key, section, title, kind, body (Markdown as written), html (rendered and sanitised: no script, no on* attributes, only http(s)/mailto/relative links), \
links, version, updated_by, updated_by_name, created_at, updated_at}";
const SUMMARY: &str = "{id, key, section, title, kind, version, updated_at}";
const VERSION: &str = "{version, section, title, kind, body, links, author_id, author_name, created_at}";

fn path_param(name: &str, ty: Type, desc: &str) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(desc))
        .schema(Some(ObjectBuilder::new().schema_type(ty)))
}

pub(super) fn add(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let invalid = |what: &str| json_response(what, Some(error_ref()));
    let key = || path_param("key", Type::String, "the article's key");
    let n = || path_param("n", Type::Integer, "a version number (1 is the first text)");
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    add(
        "/api/v1/kb/articles",
        item([
            (
                HttpMethod::Get,
                simple("knowledge base", "list_articles", "The articles, by section and title (everyone in the workspace)", "200", "the articles", object(&format!("{{data: [{SUMMARY}]}}")))
                    .parameter(query_param("q", "words that must all occur in the title, section or body (any case)"))
                    .parameter(query_param("section", "only this section")),
            ),
            (
                HttpMethod::Post,
                simple("knowledge base", "create_article", "Write an article (heads of sales and administrators); its text is version 1", "201", "the article (ETag: its version)", object(&format!("{{data: {ARTICLE}}}")))
                    .request_body(Some(body(any_object(INPUT))))
                    .response("403", invalid("not a head or an administrator (kb_editors_only)"))
                    .response("409", invalid("the key is taken (kb_key_taken)"))
                    .response("422", invalid("a bad key (kb_key_shape), kind (kb_kind_unknown) or link (kb_link_shape), a link naming nothing in the workspace (kb_link_unknown), an empty title or section, an unknown field; `field` names it")),
            ),
        ]),
    );
    add(
        "/api/v1/kb/targets",
        item([(
            HttpMethod::Get,
            simple(
                "knowledge base",
                "list_article_link_targets",
                "What an article may link to, with labels: stages and their entry tasks (by pipeline/stage key), hygiene rules (the workspace's and the built-in catalogue's), message templates. Stages and rules without a key get one first",
                "200",
                "the targets",
                object("{data: [{link, kind, label}]}"),
            ),
        )]),
    );
    add(
        "/api/v1/kb/sections",
        item([(
            HttpMethod::Get,
            simple(
                "knowledge base",
                "list_article_sections",
                "The sections with their article counts",
                "200",
                "the sections",
                object("{data: [{name, articles}]}"),
            ),
        )]),
    );
    add(
        "/api/v1/kb/articles/{key}",
        item([
            (
                HttpMethod::Get,
                simple(
                    "knowledge base",
                    "get_article",
                    "One article with its safe HTML (ETag: its version)",
                    "200",
                    "the article",
                    object(&format!("{{data: {ARTICLE}}}")),
                )
                .parameter(key())
                .response("404", invalid("no such article in this workspace")),
            ),
            (
                HttpMethod::Put,
                simple(
                    "knowledge base",
                    "put_article",
                    "Save a new text (a new version when anything changed; the key stays)",
                    "200",
                    "the article",
                    object(&format!("{{data: {ARTICLE}}}")),
                )
                .parameter(key())
                .parameter(if_match_param())
                .request_body(Some(body(any_object(INPUT))))
                .response("403", invalid("not a head or an administrator"))
                .response("404", invalid("no such article"))
                .response("412", invalid("If-Match is not the current version"))
                .response("422", invalid("a bad part; `field` names it")),
            ),
            (
                HttpMethod::Delete,
                simple(
                    "knowledge base",
                    "delete_article",
                    "Delete an article (its versions stay; creating the key again continues them)",
                    "204",
                    "deleted",
                    None,
                )
                .parameter(key())
                .response("403", invalid("not a head or an administrator"))
                .response("404", invalid("no such article")),
            ),
        ]),
    );
    add(
        "/api/v1/kb/articles/{key}/versions",
        item([(
            HttpMethod::Get,
            simple(
                "knowledge base",
                "list_article_versions",
                "Every saved text with its author and time, newest first",
                "200",
                "the versions",
                object(&format!("{{data: [{VERSION}]}}")),
            )
            .parameter(key())
            .response("404", invalid("no such article")),
        )]),
    );
    add(
        "/api/v1/kb/articles/{key}/versions/{n}",
        item([(
            HttpMethod::Get,
            simple(
                "knowledge base",
                "get_article_version",
                "One saved text, with its safe HTML",
                "200",
                "the version",
                object(&format!("{{data: {VERSION} + html}}")),
            )
            .parameter(key())
            .parameter(n())
            .response("404", invalid("no such article or version")),
        )]),
    );
    add(
        "/api/v1/kb/articles/{key}/versions/{n}/restore",
        item([(
            HttpMethod::Post,
            simple(
                "knowledge base",
                "restore_article_version",
                "Make version n's text the current one, as a new version",
                "200",
                "the article",
                object(&format!("{{data: {ARTICLE}}}")),
            )
            .parameter(key())
            .parameter(n())
            .response("403", invalid("not a head or an administrator"))
            .response("404", invalid("no such article"))
            .response("422", invalid("no such version (kb_version_missing)")),
        )]),
    );
}
