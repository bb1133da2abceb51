//! CRUD, list and history for every entity of the schema: `/api/v1/{entity}[/{id}[/history]]`.
use crate::api::extract::{page_of, paginate, ApiPath, ApiQuery, Paging};
use crate::api::json_body;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::schema::Entity;
use poryadok_store::{ListQuery, Page, Row};
use serde_json::{json, Value};

fn entity(path: &str) -> ApiResult<Entity> {
    Entity::from_path(path).ok_or_else(|| {
        ApiError::from_msg(StatusCode::NOT_FOUND, "not_found", poryadok_core::msg::ApiMsg::NoResource { path: path.to_string() })
    })
}

/// An id that is not a positive integer cannot name a record: not found.
fn record_id(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(ApiError::not_found)
}

pub fn list_query(raw: Option<&str>) -> ListQuery {
    let mut q = ListQuery::default();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "limit" => q.limit = Some(v.into_owned()),
            "cursor" => q.cursor = Some(v.into_owned()),
            "sort" => q.sort = Some(v.into_owned()),
            "filter" => q.filter = Some(v.into_owned()),
            _ => q.filters.push((k.into_owned(), v.into_owned())),
        }
    }
    q
}

pub fn page_json(page: Page<Row>) -> Value {
    // Built by hand: `json!` would copy the page's rows value by value.
    let mut m = serde_json::Map::new();
    m.insert("data".into(), Value::Array(page.data.iter().map(Row::to_json).collect()));
    m.insert("next_cursor".into(), json!(page.next_cursor));
    Value::Object(m)
}

pub async fn list(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(path): ApiPath<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let e = entity(&path)?;
    let page = st.db.list(&actor, e, &list_query(q.as_deref())).await?;
    Ok(Json(page_json(page)))
}

/// A record with its version as the `ETag`, for a later `If-Match`.
fn with_etag(status: StatusCode, row: &Row) -> Response {
    let mut res = (status, Json(json!({"data": row.to_json()}))).into_response();
    if let Some(tag) = row.get("version").as_int().and_then(|v| HeaderValue::from_str(&etag(v)).ok()) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    res
}

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The version an `If-Match` asks for: `None` without the header or for `*`; an entity tag that
/// is not one of ours can match no version, so it is refused like a stale one.
pub fn if_match(headers: &HeaderMap) -> ApiResult<Option<i64>> {
    let Some(raw) = headers.get(header::IF_MATCH) else { return Ok(None) };
    let text = raw.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).and_then(|t| t.parse::<i64>().ok()).map(Some).ok_or_else(|| {
        ApiError::from_msg(StatusCode::PRECONDITION_FAILED, "precondition_failed", poryadok_core::msg::ApiMsg::IfMatch {})
            .with_field("If-Match")
    })
}

pub async fn create(State(st): State<AppState>, Auth(actor): Auth, ApiPath(path): ApiPath<String>, body: Bytes) -> ApiResult<Response> {
    let e = entity(&path)?;
    let row = st.db.create(&actor, e, &json_body(&body)?).await?;
    Ok(with_etag(StatusCode::CREATED, &row))
}

pub async fn get(State(st): State<AppState>, Auth(actor): Auth, ApiPath((path, id)): ApiPath<(String, String)>) -> ApiResult<Response> {
    let e = entity(&path)?;
    let row = st.db.get(&actor, e, record_id(&id)?).await?;
    Ok(with_etag(StatusCode::OK, &row))
}

pub async fn update(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((path, id)): ApiPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let e = entity(&path)?;
    let row = st.db.update_if(&actor, e, record_id(&id)?, &json_body(&body)?, if_match(&headers)?).await?;
    Ok(with_etag(StatusCode::OK, &row))
}

pub async fn delete(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((path, id)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    let e = entity(&path)?;
    st.db.delete_if(&actor, e, record_id(&id)?, if_match(&headers)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn history(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((path, id)): ApiPath<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let e = entity(&path)?;
    let lq = list_query(q.as_deref());
    if let Some((name, _)) = lq.filters.first() {
        return Err(ApiError::invalid(name.clone(), poryadok_core::msg::Common::HistoryParams {}));
    }
    let page = st.db.history(&actor, e, record_id(&id)?, &lq).await?;
    Ok(Json(json!({"data": page.data, "next_cursor": page.next_cursor})))
}

/// `POST /api/v1/deals/{id}/not_lead` with `{"reason", "comment"?, "mark_person"?}`: closes the
/// deal as not a lead and, with `mark_person`, marks its person so later calls and messages from
/// them create no deal. `If-Match` applies to the deal.
pub async fn not_lead(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let body = json_body(&body)?;
    let text = |name: &str| -> ApiResult<String> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(ApiError::invalid(name, poryadok_core::msg::Common::NotString {})),
        }
    };
    let mark_person = match body.get("mark_person") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::invalid("mark_person", poryadok_core::msg::Common::NotBool {})),
    };
    let how = poryadok_store::not_lead::NotLead { reason: text("reason")?, comment: text("comment")?, mark_person };
    let row = st.db.close_not_lead(&actor, record_id(&id)?, &how, if_match(&headers)?).await.map_err(|e| match e {
        // The body names the reason `reason`; the deal's field is `not_lead_reason`.
        poryadok_store::StoreError::Validation(mut f) if f.field == "not_lead_reason" => {
            f.field = "reason".into();
            poryadok_store::StoreError::Validation(f)
        }
        e => e,
    })?;
    Ok(with_etag(StatusCode::OK, &row))
}

