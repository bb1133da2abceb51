//! Channels for administrators: message templates (with a preview and the standard set), the
//! SMS gateway with a test send, the outbox of messages to clients (queue, list, retry), and
//! outbound webhooks with their delivery log and redelivery.
use super::json_body;
use crate::api::extract::{id_cursor, limit, page_of, paginate, ApiPath, ApiQuery, Paging};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use poryadok_core::template::PLACEHOLDERS;
use poryadok_store::channels::{render_template, MessageQuery};
use serde::Deserialize;
use serde_json::{json, Map, Value};

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().map_err(|_| ApiError::not_found())
}

fn placeholders() -> Value {
    Value::Array(PLACEHOLDERS.iter().map(|(name, about)| json!({"name": name, "description": about})).collect())
}

pub async fn list_templates(State(st): State<AppState>, Auth(actor): Auth, ApiQuery(p): ApiQuery<Paging>) -> ApiResult<Json<Value>> {
    let all = st.db.templates(&actor).await?;
    let (data, next) = paginate(all, &p, crate::api::extract::MAX_LIMIT)?;
    Ok(Json(json!({"data": data, "next_cursor": next, "placeholders": placeholders()})))
}

pub async fn create_template(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<(StatusCode, Json<Value>)> {
    let t = st.db.create_template(&actor, &json_body(&body)?).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": t}))))
}

pub async fn get_template(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.template(&actor, id_of(&id)?).await?})))
}

pub async fn update_template(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.update_template(&actor, id_of(&id)?, &json_body(&body)?).await?})))
}

pub async fn delete_template(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
    st.db.delete_template(&actor, id_of(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `{channel, subject, body, vars}` filled, or the 422 a save would give.
pub async fn preview_template(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Json<Value>> {
    // Previews are part of editing templates: the same people.
    st.db.templates(&actor).await?;
    let v = json_body(&body)?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
    let vars: Map<String, Value> = v.get("vars").and_then(Value::as_object).cloned().unwrap_or_default();
    let subject = v.get("subject").and_then(Value::as_str);
    let (subject, filled) = render_template(text("channel"), subject, text("body"), &vars)?;
    Ok(Json(json!({"data": {"subject": subject, "body": filled}})))
}

/// Adds the standard templates the workspace lacks.
pub async fn default_templates(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    let added = st.db.add_default_templates(&actor).await?;
    let data = st.db.templates(&actor).await?;
    Ok(Json(json!({"data": data, "added": added})))
}

pub async fn get_sms_gateway(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.sms_gateway(&actor).await?})))
}

pub async fn put_sms_gateway(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.set_sms_gateway(&actor, &json_body(&body)?).await?})))
}

/// `{to, text}`: sends at once through the gateway and answers what the gateway said.
pub async fn test_sms(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Json<Value>> {
    let v = json_body(&body)?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    Ok(Json(json!({"data": crate::channels::test_sms(&st.db, &actor, &text("to"), &text("text")).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessagesQuery {
    status: Option<String>,
    channel: Option<String>,
    entity: Option<String>,
    record_id: Option<i64>,
    limit: Option<String>,
    before_id: Option<i64>,
    cursor: Option<String>,
}

pub async fn messages(State(st): State<AppState>, Auth(actor): Auth, ApiQuery(q): ApiQuery<MessagesQuery>) -> ApiResult<Json<Value>> {
    let limit = limit(q.limit.as_deref(), 100)?;
    let before_id = id_cursor(q.cursor.as_deref())?.or(q.before_id);
    let filter = MessageQuery {
        status: q.status.filter(|s| !s.is_empty()),
        channel: q.channel.filter(|s| !s.is_empty()),
        entity: q.entity.filter(|s| !s.is_empty()),
        record_id: q.record_id,
        limit,
        before_id,
    };
    let rows = st.db.outbound_messages(&actor, &filter).await?;
    let next = (rows.len() as u64 == limit).then(|| rows.last().map(|m| m.id)).flatten();
    Ok(Json(
        json!({"data": rows, "next_cursor": next.map(|i| i.to_string()), "next_before_id": next, "counts": st.db.message_counts(&actor).await?}),
    ))
}

/// Queues a message from a template; a dedupe key already used answers 200 with the earlier message.
pub async fn queue_message(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<(StatusCode, Json<Value>)> {
    let (m, duplicate) = st.db.queue_message_as(&actor, &json_body(&body)?).await?;
    if duplicate {
        return Ok((StatusCode::OK, Json(json!({"data": m, "duplicate": true}))));
    }
    st.wake_worker();
    Ok((StatusCode::ACCEPTED, Json(json!({"data": m}))))
}

pub async fn message(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.outbound_message(&actor, id_of(&id)?).await?})))
}

pub async fn retry_message(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    let m = st.db.retry_message(&actor, id_of(&id)?).await?;
    st.wake_worker();
    Ok(Json(json!({"data": m})))
}

pub async fn list_webhooks(State(st): State<AppState>, Auth(actor): Auth, ApiQuery(p): ApiQuery<Paging>) -> ApiResult<Json<Value>> {
    let all = st.db.webhooks(&actor).await?;
    let (data, next) = paginate(all, &p, crate::api::extract::MAX_LIMIT)?;
    Ok(Json(page_of(data, next)))
}

pub async fn create_webhook(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<(StatusCode, Json<Value>)> {
    let w = st.db.create_webhook(&actor, &json_body(&body)?).await?;
    Ok((StatusCode::CREATED, Json(json!({"data": w.with_secret()}))))
}

pub async fn get_webhook(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.webhook(&actor, id_of(&id)?).await?})))
}

