//! The compatible endpoints: parse Pipedrive's parameters, call the store as the native API
//! does, answer in Pipedrive's envelopes.
use super::shape::{self, body_in, out, Ctx, CustomDef, Version};
use super::{ok, PdAuth, PdError, PdResult};
use crate::api::extract::ApiPath;
use crate::error::ApiError;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::msg::Common;
use poryadok_core::schema::Entity;
use poryadok_store::{Actor, ListQuery, Row};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The API version a request's path names: `/api/v2/…` or `/v1/…`.
pub struct Ver(pub Version);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Ver {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Ver(if parts.uri.path().starts_with("/api/v2/") { Version::V2 } else { Version::V1 }))
    }
}

/// The largest page either version serves, and the one it serves unasked.
const MAX_LIMIT: u64 = 500;
const DEFAULT_LIMIT: u64 = 100;

/// The entities a path names, with what each version may do to them.
fn entity(raw: &str, version: Version) -> PdResult<Entity> {
    let e = match raw {
        "deals" => Entity::Deal,
        "persons" => Entity::Person,
        "organizations" => Entity::Organization,
        "activities" => Entity::Activity,
        "pipelines" => Entity::Pipeline,
        "stages" => Entity::Stage,
        "notes" if version == Version::V1 => Entity::Note,
        "users" if version == Version::V1 => Entity::User,
        _ => {
            return Err(PdError(ApiError::from_msg(
                StatusCode::NOT_FOUND,
                "not_found",
                poryadok_core::msg::ApiMsg::UnknownMethod { method: raw.to_string() },
            )))
        }
    };
    Ok(e)
}

/// The field list an entity's `…Fields` path names (`dealFields`).
fn fields_entity(raw: &str) -> Option<Entity> {
    Some(match raw {
        "dealFields" => Entity::Deal,
        "personFields" => Entity::Person,
        "organizationFields" => Entity::Organization,
        "activityFields" => Entity::Activity,
        _ => return None,
    })
}

fn record_id(raw: &str) -> PdResult<i64> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| PdError(ApiError::not_found()))
}

fn params(raw: &Option<String>) -> HashMap<String, String> {
    form_urlencoded::parse(raw.as_deref().unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// The workspace's custom field definitions of `entity`.
async fn custom_defs(st: &AppState, actor: &Actor, entity: Entity) -> PdResult<Vec<CustomDef>> {
    if !poryadok_core::schema::CUSTOM_FIELD_ENTITIES.contains(&entity.name()) {
        return Ok(Vec::new());
    }
    let defs = st.db.custom_defs_with_ids(actor, entity).await?;
    Ok(defs.into_iter().map(|(id, d)| CustomDef::new(actor.ws_id(), entity, id, d)).collect())
}

/// Rows in Pipedrive's shape, each straight from its stored values (no native JSON object of
/// the record is built first; the custom fields' hash keys are the definitions' own).
fn render(entity: Entity, rows: &[Row], ws: i64, version: Version, custom: &[CustomDef]) -> Vec<Value> {
    let ctx = Ctx { ws, version, custom };
    rows.iter().map(|r| out(entity, r, &ctx)).collect()
}

fn limit_of(p: &HashMap<String, String>) -> PdResult<u64> {
    match p.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| PdError(ApiError::invalid("limit", Common::Between { min: 1, max: MAX_LIMIT as i64 }))),
    }
}

/// A Pipedrive sort field as ours.
fn sort_field(raw: &str) -> PdResult<&'static str> {
    match raw {
        "id" => Ok("id"),
        "update_time" => Ok("updated_at"),
        "add_time" => Ok("created_at"),
        _ => Err(PdError(ApiError::invalid("sort_by", Common::OneOf { list: vec!["id".into(), "update_time".into(), "add_time".into()] }))),
    }
}

