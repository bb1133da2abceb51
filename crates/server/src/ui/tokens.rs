//! The signed-in user's API tokens, under their profile: list, create (the secret is shown once,
//! on the page that answers the creation) and revoke with a confirmation. An administrator sees
//! and may revoke everyone's tokens in the workspace. Reads and writes go through the same store
//! calls as `/api/v1/tokens`. The same page holds the user's calendar feed address (made, shown
//! once, renewed or closed like a token; see [`crate::calendar_feed`]).
use super::i18n::T;
use super::{render_status, store_error, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_store::auth::{ApiToken, TokenOwner};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/profile/tokens", get(page).post(create))
        .route("/profile/tokens/{id}/revoke", post(revoke))
        .route("/profile/calendar", post(calendar_create))
        .route("/profile/calendar/revoke", post(calendar_revoke))
        .route("/profile/timezone", post(timezone_save))
}

/// Zones offered in the profile's time zone field (any IANA name or `UTC±HH:MM` is taken).
const ZONES: &[&str] = &[
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
    "Europe/Minsk",
    "Asia/Almaty",
    "Asia/Tashkent",
    "Europe/Berlin",
    "UTC",
];

/// The profile's time zone block: what was typed, and the outcome of saving it.
#[derive(Default)]
pub struct TzState {
    pub saved: bool,
    pub error: Option<String>,
    pub typed: Option<String>,
}

pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub owner: String,
    pub created: String,
    pub last_used: String,
    pub expires: String,
    pub expired: bool,
}

/// The secret of the token just made, shown on this answer only.
pub struct Created {
    pub name: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    ctx: super::Ctx,
    t: T,
    csrf: String,
    tokens: Vec<TokenView>,
    /// An administrator's list shows whose each token is.
    all: bool,
    created: Option<Created>,
    error: Option<String>,
    name: String,
    days: String,
    /// The calendar feed: whether there is one, and the line that says since when.
    feed_active: bool,
    feed_line: String,
    /// The address just made, shown on this answer only.
    feed_url: Option<String>,
    /// The caller's own time zone (empty: the workspace's), the workspace's, the offered zones,
    /// and the local time now in the zone the caller reads.
    own_tz: String,
    ws_tz: String,
    zones: &'static [&'static str],
    tz_now: String,
    tz: TzState,
}

fn view(ui: &Ui, tok: &ApiToken, now: i64) -> TokenView {
    let f = ui.fmt();
    TokenView {
        id: tok.id,
        name: tok.name.clone(),
        owner: tok.user_name.clone(),
        created: f.datetime(tok.created_at),
        last_used: tok.last_used_at.map_or_else(|| ui.t.t("tokens.never").to_string(), |ms| f.datetime(ms)),
        expires: tok.expires_at.map_or_else(|| ui.t.t("tokens.no_expiry").to_string(), |ms| f.datetime(ms)),
        expired: tok.expired(now),
    }
}

