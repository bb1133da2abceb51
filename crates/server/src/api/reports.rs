//! The pipeline board and the funnel report.
use crate::api::extract::ApiPath;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::{RawQuery, State};
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
            let expected = known.iter().map(|k| k.to_string()).collect();
            return Err(ApiError::invalid(k.into_owned(), poryadok_core::msg::ApiMsg::UnknownParameter { expected }));
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

/// `GET /api/v1/reports/{name}`: a sales report (see [`crate::report::REPORTS`]) as JSON, CSV
/// or XLSX, over `from`..`to` (the current month by default) with `compare=previous`.
pub async fn report(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(name): ApiPath<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<axum::response::Response> {
    use crate::report::{self as r, Format};
    use axum::response::IntoResponse;
    let params = r::params(&st.db, &actor, &name, &r::pairs(q.as_deref())).await?;
    let t = crate::ui::i18n::T::new(actor.ws_lang());
    let format = params.format;
    let data = r::run(&st.db.reader(), &actor, params, &t).await?;
    let (json, table) = (data.json(), data.table(&t));
    let file = format!("{name}-{}", json["period"]["from"].as_str().unwrap_or(""));
    Ok(match format {
        Format::Json => Json(json!({"data": json})).into_response(),
        Format::Csv => crate::ui::kit::download(table.csv().into_bytes(), "text/csv; charset=utf-8", &format!("{file}.csv")),
        Format::Xlsx => {
            let bytes = table.xlsx().map_err(|e| ApiError::from(poryadok_store::StoreError::Internal(e.to_string())))?;
            crate::ui::kit::download(bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &format!("{file}.xlsx"))
        }
    })
}

/// `GET /api/v1/dashboard`: the head's dashboard (a manager's own, for a manager) over `from`..`to`
/// (the current month by default) and `pipeline_id`.
pub async fn dashboard(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Json<serde_json::Value>> {
    let t = crate::ui::i18n::T::new(actor.ws_lang());
    let d = crate::report::dashboard::dashboard(&st.db.reader(), &actor, &crate::report::pairs(q.as_deref()), &t).await?;
    Ok(Json(json!({"data": d.json()})))
}

/// `GET /api/v1/reports/review?month=YYYY-MM`: the monthly review of the department (the month
/// before the current one by default) as an XLSX workbook, over what the caller may see.
pub async fn review(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<axum::response::Response> {
    let pairs = crate::report::pairs(q.as_deref());
    if let Some((k, _)) = pairs.iter().find(|(k, _)| k != "month") {
        return Err(poryadok_store::StoreError::invalid(k, poryadok_core::msg::Common::OneOf { list: vec!["month".into()] }).into());
    }
    let month = pairs.iter().find(|(k, _)| k == "month").map(|(_, v)| v.as_str());
    let period = crate::report::review::review_month(&st.db, &actor, month)?;
    let t = crate::ui::i18n::T::new(actor.reader_lang());
    let bytes = crate::report::review::review_workbook(&st.db.reader(), &actor, &t, &period).await?;
    let file = format!("review-{}.xlsx", &period.from_date[..7]);
    Ok(crate::ui::kit::download(bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &file))
}

/// `GET /api/v1/me/report_subscriptions`: whether the caller gets the weekly summary and the
/// monthly review.
pub async fn subscriptions(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.report_subscriptions(&actor).await?})))
}

/// `PATCH /api/v1/me/report_subscriptions` `{"weekly": bool, "monthly_review": bool}` (either).
pub async fn set_subscriptions(State(st): State<AppState>, Auth(actor): Auth, body: axum::body::Bytes) -> ApiResult<Json<Value>> {
    let body = crate::api::json_body(&body)?;
    let obj = body.as_object().ok_or_else(|| poryadok_store::StoreError::invalid("body", poryadok_core::msg::Common::BodyNotObject {}))?;
    let keys = ["weekly", "monthly_review"];
    if let Some(k) = obj.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(poryadok_store::StoreError::invalid(
            k,
            poryadok_core::msg::Common::UnknownField { expected: keys.map(String::from).to_vec() },
        )
        .into());
    }
    let flag = |k: &str| -> Result<Option<bool>, poryadok_store::StoreError> {
        match obj.get(k) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(poryadok_store::StoreError::invalid(k, poryadok_core::msg::Common::NotBool {})),
        }
    };
    let s = st.db.set_report_subscriptions(&actor, flag("weekly")?, flag("monthly_review")?).await?;
    Ok(Json(json!({"data": s})))
}
