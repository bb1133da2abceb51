//! The web UI as a browser without scripts sees it: sign-in, CSRF, the board, moving a deal,
//! escaping and the language switch. The full browser flow is in `browser.rs`.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::both_dbs!(
    sign_in_lands_on_the_requested_page_and_wrong_passwords_are_refused,
    writes_without_the_csrf_token_are_refused,
    the_board_shows_counts_totals_marks_and_only_visible_deals,
    a_board_move_persists_and_a_refused_move_says_why,
    the_board_filter_box_takes_expressions_and_plain_words,
    deal_titles_are_shown_as_text,
    the_language_switch_is_remembered_per_user,
    every_page_links_the_favicon_and_favicon_ico_answers,
);

async fn user_id(app: &TestApp, email: &str) -> i64 {
    app.db.user_by_email(email).await.unwrap().unwrap().1
}

async fn sign_in_lands_on_the_requested_page_and_wrong_passwords_are_refused(app: TestApp) {
    let anon = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = anon.get(format!("{}/board?mine=1", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/login?next=%2Fboard%3Fmine%3D1");

    app.set_password(app.ids.manager1, "right-password-1").await;
    let form = anon.get(format!("{}/login?next=%2Fboard", app.base)).send().await.unwrap().text().await.unwrap();
    let csrf = html_attr(&form, "name=\"csrf_token\"", "value").unwrap();
    let post = |password: &'static str, next: &'static str| {
        let (anon, base, csrf) = (anon.clone(), app.base.clone(), csrf.clone());
        async move {
            anon.post(format!("{base}/login"))
                .form(&[("email", "m1@a.test"), ("password", password), ("csrf_token", &csrf), ("next", next)])
                .send()
                .await
                .unwrap()
        }
    };
    let wrong = post("wrong-password", "/board?mine=1").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().await.unwrap().contains("Неверный e-mail или пароль"));

    let ok = post("right-password-1", "/board?mine=1").await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers()["location"], "/board?mine=1");
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");

    // Another site's address is never a redirect target.
    let evil = post("right-password-1", "//evil.example/").await;
    assert_eq!(evil.headers()["location"], "/");
}

