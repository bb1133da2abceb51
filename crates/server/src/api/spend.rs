//! Marketing spend: `/api/v1/marketing/spend[/{id}]`, its totals, the import of an ad cabinet's
//! export at `/api/v1/marketing/spend/import`, and the channel aliases at
//! `/api/v1/marketing/aliases[/{id}]`.
use super::json_body;
use crate::api::extract::ApiPath;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::msg::{words, Common};
use poryadok_store::marketing::import::ImportOptions;
use poryadok_store::marketing::{ChannelAlias, Spend, SpendGroup, SpendQuery};
use serde_json::{json, Value};

/// The largest file one import takes.
pub const MAX_IMPORT_BYTES: usize = 10 * 1024 * 1024;

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(ApiError::not_found)
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// `GET /api/v1/marketing/spend?from=&to=&channel=&medium=&campaign=&term=&limit=&cursor=`: rows,
/// the latest day first, and the totals of every row matching (not only the page's).
pub async fn list(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let pairs = pairs(q.as_deref());
    let sq = SpendQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), &[])?;
    let page = st.db.spend(&actor, &sq).await?;
    let totals = st.db.spend_totals(&actor, &sq, SpendGroup::All).await?;
    let total = totals.first().map(|t| t.to_json(SpendGroup::All)).unwrap_or_else(|| json!({}));
    Ok(Json(json!({"data": page.data.iter().map(Spend::to_json).collect::<Vec<_>>(), "next_cursor": page.next_cursor, "totals": total})))
}

/// `GET /api/v1/marketing/spend/totals?group_by=channel|campaign|term|day|all&from=&to=&…`
pub async fn totals(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let pairs = pairs(q.as_deref());
    let mut group = SpendGroup::Channel;
    for (k, v) in &pairs {
        if k == "group_by" && !v.is_empty() {
            group = SpendGroup::parse(v)
                .ok_or_else(|| ApiError::invalid("group_by", Common::OneOf { list: words(SpendGroup::ALL.map(SpendGroup::as_str)) }))?;
        }
        if k == "limit" || k == "cursor" {
            return Err(ApiError::invalid(
                k.as_str(),
                Common::UnknownParameter { expected: words(["group_by", "from", "to", "channel", "medium", "campaign", "term"]) },
            ));
        }
    }
    let sq = SpendQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), &["group_by"])?;
    let rows = st.db.spend_totals(&actor, &sq, group).await?;
    Ok(Json(json!({"data": rows.iter().map(|r| r.to_json(group)).collect::<Vec<_>>(), "group_by": group.as_str()})))
}

/// `POST /api/v1/marketing/spend` with one day's row or a period's total (spread over its days):
/// 201 when a row was created, 200 when every row was already stored (its figures replaced).
pub async fn create(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Response> {
    let w = st.db.save_spend(&actor, &json_body(&body)?).await?;
    let status = if w.created > 0 { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(w.to_json())).into_response())
}

/// `DELETE /api/v1/marketing/spend?from=&to=&channel=&…`: every row matching (a period is
/// required); `{"deleted": n}`.
pub async fn delete_matching(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    let pairs = pairs(q.as_deref());
    let sq = SpendQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())), &[])?;
    if sq.limit.is_some() || sq.cursor.is_some() {
        let expected = words(["from", "to", "channel", "medium", "campaign", "term"]);
        return Err(ApiError::invalid(if sq.limit.is_some() { "limit" } else { "cursor" }, Common::UnknownParameter { expected }));
    }
    Ok(Json(json!({"deleted": st.db.delete_spend_matching(&actor, &sq).await?})))
}

pub async fn get(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.spend_row(&actor, id_of(&id)?).await?.to_json()})))
}

pub async fn delete(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
    st.db.delete_spend(&actor, id_of(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/marketing/spend/import[?dry_run=true][&channel=yandex][&medium=cpc][&sheet=2][&map.amount=Стоимость]`
/// with the file as the body (`text/csv` or the XLSX type), or as the `file` part of a
/// multipart form whose other parts may carry the same options. The report; a file with bad
/// rows writes nothing and is answered 422 with every bad row (line, column, code).
pub async fn import(
    State(st): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> ApiResult<Response> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mut options = pairs(q.as_deref());
    let (file, file_type): (Vec<u8>, Option<&str>) = if content_type.starts_with("multipart/form-data") {
        let parts = crate::ui::invoices::multipart_parts(content_type, &body)
            .ok_or_else(|| ApiError::invalid("file", poryadok_core::msg::InvoiceMsg::FileEmpty {}))?;
        let mut file = Vec::new();
        for (name, data) in parts {
            if name == "file" {
                file = data;
            } else if name != "csrf_token" {
                options.push((name, String::from_utf8_lossy(&data).into_owned()));
            }
        }
        (file, None)
    } else {
        (body.to_vec(), Some(content_type))
    };
    let opts = ImportOptions::from_pairs(options.iter().map(|(k, v)| (k.as_str(), v.as_str())), &[])?;
    let report = st.db.import_spend(&actor, &file, file_type, &opts, &mut |_, _| {}).await?;
    if let (false, Some(refusal)) = (opts.dry_run, report.refusal()) {
        let mut err = ApiError::from(refusal).body();
        err["rows"] = json!(report.errors.iter().map(|e| e.to_json()).collect::<Vec<_>>());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": err, "data": report.to_json()}))).into_response());
    }
    Ok(Json(json!({"data": report.to_json()})).into_response())
}

/// `GET /api/v1/marketing/aliases`
pub async fn aliases(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    let list = st.db.channel_aliases(&actor).await?;
    Ok(Json(json!({"data": list.iter().map(ChannelAlias::to_json).collect::<Vec<_>>()})))
}

/// `POST` or `PUT /api/v1/marketing/aliases` with `{alias, channel}`: 201 for a new alias, 200
/// for one pointed at another channel (or already there).
pub async fn put_alias(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Response> {
    let (a, created) = st.db.put_channel_alias(&actor, &json_body(&body)?).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(json!({"data": a.to_json()}))).into_response())
}

pub async fn delete_alias(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
    st.db.delete_channel_alias(&actor, id_of(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/marketing/aliases/defaults`: adds back the built-in aliases the workspace lacks.
pub async fn restore_aliases(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    let added = st.db.restore_default_aliases(&actor).await?;
    let list = st.db.channel_aliases(&actor).await?;
    Ok(Json(json!({"added": added, "data": list.iter().map(ChannelAlias::to_json).collect::<Vec<_>>()})))
}
