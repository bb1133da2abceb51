//! API tokens: the caller's own (list, create, revoke) and, for an administrator, anyone's in the
//! workspace. A token's secret is in the answer that creates it and nowhere else; lists show the
//! name, when it was made and last used, and when it expires.
use crate::api::extract::{page_of, paginate, ApiPath, ApiQuery, Paging};
use crate::api::json_body;
use crate::api::reports::int_param;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_store::auth::TokenOwner;
use serde::Deserialize;
use serde_json::{json, Value};

fn invalid(field: &str, msg: impl Into<poryadok_core::Msg>) -> ApiError {
    ApiError::invalid(field, msg)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    user_id: Option<String>,
    all: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /api/v1/tokens`: the caller's tokens; `?user_id=N` one user's, `?all=true` the whole
/// workspace's (administrators only, 403 otherwise).
pub async fn list(State(st): State<AppState>, Auth(actor): Auth, ApiQuery(q): ApiQuery<ListParams>) -> ApiResult<Json<Value>> {
    let user_id = int_param(
        q.user_id.as_deref().map(|u| format!("user_id={}", form_urlencoded::byte_serialize(u.as_bytes()).collect::<String>())).as_deref(),
        "user_id",
    )?;
    let owner = match (q.all.as_deref(), user_id) {
        (Some("true" | "1"), None) => TokenOwner::Workspace,
        (None | Some("false" | "0"), None) => TokenOwner::Me,
        (None | Some("false" | "0"), Some(u)) => TokenOwner::User(u),
        (Some("true" | "1"), Some(_)) => {
            return Err(invalid("all", poryadok_core::msg::Common::EitherNotBoth { a: "all".into(), b: "user_id".into() }))
        }
        (Some(_), _) => return Err(invalid("all", poryadok_core::msg::Common::NotBool {})),
    };
    let tokens = st.db.list_tokens(&actor, owner).await?;
    let now = st.db.clock.now_ms();
    let paging = Paging { limit: q.limit, cursor: q.cursor };
    let (data, next) = paginate(tokens.iter().map(|t| t.to_json(now)).collect::<Vec<_>>(), &paging, crate::api::extract::MAX_LIMIT)?;
    Ok(Json(page_of(data, next)))
}

/// `POST /api/v1/tokens {name?, expires_in_days?}`: a token for the caller; the secret is in
/// this response only.
pub async fn create(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Response> {
    let v = if body.is_empty() { json!({}) } else { json_body(&body)? };
    if !v.is_object() {
        return Err(ApiError::bad_body(poryadok_core::msg::Common::BodyNotObject {}));
    }
    let name = match v.get("name") {
        None | Some(Value::Null) => "api".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(invalid("name", poryadok_core::msg::Common::Length { min: 1, max: 100 })),
    };
    let days = match v.get("expires_in_days") {
        None | Some(Value::Null) => None,
        Some(d) => Some(d.as_i64().ok_or_else(|| invalid("expires_in_days", poryadok_core::msg::Common::WholeDays {}))?),
    };
    let made = st.db.new_token(actor.ws_id(), actor.user_id(), &name, days).await?;
    let mut data = made.token.to_json(st.db.clock.now_ms());
    data["user_name"] = json!(actor.user_name);
    data["token"] = json!(made.secret);
    Ok((StatusCode::CREATED, Json(json!({"data": data}))).into_response())
}

/// `DELETE /api/v1/tokens/{id}`: revokes a token of the caller's (an administrator: of anyone in
/// the workspace); anyone else's is 404, like a missing one.
pub async fn revoke(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
    let id = id.parse::<i64>().map_err(|_| ApiError::not_found())?;
    st.db.revoke_token(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
