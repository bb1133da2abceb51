//! The OpenAPI document, generated from the same schema that validates and stores records,
//! so the documentation cannot drift from what the API accepts.
use poryadok_core::schema::{Access, Entity, Field, JsonShape, Kind};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, Paths, Ref, RefOr, Required, ResponseBuilder,
};

#[path = "openapi_audit.rs"]
mod audit_paths;
#[path = "openapi_bonus.rs"]
mod bonus_paths;
#[path = "openapi_channels.rs"]
mod channels_paths;
#[path = "openapi_documents.rs"]
mod documents_paths;
#[path = "openapi_export.rs"]
mod export_paths;
#[path = "openapi_files.rs"]
mod files_paths;
#[path = "openapi_imports.rs"]
mod imports_paths;
#[path = "openapi_kb.rs"]
mod kb_paths;
#[path = "openapi_marketing.rs"]
mod marketing_paths;
#[path = "openapi_plans.rs"]
mod plans_paths;
#[path = "openapi_quiz.rs"]
mod quiz_paths;
#[path = "openapi_regulation_doc.rs"]
mod regulation_doc_paths;
#[path = "openapi_regulation_file.rs"]
mod regulation_file_paths;
#[path = "openapi_team.rs"]
mod team_paths;

/// The lists that page with `limit` (1 to 500) and `cursor` beyond the record collections,
/// which describe their own.
const PAGED: &[&str] = &[
    "/api/v1/tokens",
    "/api/v1/rules",
    "/api/v1/audit/rounds",
    "/api/v1/violations",
    "/api/v1/jobs",
    "/api/v1/notifications",
    "/api/v1/assistants",
    "/api/v1/message_templates",
    "/api/v1/outbound_messages",
    "/api/v1/webhooks",
    "/api/v1/webhooks/{id}/deliveries",
    "/api/v1/intake/sources",
    "/api/v1/intake/events",
    "/api/v1/deals/{id}/touches",
    "/api/v1/deals/{id}/messages",
    "/api/v1/persons/{id}/messages",
    "/api/v1/invoices/{id}/payments",
    "/api/v1/deals/{id}/participants",
];

/// Adds `limit` and `cursor` to a list's GET where the list's own description lacks them.
fn add_paging(paths: &mut Paths) {
    let mut lists: Vec<String> = PAGED.iter().map(|p| p.to_string()).collect();
    for c in ["deals", "persons", "organizations", "activities"] {
        lists.push(format!("/api/v1/{c}/{{id}}/assistant_actions"));
        lists.push(format!("/api/v1/{c}/{{id}}/labels"));
    }
    for path in lists {
        let Some(op) = paths.paths.get_mut(&path).and_then(|it| it.get.as_mut()) else { continue };
        let params = op.parameters.get_or_insert_with(Vec::new);
        for (name, desc) in
            [("limit", "page size, 1 to 500 (a larger or smaller one is 422)"), ("cursor", "next_cursor of the previous page")]
        {
            if !params.iter().any(|p| p.name == name) {
                params.push(query_param(name, desc).build());
            }
        }
        let four22 =
            json_response("a bad parameter (an unknown one, limit out of 1 to 500, a bad cursor), named in `field`", Some(error_ref()));
        op.responses.responses.entry("422".to_string()).or_insert(RefOr::T(four22));
    }
}

fn field_schema(f: &Field) -> Schema {
    let b = ObjectBuilder::new();
    let b = match f.kind {
        Kind::Id | Kind::Ref(_) => b.schema_type(Type::Integer).format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
        Kind::Int { min, max } => b.schema_type(Type::Integer).minimum(Some(min as f64)).maximum(Some(max as f64)),
        Kind::Money => b.schema_type(Type::Integer).minimum(Some(0.0)).description(Some("amount in minor units (kopecks, cents)")),
        Kind::Bool => b.schema_type(Type::Boolean),
        Kind::Text(max) | Kind::LongText(max) => b.schema_type(Type::String).max_length(Some(max)),
        Kind::Enum(values) => b.schema_type(Type::String).enum_values(Some(values.iter().copied())),
        Kind::Currency => b.schema_type(Type::String).description(Some("ISO 4217 code")),
        Kind::Date => b.schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        Kind::Timestamp => b.schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        Kind::Email => b.schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Email))),
        Kind::Phone => b.schema_type(Type::String).description(Some("phone; stored in E.164 using the workspace's region")),
        Kind::Url => b.schema_type(Type::String).format(Some(SchemaFormat::Custom("uri".into()))),
        Kind::Custom => b.schema_type(Type::Object).description(Some("custom field values by key, validated by the field's type")),
        Kind::StringList => return ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)).build().into(),
        Kind::PhoneList | Kind::EmailList => {
            return ArrayBuilder::new()
                .items(ObjectBuilder::new().schema_type(Type::String))
                .description(Some("more phones or e-mails (at most 10), each normalised like the main one; a comma-separated string is accepted too"))
                .build()
                .into()
        }
        Kind::Password => b.schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Password))),
        Kind::Key => b.schema_type(Type::String).pattern(Some("^[a-z][a-z0-9_]*$")),
        Kind::Json(JsonShape::StageRegulation) => b.schema_type(Type::Object).description(Some(
            "{required_fields: [field], naming: {template, mode: apply|check}, entry_tasks: [{type, subject, description, due: {amount, unit}, assignee: owner|head|participant:<role>}], sla: {amount, unit: minutes|hours|days}}",
        )),
        Kind::Json(JsonShape::Requisites) => b.schema_type(Type::Object).description(Some(
            "{legal_name, inn (10 or 12 digits, check digits verified), kpp, ogrn (13) or ogrnip (15), legal_address, bank_name, bik, corr_account, account (20 digits, keyed to the bik), signatory_name, signatory_title}; a bad value is a 422 naming requisites.<key>",
        )),
        Kind::Json(JsonShape::RoleRanges) => {
            return ArrayBuilder::new()
                .items(ObjectBuilder::new().schema_type(Type::Object).description(Some("{role, up_to_stage_id}")))
                .build()
                .into()
        }
    };
    let b = match f.access {
        Access::ReadOnly => b.read_only(Some(true)),
        Access::WriteOnly => b.write_only(Some(true)),
        _ => b,
    };
    let nullable = !f.required && !matches!(f.kind, Kind::Id | Kind::Custom);
    let b = if nullable { b.schema_type(utoipa::openapi::schema::SchemaType::from_iter([type_of(f.kind), Type::Null])) } else { b };
    b.build().into()
}