/// The filters both versions share: owner, related records, pipeline, stage, status, and the
/// update window.
fn list_filters(entity: Entity, p: &HashMap<String, String>, lq: &mut ListQuery) -> PdResult<()> {
    let mut expr: Vec<String> = Vec::new();
    for (pd, native) in [
        ("owner_id", "owner_id"),
        ("user_id", "owner_id"),
        ("person_id", "person_id"),
        ("org_id", "organization_id"),
        ("pipeline_id", "pipeline_id"),
        ("stage_id", "stage_id"),
        ("deal_id", "deal_id"),
    ] {
        if let Some(v) = p.get(pd).filter(|v| !v.is_empty()) {
            if entity.field(native).is_none() {
                continue;
            }
            if v.parse::<i64>().is_err() {
                return Err(PdError(ApiError::invalid(pd, Common::NotInteger {})));
            }
            lq.filters.push((native.into(), v.clone()));
        }
    }
    if entity == Entity::Deal {
        match p.get("status").map(String::as_str) {
            None | Some("") | Some("all_not_deleted") => {}
            Some(s @ ("open" | "won" | "lost")) => lq.filters.push(("status".into(), s.into())),
            Some("deleted") => lq.filters.push(("id".into(), "0".into())),
            Some(_) => {
                return Err(PdError(ApiError::invalid(
                    "status",
                    Common::OneOf { list: ["open", "won", "lost", "deleted", "all_not_deleted"].map(String::from).to_vec() },
                )))
            }
        }
    }
    if entity == Entity::Activity {
        if let Some(d) = p.get("done").filter(|v| !v.is_empty()) {
            lq.filters.push(("done".into(), if d == "1" || d == "true" { "true" } else { "false" }.into()));
        }
    }
    for (pd, op) in [("updated_since", ">="), ("updated_until", "<")] {
        if let Some(v) = p.get(pd).filter(|v| !v.is_empty()) {
            let t = poryadok_core::types::parse_timestamp(v).map_err(|m| PdError(ApiError::invalid(pd, m)))?;
            expr.push(format!("updated_at {op} \"{}\"", poryadok_core::types::format_ms(t)));
        }
    }
    if !expr.is_empty() {
        lq.filter = Some(expr.join(" and "));
    }
    Ok(())
}

/// The records `ids=1,2,3` names that the caller may see, in that order: a list query per
/// hundred ids (`id in (…)`, with the list's visibility; the filter language takes at most
/// 4,000 characters), not a read per id.
async fn by_ids(st: &AppState, actor: &Actor, entity: Entity, raw: &str) -> PdResult<Vec<Row>> {
    let ids = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take(MAX_LIMIT as usize)
        .map(|part| part.parse::<i64>().map_err(|_| PdError(ApiError::invalid("ids", Common::NotInteger {}))))
        .collect::<PdResult<Vec<i64>>>()?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for chunk in ids.chunks(100) {
        let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        let lq = ListQuery { limit: Some(MAX_LIMIT.to_string()), filter: Some(format!("id in ({list})")), ..ListQuery::default() };
        found.extend(st.db.list(actor, entity, &lq).await?.data);
    }
    Ok(ids.iter().filter_map(|id| found.iter().find(|r| r.id() == *id).cloned()).collect())
}

/// `GET /api/v2/{entity}` and `GET /v1/{entity}` (and the `…Fields` lists).
pub async fn list(
    State(st): State<AppState>,
    PdAuth(actor): PdAuth,
    Ver(version): Ver,
    ApiPath(path): ApiPath<String>,
    RawQuery(q): RawQuery,
) -> PdResult<Json<Value>> {
    if let Some(e) = fields_entity(&path) {
        return fields(&st, &actor, e, version).await;
    }
    match version {
        Version::V2 => list_v2(&st, &actor, &path, &q).await,
        Version::V1 => list_v1(&st, &actor, &path, &q).await,
    }
}

