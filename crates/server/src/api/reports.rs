//! The pipeline board and the funnel report.
use crate::api::extract::ApiPath;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::Json;
use poryadok_core::schema::Entity;
use poryadok_store::reports::{BoardOptions, BOARD_CARDS_PER_STAGE};
use serde_json::{json, Value};

pub(crate) fn int_param(raw: Option<&str>, name: &str) -> ApiResult<Option<i64>> {
    let Some(v) = form_urlencoded::parse(raw.unwrap_or("").as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned()) else {
        return Ok(None);
    };
    v.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .map(Some)
        .ok_or_else(|| ApiError::invalid(name, poryadok_core::msg::Common::PositiveInteger {}))
}

/// Checks the query string against the parameters an endpoint takes, naming an unknown one.
fn only(raw: Option<&str>, known: &[&str]) -> ApiResult<()> {
    for (k, _) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if !known.contains(&k.as_ref()) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                format!("unknown parameter; expected one of: {}", known.join(", ")),
            )
            .with_field(k.into_owned()));
        }
    }
    Ok(())
}

pub async fn board(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<Value>> {
    only(q.as_deref(), &["cards", "filter", "owner_id"])?;
    let id = id.parse::<i64>().map_err(|_| ApiError::not_found())?;
    let mut opts = BoardOptions {
        cards_per_stage: int_param(q.as_deref(), "cards")?.map_or(BOARD_CARDS_PER_STAGE, |n| n.min(200) as u64),
        ..BoardOptions::default()
    };
    let params = || form_urlencoded::parse(q.as_deref().unwrap_or("").as_bytes());
    if let Some((_, f)) = params().find(|(k, _)| k == "filter") {
        opts.filter = Some(st.db.check_filter(&actor, Entity::Deal, &f, "filter").await?);
    }
    opts.owner = int_param(q.as_deref(), "owner_id")?;
    Ok(Json(json!({"data": st.db.board(&actor, id, &opts).await?})))
}

pub async fn funnel(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    only(q.as_deref(), &["pipeline_id"])?;
    let pipeline = match int_param(q.as_deref(), "pipeline_id")? {
        Some(p) => p,
        None => st.db.largest_pipeline(&actor).await?,
    };
    Ok(Json(json!({"data": {"pipeline_id": pipeline, "rows": st.db.funnel(&actor, pipeline).await?}})))
}
