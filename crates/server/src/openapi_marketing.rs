//! Marketing spend in the OpenAPI document: the spend rows, their totals, the import of an ad
//! cabinet's export, and the channel aliases.
use super::{any_object, body, error_ref, id_param, item, json_response, query_param, simple};
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, PathItem, Paths, RefOr, Required};

const SPEND: &str = "{id, day: YYYY-MM-DD, channel, medium, campaign, term, impressions|null, clicks|null, amount (minor units of the workspace currency), import_id|null, created_by, created_at, updated_at}";
const ALIAS: &str = "{id, alias (lower-case, trimmed), channel, created_at}";
const WHO: &str = "heads of sales, administrators and analysts (others: 403, message_code spend_readers_only / spend_writers_only)";

fn filters(op: OperationBuilder) -> OperationBuilder {
    op.parameter(query_param("from", "the first day, YYYY-MM-DD"))
        .parameter(query_param("to", "the last day, YYYY-MM-DD"))
        .parameter(query_param("channel", "a channel in any spelling (Яндекс, ya.ru): normalised through the aliases"))
        .parameter(query_param("medium", "a medium (cpc)"))
        .parameter(query_param("campaign", "a campaign, exactly"))
        .parameter(query_param("term", "a keyword, exactly"))
}

pub(super) fn add(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let invalid = |what: &str| json_response(what, Some(error_ref()));
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    let file = |t: Type, binary: bool| {
        let b = ObjectBuilder::new().schema_type(t);
        let b = if binary { b.format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))) } else { b };
        ContentBuilder::new().schema(Some(RefOr::T(b.build().into()))).build()
    };
    add(
        "/api/v1/marketing/spend",
        item([
            (
                HttpMethod::Get,
                filters(simple(
                    "marketing",
                    "list_spend",
                    &format!("Marketing spend rows, the latest day first, with the totals of every row matching; for {WHO}"),
                    "200",
                    "a page and the totals",
                    object(&format!("{{data: [spend], next_cursor, totals: {{amount, impressions, clicks, rows, first_day, last_day}}}} where spend is {SPEND}")),
                ))
                .parameter(query_param("limit", "page size, 1 to 500 (default 50)"))
                .parameter(query_param("cursor", "next_cursor of the previous page"))
                .response("403", invalid("not a head, an administrator or an analyst"))
                .response("422", invalid("a bad parameter (a date, to before from), named in `field`")),
            ),
            (
                HttpMethod::Post,
                simple(
                    "marketing",
                    "save_spend",
                    "Enter one day's spend, or a period's total spread evenly over its days (to the minor unit: the first days take the remainder). A day already stored for the same channel, medium, campaign and term takes the new figures: entering it again replaces, never adds",
                    "201",
                    "the rows written (200 when none was new)",
                    object(&format!("{{data: [spend], created, updated, unchanged, amount}} where spend is {SPEND}")),
                )
                .request_body(Some(body(any_object(
                    "{day: YYYY-MM-DD | from, to (at most 366 days), channel (any spelling; the aliases apply), medium?, campaign?, term?, amount: minor units ≥ 0 (the period's total), impressions?, clicks?, currency? (only the workspace's)}",
                ))))
                .response("403", invalid("not a head, an administrator or an analyst"))
                .response(
                    "422",
                    invalid("a negative or non-integer amount (spend_amount_negative, spend_amount_shape), another currency (spend_currency), a date outside 2000-01-01…2100-12-31 (spend_day_range), an empty channel (spend_channel_empty), to before from; `field` names it"),
                ),
            ),
            (
                HttpMethod::Delete,
                filters(simple(
                    "marketing",
                    "delete_spend_matching",
                    "Remove every spend row matching the filters (a wrong import, a channel filed under an old name); from and to are required",
                    "200",
                    "how many rows were removed",
                    object("{deleted}"),
                ))
                .response("403", invalid("not a head, an administrator or an analyst"))
                .response("422", invalid("no from or to (field names it), or a bad parameter")),
            ),
        ]),
    );
    add(
        "/api/v1/marketing/spend/totals",
        item([(
            HttpMethod::Get,
            filters(simple(
                "marketing",
                "spend_totals",
                "Spend summed by channel, campaign, keyword or day, the largest first (days in order)",
                "200",
                "the groups",
                object("{group_by, data: [{channel?, campaign?, term?, day?, amount, impressions, clicks, rows, first_day, last_day}]}"),
            ))
            .parameter(query_param(
                "group_by",
                "channel (default), campaign (channel and campaign), term (channel, campaign and keyword), day, or all",
            ))
            .response("403", invalid("not a head, an administrator or an analyst"))
            .response("422", invalid("a bad parameter, named in `field`")),
        )]),
    );
    add(
        "/api/v1/marketing/spend/import",
        item([(
            HttpMethod::Post,
            OperationBuilder::new()
                .tag("marketing")
                .operation_id(Some("import_spend"))
                .summary(Some("Import spend from an ad cabinet's export (heads of sales, administrators and analysts)"))
                .description(Some("The body is the file — CSV (`;`, `,` or tab separated; UTF-8 with or without a BOM, UTF-16, windows-1251) or XLSX (every sheet that has a spend header, its rows added up as one file's; a bad row's column names its sheet, `Лист2 · Расход`; or the one sheet `sheet` names) — or a multipart form with the file in `file` and the options as fields. Columns by header, Russian or English, title and total rows skipped: Дата/Date/Day (YYYY-MM-DD, DD.MM.YYYY, Nov 23, 2026), Кампания/Campaign, Условие показа/Ключевая фраза/Keyword (the term), Показы/Impressions/Impr., Клики/Clicks, Расход/Расход (руб.)/Потрачено/Spent/Cost (currency units, decimal comma and thousands spaces allowed), and optionally Канал/Source, utm_medium, Валюта/Currency. The shape names the channel of a file without a channel column: Yandex Direct → yandex, VK Ads → vk, Google Ads → google. Rows of the same day, channel, medium, campaign and term add up. A file with any bad row writes nothing: 422 with every bad row's line, column and code (required, bad_date, date_range, bad_amount, negative, bad_count, currency, too_long); a dry run reports them with 200. Re-importing the same file changes nothing."))
                .parameter(query_param("dry_run", "true: report what would be written and save nothing"))
                .parameter(query_param("channel", "the channel of rows without their own (any spelling; the aliases apply)"))
                .parameter(query_param("medium", "the medium of rows without their own (cpc)"))
                .parameter(query_param("sheet", "a workbook's one sheet to read: its name (any case) or number from 1; without it every sheet with a spend header"))
                .parameter(query_param("map.<field>", "an explicit column for a field (date, channel, medium, campaign, term, impressions, clicks, amount, currency): the header as written, or the column's number from 1; e.g. map.amount=Стоимость"))
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .required(Some(Required::True))
                        .content("text/csv", file(Type::String, false))
                        .content("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", file(Type::String, true))
                        .content("multipart/form-data", file(Type::Object, false))
                        .build(),
                ))
                .response(
                    "200",
                    json_response(
                        "the report",
                        object("{data: {dry_run, applied, shape: yandex_direct|vk_ads|google_ads|generic, sheets: [name] (a workbook's sheets read), channel, columns: {field: header}, rows, skipped, merged, created, updated, unchanged, amount, first_day, last_day, import_id, lines_total, lines: [{line, day, channel, medium, campaign, term, impressions, clicks, amount, action: created|updated|unchanged}], errors: [{line, column, code, message, message_code, args}]}}"),
                    ),
                )
                .response("401", json_response("not authenticated", Some(error_ref())))
                .response("403", invalid("not a head, an administrator or an analyst"))
                .response("422", invalid("an empty or unreadable file, no date or amount column (field map.date / map.amount), a mapped header the file lacks, no channel column and no channel (field channel), amounts in another currency, a `sheet` the workbook does not have (spend_import_no_sheet, naming its sheets); or bad rows: message_code spend_import_rows_refused, `rows` lists each, `data` carries the report, nothing was written")),
        )]),
    );
    add(
        "/api/v1/marketing/spend/{id}",
        item([
            (
                HttpMethod::Get,
                simple("marketing", "get_spend", "One spend row", "200", "the row", object(&format!("{{data: {SPEND}}}")))
                    .parameter(id_param())
                    .response("403", invalid("not a head, an administrator or an analyst"))
                    .response("404", invalid("missing")),
            ),
            (
                HttpMethod::Delete,
                simple("marketing", "delete_spend", "Remove a spend row", "204", "removed", None)
                    .parameter(id_param())
                    .response("403", invalid("not a head, an administrator or an analyst"))
                    .response("404", invalid("missing")),
            ),
        ]),
    );
    let put_alias = |id: &str| {
        simple("marketing", id, "Set a channel alias: the name (any case) then stands for the channel", "201", "the alias (200 when it was there)", object(&format!("{{data: {ALIAS}}}")))
            .request_body(Some(body(any_object("{alias, channel}: e.g. {\"alias\": \"Яндекс.Директ\", \"channel\": \"yandex\"}; an alias already set is pointed at the new channel"))))
            .response("403", invalid("not a head, an administrator or an analyst"))
            .response("422", invalid("an empty alias or channel, named in `field`"))
    };
    add(
        "/api/v1/marketing/aliases",
        item([
            (
                HttpMethod::Get,
                simple(
                    "marketing",
                    "list_channel_aliases",
                    "The workspace's channel aliases (the built-in ones are there from the start and editable)",
                    "200",
                    "every alias",
                    object(&format!("{{data: [{ALIAS}]}}")),
                )
                .response("403", invalid("not a head, an administrator or an analyst")),
            ),
            (HttpMethod::Post, put_alias("create_channel_alias")),
            (HttpMethod::Put, put_alias("put_channel_alias")),
        ]),
    );
    add(
        "/api/v1/marketing/aliases/defaults",
        item([(
            HttpMethod::Post,
            simple(
                "marketing",
                "restore_channel_aliases",
                "Add back the built-in aliases the workspace lacks (changed ones stay)",
                "200",
                "the number added and every alias",
                object(&format!("{{added, data: [{ALIAS}]}}")),
            )
            .response("403", invalid("not a head, an administrator or an analyst")),
        )]),
    );
    add(
        "/api/v1/marketing/aliases/{id}",
        item([(
            HttpMethod::Delete,
            simple("marketing", "delete_channel_alias", "Remove an alias: the name then stands for itself", "204", "removed", None)
                .parameter(id_param())
                .response("403", invalid("not a head, an administrator or an analyst"))
                .response("404", invalid("missing")),
        )]),
    );
}
