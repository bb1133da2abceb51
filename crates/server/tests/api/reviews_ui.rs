//! Call quality review in the web UI and the weekly job (issue 22): the head draws a week's
//! sample, opens a call with its recording, deal and client, scores it with a comment pinned to
//! a moment (a refusal shown beside the form with what was typed), the manager sees the result
//! and disputes it once, the head changes the score; the report's trend, CSV and XLSX; the
//! Monday job samples the week before. Over HTTP on both databases; in a real browser with
//! screenshots (RU, EN, 390 px) when `PORYADOK_TEST_BROWSER=1`.
use crate::browser::start_browser;
use crate::helpers::*;
use fantoccini::Locator;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    a_head_reviews_a_call_and_the_manager_disputes_it_in_the_ui,
    the_monday_job_samples_the_week_before,
    a_head_sets_the_sample_and_every_call_of_a_lost_deal_is_drawn
);

/// A client with a deal of manager1 and `n` answered inbound calls in 2026-W47, the first with
/// `recording` (none: no recording). Returns the call ids.
async fn calls_of(app: &TestApp, owner: i64, n: usize, recording: Option<&str>, day: &str) -> Vec<i64> {
    let person = app
        .create(&app.t.admin, "persons", json!({"name": "Ольга Клиентова", "phone": format!("+7916111{owner:04}"), "owner_id": owner}))
        .await;
    let deal = app
        .create(
            &app.t.admin,
            "deals",
            json!({"title": "Поставка плитки", "person_id": person, "owner_id": owner, "pipeline_id": app.ids.pipeline}),
        )
        .await;
    let mut out = Vec::new();
    for i in 0..n {
        let mut body = json!({
            "type": "call", "subject": format!("Звонок {i}"), "done": true, "owner_id": owner, "deal_id": deal, "person_id": person,
            "due_at": format!("{day}T{:02}:10:00Z", 7 + i % 8), "call_direction": "inbound", "call_outcome": "answered",
            "call_seconds": 95, "phone": format!("+7916111{owner:04}"),
        });
        if let (0, Some(url)) = (i, recording) {
            body["recording_url"] = json!(url);
        }
        out.push(app.create(&app.t.admin, "activities", body).await);
    }
    out
}

async fn head_id(app: &TestApp) -> i64 {
    let (_, v) = app.get(&app.t.admin, "/api/v1/users?limit=100").await;
    v["data"].as_array().unwrap().iter().find(|u| u["email"] == "head@a.test").and_then(|u| u["id"].as_i64()).unwrap()
}

/// Every criterion of the default card at its maximum as form fields, but `skip`.
fn full_form(skip: &str, over: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for c in poryadok_core::review::default_criteria_ru().as_array().unwrap() {
        let key = c["key"].as_str().unwrap();
        if key == skip {
            continue;
        }
        let max = c["points"].as_array().unwrap().iter().filter_map(Value::as_i64).max().unwrap();
        let v = over.iter().find(|(k, _)| *k == key).map(|(_, v)| v.to_string()).unwrap_or(max.to_string());
        out.push((format!("p.{key}"), v));
    }
    out
}

fn refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

