//! The violations inbox at scale: 50 a page with earlier/next links, filters by rule, state,
//! round and answer that combine and live in the address, the same filters on
//! `GET /api/v1/violations`, and one answer for several violations of a rule — each answered
//! under the single answer's rules, the refused ones left as they were and reported.
use crate::helpers::*;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    the_inbox_pages_fifty_at_a_time_and_the_filters_narrow_it,
    the_violations_api_takes_the_inbox_filters,
    a_bulk_answer_saves_the_ticked_and_reports_what_it_could_not,
);

#[track_caller]
fn has(html: &str, needle: &str) {
    assert!(html.contains(needle), "{needle:?} is not on the page:\n{html}");
}

/// Violation rows on an inbox page.
fn rows(html: &str) -> usize {
    html.matches("<li class=\"audit-violation").count()
}

/// The ids of the violation rows on a page, in order.
fn row_ids(html: &str) -> Vec<i64> {
    html.split("<li class=\"audit-violation")
        .skip(1)
        .filter_map(|part| part.split("id=\"violation-").nth(1)?.split('"').next()?.parse().ok())
        .collect()
}

/// The address of a link with `id` (its escaped `&` read back).
fn link(html: &str, id: &str) -> Option<String> {
    html_attr(html, &format!("id=\"{id}\""), "href").map(|h| h.replace("&#38;", "&").replace("&amp;", "&"))
}

