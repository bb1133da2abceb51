//! The job queue for administrators: what ran, what waits, what failed and why; retry a failure.
use crate::api::extract::{limit, offset, page_of, paginate, ApiPath, ApiQuery, Paging};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use poryadok_store::Actor;
use serde::Deserialize;
use serde_json::Value;

fn admin(actor: &Actor) -> ApiResult<()> {
    if actor.caller.role.can_manage_settings() {
        Ok(())
    } else {
        Err(ApiError::forbidden(poryadok_core::msg::ApiMsg::JobsAdminOnly {}))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobsQuery {
    status: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

pub async fn list(State(st): State<AppState>, Auth(actor): Auth, ApiQuery(q): ApiQuery<JobsQuery>) -> ApiResult<Json<Value>> {
    admin(&actor)?;
    // Newest first; the store reads as many as the page needs and the page is cut from them.
    let wanted = limit(q.limit.as_deref(), 100)?;
    let from = offset(q.cursor.as_deref())?;
    let all = st.db.list_jobs(actor.ws_id(), q.status.as_deref(), from + wanted + 1).await?;
    let paging = Paging { limit: Some(wanted.to_string()), cursor: q.cursor };
    let (data, next) = paginate(all, &paging, 100)?;
    Ok(Json(page_of(data, next)))
}

pub async fn retry(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
    admin(&actor)?;
    let id = id.parse::<i64>().map_err(|_| ApiError::not_found())?;
    st.db.retry_job(actor.ws_id(), id).await?;
    st.wake_worker();
    Ok(StatusCode::NO_CONTENT)
}