async fn list_v2(st: &AppState, actor: &Actor, path: &str, q: &Option<String>) -> PdResult<Json<Value>> {
    let e = entity(path, Version::V2)?;
    let p = params(q);
    let custom = custom_defs(st, actor, e).await?;
    if let Some(ids) = p.get("ids").filter(|v| !v.is_empty()) {
        let rows = by_ids(st, actor, e, ids).await?;
        let data = render(e, &rows, actor.ws_id(), Version::V2, &custom);
        return Ok(super::envelope(Value::Array(data), Some(json!({"next_cursor": null}))));
    }
    let mut lq = ListQuery {
        limit: Some(limit_of(&p)?.to_string()),
        cursor: p.get("cursor").cloned().filter(|c| !c.is_empty()),
        ..ListQuery::default()
    };
    let field = sort_field(p.get("sort_by").map_or("id", String::as_str))?;
    let desc = match p.get("sort_direction").map(String::as_str) {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(PdError(ApiError::invalid("sort_direction", Common::OneOf { list: vec!["asc".into(), "desc".into()] }))),
    };
    lq.sort = Some(if desc { format!("-{field}") } else { field.to_string() });
    if e == Entity::Stage {
        if let Some(pl) = p.get("pipeline_id").filter(|v| !v.is_empty()) {
            lq.filters.push(("pipeline_id".into(), pl.clone()));
        }
    } else {
        list_filters(e, &p, &mut lq)?;
    }
    let page = st.db.list(actor, e, &lq).await?;
    let data = render(e, &page.data, actor.ws_id(), Version::V2, &custom);
    Ok(super::envelope(Value::Array(data), Some(json!({"next_cursor": page.next_cursor}))))
}

async fn list_v1(st: &AppState, actor: &Actor, path: &str, q: &Option<String>) -> PdResult<Json<Value>> {
    let e = entity(path, Version::V1)?;
    let p = params(q);
    let limit = limit_of(&p)?;
    let start = match p.get("start").filter(|v| !v.is_empty()) {
        None => 0,
        Some(s) => s.parse::<u64>().map_err(|_| PdError(ApiError::invalid("start", Common::NotInteger {})))?,
    };
    // `sort=update_time DESC` (Pipedrive's form), several keys comma-separated: the first counts.
    let sort = match p.get("sort").map(|s| s.split(',').next().unwrap_or("").trim().to_string()).filter(|s| !s.is_empty()) {
        None => "id".to_string(),
        Some(s) => {
            let mut words = s.split_whitespace();
            let field = sort_field(words.next().unwrap_or("id")).map_err(|_| {
                PdError(ApiError::invalid("sort", Common::OneOf { list: vec!["id".into(), "update_time".into(), "add_time".into()] }))
            })?;
            match words.next().map(str::to_ascii_lowercase).as_deref() {
                Some("desc") => format!("-{field}"),
                _ => field.to_string(),
            }
        }
    };
    let mut lq = ListQuery { limit: Some(limit.to_string()), sort: Some(sort), offset: Some(start), ..ListQuery::default() };
    if e == Entity::Stage {
        if let Some(pl) = p.get("pipeline_id").filter(|v| !v.is_empty()) {
            lq.filters.push(("pipeline_id".into(), pl.clone()));
        }
    } else if e != Entity::User {
        list_filters(e, &p, &mut lq)?;
    }
    let custom = custom_defs(st, actor, e).await?;
    let page = st.db.list(actor, e, &lq).await?;
    let mut data = render(e, &page.data, actor.ws_id(), Version::V1, &custom);
    if e == Entity::User {
        mark_you(&mut data, actor.user_id());
    }
    let more = page.next_cursor.is_some();
    let mut pagination = json!({"start": start, "limit": limit, "more_items_in_collection": more});
    if more {
        pagination["next_start"] = json!(start + limit);
    }
    // Pipedrive answers an empty page with `data: null`.
    let data = if data.is_empty() { Value::Null } else { Value::Array(data) };
    Ok(super::envelope(data, Some(json!({"pagination": pagination}))))
}

fn mark_you(users: &mut [Value], me: i64) {
    for u in users {
        let you = u.get("id").and_then(Value::as_i64) == Some(me);
        u["is_you"] = json!(you);
    }
}

async fn one(st: &AppState, actor: &Actor, e: Entity, row: &Row, version: Version) -> PdResult<Value> {
    let custom = custom_defs(st, actor, e).await?;
    let mut v = out(e, row, &Ctx { ws: actor.ws_id(), version, custom: &custom });
    if e == Entity::User {
        v["is_you"] = json!(row.id() == actor.user_id());
    }
    Ok(v)
}

