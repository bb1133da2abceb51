//! The sign-in page and a start page. Forms carry CSRF tokens: before sign-in a double-submit
//! cookie, after it the session's token. The full web UI builds on these routes.
use crate::api::records::list_query;
use crate::api::session::session_cookie;
use crate::auth::{constant_time_eq, cookie, SESSION_COOKIE};
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::schema::Entity;
use poryadok_core::types::format_ms;
use std::collections::HashMap;

const LOGIN_CSRF_COOKIE: &str = "poryadok_login_csrf";

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home)).route("/login", get(login_page).post(login_submit)).route("/logout", post(logout))
}

/// `12 345,67 ₽`: grouped thousands, two decimals, the currency sign where there is a common one.
pub fn money(minor: i64, currency: &str) -> String {
    let (units, cents) = (minor.abs() / 100, minor.abs() % 100);
    let digits = units.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('\u{a0}');
        }
        grouped.push(c);
    }
    let sign = if minor < 0 { "-" } else { "" };
    let cur = match currency {
        "RUB" => "₽",
        "USD" => "$",
        "EUR" => "€",
        other => other,
    };
    format!("{sign}{grouped},{cents:02}\u{a0}{cur}")
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html><html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title} — Poryadok</title><style>
body{{font:15px/1.5 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}}
main{{max-width:960px;margin:40px auto;padding:0 20px}} .card{{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:24px}}
label{{display:block;margin:12px 0 4px}} input{{font:inherit;padding:8px;width:100%;box-sizing:border-box;border:1px solid #c4cad4;border-radius:6px}}
button{{font:inherit;margin-top:16px;padding:8px 18px;border:0;border-radius:6px;background:#2d5bd7;color:#fff;cursor:pointer}}
:focus-visible{{outline:3px solid #f0a500;outline-offset:2px}} table{{border-collapse:collapse;width:100%}} td,th{{text-align:left;padding:6px 8px;border-bottom:1px solid #eceef2}}
.error{{color:#b3261e}} .num{{text-align:right;white-space:nowrap}} header{{display:flex;justify-content:space-between;align-items:center}}
</style></head><body><main>{body}</main></body></html>"#,
        title = escape(title)
    ))
}

async fn login_page(headers: HeaderMap) -> Response {
    render_login(&headers, None)
}

fn render_login(headers: &HeaderMap, error: Option<&str>) -> Response {
    let token = cookie(headers, LOGIN_CSRF_COOKIE).map(str::to_string).unwrap_or_else(|| poryadok_store::auth::new_secret(""));
    let err = error.map(|e| format!(r#"<p class="error" role="alert">{}</p>"#, escape(e))).unwrap_or_default();
    let body = format!(
        r#"<div class="card" style="max-width:380px;margin:auto"><h1>Poryadok</h1>{err}
<form method="post" action="/login"><input type="hidden" name="csrf_token" value="{t}">
<label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="username" required autofocus>
<label for="password">Пароль / Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Войти / Sign in</button></form></div>"#,
        t = escape(&token)
    );
    let status = if error.is_some() { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    let set = format!("{LOGIN_CSRF_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict");
    (status, [(header::SET_COOKIE, set)], page("Вход", &body)).into_response()
}

async fn login_submit(State(st): State<AppState>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>) -> Response {
    let sent = form.get("csrf_token").map(String::as_str).unwrap_or("");
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if expected.is_empty() || !constant_time_eq(sent.as_bytes(), expected.as_bytes()) {
        return (StatusCode::FORBIDDEN, page("Вход", r#"<p class="error">CSRF check failed. <a href="/login">Try again</a>.</p>"#))
            .into_response();
    }
    let (email, password) = (form.get("email").map(String::as_str).unwrap_or(""), form.get("password").map(String::as_str).unwrap_or(""));
    match st.db.login(email, password).await {
        Ok((token, _csrf, _)) => {
            let mut resp = Redirect::to("/").into_response();
            if let Ok(v) = session_cookie(&token, st.secure_cookies).parse() {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            resp
        }
        Err(poryadok_store::StoreError::Unauthorized) => {
            render_login(&headers, Some("Неверный e-mail или пароль / Wrong e-mail or password"))
        }
        Err(e) => {
            tracing::error!(error = %e, "login failed");
            (StatusCode::INTERNAL_SERVER_ERROR, page("Error", "<p class=error>Internal error</p>")).into_response()
        }
    }
}

async fn logout(State(st): State<AppState>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if let Ok((_, csrf)) = st.db.actor_for_session(token).await {
            let sent = form.get("csrf_token").map(String::as_str).unwrap_or("");
            if !constant_time_eq(sent.as_bytes(), csrf.as_bytes()) {
                return (StatusCode::FORBIDDEN, "CSRF check failed").into_response();
            }
            let _ = st.db.logout(token).await;
        }
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut()
        .insert(header::SET_COOKIE, header::HeaderValue::from_static("poryadok_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"));
    resp
}

async fn home(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else { return Redirect::to("/login").into_response() };
    let Ok((actor, csrf)) = st.db.actor_for_session(token).await else { return Redirect::to("/login").into_response() };
    let me = st.db.get(&actor, Entity::User, actor.user_id()).await;
    let name = me.as_ref().ok().and_then(|r| r.get("name").as_text().map(str::to_string)).unwrap_or_default();
    let mut lq = list_query(Some("limit=20"));
    lq.sort = Some("-updated_at".into());
    let rows = match st.db.list(&actor, Entity::Deal, &lq).await {
        Ok(page) => page
            .data
            .iter()
            .map(|d| {
                format!(
                    "<tr><td>{}</td><td>{}</td><td class=num>{}</td><td>{}</td></tr>",
                    escape(d.get("title").as_text().unwrap_or("")),
                    escape(d.get("status").as_text().unwrap_or("")),
                    escape(&money(d.get("value").as_int().unwrap_or(0), d.get("currency").as_text().unwrap_or(""))),
                    d.get("updated_at")
                        .as_int()
                        .map(|ms| format_ms(ms).replace('T', " ").chars().take(16).collect::<String>())
                        .unwrap_or_default(),
                )
            })
            .collect::<String>(),
        Err(e) => {
            tracing::error!(error = %e, "home list failed");
            String::new()
        }
    };
    let body = format!(
        r#"<header><h1>{ws}</h1><form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{csrf}"><button>Выйти / Sign out</button></form></header>
<p>{name} · {role}</p><div class="card"><h2>Последние сделки / Latest deals</h2>
<table><thead><tr><th>Сделка</th><th>Статус</th><th class=num>Сумма</th><th>Обновлена</th></tr></thead><tbody>{rows}</tbody></table></div>
<p>API: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a></p>"#,
        ws = escape(&actor.ws.name),
        csrf = escape(&csrf),
        name = escape(&name),
        role = escape(actor.caller.role.as_str()),
    );
    page("Poryadok", &body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_with_its_sign() {
        assert_eq!(money(123_456_789, "RUB"), "1\u{a0}234\u{a0}567,89\u{a0}₽");
        assert_eq!(money(5, "USD"), "0,05\u{a0}$");
        assert_eq!(money(-100_000, "KZT"), "-1\u{a0}000,00\u{a0}KZT");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape("<script>alert('1')</script>&"), "&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt;&amp;");
    }
}
