//! The regulation document in the OpenAPI document: the document in a language and a format
//! with changes since a date highlighted, read receipts, and the stage linter
//! (docs/REGULATION_DOCUMENT.md).
use super::{any_object, body, error_ref, item, json_response, query_param, simple};
use utoipa::openapi::path::HttpMethod;
use utoipa::openapi::{PathItem, Paths};

const BLOCK: &str =
    "{key: stable across languages and versions, kind: heading2|heading3|para|item|required|warning|contents, text, changed: bool}";

pub(super) fn add(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let invalid = |what: &str| json_response(what, Some(error_ref()));
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    add(
        "/api/v1/regulation/document",
        item([(
            HttpMethod::Get,
            simple(
                "regulation",
                "get_regulation_document",
                "The regulation document generated from the configuration (seed 004's structure); a change of the configuration records a new version and notifies every user",
                "200",
                "format=json: the document; html: a standalone page (changes in <mark>); docx: a Word file (changes highlighted yellow); pdf: the DOCX converted by LibreOffice",
                object(&format!(
                    "{{data: {{lang, version, version_date: DD.MM.YYYY, since: YYYY-MM-DD|null, highlight_days, read_at: ms|null, changed: lines changed or removed, document: {{title, sections: [{{id, title, blocks: [{BLOCK}]}}], removed: [text]}}}}}}"
                )),
            )
            .parameter(query_param("lang", "ru or en; default: the reader's language"))
            .parameter(query_param("format", "json (default), html, docx or pdf"))
            .parameter(query_param("since", "YYYY-MM-DD: highlight what changed since that day; default: the workspace's highlight period (14 days)"))
            .response("422", invalid("an unknown parameter, a bad lang, format or date (`field` names it); the PDF conversion failed (pdf_failed)"))
            .response("503", invalid("no LibreOffice to convert the PDF (pdf_no_converter)"))
            .response("504", invalid("the PDF conversion took too long (pdf_timeout)")),
        )]),
    );
    add(
        "/api/v1/regulation/document/read",
        item([(
            HttpMethod::Post,
            simple(
                "regulation",
                "mark_regulation_read",
                "I have read version N of the regulation: recorded once, the first time",
                "200",
                "the version and when it was read",
                object("{data: {version, read_at: RFC 3339}}"),
            )
            .request_body(Some(body(any_object("{version?: N} — the current version when absent (an empty body too)"))))
            .response("422", invalid("no such version, or an unknown key; `field` names it")),
        )]),
    );
    add(
        "/api/v1/regulation/document/reads",
        item([(
            HttpMethod::Get,
            simple(
                "regulation",
                "regulation_reads",
                "Who has read a version of the regulation (heads of sales and administrators)",
                "200",
                "every active user of the workspace",
                object("{data: [{user_id, name, role, read: bool, read_at: RFC 3339|null, last_read_version: N|null}], version, current_version, read, unread}"),
            )
            .parameter(query_param("version", "the version (default: the current one)"))
            .response("403", invalid("not a head or an administrator (head_only)"))
            .response("422", invalid("a bad version or an unknown parameter")),
        )]),
    );
    add(
        "/api/v1/regulation/lint",
        item([(
            HttpMethod::Get,
            simple(
                "regulation",
                "regulation_lint",
                "The stage linter: stage names without an objective result («В работе», «Думает», «Жду ответ»…) and stages without a goal, with the advice",
                "200",
                "the findings, in the pipelines' order",
                object("{data: [{pipeline, stage, stage_name, kind: vague_activity|vague_waiting|vague_thinking|no_goal, code: stage_name_vague|stage_name_waiting|stage_name_thinking|stage_no_goal, message, args}]}"),
            )
            .parameter(query_param("lang", "ru or en; default: the reader's language")),
        )]),
    );
}
