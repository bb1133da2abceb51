//! Invoices and payments: `/api/v1/invoices[/{id}[/payments]]`, `/api/v1/payments/{id}`, and the
//! import of an accounting export at `/api/v1/invoices/import`.
use super::json_body;
use crate::api::extract::{page_of, paginate, ApiPath, ApiQuery, Paging};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::msg::{words, Common};
use poryadok_store::invoices::InvoiceQuery;
use serde_json::{json, Value};

/// The largest accounting export one request takes.
pub const MAX_IMPORT_BYTES: usize = 20 * 1024 * 1024;

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(ApiError::not_found)
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// `GET /api/v1/invoices?status=&organization_id=&deal_id=&overdue=&limit=&cursor=`
pub async fn list(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let pairs = pairs(q.as_deref());
    let iq = InvoiceQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))?;
    let page = st.db.invoices(&actor, &iq).await?;
    let today = st.db.today(&actor);
    Ok(Json(json!({"data": page.data.iter().map(|i| i.to_json(&today)).collect::<Vec<_>>(), "next_cursor": page.next_cursor})))
}

pub async fn create(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Response> {
    let inv = st.db.create_invoice(&actor, &json_body(&body)?).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": inv.to_json(&st.db.today(&actor))}))).into_response())
}

pub async fn get(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    let inv = st.db.invoice(&actor, id_of(&id)?).await?;
    Ok(Json(json!({"data": inv.to_json(&st.db.today(&actor))})))
}

pub async fn update(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>, body: Bytes) -> ApiResult<Json<Value>> {
    let inv = st.db.update_invoice(&actor, id_of(&id)?, &json_body(&body)?).await?;
    Ok(Json(json!({"data": inv.to_json(&st.db.today(&actor))})))
}

pub async fn delete(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
    st.db.delete_invoice(&actor, id_of(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/invoices/{id}/payments`
pub async fn payments(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<Paging>,
) -> ApiResult<Json<Value>> {
    let all: Vec<Value> = st.db.payments(&actor, id_of(&id)?).await?.iter().map(|p| p.to_json()).collect();
    let (data, next) = paginate(all, &page, crate::api::extract::MAX_LIMIT)?;
    Ok(Json(page_of(data, next)))
}

/// `POST /api/v1/invoices/{id}/payments` with `{amount, paid_on, reference}`: the payment and the
/// invoice as it now stands.
pub async fn add_payment(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>, body: Bytes) -> ApiResult<Response> {
    let (p, inv) = st.db.add_payment(&actor, id_of(&id)?, &json_body(&body)?).await?;
    let today = st.db.today(&actor);
    Ok((StatusCode::CREATED, Json(json!({"data": p.to_json(), "invoice": inv.to_json(&today)}))).into_response())
}

/// `DELETE /api/v1/payments/{id}`: the invoice as it now stands.
pub async fn delete_payment(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    let inv = st.db.delete_payment(&actor, id_of(&id)?).await?;
    Ok(Json(json!({"data": inv.to_json(&st.db.today(&actor))})))
}

/// `POST /api/v1/invoices/import[?dry_run=true]` with the file as the body (`text/csv` or the
/// XLSX type): the report.
pub async fn import(
    State(st): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let mut dry_run = false;
    for (k, v) in pairs(q.as_deref()) {
        match (k.as_str(), v.as_str()) {
            ("dry_run", "true" | "1") => dry_run = true,
            ("dry_run", "false" | "0" | "") => dry_run = false,
            ("dry_run", _) => return Err(ApiError::invalid("dry_run", Common::NotBool {})),
            (other, _) => return Err(ApiError::invalid(other, Common::UnknownParameter { expected: words(["dry_run"]) })),
        }
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let report = st.db.import_invoices(&actor, &body, content_type, dry_run).await?;
    Ok(Json(json!({"data": report.to_json()})))
}
