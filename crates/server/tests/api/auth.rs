use crate::helpers::*;
use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(session_login_with_csrf, tokens_are_made_for_the_caller_and_work, deactivated_users_lose_access);

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