async fn writes_without_the_csrf_token_are_refused(app: TestApp) {
    let s = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Поставка"})).await;
    let move_to = app.ids.stages[1].to_string();
    let deal_s = deal.to_string();
    let form = [("deal_id", deal_s.as_str()), ("stage_id", move_to.as_str())];
    for token in [None, Some("forged")] {
        let mut req = s.client.post(format!("{}/board/move", s.base)).form(&form);
        if let Some(t) = token {
            req = req.header("X-CSRF-Token", t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    }
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["stage_id"], app.ids.stages[0], "nothing moved");

    // The token in a form field works as well as the header.
    let with_field: Vec<(&str, &str)> = form.iter().copied().chain([("csrf_token", s.csrf.as_str())]).collect();
    let resp = s.client.post(format!("{}/board/move", s.base)).form(&with_field).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
}

async fn the_board_shows_counts_totals_marks_and_only_visible_deals(app: TestApp) {
    let m1 = &app.t.manager1;
    let org = app.create(m1, "organizations", json!({"name": "ООО Ромашка"})).await;
    let with_task = app.create(m1, "deals", json!({"title": "Сайт для Ромашки", "value": 15_000_000, "organization_id": org})).await;
    app.create(m1, "deals", json!({"title": "Реклама", "value": 5_000_000})).await;
    app.create(m1, "activities", json!({"type": "call", "subject": "Перезвонить", "deal_id": with_task, "due_at": "2026-11-25T10:00:00Z"}))
        .await;
    app.create(&app.t.manager3, "deals", json!({"title": "Казанская тайна", "value": 1})).await;

    let s = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (status, html) = s.get("/board").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Сайт для Ромашки") && html.contains("ООО Ромашка"));
    assert!(html.contains("200\u{a0}000\u{a0}₽"), "the first column totals both deals");
    assert!(html.contains("25.11.2026"), "the next task's date is on the card");
    assert_eq!(html.matches("deal-card no-task").count(), 1, "only the deal without a task is marked: {html}");
    assert!(!html.contains("Казанская тайна"), "another team's deal is not on the board");

    // A stage's rotting limit marks deals that stayed too long.
    let sys = app.db.system_actor(app.ws, poryadok_core::domain::Channel::Cli).await.unwrap();
    app.db.update(&sys, poryadok_core::schema::Entity::Stage, app.ids.stages[0], &json!({"rotting_days": 3})).await.unwrap();
    app.clock.advance(time::Duration::days(5));
    let (_, html) = s.get("/board").await;
    assert_eq!(html.matches("deal-card rotting").count(), 2);
    assert!(html.contains("5 дн. на этапе"));
    let (_, v) = app.get(m1, &format!("/api/v1/pipelines/{}/board", app.ids.pipeline)).await;
    assert_eq!(v["data"]["stages"][0]["deals"][0]["rotting"], true, "the API's board carries the flag too");
    assert_eq!(v["data"]["stages"][0]["rotting_days"], 3);
}

async fn a_board_move_persists_and_a_refused_move_says_why(app: TestApp) {
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Переезд"})).await;
    let s = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (deal_s, stage) = (deal.to_string(), app.ids.stages[1].to_string());
    let view = format!("pipeline={}", app.ids.pipeline);
    let (status, html) = s.post_form("/board/move", &[("deal_id", &deal_s), ("stage_id", &stage), ("view", &view)]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.starts_with("<div id=\"board-wrap\">") && html.contains("Переезд"), "the refreshed board comes back");
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["stage_id"], app.ids.stages[1]);

    // An analyst reads but may not move: the answer names the reason and nothing changes.
    let analyst = user_id(&app, "analyst@a.test").await;
    let a = app.ui_login(analyst, "analyst@a.test").await;
    let first = app.ids.stages[0].to_string();
    let (status, html) = a.post_form("/board/move", &[("deal_id", &deal_s), ("stage_id", &first), ("view", &view)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("role=\"alert\""), "{html}");
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["stage_id"], app.ids.stages[1]);

    // Another team's deal cannot be moved by guessing its id.
    let hidden = app.create(&app.t.manager3, "deals", json!({"title": "Чужая"})).await.to_string();
    let (status, _) = s.post_form("/board/move", &[("deal_id", &hidden), ("stage_id", &stage)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_board_filter_box_takes_expressions_and_plain_words(app: TestApp) {
    let m1 = &app.t.manager1;
    app.create(m1, "deals", json!({"title": "Крупная поставка", "value": 90_000_000})).await;
    app.create(m1, "deals", json!({"title": "Мелкий заказ", "value": 100_000})).await;
    let s = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, html) = s.get_fragment("/board?q=value+%3E+100000").await;
    assert!(html.contains("Крупная поставка") && !html.contains("Мелкий заказ"), "{html}");
    let (_, html) = s.get_fragment("/board?q=%D0%BC%D0%B5%D0%BB%D0%BA%D0%B8%D0%B9").await; // "мелкий"
    assert!(html.contains("Мелкий заказ") && !html.contains("Крупная поставка"));
    let (status, html) = s.get_fragment("/board?q=valu+%3E+1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("filter-error") && html.contains("value"), "the mistake and a suggestion are shown: {html}");
    let (_, html) = s.get_fragment("/board?mine=1").await;
    assert!(html.contains("Крупная поставка"));

    // The API's board takes the same filter.
    let path = format!("/api/v1/pipelines/{}/board?filter=value%20%3E%20100000&owner_id={}", app.ids.pipeline, app.ids.manager1);
    let (status, v) = app.get(m1, &path).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["stages"][0]["count"], 1);
    assert_eq!(v["data"]["stages"][0]["deals"][0]["title"], "Крупная поставка");
    let (status, v) = app.get(m1, &format!("/api/v1/pipelines/{}/board?filter=valu%20%3E%201", app.ids.pipeline)).await;
    assert_error(&(status, v), 422, "validation", Some("filter"));
}

async fn deal_titles_are_shown_as_text(app: TestApp) {
    app.create(&app.t.manager1, "deals", json!({"title": "<script>alert(1)</script>"})).await;
    let s = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, html) = s.get("/board").await;
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{html}");
}

async fn the_language_switch_is_remembered_per_user(app: TestApp) {
    let s = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, html) = s.get("/board").await;
    assert!(html.contains("<html lang=\"ru\">") && html.contains(">Воронка</a>"));
    let resp = s
        .client
        .post(format!("{}/lang", s.base))
        .form(&[("lang", "en"), ("back", "/board?mine=1"), ("csrf_token", &s.csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/board?mine=1");
    let (_, html) = s.get("/board").await;
    assert!(html.contains("<html lang=\"en\">") && html.contains(">Pipeline</a>") && html.contains("Only mine"));

    // The choice is the user's: a colleague still reads Russian, and a new session keeps English.
    let other = app.ui_login(app.ids.manager2, "m2@a.test").await;
    assert!(other.get("/board").await.1.contains(">Воронка</a>"));
    let again = app.ui_login(app.ids.manager1, "m1@a.test").await;
    assert!(again.get("/board").await.1.contains(">Pipeline</a>"));
    let (status, _) = s.post_form("/lang", &[("lang", "de")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn every_page_links_the_favicon_and_favicon_ico_answers(app: TestApp) {
    let anon = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    // Browsers ask for /favicon.ico on their own, before anyone signs in.
    let resp = anon.get(format!("{}/favicon.ico", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/svg+xml");
    let icon = resp.text().await.unwrap();
    assert!(icon.starts_with("<svg") && icon.contains("viewBox"), "{icon}");

    let login = anon.get(format!("{}/login", app.base)).send().await.unwrap().text().await.unwrap();
    let href = html_attr(&login, "rel=\"icon\"", "href").expect("the sign-in page links the icon");
    assert!(href.starts_with("/assets/") && href.ends_with("/favicon.svg"), "{href}");
    let resp = anon.get(format!("{}{href}", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/svg+xml");
    assert!(resp.headers()["cache-control"].to_str().unwrap().contains("immutable"), "a versioned asset");
    assert_eq!(resp.text().await.unwrap(), icon);

    // Signed-in pages and the error page link the same icon.
    let s = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, board) = s.get("/board").await;
    assert_eq!(html_attr(&board, "rel=\"icon\"", "href"), Some(href.clone()));
    let (status, error) = s.get("/deals/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(html_attr(&error, "rel=\"icon\"", "href"), Some(href));
}