async fn get_one(st: &AppState, actor: &Actor, path: &str, id: &str, version: Version) -> PdResult<Json<Value>> {
    let e = entity(path, version)?;
    let row = st.db.get(actor, e, record_id(id)?).await?;
    Ok(ok(one(st, actor, e, &row, version).await?))
}

pub async fn read(
    State(st): State<AppState>,
    PdAuth(actor): PdAuth,
    Ver(version): Ver,
    ApiPath((path, id)): ApiPath<(String, String)>,
) -> PdResult<Json<Value>> {
    get_one(&st, &actor, &path, &id, version).await
}

fn writable(e: Entity) -> PdResult<()> {
    if e == Entity::User {
        return Err(PdError(ApiError::forbidden(poryadok_core::msg::ApiMsg::UsersManaged {})));
    }
    Ok(())
}

async fn create(st: &AppState, actor: &Actor, path: &str, body: &Bytes, version: Version) -> PdResult<Response> {
    let e = entity(path, version)?;
    writable(e)?;
    let custom = custom_defs(st, actor, e).await?;
    let native = body_in(e, &crate::api::json_body(body)?, &Ctx { ws: actor.ws_id(), version, custom: &custom })?;
    let row = st.db.create(actor, e, &native).await?;
    let v = out(e, &row, &Ctx { ws: actor.ws_id(), version, custom: &custom });
    Ok((StatusCode::CREATED, ok(v)).into_response())
}

pub async fn create_one(
    State(st): State<AppState>,
    PdAuth(actor): PdAuth,
    Ver(version): Ver,
    ApiPath(path): ApiPath<String>,
    body: Bytes,
) -> PdResult<Response> {
    create(&st, &actor, &path, &body, version).await
}

async fn update(st: &AppState, actor: &Actor, path: &str, id: &str, body: &Bytes, version: Version) -> PdResult<Json<Value>> {
    let e = entity(path, version)?;
    writable(e)?;
    let id = record_id(id)?;
    let custom = custom_defs(st, actor, e).await?;
    let native = body_in(e, &crate::api::json_body(body)?, &Ctx { ws: actor.ws_id(), version, custom: &custom })?;
    let row = st.db.update(actor, e, id, &native).await?;
    Ok(ok(out(e, &row, &Ctx { ws: actor.ws_id(), version, custom: &custom })))
}

pub async fn update_one(
    State(st): State<AppState>,
    PdAuth(actor): PdAuth,
    Ver(version): Ver,
    ApiPath((path, id)): ApiPath<(String, String)>,
    body: Bytes,
) -> PdResult<Json<Value>> {
    update(&st, &actor, &path, &id, &body, version).await
}

async fn remove(st: &AppState, actor: &Actor, path: &str, id: &str, version: Version) -> PdResult<Json<Value>> {
    let e = entity(path, version)?;
    writable(e)?;
    let id = record_id(id)?;
    st.db.delete(actor, e, id).await?;
    Ok(ok(json!({"id": id})))
}

pub async fn delete_one(
    State(st): State<AppState>,
    PdAuth(actor): PdAuth,
    Ver(version): Ver,
    ApiPath((path, id)): ApiPath<(String, String)>,
) -> PdResult<Json<Value>> {
    remove(&st, &actor, &path, &id, version).await
}

/// `GET /v1/users/me`
pub async fn me(State(st): State<AppState>, PdAuth(actor): PdAuth) -> PdResult<Json<Value>> {
    let row = st.db.get(&actor, Entity::User, actor.user_id()).await?;
    let mut v = one(&st, &actor, Entity::User, &row, Version::V1).await?;
    v["timezone_name"] = json!(actor.ws.timezone);
    v["company_id"] = json!(actor.ws_id());
    Ok(ok(v))
}