/// `GET /api/v1/deals/{id}/participants`
pub async fn participants(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    ApiQuery(p): ApiQuery<Paging>,
) -> ApiResult<Json<Value>> {
    let (data, next) = paginate(st.db.participants(&actor, record_id(&id)?).await?, &p, crate::api::extract::MAX_LIMIT)?;
    Ok(Json(page_of(data, next)))
}

/// `POST /api/v1/deals/{id}/participants` with `{"user_id", "role"}`
pub async fn add_participant(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let p = st.db.add_participant(&actor, record_id(&id)?, &json_body(&body)?).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": p}))).into_response())
}

/// `DELETE /api/v1/deals/{id}/participants/{participant_id}`
pub async fn remove_participant(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((id, pid)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    st.db.remove_participant(&actor, record_id(&id)?, record_id(&pid)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/filters/check` with `{"entity", "expression"}`: the checked expression and how many
/// records the caller sees that match it, or the mistake with its position.
pub async fn check_filter(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Json<Value>> {
    let body = json_body(&body)?;
    let text =
        |name: &str| body.get(name).and_then(Value::as_str).ok_or_else(|| ApiError::invalid(name, poryadok_core::msg::Common::Required {}));
    let entity_name = text("entity")?;
    let entity = Entity::from_name(entity_name).filter(|e| poryadok_store::filters::filterable(*e)).ok_or_else(|| {
        ApiError::invalid(
            "entity",
            poryadok_core::msg::Common::OneOf { list: poryadok_core::msg::words(["deal", "person", "organization", "activity"]) },
        )
    })?;
    let expression = text("expression")?;
    let checked = st.db.check_filter(&actor, entity, expression, "expression").await?;
    let count = st.db.count_matching(&actor, &checked, st.db.clock.now_ms()).await?;
    Ok(Json(json!({"data": {"entity": entity.name(), "expression": expression, "valid": true, "count": count}})))
}

/// `GET /api/v1/{entity}/totals?filter=…&field=value`: how many records the same list holds in
/// all its pages, and for deals their value per currency.
pub async fn totals(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(path): ApiPath<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    let e = entity(&path)?;
    let mut lq = list_query(q.as_deref());
    lq.limit = None;
    lq.cursor = None;
    let t = st.db.list_totals(&actor, e, &lq).await?;
    let values: Vec<Value> = t.values.iter().map(|(c, v)| json!({"currency": c, "total": v})).collect();
    Ok(Json(json!({"data": {"count": t.count, "values": values}})))
}

/// `POST /api/v1/{entity}/bulk` with `{"ids": […], "update": {…}}`, `{"ids": […], "delete": true}`
/// or, for deals, `{"ids": […], "add_task": {…}}`: each record changed as a single change would
/// be; `done` lists the changed ids, `refused` each other id with its error.
pub async fn bulk(State(st): State<AppState>, Auth(actor): Auth, ApiPath(path): ApiPath<String>, body: Bytes) -> ApiResult<Json<Value>> {
    use poryadok_store::bulk::BulkChange;
    let e = entity(&path)?;
    let b = json_body(&body)?;
    let ids: Vec<i64> = match b.get("ids") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_i64().ok_or_else(|| ApiError::invalid("ids", poryadok_core::msg::Common::IdsOf { what: path.clone() })))
            .collect::<ApiResult<_>>()?,
        _ => return Err(ApiError::invalid("ids", poryadok_core::msg::Common::IdsOf { what: path.clone() })),
    };
    let change = match (b.get("update"), b.get("delete"), b.get("add_task")) {
        (Some(u @ Value::Object(_)), None, None) => BulkChange::Update(u.clone()),
        (None, Some(Value::Bool(true)), None) => BulkChange::Delete,
        (None, None, Some(t @ Value::Object(_))) if e == Entity::Deal => BulkChange::AddTask(t.clone()),
        _ => return Err(ApiError::invalid("update", poryadok_core::msg::Common::RequiredOr { alt: "delete: true, add_task".into() })),
    };
    let out = st.db.bulk(&actor, e, &ids, &change).await?;
    let refused: Vec<Value> = out.refused.into_iter().map(|(id, err)| json!({"id": id, "error": ApiError::from(err).body()})).collect();
    Ok(Json(json!({"data": {"done": out.done, "refused": refused}})))
}
