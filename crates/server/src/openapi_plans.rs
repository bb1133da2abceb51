//! Sales plans in the OpenAPI document: the plans, their import from a sheet. The plan-fact
//! report itself is `/api/v1/reports/{name}` with `name=plan_fact`.
use super::{any_object, body, error_ref, id_param, if_match_param, item, json_response, query_param, simple};
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{ContentBuilder, PathItem, Paths, RefOr, Required};

const PLAN: &str = "{id, user_id, team_id, period: 2026-11|2026-Q4, metric: revenue|won_deals|calls|emails|invoices, value, version, created_by, created_at, updated_at}";

pub(super) fn add(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let invalid = |what: &str| json_response(what, Some(error_ref()));
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    add(
        "/api/v1/plans",
        item([
            (
                HttpMethod::Get,
                simple(
                    "plans",
                    "list_plans",
                    "Sales plans the caller reads (heads, administrators and analysts: all; others their own, their team-mates' and their team's), oldest first",
                    "200",
                    "a page",
                    object(&format!("{{data: [plan], next_cursor}} where plan is {PLAN}")),
                )
                .parameter(query_param("period", "a month (2026-11) or a quarter (2026-Q4)"))
                .parameter(query_param("user_id", "one manager's plans"))
                .parameter(query_param("team_id", "a team's own plans and its members'"))
                .parameter(query_param("metric", "revenue, won_deals, calls, emails or invoices"))
                .parameter(query_param("limit", "page size, 1 to 500 (default 50)"))
                .parameter(query_param("cursor", "next_cursor of the previous page"))
                .response("422", invalid("a bad parameter, named in `field`")),
            ),
            (
                HttpMethod::Post,
                simple("plans", "create_plan", "Set a plan (heads of sales and administrators)", "201", "the plan, with its ETag", object(&format!("{{data: {PLAN}}}")))
                    .request_body(Some(body(any_object(
                        "{user_id | team_id (one of them), period: 2026-11|2026-Q4, metric: revenue|won_deals|calls|emails|invoices, value: a whole number ≥ 0 (revenue in minor units)}",
                    ))))
                    .response("403", invalid("not a head or an administrator (message_code plan_heads_only)"))
                    .response("409", invalid("the target already has a plan for this period and metric: message_code plan_exists, args.id names it"))
                    .response("422", invalid("a bad period, metric or value, an unknown or inactive user, an unknown team, or both targets; `field` names it")),
            ),
        ]),
    );
    add(
        "/api/v1/plans/spread",
        item([(
            HttpMethod::Get,
            simple(
                "plans",
                "plan_spread",
                "A quarter's plans month by month: each month's own plan, or its part of what the quarter's plan leaves after the months with their own, spread by working days of the workspace's calendar (what a month's plan-fact and the bonus report measure against)",
                "200",
                "the quarter's plans the caller reads",
                object("{quarter: 2026-Q4, data: [{user_id, team_id, metric, value (the quarter's plan), months: [{period: 2026-10, value, spread (true: the quarter's part; false: the month's own plan)}]}]}"),
            )
            .parameter(query_param("period", "a quarter (2026-Q4) or a month of it (required)"))
            .response("422", invalid("a bad or missing period")),
        )]),
    );
    add(
        "/api/v1/plans/import",
        item([(
            HttpMethod::Post,
            OperationBuilder::new()
                .tag("plans")
                .operation_id(Some("import_plans"))
                .summary(Some("Import a plan sheet (heads of sales and administrators)"))
                .description(Some("The body is the file: CSV (`;`, `,` or tab separated; UTF-8, UTF-16 with a BOM, or windows-1251) or XLSX (first sheet). Columns by header, Russian or English: Менеджер/manager (a user's name or e-mail), Период/period (2026-11, 11.2026, ноябрь 2026, November 2026, 2026-Q4, Q4 2026; without the column, the `period` parameter), and any of Выручка/revenue (currency units), Сделки/won deals, Звонки/calls, Письма/e-mails, Счета/invoices. An empty cell leaves that plan as it is. Rows with mistakes are skipped and listed with their line, column and a code (required, unknown_manager, bad_period, bad_value, negative, duplicate); the others are applied in one transaction. The same file twice changes nothing."))
                .parameter(query_param("dry_run", "true: report what each row would do and save nothing"))
                .parameter(query_param("period", "the period of a sheet without a period column (2026-11 or 2026-Q4)"))
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .required(Some(Required::True))
                        .content("text/csv", ContentBuilder::new().schema(Some(RefOr::T(ObjectBuilder::new().schema_type(Type::String).build().into()))).build())
                        .content(
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            ContentBuilder::new()
                                .schema(Some(RefOr::T(
                                    ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))).build().into(),
                                )))
                                .build(),
                        )
                        .build(),
                ))
                .response(
                    "200",
                    json_response(
                        "the report",
                        object("{data: {dry_run, rows, created, updated, unchanged, lines: [{line, user_id, user, period, cells: [{metric, value, action: created|updated|unchanged}]}], errors: [{line, column, code, message}]}}"),
                    ),
                )
                .response("401", json_response("not authenticated", Some(error_ref())))
                .response("403", invalid("not a head or an administrator"))
                .response("422", invalid("an empty or unreadable file, no manager or plan column, no period column and no `period` (field names it)")),
        )]),
    );
    add(
        "/api/v1/plans/{id}",
        item([
            (
                HttpMethod::Get,
                simple("plans", "get_plan", "One plan, with its ETag", "200", "the plan", object(&format!("{{data: {PLAN}}}")))
                    .parameter(id_param())
                    .response("404", invalid("missing or not the caller's to read")),
            ),
            (
                HttpMethod::Patch,
                simple("plans", "update_plan", "Change a plan's value", "200", "the plan", object(&format!("{{data: {PLAN}}}")))
                    .parameter(id_param())
                    .parameter(if_match_param())
                    .request_body(Some(body(any_object(
                        "{value}: only the value changes; another target, period or metric is another plan",
                    ))))
                    .response("403", invalid("not a head or an administrator"))
                    .response("412", invalid("If-Match names an older version"))
                    .response("422", invalid("a bad value, or a field other than value")),
            ),
            (
                HttpMethod::Delete,
                simple("plans", "delete_plan", "Remove a plan", "204", "removed", None)
                    .parameter(id_param())
                    .response("403", invalid("not a head or an administrator"))
                    .response("404", invalid("missing")),
            ),
        ]),
    );
}