/// `GET /v1/users/find?term=…[&search_by_email=1]`: users whose name (or e-mail) holds the term.
pub async fn find_users(State(st): State<AppState>, PdAuth(actor): PdAuth, RawQuery(q): RawQuery) -> PdResult<Json<Value>> {
    let p = params(&q);
    let term = p
        .get("term")
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| PdError(ApiError::invalid("term", Common::Required {})))?;
    let by_email = p.get("search_by_email").is_some_and(|v| v == "1" || v == "true");
    let lq = ListQuery { limit: Some(MAX_LIMIT.to_string()), sort: Some("name".into()), ..ListQuery::default() };
    let rows = st.db.list(&actor, Entity::User, &lq).await?.data;
    let field = if by_email { "email" } else { "name" };
    let found: Vec<Row> = rows.into_iter().filter(|r| r.get(field).as_text().is_some_and(|v| v.to_lowercase().contains(&term))).collect();
    let mut data = render(Entity::User, &found, actor.ws_id(), Version::V1, &[]);
    mark_you(&mut data, actor.user_id());
    Ok(ok(if data.is_empty() { Value::Null } else { Value::Array(data) }))
}

/// The field list of an entity: built-in fields under their Pipedrive names, then the custom
/// ones under their hash keys.
async fn fields(st: &AppState, actor: &Actor, e: Entity, version: Version) -> PdResult<Json<Value>> {
    let custom = custom_defs(st, actor, e).await?;
    let builtin: &[(&str, &str, &str)] = match e {
        Entity::Deal => &[
            ("title", "Title", "varchar"),
            ("value", "Value", "monetary"),
            ("currency", "Currency", "varchar"),
            ("owner_id", "Owner", "user"),
            ("person_id", "Contact person", "people"),
            ("org_id", "Organization", "org"),
            ("pipeline_id", "Pipeline", "double"),
            ("stage_id", "Stage", "stage"),
            ("status", "Status", "status"),
            ("expected_close_date", "Expected close date", "date"),
            ("lost_reason", "Lost reason", "varchar"),
            ("add_time", "Deal created", "date"),
            ("update_time", "Update time", "date"),
        ],
        Entity::Person => &[
            ("name", "Name", "varchar"),
            ("owner_id", "Owner", "user"),
            ("org_id", "Organization", "org"),
            ("phone", "Phone", "phone"),
            ("email", "Email", "varchar"),
            ("job_title", "Job title", "varchar"),
            ("add_time", "Person created", "date"),
            ("update_time", "Update time", "date"),
        ],
        Entity::Organization => &[
            ("name", "Name", "varchar"),
            ("owner_id", "Owner", "user"),
            ("address", "Address", "address"),
            ("add_time", "Organization created", "date"),
            ("update_time", "Update time", "date"),
        ],
        _ => &[
            ("subject", "Subject", "varchar"),
            ("type", "Type", "varchar"),
            ("due_date", "Due date", "date"),
            ("due_time", "Due time", "time"),
            ("duration", "Duration", "time"),
            ("done", "Done", "enum"),
            ("owner_id", "Assigned to user", "user"),
            ("deal_id", "Deal", "int"),
            ("person_id", "Contact person", "people"),
            ("org_id", "Organization", "org"),
            ("note", "Note", "text"),
        ],
    };
    let pd_type = |t: &str| match t {
        "text" => "varchar",
        "number" => "double",
        "money" => "monetary",
        "date" => "date",
        "enum" => "enum",
        "bool" => "enum",
        "url" => "varchar",
        "user" => "user",
        "organization" => "org",
        _ => "varchar",
    };
    let mut data: Vec<Value> = Vec::new();
    for (i, (key, name, t)) in builtin.iter().enumerate() {
        data.push(match version {
            Version::V1 => json!({"id": i + 1, "key": key, "name": name, "field_type": t, "edit_flag": false, "active_flag": true,
                "mandatory_flag": false, "options": null}),
            Version::V2 => json!({"field_code": key, "field_name": name, "field_type": t, "is_custom_field": false, "options": null}),
        });
    }
    for d in &custom {
        let options: Value = if d.options.is_empty() {
            Value::Null
        } else {
            d.options.iter().enumerate().map(|(i, o)| json!({"id": i + 1, "label": o})).collect()
        };
        let hash = &d.hash;
        data.push(match version {
            Version::V1 => json!({"id": 1000 + d.id, "key": hash, "name": d.label, "field_type": pd_type(&d.field_type), "edit_flag": true,
                "active_flag": true, "mandatory_flag": false, "options": options, "poryadok_key": d.key}),
            Version::V2 => json!({"field_code": hash, "field_name": d.label, "field_type": pd_type(&d.field_type), "is_custom_field": true,
                "options": options, "poryadok_key": d.key}),
        });
    }
    Ok(super::envelope(Value::Array(data), Some(json!({"next_cursor": null}))))
}

