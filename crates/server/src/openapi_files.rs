//! Files on cards and the workspace's requisites in the OpenAPI document. See docs/FILES.md.
use super::{any_object, error_ref, id_param, if_match_param, item, json_response, query_param, simple};
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, PathItem, Paths, RefOr, Required, ResponseBuilder};

const FILE: &str = "{id, entity: deal|person|organization|activity|note, record_id, name, size, content_type, sha256, kind: text|null, uploaded_by, uploaded_by_name, created_at}";
const REQUISITES: &str = "{legal_name, inn, kpp, ogrn, legal_address, bank_name, bik, corr_account, account, signatory_name, signatory_title, version, updated_at}";

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
    for collection in ["deals", "persons", "organizations", "activities", "notes"] {
        let one = match collection {
            "activities" => "activity",
            c => c.trim_end_matches('s'),
        };
        add(
            &format!("/api/v1/{collection}/{{id}}/files"),
            item([
                (
                    HttpMethod::Get,
                    simple("files", &format!("list_{one}_files"), "The files on a card, newest first", "200", "the files", object(&format!("{{data: [{FILE}]}}")))
                        .parameter(id_param())
                        .response("404", invalid("no such card, or the caller may not see it")),
                ),
                (
                    HttpMethod::Post,
                    OperationBuilder::new()
                        .tag("files")
                        .operation_id(Some(format!("upload_{one}_file")))
                        .summary(Some("Attach a file to a card"))
                        .description(Some("A multipart form whose `file` part is the file (its file name is the name unless a `name` part gives one; a `kind` part labels it, e.g. signed_contract), or the raw file as the body with `name` and `kind` in the query. Programs and scripts are refused (by extension and by content); a name with / or \\ or a control character is refused; the content type is decided by the server. At most 25 MiB unless the server is configured otherwise (413 above). A history event `file_attached` is written on the card."))
                        .parameter(id_param())
                        .parameter(query_param("name", "the file's name (raw bodies)"))
                        .parameter(query_param("kind", "the file's kind: Latin letters, digits and _ (e.g. signed_contract)"))
                        .request_body(Some(
                            RequestBodyBuilder::new()
                                .required(Some(Required::True))
                                .content("multipart/form-data", ContentBuilder::new().schema(Some(any_object("{file, name, kind}"))).build())
                                .content("application/octet-stream", binary().build())
                                .build(),
                        ))
                        .response("201", json_response("the file", object(&format!("{{data: {FILE}}}"))))
                        .response("401", json_response("not authenticated", Some(error_ref())))
                        .response("403", invalid("the caller may not change records (an analyst)"))
                        .response("404", invalid("no such card, or the caller may not see it"))
                        .response("413", invalid("the file is over the size limit (message_code file_too_large)"))
                        .response("422", invalid("an empty file (file_empty), a program (file_executable), a bad name (file_name_separator, file_name_control, file_name_too_long) or kind (file_kind_shape); `field` names it")),
                ),
            ]),
        );
    }
    add(
        "/api/v1/files/{id}",
        item([
            (
                HttpMethod::Get,
                simple("files", "get_file", "A file's description", "200", "the file", object(&format!("{{data: {FILE}}}")))
                    .parameter(id_param())
                    .response("404", invalid("no such file, or the caller may not see its card")),
            ),
            (
                HttpMethod::Delete,
                OperationBuilder::new()
                    .tag("files")
                    .operation_id(Some("delete_file"))
                    .summary(Some("Remove a file from its card (history event file_removed)"))
                    .parameter(id_param())
                    .response("204", ResponseBuilder::new().description("removed").build())
                    .response("401", json_response("not authenticated", Some(error_ref())))
                    .response("403", invalid("the caller may not change records"))
                    .response("404", invalid("no such file, or the caller may not see its card")),
            ),
        ]),
    );
    add(
        "/api/v1/files/{id}/content",
        item([(
            HttpMethod::Get,
            OperationBuilder::new()
                .tag("files")
                .operation_id(Some("download_file"))
                .summary(Some("A file's bytes, as an attachment (Content-Disposition with the name as RFC 5987 filename*)"))
                .parameter(id_param())
                .response(
                    "200",
                    ResponseBuilder::new().description("the file").content("application/octet-stream", binary().build()).build(),
                )
                .response("401", json_response("not authenticated", Some(error_ref())))
                .response("404", invalid("no such file, or the caller may not see its card")),
        )]),
    );
    add(
        "/api/v1/workspace/requisites",
        item([
            (
                HttpMethod::Get,
                simple("workspace", "get_requisites", "The workspace's own requisites (ETag: their version)", "200", "the requisites", object(&format!("{{data: {REQUISITES}}}"))),
            ),
            (
                HttpMethod::Put,
                OperationBuilder::new()
                    .tag("workspace")
                    .operation_id(Some("put_requisites"))
                    .summary(Some("Replace the workspace's requisites (administrators)"))
                    .description(Some("Every key may be absent or empty. The INN's check digits (10 or 12 digits), the KPP's shape, the OGRN's (13) or OGRNIP's (15) check digit, the BIK (9 digits), the accounts (20 digits; the correspondent account starts with 30101) and both accounts' control keys against the BIK are checked; a bad value is a 422 naming the key with a message_code such as inn_check_digit or account_key."))
                    .parameter(if_match_param())
                    .request_body(Some(super::body(any_object(REQUISITES))))
                    .response("200", json_response("the requisites", object(&format!("{{data: {REQUISITES}}}"))))
                    .response("401", json_response("not authenticated", Some(error_ref())))
                    .response("403", invalid("not an administrator"))
                    .response("412", invalid("If-Match names another version"))
                    .response("422", invalid("a bad value; `field` names the key")),
            ),
        ]),
    );
}