#[expect(clippy::too_many_arguments, reason = "the page's parts, each answered by a different form on it")]
async fn respond(
    st: &AppState,
    ui: &Ui,
    status: StatusCode,
    created: Option<Created>,
    error: Option<String>,
    form: (String, String),
    feed_url: Option<String>,
    tz: TzState,
) -> Response {
    let all = ui.is_admin();
    let owner = if all { TokenOwner::Workspace } else { TokenOwner::Me };
    let tokens = match st.db.list_tokens(&ui.actor, owner).await {
        Ok(t) => t,
        Err(e) => return store_error(ui, e),
    };
    let now = st.db.clock.now_ms();
    let feed = match st.db.calendar_feed_status(&ui.actor).await {
        Ok(f) => f,
        Err(e) => return store_error(ui, e),
    };
    let f = ui.fmt();
    let feed_line = match feed.created_at {
        Some(created) => {
            let used = feed.last_used_at.map_or_else(|| ui.t.t("tokens.never").to_string(), |ms| f.datetime(ms));
            ui.t.fmt("calendar.active", &[("created", f.datetime(created).as_str()), ("used", used.as_str())])
        }
        None => ui.t.t("calendar.none").to_string(),
    };
    let page = TokensPage {
        ctx: ui.ctx("tokens", ui.t.t("tokens.title")),
        t: ui.t,
        csrf: ui.csrf.clone(),
        tokens: tokens.iter().map(|tok| view(ui, tok, now)).collect(),
        all,
        created,
        error,
        name: form.0,
        days: form.1,
        feed_active: feed.active,
        feed_line,
        feed_url,
        own_tz: tz.typed.clone().unwrap_or_else(|| ui.actor.user_timezone.clone().unwrap_or_default()),
        ws_tz: ui.actor.ws.timezone.clone(),
        zones: ZONES,
        tz_now: ui.t.fmt("own_tz.now", &[("zone", ui.actor.reader_tz()), ("time", f.datetime(now).as_str())]),
        tz,
    };
    let mut resp = render_status(status, &page);
    // The page may carry a secret: no cache keeps it.
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn page(State(st): State<AppState>, ui: Ui, Query(q): Query<std::collections::HashMap<String, String>>) -> Response {
    let tz = TzState { saved: q.contains_key("tz_saved"), ..TzState::default() };
    respond(&st, &ui, StatusCode::OK, None, None, (String::new(), String::new()), None, tz).await
}

#[derive(Deserialize)]
struct TzForm {
    #[serde(default)]
    timezone: String,
}

/// Saves the caller's own time zone (empty: the workspace's), then shows the profile again.
async fn timezone_save(State(st): State<AppState>, ui: Ui, Form(form): Form<TzForm>) -> Response {
    let typed = form.timezone.trim().to_string();
    match st.db.set_own_timezone(&ui.actor, Some(typed.as_str()).filter(|t| !t.is_empty())).await {
        Ok(()) => super::kit::go_to(&ui, "/profile/tokens?tz_saved=1#own-timezone"),
        Err(e) => match super::field_error(&ui.t, &e) {
            Some((_, message)) => {
                let tz = TzState { saved: false, error: Some(format!("{}: {message}", ui.t.t("own_tz.label"))), typed: Some(typed) };
                respond(&st, &ui, StatusCode::UNPROCESSABLE_ENTITY, None, None, (String::new(), String::new()), None, tz).await
            }
            None => store_error(&ui, e),
        },
    }
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    expires_days: String,
}

async fn create(State(st): State<AppState>, ui: Ui, Form(form): Form<CreateForm>) -> Response {
    let typed = (form.name.clone(), form.expires_days.clone());
    let days = match form.expires_days.trim() {
        "" => None,
        d => match d.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let msg = format!(
                    "{}: {}",
                    ui.t.t("tokens.expires_days"),
                    super::messages::say(&ui.t, &poryadok_core::msg::Common::NotInteger {}.into())
                );
                return respond(&st, &ui, StatusCode::UNPROCESSABLE_ENTITY, None, Some(msg), typed, None, TzState::default()).await;
            }
        },
    };
    let name = if form.name.trim().is_empty() { "api" } else { form.name.as_str() };
    match st.db.new_token(ui.actor.ws_id(), ui.actor.user_id(), name, days).await {
        Ok(made) => {
            let created = Created { name: made.token.name, secret: made.secret };
            respond(&st, &ui, StatusCode::CREATED, Some(created), None, (String::new(), String::new()), None, TzState::default()).await
        }
        Err(e) => match super::field_error(&ui.t, &e) {
            Some((field, message)) => {
                let label = if field == "name" { ui.t.t("tokens.name") } else { ui.t.t("tokens.expires_days") };
                let msg = format!("{label}: {message}");
                respond(&st, &ui, StatusCode::UNPROCESSABLE_ENTITY, None, Some(msg), typed, None, TzState::default()).await
            }
            None => store_error(&ui, e),
        },
    }
}

async fn revoke(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Err(e) = st.db.revoke_token(&ui.actor, id).await {
        return store_error(&ui, e);
    }
    let mut resp = if ui.htmx { StatusCode::NO_CONTENT.into_response() } else { StatusCode::SEE_OTHER.into_response() };
    let to = HeaderValue::from_static("/profile/tokens");
    resp.headers_mut().insert(if ui.htmx { "hx-redirect" } else { "location" }, to);
    resp
}

async fn calendar_create(State(st): State<AppState>, ui: Ui, headers: HeaderMap) -> Response {
    match st.db.new_calendar_feed(&ui.actor).await {
        Ok(made) => {
            let url = crate::calendar_feed::feed_url(&crate::forms::base_url(&st, &headers), &made.secret);
            respond(&st, &ui, StatusCode::CREATED, None, None, (String::new(), String::new()), Some(url), TzState::default()).await
        }
        Err(e) => store_error(&ui, e),
    }
}

async fn calendar_revoke(State(st): State<AppState>, ui: Ui) -> Response {
    if let Err(e) = st.db.revoke_calendar_feed(&ui.actor).await {
        return store_error(&ui, e);
    }
    super::kit::go_to(&ui, &super::kit::saved_at("/profile/tokens", "/profile/tokens"))
}
