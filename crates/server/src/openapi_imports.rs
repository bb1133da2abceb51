//! Imports of a base from another CRM's export in the OpenAPI document: upload, one import,
//! run (or dry run) with the confirmed mappings, rollback. See docs/IMPORT.md.
use super::{any_object, body, error_ref, id_param, item, json_response, query_param, simple};
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, PathItem, Paths, RefOr, Required};

const IMPORT: &str = "{id, entity: deal|person|organization, preset: amocrm|bitrix24|pipedrive|generic, file_name, file_kind: csv|xlsx|xls|html, status: uploaded|done|rolled_back, headers: [text], rows, settings: {columns: [target|null per header], values: {stage|pipeline|owner|lost_reason|status: {file value: target}}, duplicates: skip|update|create, new_custom: [column index]}, values_found: {kind: [file values]}, preview: [[cells]], report: REPORT|null, created_by, created_at, finished_at, rolled_back_at}";
const REPORT: &str = "{dry_run, rows, created, updated, skipped, failed, persons_created, organizations_created, notes_created, tasks_created, custom_fields_created, errors: [{line, column, code: required|bad_phone|bad_email|bad_date|bad_amount|unmapped_value|duplicate_id|invalid, message, message_code, args}]}";
const CHOICES: &str = "{pipelines: [{id, name}], stages: [{id, pipeline_id, name}], users: [{id, name, email}], lost_reasons: [text], custom_fields: [{key, label}]}";

fn binary() -> ContentBuilder {
    ContentBuilder::new().schema(Some(RefOr::T(
        ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))).build().into(),
    )))
}

pub(super) fn add(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let invalid = |what: &str| json_response(what, Some(error_ref()));
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    let one = format!("{{data: {}, choices: {CHOICES}}}", IMPORT.replace("REPORT", REPORT));
    add(
        "/api/v1/imports",
        item([
            (
                HttpMethod::Get,
                simple("imports", "list_imports", "The latest imports (heads of sales and administrators), newest first", "200", "the imports", object(&format!("{{data: [{IMPORT}]}}")))
                    .response("403", invalid("not a head or an administrator")),
            ),
            (
                HttpMethod::Post,
                OperationBuilder::new()
                    .tag("imports")
                    .operation_id(Some("upload_import"))
                    .summary(Some("Upload an export of another CRM: the proposed column and value mappings and a preview"))
                    .description(Some("The body is the file (CSV in UTF-8 or Windows-1251 separated by `;`, `,` or tabs; XLSX; XLS; Bitrix24's HTML table saved as .xls), or the `file` part of a multipart form whose other parts carry the options. The preset is told by the headers unless given. At most 100 MB (413 above) and 300 000 rows. Nothing is imported yet: run it with /api/v1/imports/{id}/run."))
                    .parameter(query_param("entity", "deal (default), person or organization"))
                    .parameter(query_param("preset", "amocrm, bitrix24, pipedrive or generic; told by the headers when absent"))
                    .parameter(query_param("file_name", "the file's name, kept in the history"))
                    .request_body(Some(
                        RequestBodyBuilder::new()
                            .required(Some(Required::True))
                            .content("text/csv", binary().build())
                            .content("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", binary().build())
                            .content("application/vnd.ms-excel", binary().build())
                            .content("multipart/form-data", ContentBuilder::new().schema(Some(any_object("{file, entity, preset, file_name}"))).build())
                            .build(),
                    ))
                    .response("201", json_response("the import", object(&one)))
                    .response("401", json_response("not authenticated", Some(error_ref())))
                    .response("403", invalid("not a head or an administrator"))
                    .response("413", invalid("the file is over 100 MB (message_code crm_import_too_large)"))
                    .response("422", invalid("an empty file, an unknown encoding (crm_import_unknown_encoding), an unreadable workbook, too many rows, an unknown entity or preset; `field` names it")),
            ),
        ]),
    );
    add(
        "/api/v1/imports/{id}",
        item([(
            HttpMethod::Get,
            simple("imports", "get_import", "One import: its mappings, preview and last report", "200", "the import", object(&one))
                .parameter(id_param())
                .response("404", invalid("missing or another workspace's")),
        )]),
    );
    add(
        "/api/v1/imports/{id}/run",
        item([(
            HttpMethod::Post,
            simple("imports", "run_import", "Run an uploaded import (or count what it would do)", "200", "the report", object(&format!("{{data: {REPORT}}}")))
                .description(Some("The body may change the proposed settings: `columns` (a target or null per header), `mapping` ({header: target}), `values` ({kind: {file value: target}}, merged into the proposal; a stage's target is a stage id, won or lost; an empty target leaves the default), `duplicates` (skip, update or create), `new_custom` (column indexes or headers to keep in new text custom fields). Targets: external_id, title, value, currency, stage, pipeline, status, owner, lost_reason, source, utm_*, expected_close_date, created_at, person_external_id, person_name, person_first_name, person_last_name, person_phone, person_email, person_job_title, org_external_id, org_name, org_tax_id, org_website, org_address, note, task, task_due, custom.<key>. A dry run writes nothing. Failed rows are listed and not written; the rest is one transaction. A run import does not run again; the same file uploaded again finds its records by the file's own ids."))
                .parameter(id_param())
                .request_body(Some(body(any_object("{dry_run: bool, columns, mapping, values, duplicates, new_custom}"))))
                .response("403", invalid("not a head or an administrator"))
                .response("404", invalid("missing"))
                .response("409", invalid("already run (crm_import_already_run)"))
                .response("422", invalid("no column for the required field, an unknown target or header, an unknown duplicates choice; `field` names it")),
        )]),
    );
    add(
        "/api/v1/imports/{id}/rollback",
        item([(
            HttpMethod::Post,
            simple(
                "imports",
                "rollback_import",
                "Delete what an import created and restore what it updated",
                "200",
                "what was undone",
                object("{data: {deleted, restored}}"),
            )
            .parameter(id_param())
            .response("403", invalid("not a head or an administrator"))
            .response("404", invalid("missing"))
            .response("409", invalid("not run, or rolled back already")),
        )]),
    );
}
