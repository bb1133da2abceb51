//! Signing in and out, and the language switch. Before sign-in the form is protected by a
//! double-submit cookie; after it, by the session's CSRF token (checked in `session_layer`).
use super::i18n::{Lang, T};
use super::{render_status, Ui};
use crate::api::session::session_cookie;
use crate::auth::{constant_time_eq, cookie, SESSION_COOKIE};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

const LOGIN_CSRF_COOKIE: &str = "poryadok_login_csrf";

pub fn public_routes() -> Router<AppState> {
    Router::new().route("/login", get(login_page).post(login_submit))
}

pub fn signed_in_routes() -> Router<AppState> {
    Router::new().route("/logout", post(logout)).route("/lang", post(switch_language))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    t: T,
    csrf: &'a str,
    error: Option<&'a str>,
    next: &'a str,
    email: &'a str,
}

/// Before sign-in the browser's language decides: Russian if it asks for it, English otherwise.
fn browser_lang(headers: &HeaderMap) -> Lang {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("ru");
    let first = accept.split(',').next().unwrap_or("").trim().to_ascii_lowercase();
    if first.starts_with("en") {
        Lang::En
    } else {
        Lang::Ru
    }
}

/// Only a local path may be a redirect target after sign-in.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n,
        _ => "/board",
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    render_login(&headers, None, safe_next(q.next.as_deref()), "")
}

fn render_login(headers: &HeaderMap, error: Option<&str>, next: &str, email: &str) -> Response {
    let token = cookie(headers, LOGIN_CSRF_COOKIE).map(str::to_string).unwrap_or_else(|| poryadok_store::auth::new_secret(""));
    let t = T::new(browser_lang(headers));
    let error = error.map(|key| t.t(key));
    let status = if error.is_some() { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    let mut resp = render_status(status, &LoginPage { t, csrf: &token, error, next, email });
    if let Ok(v) = HeaderValue::from_str(&format!("{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict")) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login_submit(State(st): State<AppState>, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    let next = safe_next(form.next.as_deref());
    if expected.is_empty() || !constant_time_eq(form.csrf_token.as_bytes(), expected.as_bytes()) {
        let mut resp = render_login(&headers, Some("login.csrf_expired"), next, &form.email);
        *resp.status_mut() = StatusCode::FORBIDDEN;
        return resp;
    }
    match st.db.login(&form.email, &form.password).await {
        Ok((token, _csrf, _)) => {
            let mut resp = Redirect::to(next).into_response();
            if let Ok(v) = session_cookie(&token, st.secure_cookies).parse() {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp
        }
        Err(poryadok_store::StoreError::Unauthorized) => render_login(&headers, Some("login.wrong"), next, &form.email),
        Err(e) => {
            tracing::error!(error = %e, "login failed");
            render_login(&headers, Some("error.internal"), next, &form.email)
        }
    }
}

async fn logout(State(st): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if let Err(e) = st.db.logout(token).await {
            tracing::error!(error = %e, "logout failed");
        }
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_static("poryadok_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"));
    resp
}

#[derive(Deserialize)]
struct LangForm {
    lang: String,
    back: Option<String>,
}

/// Remembers the user's language and returns to the page they were on.
async fn switch_language(State(st): State<AppState>, ui: Ui, Form(form): Form<LangForm>) -> Response {
    if let Err(e) = st.db.set_own_locale(&ui.actor, &form.lang).await {
        return super::store_error(&ui, e);
    }
    Redirect::to(safe_next(form.back.as_deref())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/deals/5")), "/deals/5");
        for bad in ["//evil.example", "https://evil.example", "/\\evil", ""] {
            assert_eq!(safe_next(Some(bad)), "/board", "{bad}");
        }
        assert_eq!(safe_next(None), "/board");
    }
}