/// What a search asks: the term (at least two characters), the types, the limit.
struct SearchAsk {
    term: String,
    types: Vec<Entity>,
    exact: bool,
    limit: u64,
}

fn search_ask(q: &Option<String>, only: Option<Entity>) -> PdResult<SearchAsk> {
    let p = params(q);
    let term = p.get("term").map(|t| t.trim().to_string()).unwrap_or_default();
    if term.chars().count() < 2 {
        return Err(PdError(
            ApiError::from_msg(StatusCode::BAD_REQUEST, "validation", poryadok_core::msg::ApiMsg::TermTooShort {}).with_field("term"),
        ));
    }
    let types = match (only, p.get("item_types").filter(|v| !v.is_empty())) {
        (Some(e), _) => vec![e],
        (None, None) => vec![Entity::Deal, Entity::Person, Entity::Organization],
        (None, Some(list)) => list
            .split(',')
            .map(|t| match t.trim() {
                "deal" => Ok(Entity::Deal),
                "person" => Ok(Entity::Person),
                "organization" => Ok(Entity::Organization),
                _ => Err(PdError(ApiError::invalid(
                    "item_types",
                    Common::OneOf { list: vec!["deal".into(), "person".into(), "organization".into()] },
                ))),
            })
            .collect::<PdResult<Vec<_>>>()?,
    };
    let limit = match p.get("limit") {
        None => 10,
        Some(s) => s.parse::<u64>().ok().filter(|n| (1..=poryadok_store::search::MAX_LIMIT).contains(n)).ok_or_else(|| {
            PdError(ApiError::invalid("limit", Common::Between { min: 1, max: poryadok_store::search::MAX_LIMIT as i64 }))
        })?,
    };
    let exact = p.get("exact_match").is_some_and(|v| v == "true" || v == "1");
    Ok(SearchAsk { term, types, exact, limit })
}

/// The search hits as Pipedrive's `items` of `{result_score, item}`.
async fn search_items(st: &AppState, actor: &Actor, ask: &SearchAsk) -> PdResult<Vec<Value>> {
    let found = st.db.search(actor, &ask.term, Some(ask.limit)).await?;
    let term = ask.term.to_lowercase();
    let exact = |s: &str| !ask.exact || s.to_lowercase() == term;
    let mut items = Vec::new();
    let score = |i: usize| json!(1.0 - (i as f64) * 0.01);
    if ask.types.contains(&Entity::Deal) {
        for (i, d) in found.deals.iter().filter(|d| exact(&d.title)).enumerate() {
            items.push(json!({"result_score": score(i), "item": {"id": d.id, "type": "deal", "title": d.title, "status": shape::status_out(&d.status),
                "value": shape::money_out(&json!(d.value)), "currency": d.currency, "person": d.person_id.map(|p| json!({"id": p}))}}));
        }
    }
    if ask.types.contains(&Entity::Person) {
        for (i, p) in found.persons.iter().filter(|p| exact(&p.name) || p.phone.is_some() || p.email.is_some()).enumerate() {
            items.push(json!({"result_score": score(i), "item": {"id": p.id, "type": "person", "name": p.name,
                "phones": p.phone.iter().collect::<Vec<_>>(), "emails": p.email.iter().collect::<Vec<_>>(),
                "organization": p.organization_id.map(|o| json!({"id": o}))}}));
        }
    }
    if ask.types.contains(&Entity::Organization) {
        for (i, o) in found.organizations.iter().filter(|o| exact(&o.name)).enumerate() {
            items.push(json!({"result_score": score(i), "item": {"id": o.id, "type": "organization", "name": o.name}}));
        }
    }
    Ok(items)
}

fn search_answer(items: Vec<Value>) -> Json<Value> {
    Json(json!({"success": true, "data": {"items": items}, "additional_data": {"next_cursor": null,
        "pagination": {"start": 0, "limit": items_len_hint(), "more_items_in_collection": false}}}))
}

