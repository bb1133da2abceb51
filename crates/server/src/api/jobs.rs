//! The job queue for administrators: what ran, what waits, what failed and why; retry a failure.
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use poryadok_store::Actor;
use serde::Deserialize;
use serde_json::{json, Value};

fn admin(actor: &Actor) -> ApiResult<()> {
    if actor.caller.role.can_manage_settings() {
        Ok(())
    } else {
        Err(ApiError::forbidden("only administrators see the job queue"))
    }
}

#[derive(Deserialize)]
pub struct JobsQuery {
    status: Option<String>,
    limit: Option<u64>,
}

pub async fn list(State(st): State<AppState>, Auth(actor): Auth, Query(q): Query<JobsQuery>) -> ApiResult<Json<Value>> {
    admin(&actor)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    Ok(Json(json!({"data": st.db.list_jobs(actor.ws_id(), q.status.as_deref(), limit).await?})))
}

pub async fn retry(State(st): State<AppState>, Auth(actor): Auth, Path(id): Path<String>) -> ApiResult<StatusCode> {
    admin(&actor)?;
    let id = id.parse::<i64>().map_err(|_| ApiError::not_found())?;
    st.db.retry_job(actor.ws_id(), id).await?;
    st.wake_worker();
    Ok(StatusCode::NO_CONTENT)
}
