//! Click-to-call: `POST /api/v1/{deals|persons|organizations}/{id}/call {phone?, source_id?}` and
//! the card's "Call" button ask the telephony provider's callback API to ring the user's
//! extension and then the client.
//!
//! The request is sent at once, with a short timeout ([`CALL_TIMEOUT`]), not queued as a job: a
//! call placed a minute late, after a retry, would ring a manager who has moved on, so the user
//! learns right away whether the provider took it ("Calling…") or why not (its HTTP answer, a
//! timeout, an unreachable address), and presses again if they still want to. Nothing is written
//! by the request itself: the call comes back through the source's webhook like any call and
//! lands on the card with its recording and duration.
use crate::api::extract::ApiPath;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use poryadok_core::msg::CallMsg;
use poryadok_core::schema::Entity;
use poryadok_core::template::{GatewayRequest, Method};
use poryadok_core::Msg;
use poryadok_store::{Actor, Db, StoreError};
use serde_json::{json, Value};
use std::sync::OnceLock;
use std::time::Duration;

/// How long the provider has to take a call request.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of a refusing answer is shown.
const ANSWER_SHOWN: usize = 300;

/// A call the provider took.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Placed {
    /// Always `calling`: the provider rings the extension, then the client.
    pub status: &'static str,
    pub phone: String,
    pub extension: String,
    pub source_id: i64,
    pub response_code: u16,
}

/// Why a call was not placed: refused before sending, or by the provider.
#[derive(Debug)]
pub enum CallError {
    Refused(StoreError),
    Provider(Msg),
}

impl From<StoreError> for CallError {
    fn from(e: StoreError) -> Self {
        CallError::Refused(e)
    }
}

impl From<CallError> for ApiError {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Refused(e) => e.into(),
            // The provider failed, not the request: 502 with the stable code.
            CallError::Provider(m) => ApiError::from_msg(StatusCode::BAD_GATEWAY, m.code(), m),
        }
    }
}

fn http() -> Result<&'static reqwest::Client, Msg> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .timeout(CALL_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("Poryadok/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|why| CallMsg::ProviderUnreachable { why: why.clone() }.into())
}

/// reqwest's outer error says only "error sending request"; the cause says why.
fn describe(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out = format!("{out}: {s}");
        source = s.source();
    }
    out.chars().take(1000).collect()
}

/// Sends the provider's request; its status code when it answered 2xx.
async fn send(r: GatewayRequest) -> Result<u16, Msg> {
    let client = http()?;
    let mut req = match r.method {
        Method::Get => client.get(&r.url),
        Method::Post => client.post(&r.url),
    };
    for (name, value) in r.headers {
        req = req.header(name, value);
    }
    if let Some(ct) = r.content_type {
        req = req.header(reqwest::header::CONTENT_TYPE, ct);
    }
    if let Some(b) = r.body {
        req = req.body(b);
    }
    match req.send().await {
        Ok(resp) if resp.status().is_success() => Ok(resp.status().as_u16()),
        Ok(resp) => {
            let code = resp.status().as_u16();
            let answer: String = resp.text().await.unwrap_or_default().trim().chars().take(ANSWER_SHOWN).collect();
            Err(CallMsg::ProviderAnswered { code: code.into(), answer }.into())
        }
        Err(e) if e.is_timeout() => Err(CallMsg::ProviderTimeout { seconds: CALL_TIMEOUT.as_secs() as i64 }.into()),
        Err(e) => Err(CallMsg::ProviderUnreachable { why: describe(&e) }.into()),
    }
}

/// Checks and places a call from a card (the API's and the UI's one way).
pub async fn place_call(db: &Db, actor: &Actor, entity: Entity, id: i64, body: &Value) -> Result<Placed, CallError> {
    let plan = db.plan_call(actor, entity, id, body).await?;
    let code = send(plan.request).await.map_err(CallError::Provider)?;
    tracing::info!(ws = actor.ws_id(), user = actor.caller.user_id, source = plan.source_id, "click-to-call placed");
    Ok(Placed { status: "calling", phone: plan.client_phone, extension: plan.extension, source_id: plan.source_id, response_code: code })
}

/// The card a collection's path names.
pub fn card_entity(collection: &str) -> Option<Entity> {
    match collection {
        "deals" => Some(Entity::Deal),
        "persons" => Some(Entity::Person),
        "organizations" => Some(Entity::Organization),
        _ => None,
    }
}

/// `POST /api/v1/{deals|persons|organizations}/{id}/call {phone?, source_id?}`: 200 with the
/// placed call (`status: calling`); 422 when it cannot be placed (`no_phone_on_card`,
/// `phone_not_on_card`, `no_callback_set`, `no_extension`); 502 when the provider failed.
pub async fn call_api(st: AppState, actor: Actor, entity: Entity, id: String, body: Bytes) -> ApiResult<Json<Value>> {
    let id = id.parse::<i64>().map_err(|_| ApiError::not_found())?;
    let body = if body.iter().all(u8::is_ascii_whitespace) { json!({}) } else { crate::api::json_body(&body)? };
    let placed = place_call(&st.db, &actor, entity, id, &body).await?;
    Ok(Json(json!({"data": placed})))
}

/// The call routes of the three cards.
pub fn api_routes() -> axum::Router<AppState> {
    let mut r = axum::Router::new();
    for entity in [Entity::Deal, Entity::Person, Entity::Organization] {
        r = r.route(
            &format!("/api/v1/{}/{{id}}/call", entity.path()),
            axum::routing::post(move |State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>, body: Bytes| {
                call_api(st, actor, entity, id, body)
            }),
        );
    }
    r
}
