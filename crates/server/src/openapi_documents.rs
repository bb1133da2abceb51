//! Products, a deal's line items, document templates and documents in the OpenAPI document.
//! See docs/DOCUMENTS.md.
use super::{any_object, body, error_ref, id_param, if_match_param, item, json_response, simple};
use utoipa::openapi::path::{HttpMethod, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{PathItem, Paths, Required};

const PRODUCT: &str = "{id, name, unit, price (minor units), currency, vat: 22|10|0|none, archived, version, created_at, updated_at}";
const LINE: &str = "{id, deal_id, product_id, name, quantity (thousandths), unit, price, discount_percent, discount_amount, vat, position, net, vat_amount, total}";
const TEMPLATE: &str = "{id, name, doc_type: invoice|act|contract|proposal|other, placeholders, version, created_by, created_at}";
const DOCUMENT: &str =
    "{id, deal_id, template_id, doc_type, number, docx_file_id, pdf_file_id, pdf_state: pending|done|failed, pdf_error, created_at}";

fn path_param(name: &str, desc: &str) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(desc))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
}

pub(super) fn add(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let invalid = |what: &str| json_response(what, Some(error_ref()));
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    add(
        "/api/v1/products",
        item([
            (
                HttpMethod::Get,
                simple(
                    "documents",
                    "list_products",
                    "The product catalogue",
                    "200",
                    "the products",
                    object(&format!("{{data: [{PRODUCT}]}}")),
                ),
            ),
            (
                HttpMethod::Post,
                simple(
                    "documents",
                    "create_product",
                    "Add a product (administrators and heads)",
                    "201",
                    "the product",
                    object(&format!("{{data: {PRODUCT}}}")),
                )
                .request_body(Some(body(any_object("{name, unit?, price, currency?, vat: 22|10|0|none}"))))
                .response("422", invalid("a bad name, price or VAT rate; `field` names it")),
            ),
        ]),
    );
    add(
        "/api/v1/products/{id}",
        item([
            (
                HttpMethod::Get,
                simple(
                    "documents",
                    "get_product",
                    "One product (with its ETag)",
                    "200",
                    "the product",
                    object(&format!("{{data: {PRODUCT}}}")),
                )
                .parameter(id_param()),
            ),
            (
                HttpMethod::Patch,
                simple("documents", "update_product", "Change a product", "200", "the product", object(&format!("{{data: {PRODUCT}}}")))
                    .parameter(id_param())
                    .parameter(if_match_param())
                    .request_body(Some(body(any_object("{name?, unit?, price?, currency?, vat?}"))))
                    .response("412", invalid("the product changed since it was read"))
                    .response("422", invalid("a bad value; `field` names it")),
            ),
            (
                HttpMethod::Delete,
                simple("documents", "archive_product", "Archive a product (line items keep their copy)", "204", "archived", None)
                    .parameter(id_param()),
            ),
        ]),
    );
    add(
        "/api/v1/deals/{id}/line_items",
        item([
            (
                HttpMethod::Get,
                simple(
                    "documents",
                    "list_line_items",
                    "A deal's line items with their sums and totals",
                    "200",
                    "the lines and totals",
                    object(&format!("{{data: [{LINE}], totals: {{net, vat, total}}, value_from_items}}")),
                )
                .parameter(id_param()),
            ),
            (
                HttpMethod::Post,
                simple(
                    "documents",
                    "add_line_item",
                    "Add a line from the catalogue or a free one",
                    "201",
                    "the line",
                    object(&format!("{{data: {LINE}}}")),
                )
                .parameter(id_param())
                .request_body(Some(body(any_object(
                    "{product_id?, name?, quantity, unit?, price?, discount_percent?, discount_amount?, vat?}",
                ))))
                .response("422", invalid("a bad quantity, price, discount or VAT rate; `field` names it")),
            ),
        ]),
    );
    add(
        "/api/v1/deals/{id}/line_items/settings",
        item([(
            HttpMethod::Put,
            simple(
                "documents",
                "line_item_settings",
                "Whether the line items' total is the deal's value",
                "200",
                "the settings",
                object("{data: {value_from_items}}"),
            )
            .parameter(id_param())
            .request_body(Some(body(any_object("{value_from_items: bool}")))),
        )]),
    );
    add(
        "/api/v1/deals/{id}/line_items/{item}",
        item([
            (
                HttpMethod::Patch,
                simple("documents", "update_line_item", "Change a line", "200", "the line", object(&format!("{{data: {LINE}}}")))
                    .parameter(id_param())
                    .parameter(path_param("item", "the line's id"))
                    .response("422", invalid("a bad value; `field` names it")),
            ),
            (
                HttpMethod::Delete,
                simple("documents", "delete_line_item", "Remove a line", "204", "removed", None)
                    .parameter(id_param())
                    .parameter(path_param("item", "the line's id")),
            ),
        ]),
    );
    add(
        "/api/v1/document_settings",
        item([
            (
                HttpMethod::Get,
                simple(
                    "documents",
                    "get_document_settings",
                    "Numbering prefixes per document type and the VAT mode",
                    "200",
                    "the settings",
                    object("{data: {prefixes: {invoice, act, contract, proposal, other}, prices_include_vat}}"),
                ),
            ),
            (
                HttpMethod::Put,
                simple(
                    "documents",
                    "put_document_settings",
                    "Set numbering prefixes and the VAT mode (administrators)",
                    "200",
                    "the settings",
                    object("{data: {prefixes, prices_include_vat}}"),
                )
                .request_body(Some(body(any_object("{prefixes?: {type: prefix}, prices_include_vat?}"))))
                .response("422", invalid("a bad prefix; `field` names it")),
            ),
        ]),
    );
    add(
        "/api/v1/document_templates/fields",
        item([(
            HttpMethod::Get,
            simple(
                "documents",
                "document_template_fields",
                "Every placeholder a template may use, with its label in Russian and English",
                "200",
                "the fields",
                object("{data: [{name, ru, en, group}]}"),
            ),
        )]),
    );
    add(
        "/api/v1/document_templates/builtin",
        item([(
            HttpMethod::Post,
            simple(
                "documents",
                "install_builtin_templates",
                "Add the built-in Russian templates (счёт, акт, договор, КП) the workspace lacks",
                "200",
                "the templates added",
                object(&format!("{{data: [{TEMPLATE}]}}")),
            ),
        )]),
    );
    add(
        "/api/v1/document_templates",
        item([
            (HttpMethod::Get, simple("documents", "list_document_templates", "The workspace's document templates", "200", "the templates", object(&format!("{{data: [{TEMPLATE}]}}")))),
            (
                HttpMethod::Post,
                simple("documents", "upload_document_template", "Upload a DOCX template (multipart `file`, `name`, `doc_type`; administrators)", "201", "the template", object(&format!("{{data: {TEMPLATE}}}")))
                    .response("422", invalid("not a DOCX (template_not_docx), an unknown placeholder with its position (docx_unknown_placeholder), an unclosed brace or loop")),
            ),
        ]),
    );
    add(
        "/api/v1/document_templates/{id}",
        item([
            (
                HttpMethod::Get,
                simple(
                    "documents",
                    "get_document_template",
                    "One template",
                    "200",
                    "the template",
                    object(&format!("{{data: {TEMPLATE}}}")),
                )
                .parameter(id_param()),
            ),
            (
                HttpMethod::Delete,
                simple("documents", "delete_document_template", "Delete a template (documents made from it stay)", "204", "deleted", None)
                    .parameter(id_param()),
            ),
        ]),
    );
    add(
        "/api/v1/document_templates/{id}/content",
        item([(
            HttpMethod::Get,
            simple("documents", "document_template_content", "The template's DOCX", "200", "the DOCX file", None).parameter(id_param()),
        )]),
    );
    add(
        "/api/v1/deals/{id}/documents",
        item([
            (
                HttpMethod::Get,
                simple(
                    "documents",
                    "list_deal_documents",
                    "A deal's documents",
                    "200",
                    "the documents",
                    object(&format!("{{data: [{DOCUMENT}]}}")),
                )
                .parameter(id_param()),
            ),
            (
                HttpMethod::Post,
                simple(
                    "documents",
                    "create_document",
                    "Fill a template for the deal: a numbered DOCX kept on the deal, and a PDF made by a job",
                    "201",
                    "the document",
                    object(&format!("{{data: {DOCUMENT}}}")),
                )
                .parameter(id_param())
                .request_body(Some(body(any_object("{template_id}"))))
                .response(
                    "422",
                    invalid("a value the template needs is empty (document_missing_value, naming the field); no number is used"),
                ),
            ),
        ]),
    );
    add(
        "/api/v1/documents/{id}",
        item([(
            HttpMethod::Get,
            simple(
                "documents",
                "get_document",
                "One document with its PDF state",
                "200",
                "the document",
                object(&format!("{{data: {DOCUMENT}}}")),
            )
            .parameter(id_param()),
        )]),
    );
    add(
        "/api/v1/documents/{id}/{kind}",
        item([(
            HttpMethod::Get,
            simple("documents", "document_file", "The document's DOCX or PDF (with the deal's visibility)", "200", "the file", None)
                .parameter(id_param())
                .parameter(path_param("kind", "docx or pdf"))
                .response("404", invalid("no such document, the caller may not see its deal, or the PDF is not made yet")),
        )]),
    );
}