fn type_of(k: Kind) -> Type {
    match k {
        Kind::Id | Kind::Ref(_) | Kind::Int { .. } | Kind::Money => Type::Integer,
        Kind::Bool => Type::Boolean,
        Kind::Custom => Type::Object,
        Kind::StringList | Kind::PhoneList | Kind::EmailList | Kind::Json(JsonShape::RoleRanges) => Type::Array,
        Kind::Json(JsonShape::StageRegulation) | Kind::Json(JsonShape::Requisites) => Type::Object,
        _ => Type::String,
    }
}

fn entity_schema(e: Entity) -> Schema {
    let mut b = ObjectBuilder::new().schema_type(Type::Object);
    for f in e.fields() {
        b = b.property(f.name, field_schema(f));
        if f.required {
            b = b.required(f.name);
        }
    }
    b.build().into()
}

fn json_response(desc: &str, schema: Option<RefOr<Schema>>) -> utoipa::openapi::Response {
    let mut r = ResponseBuilder::new().description(desc);
    if let Some(s) = schema {
        r = r.content("application/json", ContentBuilder::new().schema(Some(s)).build());
    }
    r.build()
}

fn data_of(schema: RefOr<Schema>, list: bool) -> RefOr<Schema> {
    let mut b = ObjectBuilder::new().schema_type(Type::Object);
    if list {
        b = b.property("data", ArrayBuilder::new().items(schema)).property(
            "next_cursor",
            ObjectBuilder::new().schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null])),
        );
    } else {
        b = b.property("data", schema);
    }
    RefOr::T(b.build().into())
}

fn error_ref() -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name("Error"))
}

fn op(e: Entity, id: &str, summary: String) -> OperationBuilder {
    OperationBuilder::new()
        .tag(e.path())
        .operation_id(Some(format!("{}_{}", id, e.path())))
        .summary(Some(summary))
        .response("401", json_response("not authenticated", Some(error_ref())))
}

fn id_param() -> ParameterBuilder {
    ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(ObjectBuilder::new().schema_type(Type::Integer)))
}

fn query_param(name: &str, desc: &str) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(desc))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
}

/// `If-Match`: the `ETag` (version) the change was made against.
fn if_match_param() -> ParameterBuilder {
    ParameterBuilder::new()
        .name("If-Match")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some("the record's ETag as read (e.g. \"3\"); the change applies only to that version, otherwise 412"))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
}

fn body(schema: RefOr<Schema>) -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("application/json", ContentBuilder::new().schema(Some(schema)).build())
        .build()
}

pub fn document() -> OpenApi {
    let mut paths = Paths::new();
    let mut components = ComponentsBuilder::new()
        .schema(
            "Error",
            ObjectBuilder::new().schema_type(Type::Object).property(
                "error",
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .property(
                        "code",
                        ObjectBuilder::new().schema_type(Type::String).enum_values(Some([
                            "validation",
                            "not_found",
                            "conflict",
                            "unauthorized",
                            "forbidden",
                            "precondition_failed",
                            "method_not_allowed",
                            "payload_too_large",
                            "rate_limited",
                            "internal",
                            "unavailable",
                        ])),
                    )
                    .property("message", ObjectBuilder::new().schema_type(Type::String))
                    .property(
                        "field",
                        ObjectBuilder::new().schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null])),
                    )
                    .property(
                        "message_code",
                        ObjectBuilder::new().schema_type(Type::String).description(Some(
                            "the message catalogue's stable code, e.g. stage_needs_fields; absent for errors outside the catalogue",
                        )),
                    )
                    .property(
                        "args",
                        ObjectBuilder::new().schema_type(Type::Object).description(Some(
                            "the message's typed arguments by name (field names as keys), to render it in another language",
                        )),
                    )
                    .required("code")
                    .required("message"),
            ),
        )
        .security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    for &e in Entity::ALL {
        let name = schema_name(e);
        components = components.schema(name.clone(), entity_schema(e));
        let one = || RefOr::Ref(Ref::from_schema_name(name.clone()));
        let sortable: Vec<_> = e.fields().iter().filter(|f| f.sortable).map(|f| f.name).collect();
        let list = op(e, "list", format!("List {}", e.path()))
            .parameter(query_param("limit", "page size, 1 to 500 (default 50)"))
            .parameter(query_param("cursor", "next_cursor of the previous page"))
            .parameter(query_param(
                "sort",
                &format!("one of {}; prefix - for descending (default {})", sortable.join(", "), e.default_sort()),
            ))
            .parameter(query_param(
                "filter",
                "a filter-language expression (deals, persons, organizations, activities); see docs/FILTERS.md",
            ))
            .description(Some("Any other query parameter filters by equality on the field of the same name (`null` matches empty)."))
            .response("200", json_response("a page", Some(data_of(one(), true))))
            .response("422", json_response("bad limit, sort, cursor or filter", Some(error_ref())));
        let create = op(e, "create", format!("Create a {}", e.name()))
            .request_body(Some(body(one())))
            .response("201", json_response("created", Some(data_of(one(), false))))
            .response("422", json_response("invalid input; `field` names it", Some(error_ref())))
            .response("409", json_response("clashes with an existing record", Some(error_ref())));
        paths.paths.insert(format!("/api/v1/{}", e.path()), item([(HttpMethod::Get, list), (HttpMethod::Post, create)]));
        let get = op(e, "get", format!("Get a {}", e.name()))
            .parameter(id_param())
            .response("200", json_response("the record", Some(data_of(one(), false))))
            .response("404", json_response("missing, deleted or not visible to the caller", Some(error_ref())));
        let update = op(e, "update", format!("Change a {}", e.name()))
            .parameter(id_param())
            .parameter(if_match_param())
            .request_body(Some(body(one())))
            .response("200", json_response("the changed record (its new version in ETag)", Some(data_of(one(), false))))
            .response("404", json_response("missing or not visible", Some(error_ref())))
            .response("412", json_response("changed by someone else since the If-Match version", Some(error_ref())))
            .response("422", json_response("invalid input", Some(error_ref())));
        let delete_desc =
            if e.soft_delete() { format!("Delete a {} (kept with its history)", e.name()) } else { "Deactivate a user".to_string() };
        let delete = op(e, "delete", delete_desc)
            .parameter(id_param())
            .parameter(if_match_param())
            .response("204", json_response("deleted", None))
            .response("412", json_response("changed by someone else since the If-Match version", Some(error_ref())))
            .response("404", json_response("missing or not visible", Some(error_ref())))
            .response("409", json_response("still in use", Some(error_ref())));
        let replace = op(e, "replace", format!("Change a {} (as PATCH)", e.name()))
            .parameter(id_param())
            .parameter(if_match_param())
            .request_body(Some(body(one())))
            .response("200", json_response("the changed record (its new version in ETag)", Some(data_of(one(), false))))
            .response("404", json_response("missing or not visible", Some(error_ref())))
            .response("412", json_response("changed by someone else since the If-Match version", Some(error_ref())))
            .response("422", json_response("invalid input", Some(error_ref())));
        paths.paths.insert(
            format!("/api/v1/{}/{{id}}", e.path()),
            item([(HttpMethod::Get, get), (HttpMethod::Patch, update), (HttpMethod::Put, replace), (HttpMethod::Delete, delete)]),
        );
        let history = op(e, "history", format!("History of a {}", e.name()))
            .parameter(id_param())
            .parameter(query_param("limit", "page size"))
            .parameter(query_param("cursor", "next_cursor of the previous page"))
            .response("200", json_response("events, newest first", Some(data_of(RefOr::Ref(Ref::from_schema_name("HistoryEvent")), true))));
        paths.paths.insert(format!("/api/v1/{}/{{id}}/history", e.path()), PathItem::new(HttpMethod::Get, history));
        let totals = op(
            e,
            "totals",
            format!(
                "How many {} the list (the same filter and field=value filters) holds in all its pages; for deals the value per currency",
                e.path()
            ),
        )
        .parameter(query_param("filter", "a filter-language expression, as for the list"))
        .response("200", json_response("{data: {count, values: [{currency, total}]}}", None))
        .response("422", json_response("invalid filter", Some(error_ref())));
        paths.paths.insert(format!("/api/v1/{}/totals", e.path()), PathItem::new(HttpMethod::Get, totals));
        let bulk = op(e, "bulk", format!("One change to up to 1000 {}, each checked and written as a single change", e.path()))
            .request_body(Some(body(any_object("{ids: [id], update: {…}} | {ids, delete: true} | {ids, add_task: {…}} (deals)"))))
            .response(
                "200",
                json_response(
                    "{data: {done: [id], refused: [{id, error}]}}: each refused record with the error a single change would get",
                    None,
                ),
            )
            .response("422", json_response("no ids, more than 1000, or no change", Some(error_ref())));
        paths.paths.insert(format!("/api/v1/{}/bulk", e.path()), PathItem::new(HttpMethod::Post, bulk));
    }
    components = components.schema(
        "HistoryEvent",
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("id", ObjectBuilder::new().schema_type(Type::Integer))
            .property("action", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["create", "update", "delete"])))
            .property(
                "actor_id",
                ObjectBuilder::new().schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::Integer, Type::Null])),
            )
            .property("channel", ObjectBuilder::new().schema_type(Type::String))
            .property("changes", ObjectBuilder::new().schema_type(Type::Object).description(Some("field → {from, to}")))
            .property(
                "created_at",
                ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
            ),
    );
    add_other_paths(&mut paths);
    add_merge_paths(&mut paths);
    add_intake_paths(&mut paths);
    add_invoice_paths(&mut paths);
    channels_paths::add(&mut paths);
    audit_paths::add(&mut paths);
    plans_paths::add(&mut paths);
    team_paths::add(&mut paths);
    team_paths::add_reviews(&mut paths);
    bonus_paths::add(&mut paths);
    quiz_paths::add(&mut paths);
    regulation_file_paths::add(&mut paths);
    regulation_doc_paths::add(&mut paths);
    marketing_paths::add(&mut paths);
    imports_paths::add(&mut paths);
    files_paths::add(&mut paths);
    kb_paths::add(&mut paths);
    documents_paths::add(&mut paths);
    export_paths::add(&mut paths);
    add_paging(&mut paths);
    OpenApiBuilder::new()
        .info(InfoBuilder::new().title("Poryadok API").version(env!("CARGO_PKG_VERSION")).description(Some(
            "Sales CRM API. Authenticate with `Authorization: Bearer <token>` (create one with `poryadok token create` or POST /api/v1/tokens). Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`.",
        )).build())
        .paths(paths)
        .components(Some(components.build()))
        .security(Some([SecurityRequirement::new("bearer", Vec::<String>::new())]))
        .build()
}

