//! The web UI: server-rendered pages (askama) that htmx updates in place.
//!
//! Every page is a full document for a normal request and a fragment for an htmx request
//! (`HX-Request`), rendered from the same template pieces. Pages read and write through the same
//! store calls as the JSON API, with the signed-in user as the actor, so access rules are the
//! API's. Every request that changes something carries the session's CSRF token, either in the
//! `X-CSRF-Token` header (htmx and scripts; the layout sets it for all htmx requests) or in a
//! `csrf_token` form field; [`session_layer`] checks it before any handler runs.
//!
//! This module owns routing, the session and CSRF gate, the page context and error pages; each
//! view lives in its own module.
pub mod assets;
pub mod assistants;
pub mod audit;
pub mod backup;
pub mod board;
pub mod bonus;
pub mod call;
pub mod card;
pub mod channels;
pub mod client_notify;
pub mod dashboard;
pub mod doc_settings;
pub mod documents;
pub mod duplicates;
pub mod files;
pub mod filter_fields;
pub mod format;
pub mod i18n;
pub mod imports;
pub mod intake;
pub mod invoices;
pub mod kb;
pub mod kit;
pub mod line_items;
pub mod list_tools;
pub mod lists;
pub mod live;
pub mod login;
pub mod messages;
pub mod notifications;
pub mod plans;
pub mod products;
pub mod quiz;
pub mod regulation_doc;
pub mod regulation_file;
pub mod reports;
pub mod requisites;
pub mod reviews;
pub mod search;
pub mod settings;
pub mod spend;
pub mod team;
pub mod today;
pub mod tokens;

use crate::auth::{constant_time_eq, cookie, CSRF_HEADER, SESSION_COOKIE};
use crate::AppState;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use i18n::{Lang, T};
use poryadok_core::domain::Role;
use poryadok_store::Actor;

/// Form bodies the CSRF gate reads; anything larger is refused before a handler sees it.
const MAX_FORM_BYTES: usize = 256 * 1024;

pub fn routes(state: AppState) -> Router<AppState> {
    let signed_in = Router::new()
        .route("/", get(start_page))
        .merge(login::signed_in_routes())
        .merge(board::routes())
        .merge(card::routes())
        .merge(call::routes())
        .merge(lists::routes())
        .merge(list_tools::routes())
        .merge(live::routes())
        .merge(today::routes())
        .merge(settings::routes())
        .merge(backup::routes())
        .merge(notifications::routes())
        .merge(audit::routes())
        .merge(duplicates::routes())
        .merge(intake::routes())
        .merge(channels::routes())
        .merge(invoices::routes())
        .merge(assistants::routes())
        .merge(search::routes())
        .merge(filter_fields::routes())
        .merge(reports::routes())
        .merge(plans::routes())
        .merge(spend::routes())
        .merge(team::routes())
        .merge(bonus::routes())
        .merge(reviews::routes())
        .merge(imports::routes())
        .merge(files::routes())
        .merge(documents::routes())
        .merge(requisites::routes())
        .merge(client_notify::routes())
        .merge(products::routes())
        .merge(doc_settings::routes())
        .merge(line_items::routes())
        .merge(regulation_file::routes())
        .merge(quiz::routes())
        .merge(kb::routes())
        .merge(regulation_doc::routes())
        .merge(dashboard::routes())
        // Set on every route above, so it must come after them; inside the session layer, so
        // the page is in the reader's language.
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(state, session_layer));
    let public = Router::new()
        .route("/assets/{hash}/{name}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .merge(login::public_routes())
        .method_not_allowed_fallback(public_method_not_allowed);
    public.merge(signed_in)
}

/// The start page: the dashboard for those who lead and analyse, the board for everyone else.
async fn start_page(ui: Ui) -> Redirect {
    Redirect::to(if ui.actor.caller.role.sees_all() { "/dashboard" } else { "/board" })
}