async fn a_head_reviews_a_call_and_the_manager_disputes_it_in_the_ui(app: TestApp) {
    let (s, _) = app
        .call(
            reqwest::Method::PUT,
            &app.t.head,
            "/api/v1/reviews/scorecard",
            Some(json!({"criteria": poryadok_core::review::default_criteria_ru()})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let recorded = calls_of(&app, app.ids.manager1, 3, Some("https://records.example/call-1.mp3"), "2026-11-17").await;
    calls_of(&app, app.ids.manager2, 1, None, "2026-11-18").await;
    let head = app.ui_login(head_id(&app).await, "head@a.test").await;

    // The head draws the week's sample from the queue page; the queue shows it.
    let (s, to, body) = head.post_form_to("/reviews/sample", &[("week", "2026-W47")]).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let to = to.unwrap();
    assert!(to.starts_with("/reviews?week=2026-W47&sampled=2"), "{to}");
    let (s, queue) = head.get(&to).await;
    assert_eq!(s, StatusCode::OK);
    assert!(queue.contains("новых звонков в очереди — 2") && queue.contains("reviews-table") && queue.contains("Ждёт оценки"), "{queue}");
    assert!(queue.contains("id=\"reviews-sample\"") && queue.contains("id=\"reviews-filter\""), "the head's tools");
    let (s, bad) = head.post_form("/reviews/sample", &[("week", "на прошлой неделе")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("не неделя вида 2026-W48"), "{bad}");

    let (_, list) = app.get(&app.t.head, "/api/v1/reviews?week=2026-W47").await;
    let list = list["data"].as_array().unwrap().clone();
    let ours = list.iter().find(|r| r["manager_id"] == app.ids.manager1).unwrap();
    let id = ours["id"].as_i64().unwrap();
    let theirs = list.iter().find(|r| r["manager_id"] == app.ids.manager2).unwrap()["id"].as_i64().unwrap();
    // A call of the sample from the recorded set; give it the recording when the sample took another.
    if ours["recording_url"].is_null() {
        let act = ours["activity_id"].as_i64().unwrap();
        assert!(recorded.contains(&act));
        let (s, _) = app
            .patch(&app.t.admin, &format!("/api/v1/activities/{act}"), json!({"recording_url": "https://records.example/call-1.mp3"}))
            .await;
        assert_eq!(s, StatusCode::OK);
    }

    // The review screen: the player, the deal and client beside it, the card by the call's steps.
    let (s, page) = head.get(&format!("/reviews/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("<audio id=\"review-audio\" controls preload=\"metadata\" src=\"https://records.example/call-1.mp3\""), "{page}");
    assert!(page.contains("id=\"review-deal\"") && page.contains("Поставка плитки") && page.contains("Ольга Клиентова"), "{page}");
    assert!(page.contains("Установление контакта") && page.contains("Работа с возражениями") && page.contains("критично"), "{page}");
    assert!(page.contains("name=\"p.greeting\"") && page.contains("id=\"review-pin\"") && page.contains("reviews.js"), "{page}");
    let (_, other) = head.get(&format!("/reviews/{theirs}")).await;
    assert!(other.contains("id=\"review-no-recording\"") && !other.contains("<audio"), "a call without a recording says so");

    // A criterion left out: refused beside the form, by its title, with what was typed kept.
    let mut form = full_form("politeness", &[]);
    form.push(("comment".into(), "Не выяснил бюджет".into()));
    form.push(("moment".into(), "01:05".into()));
    let (s, refused) = head.post_form(&format!("/reviews/{id}/score"), &refs(&form)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("id=\"review-error\"") && refused.contains("Был вежлив, не перебивал и не спорил"), "{refused}");
    assert!(refused.contains("Не выяснил бюджет") && refused.contains("value=\"01:05\""), "what was typed stays");
    let mut form = full_form("", &[("questions", "1")]);
    form.push(("comment".into(), "Не выяснил бюджет".into()));
    form.push(("moment".into(), "01:05".into()));
    let (s, to, _) = head.post_form_to(&format!("/reviews/{id}/score"), &refs(&form)).await;
    assert_eq!((s, to.as_deref()), (StatusCode::NO_CONTENT, Some(format!("/reviews/{id}?saved=1").as_str())));
    let (_, saved) = head.get(&format!("/reviews/{id}?saved=1")).await;
    assert!(saved.contains("id=\"review-saved\"") && saved.contains("Сохранено") && saved.contains("91.3 %"), "{saved}");
    assert!(saved.contains("data-seek=\"65\"") && saved.contains("01:05"), "the pinned moment: {saved}");
    let (_, v) = app.get(&app.t.head, &format!("/api/v1/reviews/{id}")).await;
    assert_eq!((v["data"]["comment_second"].as_i64(), v["data"]["score_pct"].as_f64()), (Some(65), Some(91.3)));

    // The manager sees their own result, not a colleague's, and disputes it once.
    let m1 = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, mine) = m1.get("/reviews").await;
    assert!(mine.contains(&format!("/reviews/{id}\"")) && !mine.contains(&format!("/reviews/{theirs}\"")), "{mine}");
    assert!(!mine.contains("id=\"reviews-sample\""), "no sampling for a manager");
    assert_eq!(m1.get(&format!("/reviews/{theirs}")).await.0, StatusCode::NOT_FOUND);
    let (_, result) = m1.get(&format!("/reviews/{id}")).await;
    assert!(result.contains("91.3 %") && result.contains("1 / 2") && result.contains("id=\"review-dispute\""), "{result}");
    assert!(!result.contains("id=\"review-form\""), "a manager does not score");
    let (s, to, _) = m1.post_form_to(&format!("/reviews/{id}/dispute"), &[("text", "Бюджет клиент назвать отказался")]).await;
    assert_eq!((s, to.is_some()), (StatusCode::NO_CONTENT, true));
    let (s, again) = m1.post_form(&format!("/reviews/{id}/dispute"), &[("text", "Ещё раз")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.contains("оспорить только один раз"), "{again}");

    // The head changes the score; the manager sees the resolution.
    let (_, disputed) = head.get(&format!("/reviews/{id}")).await;
    assert!(disputed.contains("Бюджет клиент назвать отказался") && disputed.contains("id=\"review-resolve\""), "{disputed}");
    let mut form = full_form("", &[]);
    form.push(("resolution".into(), "changed".into()));
    form.push(("comment".into(), "Согласен".into()));
    let (s, _, body) = head.post_form_to(&format!("/reviews/{id}/resolve"), &refs(&form)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    let (_, resolved) = m1.get(&format!("/reviews/{id}")).await;
    assert!(resolved.contains("100 %") && resolved.contains("Оценка изменена") && resolved.contains("Согласен"), "{resolved}");

    // The report: the trend per week, per manager per week and month, criteria; CSV and XLSX.
    let (s, report) = head.get("/reviews/report?from=2026-W46&to=2026-W48").await;
    assert_eq!(s, StatusCode::OK);
    assert!(report.contains("id=\"reviews-trend\"") && report.contains("class=\"hbars\"") && report.contains("2026-W47"), "{report}");
    assert!(report.contains("Ноябрь") && report.contains("100 % (1)"), "per month: {report}");
    let csv = head.client.get(format!("{}/reviews/report?from=2026-W46&to=2026-W48&format=csv", head.base)).send().await.unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("Раздел,Название,Период,Звонков,\"Оценка, %\"") || csv.contains("Оценка, %"), "{csv}");
    assert!(csv.contains("2026-W47") && csv.contains("2026-11") && csv.contains("100.0"), "{csv}");
    let api = app
        .client
        .get(format!("{}/api/v1/reviews/report?from=2026-W46&to=2026-W48&format=xlsx", app.base))
        .bearer_auth(&app.t.head)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::OK);
    assert!(api.bytes().await.unwrap().starts_with(b"PK"), "a workbook");
    let (s, v) = app.get(&app.t.head, "/api/v1/reviews/report?from=2026-W46&to=2026-W48&format=pdf").await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("format")));
    // The month's summary is a sheet of the monthly review workbook.
    let book = app.client.get(format!("{}/api/v1/reports/review?month=2026-11", app.base)).bearer_auth(&app.t.head).send().await.unwrap();
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(book.bytes().await.unwrap().to_vec())).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range("Оценка звонков").unwrap();
    assert!(sheet.rows().any(|r| r[0] == "m1" && r[1] == calamine::Data::Float(1.0) && r[2] == calamine::Data::Float(1.0)), "{sheet:?}");
    let (_, v) = app.get(&app.t.head, "/api/v1/reviews/report?from=2026-W46&to=2026-W48").await;
    let mw = v["data"]["manager_months"].as_array().unwrap();
    assert!(mw.iter().any(|l| l["manager_id"] == app.ids.manager1 && l["period"] == "2026-11" && l["score_pct"] == 100.0), "{v}");
}