pub async fn update_webhook(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.update_webhook(&actor, id_of(&id)?, &json_body(&body)?).await?})))
}

pub async fn delete_webhook(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<StatusCode> {
    st.db.delete_webhook(&actor, id_of(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveriesQuery {
    status: Option<String>,
    limit: Option<String>,
    before_id: Option<i64>,
    cursor: Option<String>,
}

pub async fn deliveries(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> ApiResult<Json<Value>> {
    let limit = limit(q.limit.as_deref(), 100)?;
    let before_id = id_cursor(q.cursor.as_deref())?.or(q.before_id);
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let data = st.db.deliveries(&actor, id_of(&id)?, status, limit, before_id).await?;
    let next = (data.len() as u64 == limit).then(|| data.last().map(|d| d.id)).flatten();
    Ok(Json(json!({"data": data, "next_cursor": next.map(|i| i.to_string()), "next_before_id": next})))
}

pub async fn delivery(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.delivery(&actor, id_of(&id)?).await?})))
}

pub async fn redeliver(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let d = st.db.redeliver(&actor, id_of(&id)?).await?;
    st.wake_worker();
    Ok((StatusCode::ACCEPTED, Json(json!({"data": d}))))
}

fn card_entity(collection: &str) -> ApiResult<poryadok_core::schema::Entity> {
    match collection {
        "deals" => Ok(poryadok_core::schema::Entity::Deal),
        "persons" => Ok(poryadok_core::schema::Entity::Person),
        _ => Err(ApiError::not_found()),
    }
}

/// `POST /api/v1/{deals|persons}/{id}/messages {channel, text?, subject?, template_id?}`: writes
/// to the card's client; 202 with the message, `queued` until the channel takes it.
pub async fn reply(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((collection, id)): ApiPath<(String, String)>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let m = st.db.send_reply(&actor, card_entity(&collection)?, id_of(&id)?, &json_body(&body)?).await?;
    st.wake_worker();
    Ok((StatusCode::ACCEPTED, Json(json!({"data": m}))))
}

/// `GET /api/v1/{deals|persons}/{id}/reply_channels`: where the card's client can be written to,
/// channel by channel (`to`, or `error` saying why not), and the templates a reply may use.
pub async fn reply_channels(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath((collection, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let options = st.db.reply_options(&actor, card_entity(&collection)?, id_of(&id)?).await?;
    let channels: Vec<Value> = options
        .channels
        .iter()
        .map(|c| {
            json!({"channel": c.channel, "to": c.to, "error": c.unavailable.as_ref().map(|m| m.english()),
                        "error_code": c.unavailable.as_ref().map(|m| m.code())})
        })
        .collect();
    let templates = st.db.reply_templates(&actor).await?;
    Ok(Json(json!({"data": {"person_id": options.person_id, "subject": options.subject, "channels": channels, "templates": templates}})))
}

/// `GET /api/v1/whatsapp_gateway`: the WhatsApp provider's HTTP API as set (header values masked).
pub async fn get_whatsapp_gateway(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.gateway(&actor, poryadok_store::channels::Gateway::WhatsApp).await?})))
}

/// `PUT /api/v1/whatsapp_gateway`: sets it like the SMS gateway (`{to}` and `{text}` in the URL or
/// the body); `null` removes it.
pub async fn put_whatsapp_gateway(State(st): State<AppState>, Auth(actor): Auth, body: Bytes) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": st.db.set_gateway(&actor, poryadok_store::channels::Gateway::WhatsApp, &json_body(&body)?).await?})))
}