/// A method a page's address does not take (most often a GET on an address only a form posts
/// to: typed, bookmarked, or reloaded) is answered with the error page, never JSON, with a link
/// back to the page the reader came from.
async fn method_not_allowed(ui: Ui, uri: axum::http::Uri, headers: axum::http::HeaderMap) -> Response {
    let back = came_from(&headers).filter(|b| b.as_str() != uri.path());
    kit::method_not_allowed(ui.t, ui.htmx, back.as_deref())
}

/// [`method_not_allowed`] before sign-in: in the browser's language.
async fn public_method_not_allowed(headers: axum::http::HeaderMap) -> Response {
    kit::method_not_allowed(T::new(login::browser_lang(&headers)), is_htmx(&headers), None)
}

/// The local path of the page a request came from: the `Referer` of this very host (the
/// referrer policy sends it only within the site), when it is a safe link target.
fn came_from(headers: &axum::http::HeaderMap) -> Option<String> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let rest = referer.strip_prefix("https://").or_else(|| referer.strip_prefix("http://"))?;
    let path = rest.strip_prefix(host)?;
    (path.starts_with('/') && login::safe_next(Some(path)) == path).then(|| path.to_string())
}

/// The signed-in user of a UI request, with everything a page needs to address them.
#[derive(Clone)]
pub struct Ui {
    pub actor: Actor,
    pub csrf: String,
    pub t: T,
    /// The request came from htmx and wants a fragment, not a whole page.
    pub htmx: bool,
    /// Unread notifications, for the bell; counted only for full pages (fragments have no bell).
    pub unread: i64,
}

impl Ui {
    pub fn is_admin(&self) -> bool {
        self.actor.caller.role == Role::Admin
    }

    /// The shared part of every full page.
    pub fn ctx(&self, nav: &'static str, title: impl Into<String>) -> Ctx {
        Ctx {
            t: self.t,
            csrf: self.csrf.clone(),
            user_name: self.actor.user_name.clone(),
            ws_name: self.actor.ws.name.clone(),
            is_admin: self.is_admin(),
            is_head: self.is_admin() || self.actor.caller.role == Role::Head,
            marketing: poryadok_core::spend::may_read(self.actor.caller.role),
            nav,
            title: title.into(),
            tz: self.actor.reader_tz().to_string(),
            currency: self.actor.ws.currency.clone(),
            unread: self.unread,
        }
    }

    pub fn fmt(&self) -> format::Fmt {
        format::Fmt { lang: self.t.lang, tz: self.actor.reader_tz().to_string() }
    }
}

/// What the layout needs: who is signed in, the language, the CSRF token, the active menu item.
pub struct Ctx {
    pub t: T,
    pub csrf: String,
    pub user_name: String,
    pub ws_name: String,
    pub is_admin: bool,
    /// A head of sales or an administrator: sees the clean-up pages (duplicates) and the settings
    /// (a head: the regulation's) in the menu; a head also the intake inbox, which an
    /// administrator reaches from the settings.
    pub is_head: bool,
    /// Heads of sales, administrators and analysts: the marketing page is in their menu.
    pub marketing: bool,
    pub nav: &'static str,
    pub title: String,
    pub tz: String,
    pub currency: String,
    pub unread: i64,
}

