//! Global search: `GET /api/v1/search?q=…&limit=…`, deals, persons and organizations the caller
//! may see, grouped (see `poryadok_store::search`).
use crate::api::extract::ApiQuery;
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::AppState;
use axum::extract::State;
use axum::Json;
use poryadok_store::search::SearchResults;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    limit: Option<u64>,
}

pub async fn search(State(st): State<AppState>, Auth(actor): Auth, ApiQuery(p): ApiQuery<SearchParams>) -> ApiResult<Json<SearchResults>> {
    Ok(Json(st.db.search(&actor, &p.q, p.limit).await?))
}