fn item<const N: usize>(ops: [(HttpMethod, OperationBuilder); N]) -> PathItem {
    let mut it = PathItem::default();
    for (m, o) in ops {
        it.merge_operations(PathItem::new(m, o));
    }
    it
}

fn schema_name(e: Entity) -> String {
    e.name()
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

fn any_object(desc: &str) -> RefOr<Schema> {
    RefOr::T(ObjectBuilder::new().schema_type(Type::Object).description(Some(desc)).build().into())
}

fn simple(tag: &str, id: &str, summary: &str, ok: &str, ok_desc: &str, schema: Option<RefOr<Schema>>) -> OperationBuilder {
    OperationBuilder::new()
        .tag(tag)
        .operation_id(Some(id))
        .summary(Some(summary))
        .response(ok, json_response(ok_desc, schema))
        .response("401", json_response("not authenticated", Some(error_ref())))
}

/// The endpoints that are not plain collections.
fn add_other_paths(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    add(
        "/api/v1/auth/login",
        item([(
            HttpMethod::Post,
            simple(
                "auth",
                "login",
                "Sign in with e-mail and password; sets the session cookie",
                "200",
                "the user and the CSRF token for X-CSRF-Token",
                object("{data: {user, csrf_token}}"),
            )
            .request_body(Some(body(any_object("{email, password}"))))
            .response("401", json_response("wrong e-mail or password", Some(error_ref())))
            .response("429", json_response("too many failed attempts for this account or address; see Retry-After", Some(error_ref()))),
        )]),
    );
    add("/api/v1/auth/logout", item([(HttpMethod::Post, simple("auth", "logout", "End the session", "204", "signed out", None))]));
    add(
        "/api/v1/me",
        item([(
            HttpMethod::Get,
            simple("auth", "me", "The caller and their workspace; user.timezone is the caller's own zone (null: the workspace's), timezone the one their times are shown in", "200", "{data: {user, workspace, timezone}}", object("{data: {user, workspace, timezone}}")),
        ), (
            HttpMethod::Patch,
            simple("auth", "update_me", "Set the caller's own time zone ({timezone: IANA name or UTC±HH:MM, null for the workspace's}); 422 names an unknown zone", "200", "{data: {user, workspace, timezone}}", object("{data: {user, workspace, timezone}}"))
                .request_body(Some(body(any_object("{timezone}")))),
        )]),
    );
    add(
        "/api/v1/me/calendar_feed",
        item([
            (
                HttpMethod::Get,
                simple(
                    "auth",
                    "calendar_feed_status",
                    "Whether the caller has a live iCalendar feed address (never the address itself)",
                    "200",
                    "{data: {active, created_at, last_used_at}}",
                    object("{data: {active, created_at, last_used_at}}"),
                ),
            ),
            (
                HttpMethod::Post,
                simple(
                    "auth",
                    "new_calendar_feed",
                    "A new secret iCalendar feed address for the caller (/ical/{secret}.ics: their tasks and meetings as events); \
                     the old address answers 404 from now on. The address is in this answer only",
                    "201",
                    "{data: {url, created_at}}",
                    object("{data: {url, created_at}}"),
                ),
            ),
            (
                HttpMethod::Delete,
                simple("auth", "revoke_calendar_feed", "Close the caller's feed address", "204", "closed", None)
                    .response("404", json_response("the caller has no live feed address", Some(error_ref()))),
            ),
        ]),
    );
    add(
        "/api/v1/tokens",
        item([
            (
                HttpMethod::Get,
                simple(
                    "auth",
                    "list_tokens",
                    "The caller's API tokens (never their secrets); administrators: ?user_id=N or ?all=true",
                    "200",
                    "{data: [{id, user_id, user_name, name, created_at, last_used_at, expires_at, expired}]}",
                    object("{data: [token]}"),
                )
                .parameter(query_param("user_id", "one user's tokens (administrators, or the caller's own id)"))
                .parameter(query_param("all", "true: every token of the workspace (administrators)"))
                .response("403", json_response("another user's tokens, and the caller is not an administrator", Some(error_ref()))),
            ),
            (
                HttpMethod::Post,
                simple(
                    "auth",
                    "create_token",
                    "Create an API token for the caller; the secret is in this answer only",
                    "201",
                    "{data: {id, name, created_at, expires_at, token}}",
                    object("{data: {id, name, created_at, expires_at, token}}"),
                )
                .request_body(Some(body(any_object("{name?, expires_in_days? (1 to 3650; none: never expires)}"))))
                .response("422", json_response("bad name or expires_in_days; `field` names it", Some(error_ref()))),
            ),
        ]),
    );
    add(
        "/api/v1/tokens/{id}",
        item([(
            HttpMethod::Delete,
            simple(
                "auth",
                "revoke_token",
                "Revoke a token (the caller's; administrators: anyone's in the workspace)",
                "204",
                "revoked",
                None,
            )
            .parameter(id_param())
            .response("404", json_response("no such token, or not the caller's", Some(error_ref()))),
        )]),
    );
    add(
        "/api/v1/users/{id}/unlock",
        item([(
            HttpMethod::Post,
            simple(
                "auth",
                "unlock_user",
                "Lift a user's sign-in lockout and forget their recent failed sign-ins (administrators)",
                "200",
                "unlocked: whether a lockout was on",
                object("{data: {unlocked}}"),
            )
            .parameter(id_param())
            .response("403", json_response("the caller is not an administrator", Some(error_ref())))
            .response("404", json_response("no such user in this workspace", Some(error_ref()))),
        )]),
    );
    add(
        "/api/v1/workspace",
        item([
            (HttpMethod::Get, simple("workspace", "get_workspace", "Workspace settings", "200", "settings", object("{data: {name, currency, timezone, locale, region, visibility, business_hours}}"))),
            (HttpMethod::Patch, simple("workspace", "update_workspace", "Change workspace settings (administrators)", "200", "settings", object("settings")).request_body(Some(body(any_object("any of name, currency, timezone, locale, region, visibility (own|team|all), business_hours {days, start, end, holidays}"))))),
        ]),
    );
    add(
        "/api/v1/pipelines/{id}/board",
        item([(
            HttpMethod::Get,
            simple(
                "pipelines",
                "board",
                "The board: per stage the open deals' count, total value and latest cards",
                "200",
                "board",
                object("{data: {pipeline_id, stages: [{stage_id, name, count, total_value, deals}]}}"),
            )
            .parameter(id_param())
            .parameter(query_param("cards", "cards per stage, up to 200 (default 50)"))
            .parameter(query_param("filter", "a filter expression over deals (see docs/FILTERS.md)"))
            .parameter(query_param("owner_id", "only deals of this owner")),
        )]),
    );
    add(
        "/api/v1/jobs",
        item([(
            HttpMethod::Get,
            simple("jobs", "list_jobs", "The job queue, newest first (administrators)", "200", "jobs", object("{data: [{id, kind, payload, dedupe_key, status, run_at, attempts, max_attempts, last_error, created_at, finished_at}]}"))
                .parameter(query_param("status", "queued, running, done or failed"))
                .parameter(query_param("limit", "1 to 500 (default 100)")),
        )]),
    );
    add(
        "/api/v1/jobs/{id}/retry",
        item([(
            HttpMethod::Post,
            simple("jobs", "retry_job", "Queue a failed job again (administrators)", "204", "queued again", object("empty"))
                .parameter(id_param()),
        )]),
    );
    add(
        "/api/v1/notifications",
        item([(
            HttpMethod::Get,
            simple(
                "notifications",
                "list_notifications",
                "The caller's own notifications, newest first",
                "200",
                "notifications",
                object("{data: [{id, kind, title, body, link, deal_id, read, read_at, emailed_at, created_at}]}"),
            )
            .parameter(query_param("unread", "true: only unread ones"))
            .parameter(query_param("limit", "1 to 500 (default 50); a page holds at most 200"))
            .parameter(query_param(
                "before",
                "only notifications older than this id (the last id of the previous page); cursor does the same",
            )),
        )]),
    );
    add(
        "/api/v1/notifications/unread_count",
        item([(
            HttpMethod::Get,
            simple(
                "notifications",
                "unread_notifications",
                "How many of the caller's notifications are unread",
                "200",
                "count",
                object("{data: {unread}}"),
            ),
        )]),
    );
    add(
        "/api/v1/notifications/read",
        item([(
            HttpMethod::Post,
            simple(
                "notifications",
                "mark_notifications_read",
                "Mark the caller's notifications read (others' ids change nothing)",
                "200",
                "how many changed and remain unread",
                object("{data: {marked, unread}}"),
            )
            .request_body(Some(body(any_object("{ids: [id]} or {all: true}"))))
            .response("422", json_response("ids or all missing or malformed", Some(error_ref()))),
        )]),
    );
    add(
        "/api/v1/filters/check",
        item([(
            HttpMethod::Post,
            simple(
                "filters",
                "check_filter",
                "Check a filter expression; count what it selects",
                "200",
                "valid",
                object("{data: {entity, expression, valid, count}}"),
            )
            .request_body(Some(body(any_object("{entity: deal|person|organization|activity, expression}"))))
            .response("422", json_response("the mistake, with error.position {line, column, length, hint, display}", Some(error_ref()))),
        )]),
    );
    add(
        "/api/v1/reports/{name}",
        item([(
            HttpMethod::Get,
            simple(
                "reports",
                "report",
                "A sales report over the deals the caller may see: funnel (per stage, deals that reached it and conversions, as a cohort of the deals created in the period and as movement in it), managers (each owner's cohort funnel beside the department's, with the weakest step), sales (of the deals closed in the period: won, revenue, average deal, cycle created → won as median and mean days, win rate; by group) or lost_reasons (deals lost in the period by reason, by the stage they were lost at and by manager); activity (per manager: calls in, out and missed with the share answered and talk time, messages, e-mails, meetings, tasks done and overdue, invoices issued and paid); forecast (the weighted pipeline by expected close month, the conversion forecast from a window of past months, and the weighted figure without deals with open critical violations); stage_time (median and p90 working time in each stage over the stays that ended in the period, and the deals waiting now); load (per manager: open deals and their value, open and overdue tasks, won revenue, margin and money per open deal); partners (per partner organization: its clients, their deals and won revenue); plan_fact (for a whole month or quarter, per manager, team and department: each planned metric's plan, fact, fulfilment and the run-rate projection to the period's end in working days); marketing (end-to-end analytics: per channel, campaign or keyword of the touch each lead is credited to, spend, impressions, clicks, leads, deals, sales, revenue, cost per lead and per sale, lead → sale conversion, average check, ROMI and the share of spend in revenue; null where there is nothing to divide by; spend only for heads, administrators and analysts). Deals closed as not a lead are left out.",
                "200",
                "the report (or its CSV / XLSX with format)",
                object("{data: {report, pipeline_id, period: {from, to}, cohort|department|total, movement|managers|rows|reasons, group?, step?, stages?, previous?}}"),
            )
            .parameter(
                ParameterBuilder::new()
                    .name("name")
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String).enum_values(Some(crate::report::REPORTS.to_vec())))),
            )
            .parameter(query_param("from", "first day, YYYY-MM-DD in the workspace's time zone (with to; default: the current month)"))
            .parameter(query_param("to", "last day, YYYY-MM-DD, inclusive"))
            .parameter(query_param("pipeline_id", "pipeline (default: the one with most deals; for sales, every pipeline)"))
            .parameter(query_param("team_id", "only the deals of this team's members"))
            .parameter(query_param("owner_id", "only this manager's deals"))
            .parameter(query_param("filter", "a filter expression over deals"))
            .parameter(query_param("compare", "previous: the same report over as many days just before"))
            .parameter(query_param("format", "json (default), csv or xlsx"))
            .parameter(query_param("group", "sales: period (default), owner, source or pipeline"))
            .parameter(query_param("step", "sales by period: day, week or month (default: day up to 31 days, week up to 92, else month)"))
            .parameter(query_param("group_by", "marketing: source (default; a row per channel), campaign or term"))
            .parameter(query_param("attribution", "marketing: first, last or last_non_direct (default) touch"))
            .parameter(query_param("basis", "marketing: created (default; the period's leads and what they bought since) or paid (sales dated in the period)"))
            .parameter(query_param("revenue", "marketing: won (default; won deals' value) or paid (payments on the deals' invoices)"))
            .parameter(query_param("sort", "marketing: a column (name, spend, impressions, clicks, leads, deals, won, revenue, cost_per_lead, cost_per_sale, conversion, average_check, romi, spend_share), '-' first for the largest first; default -romi"))
            .parameter(query_param("channel", "marketing: only this channel's campaigns or keywords"))
            .parameter(query_param("campaign", "marketing: only this campaign's keywords (with channel)")),
        )]),
    );
    add(
        "/api/v1/reports/review",
        item([(
            HttpMethod::Get,
            simple(
                "reports",
                "monthly_review",
                "The monthly review of the department as an XLSX workbook over what the caller may see: sales dynamics by week, the month's audit violations found and fixed by manager and rule, calls and activity, sales by manager, load, plan vs fact",
                "200",
                "the workbook (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet)",
                None,
            )
            .parameter(query_param("month", "YYYY-MM (default: the month before the current one)")),
        )]),
    );
    add(
        "/api/v1/me/report_subscriptions",
        item([
            (
                HttpMethod::Get,
                simple(
                    "reports",
                    "report_subscriptions",
                    "Whether the caller gets the weekly summary and the monthly review",
                    "200",
                    "the switches",
                    object("{data: {weekly, monthly_review}}"),
                ),
            ),
            (
                HttpMethod::Patch,
                simple(
                    "reports",
                    "set_report_subscriptions",
                    "Switch the caller's own scheduled reports",
                    "200",
                    "the switches",
                    object("{data: {weekly, monthly_review}}"),
                )
                .request_body(Some(body(any_object("any of weekly, monthly_review: booleans")))),
            ),
        ]),
    );
    add(
        "/api/v1/dashboard",
        item([(
            HttpMethod::Get,
            simple(
                "reports",
                "dashboard",
                "The head's dashboard (for a manager, their own): the period's revenue against plan with the run-rate, the cohort funnel, won deals by manager, the three forecasts, overdue tasks by manager, violations of the latest audit rounds and leads by source — the figures of the reports of the same names",
                "200",
                "the dashboard's figures",
                object("{data: {period, own, pipeline_id, revenue, funnel, managers, forecast, overdue_tasks, violations, leads_by_source}}"),
            )
            .parameter(query_param("from", "first day, YYYY-MM-DD (with to; default: the current month)"))
            .parameter(query_param("to", "last day, YYYY-MM-DD, inclusive"))
            .parameter(query_param("pipeline_id", "the funnel's and the forecast's pipeline (default: the one with most deals)")),
        )]),
    );
    add(
        "/api/v1/search",
        item([(
            HttpMethod::Get,
            simple(
                "search",
                "search",
                "Deals, persons and organizations the caller may see, by word prefixes of names and titles, a phone in any spelling, an e-mail or a tax id",
                "200",
                "search results",
                object("{query, deals: [{id, title, status, value, currency, person_id}], persons: [{id, name, phone, email, organization_id}], organizations: [{id, name, tax_id}]}"),
            )
            .parameter(query_param("q", "what to find: at least 2 letters or digits (422 search_too_short otherwise)"))
            .parameter(query_param("limit", "results per group, 1–50 (default 8)")),
        )]),
    );
    add(
        "/api/v1/deals/{id}/participants",
        item([
            (
                HttpMethod::Get,
                simple(
                    "deals",
                    "list_participants",
                    "Users taking part in a deal, with their roles",
                    "200",
                    "participants",
                    object("{data: [{id, user_id, role}]}"),
                )
                .parameter(id_param()),
            ),
            (
                HttpMethod::Post,
                simple("deals", "add_participant", "Add a participant", "201", "the participant", object("{data: {id, user_id, role}}"))
                    .parameter(id_param())
                    .request_body(Some(body(any_object("{user_id, role}")))),
            ),
        ]),
    );
    add(
        "/api/v1/deals/{id}/not_lead",
        item([(
            HttpMethod::Post,
            simple(
                "deals",
                "close_not_lead",
                "Close a deal as not a lead (a wrong number, a vendor, spam) with a reason from the workspace's not_lead_reasons; with mark_person its person is marked, so their later calls, messages and form leads create no deal. The deal leaves the funnel, the reports and the hygiene rules, and its open tasks are done. Honours If-Match.",
                "200",
                "the closed deal, with its ETag",
                object("{data: deal}"),
            )
            .parameter(id_param())
            .request_body(Some(body(any_object("{reason, comment?, mark_person?: bool}")))),
        )]),
    );
    add(
        "/api/v1/deals/{id}/participants/{participant}",
        item([(
            HttpMethod::Delete,
            simple("deals", "remove_participant", "Remove a participant", "204", "removed", None).parameter(id_param()).parameter(
                ParameterBuilder::new()
                    .name("participant")
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .schema(Some(ObjectBuilder::new().schema_type(Type::Integer))),
            ),
        )]),
    );
}

