use crate::helpers::*;
use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::Duration;

async fn api_login(app: &TestApp, email: &str, password: &str, from: Option<&str>) -> reqwest::Response {
    login_at(app, &app.base, email, password, from).await
}

/// A sign-in through the server at `base`, naming the client in `X-Forwarded-For` (which only a
/// server told to trust that header believes).
async fn login_at(app: &TestApp, base: &str, email: &str, password: &str, from: Option<&str>) -> reqwest::Response {
    let mut req = app.client.post(format!("{base}/api/v1/auth/login")).json(&json!({"email": email, "password": password}));
    if let Some(ip) = from {
        req = req.header("x-forwarded-for", ip);
    }
    req.send().await.unwrap()
}

async fn lockout_notices(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, v) = app.get(token, "/api/v1/notifications").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().unwrap().iter().filter(|n| n["kind"] == "login_lockout").cloned().collect()
}

fn retry_after(resp: &reqwest::Response) -> i64 {
    resp.headers().get("retry-after").expect("Retry-After").to_str().unwrap().parse().unwrap()
}

crate::both_dbs!(
    session_login_with_csrf,
    tokens_are_made_for_the_caller_and_work,
    deactivated_users_lose_access,
    wrong_passwords_lock_the_account_with_growing_delays,
    one_client_address_is_throttled_across_accounts,
    the_login_page_says_how_long_to_wait,
    weak_passwords_are_refused_wherever_a_password_is_set,
    a_password_change_ends_the_sessions_but_not_the_tokens,
    tokens_are_listed_expire_and_are_revoked,
    admins_see_and_revoke_everyones_tokens,
    tokens_page_creates_shows_once_and_revokes,
    the_session_cookie_is_secure_behind_https,
    sign_in_never_redirects_off_site,
    a_taken_e_mail_does_not_say_where,
    an_administrator_lifts_a_lockout,
);