async fn the_monday_job_samples_the_week_before(app: TestApp) {
    // The fixed clock is Monday 2026-11-23 09:00 UTC; the calls are in the week after (W48).
    calls_of(&app, app.ids.manager1, 12, None, "2026-11-25").await;
    app.db.ensure_review_sample_schedule(app.ws).await.unwrap();
    let w = Worker::new(&AppState::new(app.db.clone()));
    w.run_once().await.unwrap();
    let (_, v) = app.get(&app.t.head, "/api/v1/reviews?week=2026-W48").await;
    assert!(v["data"].as_array().unwrap().is_empty(), "not before the next Monday");
    // Next Monday 03:00 Moscow time (00:00 UTC): last week's sample, 10 % of 12 inbound calls.
    app.clock.advance(time::Duration::days(6) + time::Duration::hours(15));
    w.run_once().await.unwrap();
    let (_, v) = app.get(&app.t.head, "/api/v1/reviews?week=2026-W48").await;
    assert_eq!(v["data"].as_array().unwrap().len(), 2, "{v}");
    // Run again (a retried job) the sample stays the same.
    app.db.scheduled_sample(app.ws).await.unwrap();
    let (_, again) = app.get(&app.t.head, "/api/v1/reviews?week=2026-W48").await;
    assert_eq!(again["data"], v["data"]);
}