impl Ctx {
    pub fn asset(&self, name: &str) -> &'static str {
        assets::url(name)
    }
    /// The texts the page's script shows, from the catalogue in the reader's language, as JSON
    /// for the layout's `<meta name="ui-texts">` (the pages run no inline script, not even data).
    pub fn js_texts(&self) -> String {
        const KEYS: &[(&str, &str)] = &[
            ("fieldsLoadError", "js.fields_load_error"),
            ("ph", "js.date.ph"),
            ("phTime", "js.date.ph_time"),
            ("open", "js.date.open"),
            ("dialog", "js.date.dialog"),
            ("prevMonth", "js.date.prev_month"),
            ("nextMonth", "js.date.next_month"),
            ("prevYear", "js.date.prev_year"),
            ("nextYear", "js.date.next_year"),
            ("today", "js.date.today"),
            ("bad", "js.date.bad"),
            ("badTime", "js.date.bad_time"),
            ("min", "js.date.min"),
            ("max", "js.date.max"),
        ];
        let map: serde_json::Map<String, serde_json::Value> = KEYS.iter().map(|(k, key)| (k.to_string(), self.t.t(key).into())).collect();
        serde_json::Value::Object(map).to_string()
    }
    pub fn nav_class(&self, item: &str) -> &'static str {
        if self.nav == item {
            "active"
        } else {
            ""
        }
    }
    /// The "More" menu is marked current when the page is one of its items.
    pub fn nav_more_class(&self) -> &'static str {
        if NAV_MORE.contains(&self.nav) {
            "active"
        } else {
            ""
        }
    }
    pub fn fmt(&self) -> format::Fmt {
        format::Fmt { lang: self.t.lang, tz: self.tz.clone() }
    }
}

/// The pages the top menu keeps under "More": used less often than a day's work, so the bar
/// fits a 1280 px screen in either language.
pub const NAV_MORE: &[&str] =
    &["invoices", "team", "reviews", "quizzes", "regulation", "kb", "duplicates", "intake", "imports", "settings"];

impl FromRequestParts<AppState> for Ui {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        // Set by `session_layer`; a route outside it asking for `Ui` is a wiring mistake.
        parts.extensions.get::<Ui>().cloned().ok_or_else(|| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}

fn lang_for(actor: &Actor) -> Lang {
    actor.reader_lang()
}

fn is_htmx(parts_headers: &axum::http::HeaderMap) -> bool {
    parts_headers.get("hx-request").is_some_and(|v| v == "true")
}

/// Resolves the session, checks CSRF on every unsafe method, and hands the [`Ui`] to handlers.
pub async fn session_layer(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let htmx = is_htmx(req.headers());
    let session = cookie(req.headers(), SESSION_COOKIE).map(str::to_string);
    let resolved = match session {
        Some(token) => st.db.actor_for_session(&token).await.ok(),
        None => None,
    };
    let Some((actor, csrf)) = resolved else {
        return to_login(&req, htmx);
    };
    let t = T::new(lang_for(&actor));
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut req = req;
    if !safe {
        match csrf_checked(req, &csrf).await {
            Ok(r) => req = r,
            Err(()) => return error_page(t, htmx, StatusCode::FORBIDDEN, t.t("error.csrf")),
        }
    }
    // A failed count only hides the number on the bell; the page itself still works.
    let unread = if htmx { 0 } else { st.db.unread_count(&actor).await.unwrap_or(0) };
    req.extensions_mut().insert(Ui { actor, csrf, t, htmx, unread });
    next.run(req).await
}

fn to_login(req: &Request, htmx: bool) -> Response {
    if htmx {
        let mut resp = StatusCode::UNAUTHORIZED.into_response();
        resp.headers_mut().insert("hx-redirect", HeaderValue::from_static("/login"));
        return resp;
    }
    let next = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let safe = matches!(*req.method(), Method::GET) && next.starts_with('/') && !next.starts_with("//");
    let target = if safe {
        format!("/login?next={}", form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>())
    } else {
        "/login".into()
    };
    Redirect::to(&target).into_response()
}

/// Accepts the token from the header, or from the `csrf_token` field of a form body (which is
/// then handed on unchanged).
async fn csrf_checked(req: Request, expected: &str) -> Result<Request, ()> {
    let ok = |s: &str| constant_time_eq(s.as_bytes(), expected.as_bytes());
    if req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).is_some_and(ok) {
        return Ok(req);
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(());
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES).await.map_err(|_| ())?;
    let sent = form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf_token").map(|(_, v)| v.into_owned());
    if sent.as_deref().is_some_and(ok) {
        Ok(Request::from_parts(parts, Body::from(bytes)))
    } else {
        Err(())
    }
}

pub use kit::{error_page, field_error, render, render_status, store_error, Admin, HeadOrAdmin, OrUi, UiError, UiResult};