/// The duplicate finder and the merge of persons and organizations.
fn add_merge_paths(paths: &mut Paths) {
    let group = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "reason",
            ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["phone", "email", "tax_id", "domain", "name"])),
        )
        .property("key", ObjectBuilder::new().schema_type(Type::String).description(Some("the normalised value the records share")))
        .property("ids", ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::Integer)));
    let list = ObjectBuilder::new().schema_type(Type::Object).property("data", ArrayBuilder::new().items(group)).property(
        "next_cursor",
        ObjectBuilder::new().schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null])),
    );
    paths.paths.insert(
        "/api/v1/duplicates".into(),
        item([(
            HttpMethod::Get,
            simple(
                "duplicates",
                "find_duplicates",
                "Groups of live persons or organizations the caller sees that look like one client",
                "200",
                "groups: persons by phone (any identity kind), e-mail or similar name in one organization; organizations by tax id, website domain or name",
                Some(RefOr::T(list.build().into())),
            )
            .parameter(query_param("entity", "persons (default) or organizations"))
            .parameter(query_param("limit", "1 to 500 groups (default 100)"))
            .parameter(query_param("cursor", "next_cursor of the previous page"))
            .response("422", json_response("unknown entity or bad limit; `field` names it", Some(error_ref()))),
        )]),
    );
    for e in [Entity::Person, Entity::Organization] {
        let one = RefOr::Ref(Ref::from_schema_name(schema_name(e)));
        let merge = op(e, "merge", format!("Merge another {} into this one", e.name()))
            .description(Some(
                "In one transaction: deals, activities, notes, messages, touches, identities (and an organization's people) move to this record, its empty fields take the other's values, and the other is deleted with `merged_into`; both get a history event. Needs write access to both.",
            ))
            .parameter(id_param())
            .request_body(Some(body(any_object("{merge_id: the id of the record to merge into this one}"))))
            .response("200", json_response("the kept record", Some(data_of(one, false))))
            .response("403", json_response("the caller may not change records", Some(error_ref())))
            .response("404", json_response("this record is missing, deleted or not visible", Some(error_ref())))
            .response("409", json_response("a concurrent merge took one of the records", Some(error_ref())))
            .response("422", json_response("merge_id missing, the same record, or no such visible record", Some(error_ref())));
        paths.paths.insert(format!("/api/v1/{}/{{id}}/merge", e.path()), PathItem::new(HttpMethod::Post, merge));
    }
}