/// Switches the session's user to English, as the top bar's switch does.
async fn english(s: &UiSession) {
    let resp = s
        .client
        .post(format!("{}/lang", s.base))
        .form(&[("lang", "en"), ("back", "/violations"), ("csrf_token", &s.csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

async fn run_round(app: &TestApp) -> i64 {
    let (s, v) = app.post(&app.t.head, "/api/v1/audit/rounds", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    Worker::new(&AppState::new(app.db.clone())).run_once().await.unwrap();
    v["data"]["id"].as_i64().unwrap()
}

async fn rule(app: &TestApp, name: &str, expression: &str) -> i64 {
    let body = json!({"name": name, "entity": "deal", "expression": expression, "criticality": 1,
                      "why": "Без этого не виден прогноз", "fix": "Заполните сделку"});
    app.create(&app.t.head, "rules", body).await
}

/// Two rules and 60 of manager1's deals breaking both (120 violations), 5 of manager3's (10).
async fn planted(app: &TestApp) -> (i64, i64, i64) {
    let leads = rule(app, "Лид без квалификации", "title ~ \"Лид\"").await;
    let no_value = rule(app, "Нет суммы", "value = 0").await;
    for n in 0..60 {
        app.create(&app.t.manager1, "deals", json!({"title": format!("Лид {n:03}")})).await;
    }
    for n in 0..5 {
        app.create(&app.t.manager3, "deals", json!({"title": format!("Казань Лид {n}")})).await;
    }
    app.create(&app.t.manager1, "deals", json!({"title": "Чистая сделка", "value": 100_000})).await;
    let round = run_round(app).await;
    (round, leads, no_value)
}

async fn api_page(app: &TestApp, token: &str, query: &str) -> (Vec<Value>, Option<String>) {
    let (s, v) = app.get(token, &format!("/api/v1/violations?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    (v["data"].as_array().unwrap().clone(), v["next_cursor"].as_str().map(str::to_string))
}

async fn the_inbox_pages_fifty_at_a_time_and_the_filters_narrow_it(app: TestApp) {
    let (round, leads, no_value) = planted(&app).await;
    let m1 = app.ui_login(app.ids.manager1, "m1@a.test").await;

    // 120 of manager1's: 50, 50 and 20, with links both ways, and the same page on the way back.
    let (st, first) = m1.get("/violations").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(rows(&first), 50);
    assert!(link(&first, "inbox-prev").is_none(), "the first page has nothing before it");
    let next = link(&first, "inbox-next").expect("a next page");
    assert!(next.contains(&format!("round={round}")) && next.contains("after="), "{next}");
    let (_, second) = m1.get(&next).await;
    assert_eq!(rows(&second), 50);
    let (_, third) = m1.get(&link(&second, "inbox-next").unwrap()).await;
    assert_eq!(rows(&third), 20);
    assert!(link(&third, "inbox-next").is_none(), "the last page has no next");
    let (_, back) = m1.get(&link(&third, "inbox-prev").unwrap()).await;
    assert_eq!(row_ids(&back), row_ids(&second), "earlier from the last page is the middle page again");
    let (_, back) = m1.get(&link(&back, "inbox-prev").unwrap()).await;
    assert_eq!(row_ids(&back), row_ids(&first));
    let mut seen: Vec<i64> = [row_ids(&first), row_ids(&second), row_ids(&third)].concat();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 120, "every violation once");
    assert!(!first.contains("Казань Лид"), "manager3's violations are not in manager1's inbox");

    // A rule: its 60, paged; the filter is kept by the next link and shown selected.
    let (st, html) = m1.get_fragment(&format!("/violations?round={round}&rule={leads}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(html.starts_with("<section class=\"audit audit-inbox\" id=\"inbox\">"), "htmx gets the inbox alone: {html}");
    assert_eq!(rows(&html), 50);
    has(&html, &format!("<option value=\"{leads}\" selected>"));
    has(&html, &format!("id=\"group-{leads}\""));
    assert!(!html.contains(&format!("id=\"group-{no_value}\"")), "only the rule asked for");
    let next = link(&html, "inbox-next").unwrap();
    assert!(next.contains(&format!("rule={leads}")), "{next}");
    let (_, html) = m1.get(&next).await;
    assert_eq!(rows(&html), 10);
    has(&html, &format!("<option value=\"{leads}\" selected>"));

    // Answers narrow it further: answered, a state, and both with a rule.
    let mine: Vec<i64> = app
        .all_records(&app.t.manager1, "violations", &format!("&rule_id={no_value}"), 500)
        .await
        .iter()
        .map(|v| v["id"].as_i64().unwrap())
        .collect();
    assert_eq!(mine.len(), 60);
    for v in &mine[..3] {
        let (s, r) = app.post(&app.t.manager1, &format!("/api/v1/violations/{v}/answer"), json!({"status": "fixed"})).await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }
    let (s, r) = app
        .post(&app.t.manager1, &format!("/api/v1/violations/{}/answer", mine[3]), json!({"status": "not_fixed", "comment": "Ждём бюджет"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (_, html) = m1.get(&format!("/violations?round={round}&answered=true")).await;
    assert_eq!(rows(&html), 4);
    assert!(link(&html, "inbox-next").is_none());
    let (_, html) = m1.get(&format!("/violations?round={round}&state=fixed&rule={no_value}")).await;
    assert_eq!(row_ids(&html), mine[..3].to_vec());
    has(&html, "<option value=\"fixed\" selected>");
    let (_, html) = m1.get(&format!("/violations?round={round}&state=not_fixed&answered=true")).await;
    assert_eq!(row_ids(&html), vec![mine[3]]);
    let (_, html) = m1.get(&format!("/violations?round={round}&rule={leads}&answered=true")).await;
    assert_eq!(rows(&html), 0);
    has(&html, "Нет нарушений, подходящих под отбор");
    has(&html, "id=\"inbox-reset\"");
    let (_, html) = m1.get(&format!("/violations?round={round}&answered=false&rule={no_value}")).await;
    assert_eq!(rows(&html), 50);
    let (_, html) = m1.get(&link(&html, "inbox-next").unwrap()).await;
    assert_eq!(rows(&html), 6, "60 of the rule less the 4 answered");
    // The filter form keeps the address in step, so a reload shows the same.
    has(&html, "hx-push-url=\"true\"");

    // Manager3 pages through their own 10 only; the head's inbox is the head's own.
    let m3 = app.ui_login(app.ids.manager3, "m3@a.test").await;
    let (_, html) = m3.get("/violations").await;
    assert_eq!(rows(&html), 10);
    assert!(link(&html, "inbox-next").is_none());
    assert!(!html.contains("Лид 000"));
    let (_, html) = m3.get(&format!("/violations?round={round}&rule={leads}&after=1")).await;
    assert_eq!(rows(&html), 5);
    let head_id = app.db.user_by_email("head@a.test").await.unwrap().unwrap().1;
    let head = app.ui_login(head_id, "head@a.test").await;
    let (_, html) = head.get("/violations").await;
    assert_eq!(rows(&html), 0);

    // In English, the filters read in English.
    english(&m1).await;
    let (_, html) = m1.get(&format!("/violations?round={round}&answered=false")).await;
    has(&html, "All rules");
    has(&html, "<option value=\"false\" selected>Unanswered</option>");
    has(&html, "Next →");
}

async fn the_violations_api_takes_the_inbox_filters(app: TestApp) {
    let (round, leads, no_value) = planted(&app).await;
    let m1 = &app.t.manager1;
    // 50 a page by default, 120 in all, manager1's only.
    let (page, next) = api_page(&app, m1, "").await;
    assert_eq!(page.len(), 50);
    assert!(next.is_some());
    let all = app.all_records(m1, "violations", "", 50).await;
    assert_eq!(all.len(), 120);
    assert!(all.iter().all(|v| v["user_id"] == app.ids.manager1));
    assert_eq!(app.all_records(&app.t.head, "violations", "", 500).await.len(), 130, "the head sees everyone's");

    let (page, next) = api_page(&app, m1, &format!("rule_id={leads}&round_id={round}")).await;
    assert_eq!(page.len(), 50);
    assert!(page.iter().all(|v| v["rule_id"] == leads && v["round_id"] == round));
    let (rest, none) = api_page(&app, m1, &format!("rule_id={leads}&round_id={round}&cursor={}", next.unwrap())).await;
    assert_eq!((rest.len(), none), (10, None));
    assert_eq!(app.all_records(m1, "violations", &format!("&rule={no_value}"), 500).await.len(), 60, "the older names still work");

    let first = page[0]["id"].as_i64().unwrap();
    let (s, r) = app.post(m1, &format!("/api/v1/violations/{first}/answer"), json!({"status": "fixed"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let ids = |list: Vec<Value>| list.iter().map(|v| v["id"].as_i64().unwrap()).collect::<Vec<_>>();
    assert_eq!(ids(api_page(&app, m1, "answered=true").await.0), vec![first]);
    assert_eq!(ids(api_page(&app, m1, &format!("answered=true&rule_id={no_value}")).await.0), Vec::<i64>::new());
    assert_eq!(ids(api_page(&app, m1, "state=fixed").await.0), vec![first]);
    assert_eq!(app.all_records(m1, "violations", "&answered=false", 500).await.len(), 119);
    assert_eq!(app.all_records(m1, "violations", "&state=open", 500).await.len(), 120, "nothing is closed yet");
    assert!(api_page(&app, m1, "state=closed").await.0.is_empty());
    // The head accepts it: closed.
    let (s, r) = app.post(&app.t.head, &format!("/api/v1/violations/{first}/review"), json!({"decision": "accept"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(ids(api_page(&app, m1, "state=closed").await.0), vec![first]);
    assert_eq!(app.all_records(m1, "violations", "&state=open", 500).await.len(), 119);
    assert_eq!(ids(api_page(&app, &app.t.manager3, "state=closed").await.0), Vec::<i64>::new(), "manager3 does not see it");

    assert_error(&app.get(m1, "/api/v1/violations?state=lost").await, 422, "validation", Some("state"));
    assert_error(&app.get(m1, "/api/v1/violations?answered=maybe").await, 422, "validation", Some("answered"));
    assert_error(&app.get(m1, "/api/v1/violations?rule_id=x").await, 422, "validation", Some("rule_id"));
    assert_error(&app.get(m1, &format!("/api/v1/violations?round=1&round_id={round}")).await, 422, "validation", Some("round_id"));
}

async fn a_bulk_answer_saves_the_ticked_and_reports_what_it_could_not(app: TestApp) {
    let no_value = rule(&app, "Нет суммы", "value = 0").await;
    let leads = rule(&app, "Лид без квалификации", "title ~ \"Лид\"").await;
    for n in 0..4 {
        app.create(&app.t.manager1, "deals", json!({"title": format!("Сделка {n}")})).await;
    }
    app.create(&app.t.manager1, "deals", json!({"title": "Лид с суммой", "value": 1000})).await;
    app.create(&app.t.manager3, "deals", json!({"title": "Казанская без суммы"})).await;
    let round = run_round(&app).await;
    let of = |list: &[Value], rule: i64| -> Vec<i64> {
        list.iter().filter(|v| v["rule_id"] == rule).map(|v| v["id"].as_i64().unwrap()).collect()
    };
    let mine = app.all_records(&app.t.manager1, "violations", "", 500).await;
    let (a, lead) = (of(&mine, no_value), of(&mine, leads)[0]);
    assert_eq!(a.len(), 4);
    let others = app.all_records(&app.t.manager3, "violations", "", 500).await[0]["id"].as_i64().unwrap();
    let status_of = |id: i64| {
        let app = &app;
        async move {
            let (_, v) = app.get(&app.t.head, &format!("/api/v1/violations?limit=500&round_id={round}")).await;
            let v = v["data"].as_array().unwrap().iter().find(|v| v["id"] == id).unwrap().clone();
            (v["status"].as_str().unwrap().to_string(), v["comment"].as_str().map(str::to_string))
        }
    };

    // The rule with several open violations has the form, and each a box tied to it.
    let m1 = app.ui_login(app.ids.manager1, "m1@a.test").await;
    let (_, html) = m1.get("/violations").await;
    has(&html, &format!("id=\"bulk-{no_value}\""));
    has(&html, &format!("name=\"ids\" value=\"{}\" form=\"bulk-{no_value}\"", a[0]));
    assert!(!html.contains(&format!("id=\"bulk-{leads}\"")), "a single violation is answered on its own");
    assert!(!html.contains(&format!("id=\"pick-{lead}\"")));

    let bulk = |ids: &[i64], status: &str, comment: &str| {
        let mut form: Vec<(String, String)> = ids.iter().map(|i| ("ids".to_string(), i.to_string())).collect();
        for (k, v) in [
            ("status", status.to_string()),
            ("comment", comment.to_string()),
            ("bulk_rule", no_value.to_string()),
            ("round", round.to_string()),
        ] {
            form.push((k.to_string(), v));
        }
        form
    };
    let post = |form: Vec<(String, String)>| {
        let m1 = &m1;
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            m1.post_form("/violations/answer", &pairs).await
        }
    };

    // Two ticked, "fixed": both saved, the third untouched, a notice says so.
    let (st, html) = post(bulk(&a[..2], "fixed", "")).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    assert!(html.starts_with("<section class=\"audit audit-inbox\" id=\"inbox\">"));
    has(&html, "id=\"inbox-notice\"");
    has(&html, "Ответы сохранены: 2");
    assert!(!html.contains("id=\"inbox-refused\""));
    for v in &a[..2] {
        assert_eq!(status_of(*v).await.0, "fixed");
    }
    assert_eq!(status_of(a[2]).await.0, "not_processed");

    // "Not fixed" without a comment: refused for each, as a single answer would be; nothing changes,
    // the boxes stay ticked and the answer stays chosen.
    let (st, html) = post(bulk(&a[2..], "not_fixed", "  ")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    has(&html, "Не сохранено 2 из 2: ");
    has(&html, "напишите комментарий: почему нарушение не исправлено");
    assert!(!html.contains("id=\"inbox-notice\""));
    has(&html, &format!("id=\"pick-{}\" aria-label=", a[2]));
    assert!(html.split(&format!("id=\"pick-{}\"", a[2])).nth(1).unwrap().split('>').next().unwrap().contains("checked"));
    has(&html, "<option value=\"not_fixed\" selected>");
    for v in &a[2..] {
        assert_eq!(status_of(*v).await, ("not_processed".to_string(), None));
    }

    // With a comment, but alongside another rule's violation, another manager's and a closed one:
    // the one that may be answered is, the rest are reported with their reasons and left as they were.
    let (s, r) = app.post(&app.t.head, &format!("/api/v1/violations/{}/review", a[0]), json!({"decision": "accept"})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (st, html) = post(bulk(&[a[2], lead, others, a[0]], "not_fixed", "Клиент ещё думает")).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    has(&html, "Ответы сохранены: 1");
    has(&html, "Не сохранено 3 из 4: ");
    has(&html, "нарушение другого правила");
    has(&html, "Запись не найдена или недоступна");
    has(&html, "нарушение закрыто");
    assert_eq!(status_of(a[2]).await, ("not_fixed".to_string(), Some("Клиент ещё думает".to_string())));
    assert_eq!(status_of(lead).await.0, "not_processed");
    assert_eq!(status_of(others).await.0, "not_processed");
    assert_eq!(status_of(a[0]).await.0, "fixed");

    // Nothing ticked: said so, nothing sent to the store.
    let (st, html) = post(bulk(&[], "fixed", "")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    has(&html, "Отметьте нарушения, по которым отвечаете");

    // The page and its filters come back as they were.
    let mut form = bulk(&[a[3]], "fixed", "");
    form.push(("answered".into(), "false".into()));
    let (st, html) = post(form).await;
    assert_eq!(st, StatusCode::OK);
    has(&html, "<option value=\"false\" selected>");
    assert!(!html.contains(&format!("id=\"violation-{}\"", a[3])), "answered, so no longer among the unanswered");

    // A single answer says it was saved too.
    let (st, html) = m1.post_form(&format!("/violations/{lead}/answer"), &[("status", "fixed"), ("comment", "")]).await;
    assert_eq!(st, StatusCode::OK);
    has(&html, &format!("id=\"violation-{lead}-saved\""));
    has(&html, "Ответ сохранён");

    // In English.
    english(&m1).await;
    let (st, html) = post(bulk(&[a[1]], "not_processed", "")).await;
    assert_eq!(st, StatusCode::OK, "{html}");
    has(&html, "Answers saved: 1");
    let (_, html) = post(bulk(&[a[0]], "fixed", "")).await;
    has(&html, "1 of 1 not answered: ");
    has(&html, "the violation is closed");

    // A plain form post (no script) gets the whole page with the notice.
    let resp = m1
        .client
        .post(format!("{}/violations/answer", m1.base))
        .form(&[
            ("ids", a[1].to_string()),
            ("status", "fixed".into()),
            ("bulk_rule", no_value.to_string()),
            ("csrf_token", m1.csrf.clone()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = resp.text().await.unwrap();
    has(&html, "<html");
    has(&html, "Answers saved: 1");
}

/// On a phone: the inbox does not scroll sideways, "tick all" ticks a rule's violations, one
/// answer saves them with a notice, and a filter puts itself into the address (a reload keeps it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_answers_a_rules_violations_at_once_on_a_phone() {
    use fantoccini::Locator;
    let Some(b) = crate::browser::start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let no_value = rule(&app, "Нет суммы — длинное название правила, которое не должно раздвигать страницу", "value = 0").await;
    let leads = rule(&app, "Лид без квалификации", "title ~ \"Лид\"").await;
    for n in 0..6 {
        app.create(&app.t.manager1, "deals", json!({"title": format!("Лид {n}: очень длинное название сделки без пробелов_и_конца_{n}")}))
            .await;
    }
    let round = run_round(&app).await;
    app.set_password(app.ids.manager1, "browser-pass-123").await;
    b.login(&app.base, "m1@a.test", "browser-pass-123").await;
    b.fit_viewport(390, 844).await;
    b.client.goto(&format!("{}/violations", app.base)).await.unwrap();
    b.wait_for(&format!("#bulk-{no_value}")).await;
    let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    assert!(wide.as_i64().unwrap_or(99) <= 0, "the inbox scrolls sideways by {wide}px on a phone");
    b.shot("audit-inbox-phone-ru").await;

    b.wait_for(&format!("#bulk-{no_value} [data-check-all]:not([hidden]) input")).await.click().await.unwrap();
    let ticked = b
        .client
        .execute(&format!("return document.querySelectorAll('input[form=\"bulk-{no_value}\"]:checked').length;"), vec![])
        .await
        .unwrap();
    assert_eq!(ticked, json!(6));
    b.client.find(Locator::Css(&format!("#bulk-{no_value} button[type=submit]"))).await.unwrap().click().await.unwrap();
    b.wait_until("the notice", "document.querySelector('#inbox-notice')").await;
    assert!(b.text_of("#inbox-notice").await.contains("Ответы сохранены: 6"));
    b.shot("audit-inbox-bulk-saved-phone-ru").await;
    let answered = app.all_records(&app.t.manager1, "violations", &format!("&rule_id={no_value}&state=fixed"), 500).await;
    assert_eq!(answered.len(), 6);

    // A filter: the list narrows in place and the address says so; a reload shows the same.
    b.wait_for("#filter-rule").await.select_by_value(&leads.to_string()).await.unwrap();
    b.wait_until("the address", &format!("location.search.indexOf('rule={leads}') >= 0 && !document.querySelector('#group-{no_value}')"))
        .await;
    b.client.refresh().await.unwrap();
    b.wait_for(&format!("#group-{leads}")).await;
    let url = b.client.current_url().await.unwrap();
    assert!(url.query().unwrap_or("").contains(&format!("round={round}")), "{url}");
    assert!(b.client.find(Locator::Css(&format!("#group-{no_value}"))).await.is_err(), "the filter holds after a reload");
    let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    assert!(wide.as_i64().unwrap_or(99) <= 0, "the filtered inbox scrolls sideways by {wide}px");
}