/// The head sets the shares in the queue page; with "every call of a lost deal" on, a lost
/// deal's calls are all drawn beside the share, and a share over 100 is refused beside the form.
async fn a_head_sets_the_sample_and_every_call_of_a_lost_deal_is_drawn(app: TestApp) {
    let head = app.ui_login(head_id(&app).await, "head@a.test").await;
    let (s, page) = head.get("/reviews").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("id=\"reviews-settings-form\"") && page.contains("value=\"10\"") && page.contains("value=\"30\""), "{page}");

    let form = [("inbound_pct", "150"), ("outbound_pct", "5"), ("min_seconds", "30")];
    let (s, refused) = head.post_form("/reviews/settings", &form).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("value=\"150\"") && refused.contains("aria-invalid=\"true\""), "what was typed stays: {refused}");
    let (_, v) = app.get(&app.t.head, "/api/v1/reviews/settings").await;
    assert_eq!(v["data"]["inbound_pct"], json!(10.0), "nothing saved: {v}");

    let form = [("inbound_pct", "2,5"), ("outbound_pct", "5"), ("min_seconds", "30"), ("lost_deals", "1")];
    let (s, to, _) = head.post_form_to("/reviews/settings", &form).await;
    assert_eq!((s, to.as_deref()), (StatusCode::NO_CONTENT, Some("/reviews?saved=1")));
    let (_, page) = head.get("/reviews?saved=1").await;
    assert!(page.contains("Настройки выборки сохранены") && page.contains("value=\"2,5\"") && page.contains("checked"), "{page}");
    let (_, v) = app.get(&app.t.head, "/api/v1/reviews/settings").await;
    assert_eq!((v["data"]["inbound_pct"].as_f64(), v["data"]["lost_deals"].as_bool()), (Some(2.5), Some(true)), "{v}");

    // Twelve calls of an open deal give one (2.5 % rounded up); the lost deal's four calls all go.
    calls_of(&app, app.ids.manager1, 12, None, "2026-11-17").await;
    let lost = calls_of(&app, app.ids.manager2, 4, None, "2026-11-18").await;
    let (_, call) = app.get(&app.t.admin, &format!("/api/v1/activities/{}", lost[0])).await;
    let deal = call["data"]["deal_id"].as_i64().unwrap();
    let (s, v) = app.patch(&app.t.admin, "/api/v1/workspace", json!({"lost_reasons": ["Дорого"]})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .patch(
            &app.t.admin,
            &format!("/api/v1/deals/{deal}"),
            json!({"status": "lost", "lost_reason": "Дорого", "close_comment": "Выбрали дешевле"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app.post(&app.t.head, "/api/v1/reviews/sample", json!({"week": "2026-W47"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = app.get(&app.t.head, "/api/v1/reviews?week=2026-W47").await;
    let of = |m: i64| v["data"].as_array().unwrap().iter().filter(|r| r["manager_id"] == m).count();
    assert_eq!((of(app.ids.manager1), of(app.ids.manager2)), (1, 4), "{v}");
}

/// A WAV of `seconds` of silence (8 kHz, 8 bit, mono) for the player to load and seek in.
fn silence(seconds: u32) -> Vec<u8> {
    let n = 8000 * seconds;
    let mut w = Vec::with_capacity(44 + n as usize);
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + n).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&8000u32.to_le_bytes());
    w.extend_from_slice(&8000u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&8u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&n.to_le_bytes());
    w.resize(44 + n as usize, 128);
    w
}

/// Serves the recording on 127.0.0.1 as a telephony provider would (with byte ranges, which a
/// player needs to seek); its URL.
async fn recording_server() -> String {
    use axum::http::{header, HeaderMap, StatusCode as S};
    use axum::response::IntoResponse;
    let app = axum::Router::new().route(
        "/rec.wav",
        axum::routing::get(|headers: HeaderMap| async move {
            let wav = silence(120);
            let len = wav.len();
            let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(|r| r.strip_prefix("bytes=")).and_then(|r| {
                let (a, b) = r.split_once('-')?;
                let a: usize = a.parse().ok()?;
                let b: usize = if b.is_empty() { len - 1 } else { b.parse::<usize>().ok()?.min(len - 1) };
                (a <= b).then_some((a, b))
            });
            match range {
                Some((a, b)) => (
                    S::PARTIAL_CONTENT,
                    [
                        (header::CONTENT_TYPE, "audio/wav".to_string()),
                        (header::ACCEPT_RANGES, "bytes".to_string()),
                        (header::CONTENT_RANGE, format!("bytes {a}-{b}/{len}")),
                    ],
                    wav[a..=b].to_vec(),
                )
                    .into_response(),
                None => (S::OK, [(header::CONTENT_TYPE, "audio/wav".to_string()), (header::ACCEPT_RANGES, "bytes".to_string())], wav)
                    .into_response(),
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    format!("http://{addr}/rec.wav")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_scores_a_call_with_the_player_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    app.call(
        reqwest::Method::PUT,
        &app.t.head,
        "/api/v1/reviews/scorecard",
        Some(json!({"criteria": poryadok_core::review::default_criteria_ru()})),
    )
    .await;
    let url = recording_server().await;
    calls_of(&app, app.ids.manager1, 1, Some(&url), "2026-11-17").await;
    let (_, v) = app.post(&app.t.head, "/api/v1/reviews/sample", json!({"week": "2026-W47"})).await;
    assert_eq!(v["data"]["queued"], 1, "{v}");
    let (_, list) = app.get(&app.t.head, "/api/v1/reviews").await;
    let id = list["data"][0]["id"].as_i64().unwrap();
    let head = head_id(&app).await;
    app.set_password(head, "head-pass-12345").await;
    b.login(&app.base, "head@a.test", "head-pass-12345").await;
    b.client.goto(&format!("{}/reviews", app.base)).await.unwrap();
    b.wait_for("#reviews-table").await;
    b.shot("reviews-queue-ru").await;
    b.client.find(Locator::Css(".reviews-open")).await.unwrap().click().await.unwrap();
    b.wait_for("#review-audio").await;
    b.wait_until("the recording's length", "document.getElementById('review-audio').duration > 100").await;
    // The reviewer listens to 1:05, pins the comment there, and scores.
    b.client.execute("document.getElementById('review-audio').currentTime = 65;", vec![]).await.unwrap();
    b.client.find(Locator::Css("#review-pin")).await.unwrap().click().await.unwrap();
    let moment = b.client.execute("return document.getElementById('review-moment').value;", vec![]).await.unwrap();
    assert_eq!(moment, json!("01:05"));
    // The scoring form on a phone: nothing wider than the screen.
    b.fit_viewport(390, 844).await;
    let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    assert!(wide.as_i64().unwrap_or(99) <= 0, "the review screen scrolls sideways by {wide}px on a phone");
    b.shot("review-scoring-phone-ru").await;
    b.fit_viewport(1366, 768).await;
    for c in poryadok_core::review::default_criteria_ru().as_array().unwrap() {
        let key = c["key"].as_str().unwrap();
        let pick = if key == "questions" { 1 } else { c["points"].as_array().unwrap().iter().filter_map(Value::as_i64).max().unwrap() };
        let css = format!("input[name='p.{key}'][value='{pick}']");
        // Below the sticky top bar, as a hand scrolls to it.
        b.client.execute(&format!("document.querySelector(\"{css}\").scrollIntoView({{block: 'center'}});"), vec![]).await.unwrap();
        b.client.find(Locator::Css(&css)).await.unwrap().click().await.unwrap();
    }
    b.client.find(Locator::Css("#review-comment-text")).await.unwrap().send_keys("Не выяснил бюджет").await.unwrap();
    b.client.execute("document.getElementById('review-player').scrollIntoView();", vec![]).await.unwrap();
    b.shot("review-scoring-ru").await;
    b.client.execute("document.getElementById('review-save').scrollIntoView({block: 'center'});", vec![]).await.unwrap();
    b.client.find(Locator::Css("#review-save")).await.unwrap().click().await.unwrap();
    b.wait_for("#review-saved").await;
    let saved = b.text_of("#review-saved").await;
    assert!(saved.contains("Сохранено") && saved.contains("91.3 %"), "{saved}");
    // The pinned moment seeks the player.
    b.client.execute("document.getElementById('review-audio').currentTime = 0;", vec![]).await.unwrap();
    b.client.find(Locator::Css("#review-seek")).await.unwrap().click().await.unwrap();
    b.wait_until("the player at 1:05", "Math.round(document.getElementById('review-audio').currentTime) >= 65").await;
    b.shot("review-saved-ru").await;

    // The manager sees the result, on a phone, in both languages.
    b.client.delete_all_cookies().await.unwrap();
    app.set_password(app.ids.manager1, "manager-pass-123").await;
    b.login(&app.base, "m1@a.test", "manager-pass-123").await;
    b.fit_viewport(390, 844).await;
    for lang in ["ru", "en"] {
        if lang == "en" {
            b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
            b.wait_until("English", "document.documentElement.lang === 'en'").await;
        }
        for (path, name, ready) in [
            ("/reviews".to_string(), "reviews-mine", "#reviews-table"),
            (format!("/reviews/{id}"), "review-result", "#review-score"),
            ("/reviews/report".to_string(), "reviews-report", "#reviews-trend"),
        ] {
            b.client.goto(&format!("{}{path}", app.base)).await.unwrap();
            b.wait_for(ready).await;
            let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
            assert!(wide.as_i64().unwrap_or(99) <= 0, "{path} scrolls sideways by {wide}px on a phone");
            b.shot(&format!("{name}-phone-{lang}")).await;
        }
    }
    let score = b.text_of("#reviews-trend").await;
    assert!(score.contains("91.3 %") && score.contains("calls: 1"), "{score}");
    b.client.goto(&format!("{}/reviews/{id}", app.base)).await.unwrap();
    b.wait_for("#review-dispute").await;
    let page = b.text_of("main").await;
    assert!(page.contains("Dispute the review") && page.contains("Contact") && page.contains("01:05"), "{page}");
}

crate::both_dbs!(an_sla_runs_on_the_owners_shift_when_the_stage_says_so);

/// Monday 2026-11-23 12:00 Moscow (the fixed clock): manager1 works Monday to Friday 09–18 and
/// Saturday 10–14 and is on vacation this week; the stage's 8-hour SLA on the owner's shift runs
/// 4 hours on Saturday and 4 on the next Monday, while manager2's (no pattern: business hours)
/// ends on Tuesday.
async fn an_sla_runs_on_the_owners_shift_when_the_stage_says_so(app: TestApp) {
    let stage = format!("/api/v1/stages/{}", app.ids.stages[0]);
    let (s, v) = app.patch(&app.t.admin, &stage, json!({"regulation": {"sla": {"amount": 8, "unit": "hours"}, "sla_clock": "moon"}})).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("regulation.sla_clock")), "{v}");
    let (s, v) =
        app.patch(&app.t.admin, &stage, json!({"regulation": {"sla": {"amount": 8, "unit": "hours"}, "sla_clock": "owner_shift"}})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = app.get(&app.t.admin, &stage).await;
    assert_eq!(v["data"]["regulation"]["sla_clock"], "owner_shift", "{v}");
    let mut shifts: Vec<Value> = (1..=5).map(|d| json!({"day": d, "start": "09:00", "end": "18:00"})).collect();
    shifts.push(json!({"day": 6, "start": "10:00", "end": "14:00"}));
    let m1 = app.ids.manager1;
    let (s, v) =
        app.call(reqwest::Method::PUT, &app.t.head, &format!("/api/v1/users/{m1}/schedule"), Some(json!({"shifts": shifts}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = app
        .post(
            &app.t.head,
            &format!("/api/v1/users/{m1}/schedule/exceptions"),
            json!({"kind": "vacation", "from": "2026-11-23", "to": "2026-11-27"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let on_shift =
        app.create(&app.t.admin, "deals", json!({"title": "Лид в отпуске", "owner_id": m1, "stage_id": app.ids.stages[0]})).await;
    let office = app
        .create(&app.t.admin, "deals", json!({"title": "Лид в офисе", "owner_id": app.ids.manager2, "stage_id": app.ids.stages[0]}))
        .await;
    let (_, jobs) = app.get(&app.t.admin, "/api/v1/jobs?status=queued").await;
    let due = |deal: i64| {
        jobs["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["kind"] == "sla_check" && j["payload"]["deal_id"] == deal)
            .map(|j| j["run_at"].clone())
    };
    assert_eq!(due(on_shift), Some(json!("2026-11-30T10:00:00.000Z")), "Monday 13:00 Moscow after the vacation: {jobs}");
    assert_eq!(due(office), Some(json!("2026-11-24T08:00:00.000Z")), "Tuesday 11:00 Moscow on business hours: {jobs}");
}