/// Intake: sources, the inbox of raw events, touches and messages, and the webhook itself.
fn add_intake_paths(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    let source = "{data: {id, kind, name, hook_key, hook_path, hook_url, config, active, created_at, updated_at}}";
    add(
        "/api/v1/intake/sources",
        item([
            (HttpMethod::Get, simple("intake", "list_sources", "Intake sources (administrators and heads)", "200", "{data: [source]}", object("{data: [source]}"))),
            (
                HttpMethod::Post,
                simple("intake", "create_source", "Create a source; its secret is in this answer only", "201", "the source with its secret", object(source))
                    .request_body(Some(body(any_object("{kind: telephony|form|telegram|email, name, config: {preset, mapping, pipeline_id, stage_id, owner_id, pool, callback_minutes, imap, fields…}}"))))
                    .response("422", json_response("a bad kind, name or config, naming the part", Some(error_ref()))),
            ),
        ]),
    );
    add(
        "/api/v1/intake/sources/{id}",
        item([
            (
                HttpMethod::Get,
                simple("intake", "get_source", "One source (without its secret)", "200", "the source", object(source))
                    .parameter(id_param()),
            ),
            (
                HttpMethod::Patch,
                simple("intake", "update_source", "Change name, config (whole) or active", "200", "the source", object(source))
                    .parameter(id_param())
                    .request_body(Some(body(any_object("{name, config, active}")))),
            ),
            (
                HttpMethod::Delete,
                simple("intake", "delete_source", "Delete a source (its events stay)", "204", "deleted", None).parameter(id_param()),
            ),
        ]),
    );
    add(
        "/api/v1/intake/sources/{id}/rotate_secret",
        item([(
            HttpMethod::Post,
            simple(
                "intake",
                "rotate_secret",
                "A new secret; the old one stops working",
                "200",
                "the source with its new secret",
                object(source),
            )
            .parameter(id_param()),
        )]),
    );
    add(
        "/api/v1/intake/presets",
        item([(
            HttpMethod::Get,
            simple(
                "intake",
                "presets",
                "Telephony presets and the call fields a mapping may name",
                "200",
                "{data: {presets, call_fields}}",
                object("{data: {presets, call_fields}}"),
            ),
        )]),
    );
    add(
        "/api/v1/intake/events",
        item([(
            HttpMethod::Get,
            simple("intake", "list_events", "The inbox of raw events, newest first", "200", "{data: [event], next_before_id, counts}", object("{data: [{id, source_id, kind, external_id, received_at, status, error, error_field, attempts, result}], next_before_id, counts}"))
                .parameter(query_param("status", "pending, processed, failed or rejected"))
                .parameter(query_param("source_id", "only this source's events"))
                .parameter(query_param("before_id", "the page after this id")),
        )]),
    );
    add(
        "/api/v1/intake/events/{id}",
        item([(
            HttpMethod::Get,
            simple(
                "intake",
                "get_event",
                "One event with its raw body",
                "200",
                "{data: event with body, body_encoding}",
                object("{data: event}"),
            )
            .parameter(id_param()),
        )]),
    );
    add(
        "/api/v1/intake/events/{id}/reprocess",
        item([(
            HttpMethod::Post,
            simple(
                "intake",
                "reprocess_event",
                "Queue a failed event to be processed again (administrators)",
                "200",
                "the event, pending",
                object("{data: event}"),
            )
            .parameter(id_param())
            .response("409", json_response("the event is not failed", Some(error_ref()))),
        )]),
    );
    add(
        "/api/v1/deals/{id}/touches",
        item([(HttpMethod::Get, simple("intake", "touches", "A deal's marketing touches, oldest first", "200", "{data: [touch]}", object("{data: [{channel, occurred_at, utm_source, utm_medium, utm_campaign, utm_term, utm_content, tracking_number, landing_page, referrer}]}")).parameter(id_param()))]),
    );
    for collection in ["deals", "persons"] {
        add(
            &format!("/api/v1/{collection}/{{id}}/messages"),
            item([
                (
                    HttpMethod::Get,
                    simple(
                        "intake",
                        &format!("{collection}_messages"),
                        "E-mail, Telegram and WhatsApp messages on the card, both ways, newest first; a reply written on the card carries its delivery state",
                        "200",
                        "{data: [message]}",
                        object("{data: [{channel, direction: in|out, sender, recipients, subject, body, sent_at, thread_id, outbound_id?, delivery?: queued|sent|failed}]}"),
                    )
                    .parameter(id_param()),
                ),
                (
                    HttpMethod::Post,
                    simple(
                        "channels",
                        &format!("reply_{collection}"),
                        "Write to the card's client by e-mail (threaded under their last letter), Telegram (through the bot they wrote to), WhatsApp or SMS; from a text or a template filled from the card. Sent by a job: `queued` until the channel took it",
                        "202",
                        "the outgoing message",
                        object("{data: {id, channel, recipient, subject, body, status: queued, created_at}}"),
                    )
                    .parameter(id_param())
                    .request_body(Some(body(any_object("{channel: email|telegram|whatsapp|sms, text?, subject? (e-mail), template_id?, file_ids? (files the caller sees, sent as e-mail attachments: at most 10 and 10 MB together; refused for the other channels with attachments_email_only)}"))))
                    .response("404", json_response("no such card, or the caller may not see it", Some(error_ref())))
                    .response("422", json_response("the client lacks the channel, it is not set up, a template placeholder is empty, or no text; `field` and `message_code` say which", Some(error_ref()))),
                ),
            ]),
        );
    }
    for collection in ["deals", "persons", "organizations"] {
        add(
            &format!("/api/v1/{collection}/{{id}}/call"),
            item([(
                HttpMethod::Post,
                simple(
                    "channels",
                    &format!("call_{collection}"),
                    "Call the card's client: the telephony source's click-to-call request rings the user's extension, then the client. Sent at once (5 s timeout), not queued; the call comes back through the source's webhook",
                    "200",
                    "the call the provider took",
                    object("{data: {status: calling, phone, extension, source_id, response_code}}"),
                )
                .parameter(id_param())
                .request_body(Some(body(any_object("{phone? (one of the card's numbers; the first by default), source_id?}"))))
                .response("404", json_response("no such card, or the caller may not see it", Some(error_ref())))
                .response("422", json_response("no phone on the card, a number not on it, no callback request set, or the user has no extension; `field` and `message_code` say which", Some(error_ref())))
                .response("502", json_response("the provider refused, timed out or could not be reached (`callback_provider_answered`, `callback_provider_timeout`, `callback_provider_unreachable`)", Some(error_ref()))),
            )]),
        );
    }
    for collection in ["deals", "persons"] {
        add(
            &format!("/api/v1/{collection}/{{id}}/reply_channels"),
            item([(
                HttpMethod::Get,
                simple(
                    "channels",
                    &format!("{collection}_reply_channels"),
                    "Where the card's client can be written to, channel by channel (`to`, or `error` and `error_code` saying why not), the default e-mail subject and the templates",
                    "200",
                    "the channels",
                    object("{data: {person_id, subject, channels: [{channel, to, error, error_code}], templates}}"),
                )
                .parameter(id_param()),
            )]),
        );
    }
    add(
        "/api/v1/whatsapp_gateway",
        item([
            (HttpMethod::Get, simple("channels", "get_whatsapp_gateway", "The WhatsApp provider's HTTP API as set (header values masked; administrators)", "200", "{data: gateway|null}", object("{data: {url, method, headers, content_type, body}|null}"))),
            (
                HttpMethod::Put,
                simple("channels", "put_whatsapp_gateway", "Set the WhatsApp provider like the SMS gateway (`{to}` and `{text}` in the URL or body); null removes it (administrators)", "200", "{data: gateway|null}", object("{data: {url, method, headers, content_type, body}|null}"))
                    .request_body(Some(body(any_object("{url, method: GET|POST, headers?, content_type?, body?} or null"))))
                    .response("422", json_response("a bad URL, method, header or body; `field` names it", Some(error_ref()))),
            ),
        ]),
    );
    add(
        "/api/v1/client_notifications",
        item([
            (HttpMethod::Get, simple("channels", "get_client_notifications", "Client notifications: quiet hours (the workspace's zone) and a rule per stage entry, missed call and first answered call (administrators)", "200", "the settings", object("{data: {quiet_hours: HH:MM-HH:MM|null, timezone, rules: [{event: stage_entry|missed_call|first_call, stage_id?, stage?, pipeline?, enabled, channel: sms|email|telegram|whatsapp|last, template_key}]}}"))),
            (
                HttpMethod::Put,
                simple("channels", "put_client_notifications", "Change quiet hours and any rules (a rule not named keeps what it had; administrators)", "200", "the settings", object("{data: settings}"))
                    .request_body(Some(body(any_object("{quiet_hours?: \"21:00-09:00\"|null, rules?: [{event, stage_id (stage_entry only), enabled?, channel?, template_key?}]}"))))
                    .response("422", json_response("bad quiet hours, event, stage, channel, or a template key the workspace lacks; `field` names it (rules[i].key)", Some(error_ref()))),
            ),
        ]),
    );
    add(
        "/api/v1/me/smtp",
        item([
            (HttpMethod::Get, simple("session", "get_own_smtp", "The caller's own mail account for e-mails to clients (the password only as password_set), or null", "200", "the account", object("{data: {host, port, tls: tls|starttls|none, login, password_set, from}|null}"))),
            (
                HttpMethod::Put,
                simple("session", "put_own_smtp", "Set the caller's own mail account: their e-mail replies go through it; null removes it", "200", "the account", object("{data: {host, port, tls, login, password_set, from}|null}"))
                    .request_body(Some(body(any_object("{host, port?, tls?: tls|starttls|none, login?, password? (left out or *** keeps the stored one), from? (else the login)} or null"))))
                    .response("422", json_response("a bad host, port, TLS mode or sender; `field` names it", Some(error_ref()))),
            ),
        ]),
    );
    add(
        "/hooks/{key}",
        item([(
            HttpMethod::Post,
            OperationBuilder::new()
                .tag("intake")
                .operation_id(Some("deliver"))
                .summary(Some("A provider's delivery: a call event, a Telegram update, a raw MIME e-mail. Authenticated by the source's secret: X-Poryadok-Signature (sha256=HMAC of the body), X-Poryadok-Token, or X-Telegram-Bot-Api-Secret-Token; not by a user token."))
                .response("202", json_response("stored and queued", object("{event_id, status: pending}")))
                .response("200", json_response("a replay of an event already stored, or spam kept for the record", object("{event_id, status, duplicate}")))
                .response("401", json_response("the secret does not match", Some(error_ref())))
                .response("422", json_response("stored as failed: unreadable (names the field)", object("{error: {code: invalid_event, field, message}, event_id}"))),
        )]),
    );
}

