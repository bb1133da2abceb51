//! The UI kit: what every view uses to answer.
//!
//! - [`render`] / [`render_status`]: a template as a response (a rendering failure is logged, 500);
//! - [`error_page`]: an error as a whole page, or for htmx as a fragment `app.js` shows as a notice;
//!   [`method_not_allowed`]: the page of a method an address does not take (a GET on a form's);
//! - [`UiError`]: a failure that renders itself in the reader's language, so a handler returning
//!   [`UiResult`] uses `?` — `st.db.get(..).await.or_ui(&ui)?`;
//! - [`Admin`] and [`HeadOrAdmin`]: extractors that refuse everyone else with a 403 page before
//!   the handler (and its form parsing) runs;
//! - [`field_error`] (from [`super::messages`]): a refusal's field and text for inline display;
//! - [`go_to`] and [`saved_at`]: where a saved form leads, confirmed there.
use super::i18n::T;
use super::{messages, Ui};
use crate::AppState;
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use poryadok_core::domain::Role;
use poryadok_store::StoreError;

pub use super::messages::field_error;

/// Renders a template into a response; a rendering failure is logged and answered with 500.
pub fn render<P: Template>(page: &P) -> Response {
    render_status(StatusCode::OK, page)
}

pub fn render_status<P: Template>(status: StatusCode, page: &P) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html("<p>Internal error</p>".to_string())).into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    t: T,
    status: u16,
    message: &'a str,
    fragment: bool,
    /// The page the reader came from, offered besides the pipeline.
    back: Option<&'a str>,
}

/// An error as a page, or for htmx as a fragment that `app.js` shows as a notice.
pub fn error_page(t: T, htmx: bool, status: StatusCode, message: &str) -> Response {
    render_status(status, &ErrorPage { t, status: status.as_u16(), message, fragment: htmx, back: None })
}

/// A method an address does not take — typically a GET (a typed or bookmarked address, a
/// reload after a redirect) on an address only a form posts to — as a 405 page that leads back
/// to `back`, the page the reader came from, when it is known.
pub fn method_not_allowed(t: T, htmx: bool, back: Option<&str>) -> Response {
    let message = t.t("error.method_not_allowed");
    render_status(StatusCode::METHOD_NOT_ALLOWED, &ErrorPage { t, status: 405, message, fragment: htmx, back })
}

/// Maps a store failure to what the user sees: validation text as is, everything else generic.
pub fn store_error(ui: &Ui, e: StoreError) -> Response {
    let line = messages::refusal_line(&ui.t, &e);
    let api: crate::error::ApiError = e.into();
    let message = match (api.code, line) {
        ("not_found", _) => ui.t.t("error.not_found").to_string(),
        (_, Some(line)) => line,
        ("unavailable", None) => ui.t.t("error.unavailable").to_string(),
        ("precondition_failed", None) => ui.t.t("error.stale").to_string(),
        ("unauthorized", None) => ui.t.t("error.unauthorized").to_string(),
        (_, None) => ui.t.t("error.internal").to_string(),
    };
    error_page(ui.t, ui.htmx, api.status, &message)
}

/// A failure already rendered for its reader: a page, or an htmx fragment (boxed: a response
/// is large, and errors travel through every `?`).
pub struct UiError(Box<Response>);

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Response> for UiError {
    fn from(r: Response) -> Self {
        UiError(Box::new(r))
    }
}

/// What a view answers: the page, or a failure that renders itself.
pub type UiResult = Result<Response, UiError>;

impl Ui {
    /// `e` as the reader sees it.
    pub fn fail(&self, e: StoreError) -> UiError {
        UiError::from(store_error(self, e))
    }

    /// A 403 in the reader's language.
    pub fn forbidden(&self) -> UiError {
        UiError::from(error_page(self.t, self.htmx, StatusCode::FORBIDDEN, self.t.t("error.forbidden")))
    }
}

/// Store results in a view: `.or_ui(&ui)?`.
pub trait OrUi<V> {
    fn or_ui(self, ui: &Ui) -> Result<V, UiError>;
}

impl<V> OrUi<V> for Result<V, StoreError> {
    fn or_ui(self, ui: &Ui) -> Result<V, UiError> {
        self.map_err(|e| ui.fail(e))
    }
}

/// The signed-in user when they are an administrator.
pub struct Admin(pub Ui);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let ui = Ui::from_request_parts(parts, st).await?;
        if ui.is_admin() {
            Ok(Admin(ui))
        } else {
            Err(ui.forbidden().into_response())
        }
    }
}

/// The signed-in user when they are a head of sales or an administrator.
pub struct HeadOrAdmin(pub Ui);

impl FromRequestParts<AppState> for HeadOrAdmin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let ui = Ui::from_request_parts(parts, st).await?;
        if ui.is_admin() || ui.actor.caller.role == Role::Head {
            Ok(HeadOrAdmin(ui))
        } else {
            Err(ui.forbidden().into_response())
        }
    }
}

/// After a form that leads to another page: a redirect, or for htmx a client-side one
/// (`HX-Redirect`; a dialog closes with the page it was on).
pub fn go_to(ui: &Ui, url: &str) -> Response {
    if ui.htmx {
        let mut resp = StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = axum::http::HeaderValue::from_str(url) {
            resp.headers_mut().insert("hx-redirect", v);
        }
        resp
    } else {
        axum::response::Redirect::to(url).into_response()
    }
}

/// Where a form goes after a save: `back` when it is a page of ours (the board a dialog was
/// opened on), else `fallback`; with `saved=1`, which the page confirms and tidies away.
pub fn saved_at(back: &str, fallback: &str) -> String {
    let target = if back.starts_with('/') && !back.starts_with("//") { back } else { fallback };
    let sep = if target.contains('?') { '&' } else { '?' };
    format!("{target}{sep}saved=1")
}

/// A file to save: its bytes, type and name.
pub fn download(bytes: Vec<u8>, content_type: &'static str, file: &str) -> Response {
    let mut resp = (StatusCode::OK, bytes).into_response();
    resp.headers_mut().insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static(content_type));
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        resp.headers_mut().insert(axum::http::header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// Currencies a money input offers: the workspace's own first, then the usual ones.
pub fn currency_choices(ws: &str) -> Vec<String> {
    const USUAL: &[&str] = &["RUB", "USD", "EUR", "KZT", "BYN", "UZS", "CNY", "TRY", "AED"];
    std::iter::once(ws).chain(USUAL.iter().copied().filter(|c| *c != ws)).map(str::to_string).collect()
}