fn items_len_hint() -> u64 {
    poryadok_store::search::MAX_LIMIT
}

/// `GET /api/v2/itemSearch?term=…&item_types=deal,person&exact_match=…&limit=…`
pub async fn item_search(State(st): State<AppState>, PdAuth(actor): PdAuth, RawQuery(q): RawQuery) -> PdResult<Json<Value>> {
    let ask = search_ask(&q, None)?;
    Ok(search_answer(search_items(&st, &actor, &ask).await?))
}

fn searchable(path: &str) -> PdResult<Entity> {
    match path {
        "deals" => Ok(Entity::Deal),
        "persons" => Ok(Entity::Person),
        "organizations" => Ok(Entity::Organization),
        _ => Err(PdError(ApiError::from_msg(
            StatusCode::NOT_FOUND,
            "not_found",
            poryadok_core::msg::ApiMsg::UnknownMethod { method: format!("{path}/search") },
        ))),
    }
}

/// `GET /api/v2/{deals|persons|organizations}/search?term=…`
pub async fn entity_search(
    State(st): State<AppState>,
    PdAuth(actor): PdAuth,
    ApiPath(path): ApiPath<String>,
    RawQuery(q): RawQuery,
) -> PdResult<Json<Value>> {
    let ask = search_ask(&q, Some(searchable(&path)?))?;
    Ok(search_answer(search_items(&st, &actor, &ask).await?))
}

/// `GET /v1/webhooks`: the workspace's webhooks in Pipedrive's terms.
pub async fn list_webhooks(State(st): State<AppState>, PdAuth(actor): PdAuth) -> PdResult<Json<Value>> {
    let hooks = st.db.webhooks(&actor).await?;
    let data: Vec<Value> = hooks.iter().map(|h| super::hooks::webhook_json(h, actor.ws_id())).collect();
    Ok(Json(json!({"status": "ok", "success": true, "data": data})))
}

/// `POST /v1/webhooks` with `subscription_url`, `event_action`, `event_object`, and optionally
/// `name`, `http_auth_user`, `http_auth_password`, `version` ("1.0" or "2.0").
pub async fn create_webhook(State(st): State<AppState>, PdAuth(actor): PdAuth, body: Bytes) -> PdResult<Response> {
    let body = crate::api::json_body(&body)?;
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(String::from);
    let required = |k: &str| text(k).ok_or_else(|| PdError(ApiError::invalid(k, Common::Required {})));
    let url = required("subscription_url")?;
    let (action, object) = (required("event_action")?, required("event_object")?);
    let events = super::hooks::events_for(&action, &object).map_err(|field| {
        let list = match field {
            "event_action" => ["added", "updated", "deleted", "*"].map(String::from).to_vec(),
            _ => super::hooks::OBJECTS.iter().map(|(pd, _)| pd.to_string()).chain(["*".to_string()]).collect(),
        };
        PdError(ApiError::invalid(field, Common::OneOf { list }))
    })?;
    let format = match text("version").as_deref() {
        None | Some("1.0") => "pipedrive_v1",
        Some("2.0") => "pipedrive_v2",
        Some(_) => return Err(PdError(ApiError::invalid("version", Common::OneOf { list: vec!["1.0".into(), "2.0".into()] }))),
    };
    let hook = poryadok_store::channels::webhooks::PipedriveHook {
        url,
        events,
        format,
        name: text("name"),
        http_user: text("http_auth_user"),
        http_password: text("http_auth_password"),
    };
    let created = st.db.create_pipedrive_webhook(&actor, &hook).await?;
    let data = super::hooks::webhook_json(&created, actor.ws_id());
    Ok((StatusCode::CREATED, Json(json!({"status": "ok", "success": true, "data": data}))).into_response())
}

/// `DELETE /v1/webhooks/{id}`
pub async fn delete_webhook(State(st): State<AppState>, PdAuth(actor): PdAuth, ApiPath(id): ApiPath<String>) -> PdResult<Json<Value>> {
    st.db.delete_webhook(&actor, record_id(&id)?).await?;
    Ok(Json(json!({"status": "ok", "success": true})))
}