/// Invoices, their payments, and the import of an accounting export.
fn add_invoice_paths(paths: &mut Paths) {
    let object = |d: &str| Some(any_object(d));
    let mut add = |path: &str, it: PathItem| {
        paths.paths.insert(path.to_string(), it);
    };
    let invoice = "{data: {id, number, deal_id, organization_id, owner_id, amount, currency, issued_on, due_on, paid_amount, paid_on, status: open|paid|cancelled, balance, overdue, days_overdue, comment, created_at, updated_at}}";
    let payment = "{id, invoice_id, amount, paid_on, reference, source: manual|import, created_by, created_at}";
    let fields = "{number, amount (minor units, > 0), issued_on (YYYY-MM-DD), due_on, deal_id, organization_id (default: the deal's), owner_id (default: the deal's, else the organization's owner), currency (default: the deal's, else the workspace's), comment}";
    add(
        "/api/v1/invoices",
        item([
            (
                HttpMethod::Get,
                simple(
                    "invoices",
                    "list_invoices",
                    "Invoices the caller sees, newest issue date first",
                    "200",
                    "a page",
                    object(&format!("{{data: [invoice], next_cursor}} where invoice is {invoice}")),
                )
                .parameter(query_param("status", "open, paid, cancelled, or overdue (open and past due today in the workspace's zone)"))
                .parameter(query_param("overdue", "true: open and past due; false: the others"))
                .parameter(query_param("organization_id", "only this organization's"))
                .parameter(query_param("deal_id", "only this deal's"))
                .parameter(query_param("limit", "page size, 1 to 500 (default 50)"))
                .parameter(query_param("cursor", "next_cursor of the previous page"))
                .response("422", json_response("a bad parameter, named in `field`", Some(error_ref()))),
            ),
            (
                HttpMethod::Post,
                simple("invoices", "create_invoice", "Create an invoice", "201", "the invoice", object(invoice))
                    .request_body(Some(body(any_object(fields))))
                    .response("403", json_response("an analyst, or an owner the caller may not assign", Some(error_ref())))
                    .response("409", json_response("the number is taken by a live invoice (field number)", Some(error_ref())))
                    .response("422", json_response("invalid input; `field` names it", Some(error_ref()))),
            ),
        ]),
    );
    add(
        "/api/v1/invoices/import",
        item([(
            HttpMethod::Post,
            OperationBuilder::new()
                .tag("invoices")
                .operation_id(Some("import_invoices"))
                .summary(Some("Import an accounting export (administrators and heads)"))
                .description(Some("The body is the file: CSV (`;`, `,` or tab separated; UTF-8, UTF-16 with a BOM, or windows-1251; decimal comma allowed) or XLSX (first sheet). Columns by header, Russian or English: Номер/number, Дата/date, ИНН контрагента/tax id, Сумма/amount, Оплачено/paid; optional Срок оплаты/due date and Контрагент/counterparty. Each row finds its organization by tax id (created from the counterparty's name when missing), creates or updates the invoice by number, and adds one `import` payment for the difference up to the paid amount; manual payments are never removed. Rows with mistakes are skipped and listed; the others are applied. The same file twice changes nothing."))
                .parameter(query_param("dry_run", "true: report what would change and save nothing"))
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .required(Some(Required::True))
                        .content("text/csv", ContentBuilder::new().schema(Some(RefOr::T(ObjectBuilder::new().schema_type(Type::String).build().into()))).build())
                        .content(
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            ContentBuilder::new().schema(Some(RefOr::T(ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary))).build().into()))).build(),
                        )
                        .build(),
                ))
                .response("200", json_response("the report", object("{data: {dry_run, rows, created, updated, payments_added, unchanged, organizations_created, errors: [{line, column, code, message}]}}")))
                .response("401", json_response("not authenticated", Some(error_ref())))
                .response("403", json_response("not an administrator or a head", Some(error_ref())))
                .response("422", json_response("an empty or unreadable file, or a header missing a required column (field names it: number, date, tax_id, amount, paid)", Some(error_ref()))),
        )]),
    );
    add(
        "/api/v1/invoices/{id}",
        item([
            (
                HttpMethod::Get,
                simple("invoices", "get_invoice", "One invoice", "200", "the invoice", object(invoice))
                    .parameter(id_param())
                    .response("404", json_response("missing, deleted or not visible", Some(error_ref()))),
            ),
            (
                HttpMethod::Patch,
                simple(
                    "invoices",
                    "update_invoice",
                    "Change an invoice; status cancelled (or open to reopen)",
                    "200",
                    "the invoice",
                    object(invoice),
                )
                .parameter(id_param())
                .request_body(Some(body(any_object(&format!("any of {fields}, status: open|cancelled")))))
                .response("409", json_response("the number is taken", Some(error_ref())))
                .response("422", json_response("invalid input", Some(error_ref()))),
            ),
            (
                HttpMethod::Delete,
                simple(
                    "invoices",
                    "delete_invoice",
                    "Delete an invoice (kept with its payments and history; the number is free again)",
                    "204",
                    "deleted",
                    None,
                )
                .parameter(id_param()),
            ),
        ]),
    );
    add(
        "/api/v1/invoices/{id}/payments",
        item([
            (HttpMethod::Get, simple("invoices", "list_payments", "An invoice's live payments, oldest first", "200", "payments", object(&format!("{{data: [{payment}]}}"))).parameter(id_param())),
            (
                HttpMethod::Post,
                simple("invoices", "add_payment", "Record a payment; the invoice's paid amount, paid_on and status follow", "201", "the payment and the invoice", object(&format!("{{data: {payment}, invoice}}")))
                    .parameter(id_param())
                    .request_body(Some(body(any_object("{amount (minor units, > 0, at most the open balance), paid_on (YYYY-MM-DD, default today, not in the future), reference}"))))
                    .response("409", json_response("the invoice is cancelled (field status)", Some(error_ref())))
                    .response("422", json_response("a bad amount (more than the open balance included) or date", Some(error_ref()))),
            ),
        ]),
    );
    add(
        "/api/v1/payments/{id}",
        item([(
            HttpMethod::Delete,
            simple(
                "invoices",
                "delete_payment",
                "Delete a payment (kept in history); the invoice is recomputed",
                "200",
                "the invoice",
                object(invoice),
            )
            .parameter(id_param()),
        )]),
    );
}
