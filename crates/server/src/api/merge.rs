//! Duplicates and merges: `GET /api/v1/duplicates` lists groups of persons or organizations that
//! look like one client; `POST /api/v1/{persons|organizations}/{id}/merge` merges another record
//! into this one.
use crate::api::extract::{limit, offset, page_of, paginate, ApiPath, ApiQuery, Paging};
use crate::api::json_body;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use poryadok_core::schema::Entity;
use poryadok_store::merge::MAX_DUPLICATE_GROUPS;
use serde_json::{json, Value};

/// Groups returned when the request names no limit.
const DEFAULT_GROUPS: u64 = 100;

fn invalid(field: &str, msg: impl Into<poryadok_core::Msg>) -> ApiError {
    ApiError::invalid(field, msg)
}

fn mergeable(path: &str) -> ApiResult<Entity> {
    Entity::from_path(path).filter(|e| matches!(e, Entity::Person | Entity::Organization)).ok_or_else(|| {
        invalid("entity", poryadok_core::msg::Common::OneOf { list: poryadok_core::msg::words(["persons", "organizations"]) })
    })
}

/// `GET /api/v1/duplicates?entity=persons|organizations&limit=N`
pub async fn duplicates(State(st): State<AppState>, Auth(actor): Auth, ApiQuery(q): ApiQuery<DuplicatesQuery>) -> ApiResult<Json<Value>> {
    let entity = match q.entity.as_deref() {
        None => Entity::Person,
        Some(e) => mergeable(e)?,
    };
    // The store finds the first groups up to a count; the page is cut from as many as it needs.
    let wanted = limit(q.limit.as_deref(), DEFAULT_GROUPS)?;
    let from = offset(q.cursor.as_deref())?;
    let all = st.db.find_duplicates(&actor, entity, (from + wanted + 1).min(MAX_DUPLICATE_GROUPS as u64) as usize).await?;
    let (data, next) = paginate(all, &Paging { limit: q.limit, cursor: q.cursor }, DEFAULT_GROUPS)?;
    Ok(Json(page_of(data, next)))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicatesQuery {
    entity: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `POST /api/v1/{persons|organizations}/{id}/merge` with `{"merge_id": other}`: `other` is merged
/// into `id` and deleted; answers with the kept record.
pub async fn merge(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((path, id)): ApiPath<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let entity = mergeable(&path)?;
    let keep = id.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(ApiError::not_found)?;
    let body = json_body(&body)?;
    let other = match body.get("merge_id") {
        None | Some(Value::Null) => return Err(invalid("merge_id", poryadok_core::msg::Common::Required {})),
        Some(v) => v
            .as_i64()
            .filter(|i| *i > 0)
            .ok_or_else(|| invalid("merge_id", poryadok_core::msg::Common::IdOf { what: entity.name().to_string() }))?,
    };
    let row = st.db.merge(&actor, entity, keep, other).await?;
    Ok(Json(json!({"data": row.to_json()})))
}
