//! Signing in and out, and the language switch. Before sign-in the form is protected by a
//! double-submit cookie; after it, by the session's CSRF token (checked in `session_layer`).
use super::i18n::{Lang, T};
use super::{render_status, Ui};
use crate::api::session::{secure_cookies, session_cookie};
use crate::auth::{client_addr, constant_time_eq, cookie, minutes_left, notify_lockout, peer_addr, seconds_left, Peer, SESSION_COOKIE};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_store::auth::SignIn;
use serde::Deserialize;

const LOGIN_CSRF_COOKIE: &str = "poryadok_login_csrf";

pub fn public_routes() -> Router<AppState> {
    Router::new().route("/login", get(login_page).post(login_submit))
}

pub fn signed_in_routes() -> Router<AppState> {
    Router::new().route("/logout", post(logout)).route("/lang", post(switch_language)).merge(super::tokens::routes())
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
pub(super) fn browser_lang(headers: &HeaderMap) -> Lang {
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("ru");
    let first = accept.split(',').next().unwrap_or("").trim().to_ascii_lowercase();
    if first.starts_with("en") {
        Lang::En
    } else {
        Lang::Ru
    }
}

/// Only a local path may be a redirect target after sign-in: one that starts with a single `/`
/// (not `//` or `/\`, which browsers read as another host) and has no backslash, whitespace or
/// control character anywhere, since browsers drop tabs and newlines and would turn `/\t/evil`
/// into `//evil`. Anything else goes to the start page.
pub(super) fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace())
                && HeaderValue::from_str(n).is_ok() =>
        {
            n
        }
        _ => "/",
    }
}

/// A redirect that cannot fail: a target that is not a valid header goes to the start page.
fn see_other(target: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    let location = HeaderValue::from_str(target).unwrap_or_else(|_| HeaderValue::from_static("/"));
    resp.headers_mut().insert(header::LOCATION, location);
    resp
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    render_login(&headers, StatusCode::OK, None, safe_next(q.next.as_deref()), "")
}

fn render_login(headers: &HeaderMap, status: StatusCode, error: Option<String>, next: &str, email: &str) -> Response {
    let token = cookie(headers, LOGIN_CSRF_COOKIE).map(str::to_string).unwrap_or_else(|| poryadok_store::auth::new_secret(""));
    let t = T::new(browser_lang(headers));
    let mut resp = render_status(status, &LoginPage { t, csrf: &token, error: error.as_deref(), next, email });
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

async fn login_submit(State(st): State<AppState>, peer: Peer, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    let next = safe_next(form.next.as_deref());
    let t = T::new(browser_lang(&headers));
    if expected.is_empty() || !constant_time_eq(form.csrf_token.as_bytes(), expected.as_bytes()) {
        return render_login(&headers, StatusCode::FORBIDDEN, Some(t.t("login.csrf_expired").into()), next, &form.email);
    }
    let client = client_addr(&st, peer_addr(peer), &headers);
    match st.db.sign_in(&form.email, &form.password, client.as_deref()).await {
        Ok(SignIn::Ok { token, .. }) => {
            let mut resp = see_other(next);
            if let Ok(v) = session_cookie(&token, secure_cookies(&st)).parse() {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp
        }
        Ok(SignIn::Refused) => render_login(&headers, StatusCode::UNAUTHORIZED, Some(t.t("login.wrong").into()), next, &form.email),
        Ok(SignIn::Throttled { retry_after_ms, lockout }) => {
            if let Some(l) = lockout {
                notify_lockout(&st, &l).await;
            }
            let minutes = minutes_left(retry_after_ms).to_string();
            let message = t.fmt("login.throttled", &[("minutes", &minutes)]);
            let mut resp = render_login(&headers, StatusCode::TOO_MANY_REQUESTS, Some(message), next, &form.email);
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds_left(retry_after_ms)));
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, "login failed");
            render_login(&headers, StatusCode::INTERNAL_SERVER_ERROR, Some(t.t("error.internal").into()), next, &form.email)
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
    see_other(safe_next(form.back.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/deals/5")), "/deals/5");
        assert_eq!(safe_next(Some("/deals?mine=1&q=%D0%B0")), "/deals?mine=1&q=%D0%B0");
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/x",
            "/ok\\..\\x",
            "/\u{7f}x",
            "",
            "evil",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
