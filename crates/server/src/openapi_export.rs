//! The workspace export in the OpenAPI document. See docs/BACKUP.md.
use super::{error_ref, item, json_response, query_param};
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::{Paths, ResponseBuilder};

pub(super) fn add(paths: &mut Paths) {
    paths.paths.insert(
        "/api/v1/export".to_string(),
        item([(
            HttpMethod::Get,
            OperationBuilder::new()
                .tag("export")
                .operation_id(Some("export_workspace"))
                .summary(Some("The whole workspace as JSON lines, or CSV or XLSX per entity in a zip (administrators)"))
                .description(Some("JSON lines (the default) stream every table of the caller's workspace with ids: a first line naming the format, then per table a header `{table, columns, rows}`, a line per row `{table, row}` and a closing `{table, count, sha256}`. Secrets (password and token hashes, webhook secrets) are left out. CSV and XLSX come as a zip of one file per entity (deals, persons, organizations, activities, notes, messages, history…) with names beside ids; cells that would start a formula are neutralised. See docs/BACKUP.md."))
                .parameter(query_param("format", "jsonl (default), csv or xlsx"))
                .response("200", ResponseBuilder::new().description("application/x-ndjson (jsonl) or application/zip (csv, xlsx), as an attachment").build())
                .response("400", json_response("an unknown format (`field: format`)", Some(error_ref())))
                .response("401", json_response("not authenticated", Some(error_ref())))
                .response("403", json_response("not an administrator", Some(error_ref()))),
        )]),
    );
}