async fn session_login_with_csrf(app: TestApp) {
    let sys = app.db.system_actor(app.ws, Channel::Cli).await.unwrap();
    app.db
        .create(&sys, Entity::User, &json!({"email": "Olga@A.test", "name": "Ольга", "role": "manager", "password": "секретный пароль"}))
        .await
        .unwrap();
    let url = |p: &str| format!("{}{}", app.base, p);
    let c = &app.client;

    let bad = c.post(url("/api/v1/auth/login")).json(&json!({"email": "olga@a.test", "password": "wrong password"})).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let unknown = c.post(url("/api/v1/auth/login")).json(&json!({"email": "nobody@a.test", "password": "whatever1"})).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(c.get(url("/api/v1/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);

    let ok = c.post(url("/api/v1/auth/login")).json(&json!({"email": "olga@a.test", "password": "секретный пароль"})).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let cookie = ok.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let body: Value = ok.json().await.unwrap();
    let csrf = body["data"]["csrf_token"].as_str().unwrap().to_string();
    assert!(body["data"]["user"].get("password_hash").is_none());

    let me: Value = c.get(url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["data"]["user"]["email"], "olga@a.test");
    assert_eq!(me["data"]["workspace"]["visibility"], "own");

    // Cookie-authenticated writes need the CSRF token.
    let no_csrf = c.post(url("/api/v1/deals")).json(&json!({"title": "Из интерфейса"})).send().await.unwrap();
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
    let wrong = c.post(url("/api/v1/deals")).header("x-csrf-token", "nope").json(&json!({"title": "Из интерфейса"})).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let made = c.post(url("/api/v1/deals")).header("x-csrf-token", &csrf).json(&json!({"title": "Из интерфейса"})).send().await.unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);
    let id = made.json::<Value>().await.unwrap()["data"]["id"].as_i64().unwrap();
    let h: Value = c.get(url(&format!("/api/v1/deals/{id}/history"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(h["data"][0]["channel"], "ui");

    assert_eq!(c.post(url("/api/v1/auth/logout")).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(c.get(url("/api/v1/me")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);

    // The HTML sign-in form works end to end and refuses a post without its CSRF token.
    let page = c.get(url("/login")).send().await.unwrap().text().await.unwrap();
    let token = page.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let forged = c
        .post(url("/login"))
        .form(&[("email", "olga@a.test"), ("password", "секретный пароль"), ("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let home = c
        .post(url("/login"))
        .form(&[("email", "olga@a.test"), ("password", "секретный пароль"), ("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.unwrap();
    assert!(html.contains("Из интерфейса"), "the start page lists the deal");
}

async fn tokens_are_made_for_the_caller_and_work(app: TestApp) {
    let (s, v) = app.post(&app.t.manager1, "/api/v1/tokens", json!({"name": "zapier"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let token = v["data"]["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("pat_"));
    let (s, me) = app.get(&token, "/api/v1/me").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["data"]["user"]["id"], app.ids.manager1);
    assert_error(&app.get("pat_forged", "/api/v1/me").await, 401, "unauthorized", None);
    let resp = app.client.get(format!("{}/api/v1/deals", app.base)).header("authorization", "Basic abc").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

async fn deactivated_users_lose_access(app: TestApp) {
    let deal = app.create(&app.t.manager2, "deals", json!({"title": "Сделка уходящего"})).await;
    let (s, _) = app.delete(&app.t.admin, &format!("/api/v1/users/{}", app.ids.manager2)).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_error(&app.get(&app.t.manager2, "/api/v1/me").await, 401, "unauthorized", None);
    // The deal and its owner stay; nobody can assign new work to the deactivated user.
    let (_, v) = app.get(&app.t.head, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["owner_id"], app.ids.manager2);
    assert_error(
        &app.post(&app.t.head, "/api/v1/deals", json!({"title": "x", "owner_id": app.ids.manager2})).await,
        422,
        "validation",
        Some("owner_id"),
    );
    assert_error(
        &app.patch(&app.t.admin, &format!("/api/v1/users/{}", app.ids.admin), json!({"active": false})).await,
        422,
        "validation",
        Some("active"),
    );
}

async fn wrong_passwords_lock_the_account_with_growing_delays(app: TestApp) {
    let right = "a-good-long-secret";
    app.set_password(app.ids.manager1, right).await;
    for i in 1..5 {
        let r = api_login(&app, "m1@a.test", "wrong-password-1", None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // The fifth failure in the window locks the account for five minutes.
    let fifth = api_login(&app, "m1@a.test", "wrong-password-1", None).await;
    assert_eq!(fifth.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&fifth), 300);
    let body: Value = fifth.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(body["error"]["field"], "email");
    // During the lockout the right password is refused as well, and the address is not normalised away.
    let during = api_login(&app, " M1@A.test ", right, None).await;
    assert_eq!(during.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&during) <= 300);
    for _ in 0..10 {
        assert_eq!(api_login(&app, "m1@a.test", "wrong-password-1", None).await.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    // The user and the workspace's administrators hear of it once, not once per attempt.
    let own = lockout_notices(&app, &app.t.manager1).await;
    assert_eq!(own.len(), 1, "{own:?}");
    assert!(own[0]["title"].as_str().unwrap().contains("m1@a.test"));
    assert_eq!(lockout_notices(&app, &app.t.admin).await.len(), 1);
    assert!(lockout_notices(&app, &app.t.manager2).await.is_empty());
    assert!(lockout_notices(&app, &app.t.other_admin).await.is_empty());

    // After the lockout one more failure locks again, for twice as long, within the same episode.
    app.clock.advance(Duration::minutes(5) + Duration::seconds(1));
    let again = api_login(&app, "m1@a.test", "wrong-password-1", None).await;
    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&again), 600);
    assert_eq!(lockout_notices(&app, &app.t.manager1).await.len(), 1, "one notice per episode");
    app.clock.advance(Duration::minutes(5));
    assert_eq!(api_login(&app, "m1@a.test", right, None).await.status(), StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(Duration::minutes(5) + Duration::seconds(1));
    assert_eq!(api_login(&app, "m1@a.test", right, None).await.status(), StatusCode::OK);
    // Success starts afresh: four failures do not lock.
    for _ in 0..4 {
        assert_eq!(api_login(&app, "m1@a.test", "wrong-password-1", None).await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(api_login(&app, "m1@a.test", right, None).await.status(), StatusCode::OK);
    // Another account is not affected by m1's lockout.
    app.set_password(app.ids.manager2, right).await;
    assert_eq!(api_login(&app, "m2@a.test", right, None).await.status(), StatusCode::OK);
}

async fn one_client_address_is_throttled_across_accounts(app: TestApp) {
    let right = "a-good-long-secret";
    app.set_password(app.ids.manager2, right).await;
    // Behind a proxy that names the client in X-Forwarded-For, as `--trusted-proxy-header` says.
    let proxied = app.serve_with(|s| s.security.trusted_proxy_header = poryadok_server::security::ProxyHeader::XForwardedFor).await;
    let attacker = Some("203.0.113.9");
    for i in 0..20 {
        let r = login_at(&app, &proxied, &format!("nobody{i}@a.test"), "wrong-password-1", attacker).await;
        let want = if i < 19 { StatusCode::UNAUTHORIZED } else { StatusCode::TOO_MANY_REQUESTS };
        assert_eq!(r.status(), want, "attempt {i}");
    }
    assert_eq!(login_at(&app, &proxied, "m2@a.test", right, attacker).await.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(login_at(&app, &proxied, "m2@a.test", right, Some("198.51.100.4")).await.status(), StatusCode::OK);
    // Without that setting the header is the client's own word and is not believed: the
    // address is the connection's, which is not locked.
    assert_eq!(api_login(&app, "m2@a.test", right, attacker).await.status(), StatusCode::OK);
    // Unknown e-mails notify nobody.
    assert!(lockout_notices(&app, &app.t.admin).await.is_empty());
    app.clock.advance(Duration::minutes(6));
    assert_eq!(login_at(&app, &proxied, "m2@a.test", right, attacker).await.status(), StatusCode::OK);
}

async fn the_login_page_says_how_long_to_wait(app: TestApp) {
    app.set_password(app.ids.manager1, "a-good-long-secret").await;
    for _ in 0..5 {
        api_login(&app, "m1@a.test", "wrong-password-1", None).await;
    }
    for (lang, text) in [("en", "Try again in 5 min"), ("ru", "Попробуйте снова через 5 мин")] {
        let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let form = c.get(format!("{}/login", app.base)).header("accept-language", lang).send().await.unwrap().text().await.unwrap();
        let csrf = html_attr(&form, "name=\"csrf_token\"", "value").unwrap();
        let resp = c
            .post(format!("{}/login", app.base))
            .header("accept-language", lang)
            .form(&[("email", "m1@a.test"), ("password", "a-good-long-secret"), ("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(resp.headers().get("retry-after").is_some());
        let html = resp.text().await.unwrap();
        assert!(html.contains(text), "{lang}: {html}");
    }
}

async fn weak_passwords_are_refused_wherever_a_password_is_set(app: TestApp) {
    let user = |email: &str, pw: &str| json!({"email": email, "name": "Новый", "role": "manager", "password": pw});
    for pw in ["short-pw", "          ", "aaaaaaaaaaaa", "password123", "qwertyuiop", "1234567890", "Password2024!", "new.user@a.test"] {
        let r = app.post(&app.t.admin, "/api/v1/users", user("new.user@a.test", pw)).await;
        assert_error(&r, 422, "validation", Some("password"));
    }
    let id = app.create(&app.t.admin, "users", user("new.user@a.test", "Тёмная лошадка 7")).await;
    // An update is checked too, against the stored e-mail when the body has none.
    for pw in ["password1", "new.user2025", "zzzzzzzzzzzzz"] {
        let r = app.patch(&app.t.admin, &format!("/api/v1/users/{id}"), json!({"password": pw})).await;
        assert_error(&r, 422, "validation", Some("password"));
    }
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/users/{id}"), json!({"password": "вполне годный пароль"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn a_password_change_ends_the_sessions_but_not_the_tokens(app: TestApp) {
    let pw = "first-long-password";
    app.set_password(app.ids.manager1, pw).await;
    let token = app.db.create_token(app.ws, app.ids.manager1, "script").await.unwrap();
    let login = api_login(&app, "m1@a.test", pw, None).await;
    assert_eq!(login.status(), StatusCode::OK);
    let me = |c: &reqwest::Client| c.get(format!("{}/api/v1/me", app.base)).send();
    let other = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let second =
        other.post(format!("{}/api/v1/auth/login", app.base)).json(&json!({"email": "m1@a.test", "password": pw})).send().await.unwrap();
    assert_eq!(second.status(), StatusCode::OK);
    assert_eq!(me(&app.client).await.unwrap().status(), StatusCode::OK);

    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/users/{}", app.ids.manager1), json!({"password": "second-long-password"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(me(&app.client).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(me(&other).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // API tokens are the user's own credentials and stay.
    assert_eq!(app.get(&token, "/api/v1/me").await.0, StatusCode::OK);
    assert_eq!(api_login(&app, "m1@a.test", pw, None).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(api_login(&app, "m1@a.test", "second-long-password", None).await.status(), StatusCode::OK);
    // Other changes to the user leave the session alone.
    app.patch(&app.t.admin, &format!("/api/v1/users/{}", app.ids.manager1), json!({"name": "Мария"})).await;
    assert_eq!(me(&app.client).await.unwrap().status(), StatusCode::OK);
}

async fn tokens_are_listed_expire_and_are_revoked(app: TestApp) {
    let (s, v) = app.post(&app.t.manager1, "/api/v1/tokens", json!({"name": "1C", "expires_in_days": 30})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let secret = v["data"]["token"].as_str().unwrap().to_string();
    let id = v["data"]["id"].as_i64().unwrap();
    assert_eq!(v["data"]["expires_at"], "2026-12-23T09:00:00.000Z");

    let (s, list) = app.get(&app.t.manager1, "/api/v1/tokens").await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = list["data"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["1C", "test"]);
    assert!(!list.to_string().contains(&secret) && !list.to_string().contains("token_hash"), "{list}");
    let mine = &list["data"][0];
    assert_eq!(mine["last_used_at"], Value::Null);
    assert_eq!(mine["expired"], false);

    // Use is recorded, at most once a minute.
    assert_eq!(app.get(&secret, "/api/v1/me").await.0, StatusCode::OK);
    let used = |list: &Value| list["data"][0]["last_used_at"].clone();
    let (_, list) = app.get(&app.t.manager1, "/api/v1/tokens").await;
    assert_eq!(used(&list), "2026-11-23T09:00:00.000Z");
    app.clock.advance(Duration::seconds(30));
    app.get(&secret, "/api/v1/me").await;
    let (_, list) = app.get(&app.t.manager1, "/api/v1/tokens").await;
    assert_eq!(used(&list), "2026-11-23T09:00:00.000Z");
    app.clock.advance(Duration::seconds(31));
    app.get(&secret, "/api/v1/me").await;
    let (_, list) = app.get(&app.t.manager1, "/api/v1/tokens").await;
    assert_eq!(used(&list), "2026-11-23T09:01:01.000Z");

    // Expired tokens answer 401 and show as expired.
    app.clock.advance(Duration::days(30));
    assert_error(&app.get(&secret, "/api/v1/me").await, 401, "unauthorized", None);
    let (_, list) = app.get(&app.t.manager1, "/api/v1/tokens").await;
    assert_eq!(list["data"][0]["expired"], true);

    for (body, field) in [
        (json!({"name": "x", "expires_in_days": 0}), "expires_in_days"),
        (json!({"name": "x", "expires_in_days": 4000}), "expires_in_days"),
        (json!({"name": "x", "expires_in_days": "soon"}), "expires_in_days"),
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
    ] {
        assert_error(&app.post(&app.t.manager1, "/api/v1/tokens", body).await, 422, "validation", Some(field));
    }

    // Revoking: one's own works, anyone else's is 404; a revoked token answers 401.
    let (_, v) = app.post(&app.t.manager1, "/api/v1/tokens", json!({"name": "zapier"})).await;
    let (zapier, zid) = (v["data"]["token"].as_str().unwrap().to_string(), v["data"]["id"].as_i64().unwrap());
    assert_eq!(v["data"]["expires_at"], Value::Null);
    assert_error(&app.delete(&app.t.manager2, &format!("/api/v1/tokens/{zid}")).await, 404, "not_found", None);
    assert_error(&app.delete(&app.t.other_admin, &format!("/api/v1/tokens/{zid}")).await, 404, "not_found", None);
    assert_eq!(app.get(&zapier, "/api/v1/me").await.0, StatusCode::OK);
    assert_eq!(app.delete(&app.t.manager1, &format!("/api/v1/tokens/{zid}")).await.0, StatusCode::NO_CONTENT);
    assert_error(&app.get(&zapier, "/api/v1/me").await, 401, "unauthorized", None);
    assert_error(&app.delete(&app.t.manager1, &format!("/api/v1/tokens/{zid}")).await, 404, "not_found", None);
    let (_, list) = app.get(&app.t.manager1, "/api/v1/tokens").await;
    assert!(list["data"].as_array().unwrap().iter().all(|t| t["id"] != zid && t["id"] != Value::Null));
    assert!(list["data"].as_array().unwrap().iter().any(|t| t["id"] == id));
    // A manager may not list anyone else's.
    let r = app.get(&app.t.manager1, &format!("/api/v1/tokens?user_id={}", app.ids.manager2)).await;
    assert_error(&r, 403, "forbidden", None);
    assert_error(&app.get(&app.t.manager1, "/api/v1/tokens?all=true").await, 403, "forbidden", None);
}

async fn admins_see_and_revoke_everyones_tokens(app: TestApp) {
    let (_, v) = app.post(&app.t.manager2, "/api/v1/tokens", json!({"name": "bitrix"})).await;
    let (secret, id) = (v["data"]["token"].as_str().unwrap().to_string(), v["data"]["id"].as_i64().unwrap());
    let (s, list) = app.get(&app.t.admin, &format!("/api/v1/tokens?user_id={}", app.ids.manager2)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["data"].as_array().unwrap().len(), 2, "{list}");
    let (_, all) = app.get(&app.t.admin, "/api/v1/tokens?all=true").await;
    assert_eq!(all["data"].as_array().unwrap().len(), 7, "the six test users' tokens and bitrix: {all}");
    assert!(all["data"].as_array().unwrap().iter().all(|t| t["user_name"].is_string()));
    // The other workspace's administrator sees none of them.
    let (_, theirs) = app.get(&app.t.other_admin, "/api/v1/tokens?all=true").await;
    assert_eq!(theirs["data"].as_array().unwrap().len(), 1);
    assert_eq!(app.delete(&app.t.admin, &format!("/api/v1/tokens/{id}")).await.0, StatusCode::NO_CONTENT);
    assert_error(&app.get(&secret, "/api/v1/me").await, 401, "unauthorized", None);
}

async fn tokens_page_creates_shows_once_and_revokes(app: TestApp) {
    let ui = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (s, page) = ui.get("/profile/tokens").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("API") && page.contains("test"), "{page}");
    let (s, made) = ui.post_form("/profile/tokens", &[("name", "Мой скрипт"), ("expires_days", "7"), ("csrf_token", &ui.csrf)]).await;
    assert_eq!(s, StatusCode::CREATED);
    let secret = made.split("id=\"token-secret\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert!(secret.starts_with("pat_"));
    assert_eq!(app.get(&secret, "/api/v1/me").await.0, StatusCode::OK);
    let (_, again) = ui.get("/profile/tokens").await;
    assert!(!again.contains(&secret), "the secret is shown once");
    assert!(again.contains("Мой скрипт") && again.contains("hx-confirm"));
    let (s, bad) = ui.post_form("/profile/tokens", &[("name", "x"), ("expires_days", "0"), ("csrf_token", &ui.csrf)]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (_, list) = app.get(&app.t.manager1, "/api/v1/tokens").await;
    let id = list["data"].as_array().unwrap().iter().find(|t| t["name"] == "Мой скрипт").unwrap()["id"].as_i64().unwrap();
    let (s, _) = ui.post_form(&format!("/profile/tokens/{id}/revoke"), &[("csrf_token", &ui.csrf)]).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_error(&app.get(&secret, "/api/v1/me").await, 401, "unauthorized", None);
    // Without the CSRF token nothing is made or revoked.
    let resp = ui.client.post(format!("{}/profile/tokens", app.base)).form(&[("name", "forged")]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

async fn the_session_cookie_is_secure_behind_https(app: TestApp) {
    app.set_password(app.ids.manager1, "a-good-long-secret").await;
    let mut state = poryadok_server::AppState::new(app.db.clone());
    state.public_url = Some("https://crm.example.ru".into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = poryadok_server::serve(listener, state, std::future::pending()).await;
    });
    let c = reqwest::Client::new();
    let resp = c
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "m1@a.test", "password": "a-good-long-secret"}))
        .send()
        .await
        .unwrap();
    let cookie = resp.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    // Over plain HTTP (the test app) it is not Secure, or the browser would drop it.
    let resp = api_login(&app, "m1@a.test", "a-good-long-secret", None).await;
    let cookie = resp.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(!cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
}

async fn sign_in_never_redirects_off_site(app: TestApp) {
    let pw = "a-good-long-secret";
    app.set_password(app.ids.manager1, pw).await;
    for (next, expected) in [
        ("/%09/evil.example", "/"),
        ("/%0A/evil.example", "/"),
        ("/%0D%0ASet-Cookie:x=1", "/"),
        ("//evil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("/%2F/evil.example", "/"),
        ("https://evil.example", "/"),
        ("/deals%3Fmine%3D1", "/deals?mine=1"),
    ] {
        let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let page = c.get(format!("{}/login?next={next}", app.base)).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{next}");
        let form = page.text().await.unwrap();
        let csrf = html_attr(&form, "name=\"csrf_token\"", "value").unwrap();
        let shown = html_attr(&form, "name=\"next\"", "value").unwrap();
        assert_eq!(shown, expected.replace('&', "&amp;"), "{next}");
        let raw = format!("email=m1%40a.test&password={pw}&csrf_token={csrf}&next={next}");
        let resp = c
            .post(format!("{}/login", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(resp.headers().get("location").unwrap(), expected, "{next}");
    }
}

async fn a_taken_e_mail_does_not_say_where(app: TestApp) {
    let body = |email: &str| json!({"email": email, "name": "Дубль", "role": "manager"});
    let here = app.post(&app.t.admin, "/api/v1/users", body("m1@a.test")).await;
    let elsewhere = app.post(&app.t.admin, "/api/v1/users", body("ADMIN@b.test")).await;
    assert_error(&here, 409, "conflict", Some("email"));
    assert_eq!(here, elsewhere, "the same answer whether the address is in this workspace or another");
    let message = here.1["error"]["message"].as_str().unwrap();
    assert!(!message.contains("Чужая") && !message.contains("workspace"), "{message}");
    // Changing an e-mail to a taken one answers the same.
    let changed = app.patch(&app.t.admin, &format!("/api/v1/users/{}", app.ids.manager2), json!({"email": "admin@b.test"})).await;
    assert_eq!(changed, here);
}

async fn an_administrator_lifts_a_lockout(app: TestApp) {
    let right = "a-good-long-secret";
    app.set_password(app.ids.manager1, right).await;
    let m1 = app.ids.manager1;
    let unlock = |token: &str, id: i64| {
        let token = token.to_string();
        let app = &app;
        async move { app.post(&token, &format!("/api/v1/users/{id}/unlock"), json!({})).await }
    };
    for _ in 0..5 {
        api_login(&app, "m1@a.test", "wrong-password-1", None).await;
    }
    assert_eq!(api_login(&app, "m1@a.test", right, None).await.status(), StatusCode::TOO_MANY_REQUESTS);

    // Only an administrator of the user's own workspace lifts it.
    let r = unlock(&app.t.manager2, m1).await;
    assert_error(&r, 403, "forbidden", None);
    assert_eq!(r.1["error"]["message"], "only administrators lift sign-in lockouts");
    assert_error(&unlock(&app.t.manager1, m1).await, 403, "forbidden", None);
    assert_error(&unlock(&app.t.other_admin, m1).await, 404, "not_found", None);
    let (_, theirs) = app.db.user_by_email("admin@b.test").await.unwrap().unwrap();
    assert_error(&unlock(&app.t.admin, theirs).await, 404, "not_found", None);
    assert_error(&unlock(&app.t.admin, 999_999).await, 404, "not_found", None);
    let (s, v) = app.post(&app.t.admin, "/api/v1/users/nobody/unlock", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(api_login(&app, "m1@a.test", right, None).await.status(), StatusCode::TOO_MANY_REQUESTS, "still locked");

    let (s, v) = unlock(&app.t.admin, m1).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"data": {"unlocked": true}}));
    // The failures are forgotten too: four more wrong passwords do not lock, and the fifth starts
    // a new first lockout (five minutes, not the doubled ten).
    for i in 1..5 {
        assert_eq!(api_login(&app, "m1@a.test", "wrong-password-1", None).await.status(), StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let fifth = api_login(&app, "m1@a.test", "wrong-password-1", None).await;
    assert_eq!(fifth.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&fifth), 300);
    assert_eq!(unlock(&app.t.admin, m1).await.1["data"]["unlocked"], true);
    assert_eq!(api_login(&app, "m1@a.test", right, None).await.status(), StatusCode::OK);
    // Nothing to lift now; a lockout that has run out is no lockout either.
    assert_eq!(unlock(&app.t.admin, m1).await, (StatusCode::OK, json!({"data": {"unlocked": false}})));
    for _ in 0..5 {
        api_login(&app, "m1@a.test", "wrong-password-1", None).await;
    }
    app.clock.advance(Duration::minutes(5) + Duration::seconds(1));
    assert_eq!(unlock(&app.t.admin, m1).await.1["data"]["unlocked"], false);
    // The users' own routes are untouched by the new one beside them.
    assert_eq!(app.get(&app.t.admin, &format!("/api/v1/users/{m1}/history")).await.0, StatusCode::OK);
}
