use crate::helpers::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::cmp::Reverse;

crate::both_dbs!(
    cursors_visit_every_record_once_in_order,
    filters_match_exactly,
    bad_list_input_is_refused,
    history_lists_every_change_newest_first,
);

/// Walks a list page by page with `limit`, checking page sizes, and returns every row.
async fn walk(app: &TestApp, token: &str, collection: &str, query: &str, limit: usize) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let mut path = format!("/api/v1/{collection}?limit={limit}{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (s, v) = app.get(token, &path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        let page = v["data"].as_array().unwrap();
        assert!(page.len() <= limit, "{path}: {} rows on a page of {limit}", page.len());
        rows.extend(page.iter().cloned());
        match v["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(page.len(), limit, "{path}: a short page that is not the last");
                cursor = Some(c.to_string());
            }
            None => return rows,
        }
    }
    panic!("{collection}{query}: the cursors never end");
}

fn ids(rows: &[Value]) -> Vec<i64> {
    rows.iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

#[derive(Debug, Clone)]
struct Deal {
    id: i64,
    title: &'static str,
    value: i64,
    /// Seconds after the start at which the deal was last changed.
    tick: i64,
}

fn expected(deals: &[Deal], sort: &str) -> Vec<i64> {
    let mut d = deals.to_vec();
    match sort {
        "" | "-updated_at" => d.sort_by_key(|x| (Reverse(x.tick), Reverse(x.id))),
        "updated_at" => d.sort_by_key(|x| (x.tick, x.id)),
        "title" => d.sort_by_key(|x| (x.title, x.id)),
        "-title" => d.sort_by_key(|x| (Reverse(x.title), Reverse(x.id))),
        "value" => d.sort_by_key(|x| (x.value, x.id)),
        "-value" => d.sort_by_key(|x| (Reverse(x.value), Reverse(x.id))),
        "id" => d.sort_by_key(|x| x.id),
        "-id" => d.sort_by_key(|x| Reverse(x.id)),
        other => unreachable!("{other}"),
    }
    d.into_iter().map(|x| x.id).collect()
}

async fn cursors_visit_every_record_once_in_order(app: TestApp) {
    let (m1, m2) = (&app.t.manager1, &app.t.manager2);
    let mut tick = 0;
    let mut mine: Vec<Deal> = Vec::new();
    let mut theirs: Vec<Deal> = Vec::new();
    // Titles are lower-case ASCII so that every collation orders them alike; many values tie.
    let plan: [&[(&str, i64, bool)]; 3] = [
        &[("delta", 300, true), ("alpha", 100, true), ("charlie", 300, true), ("alpha", 300, false)],
        &[("bravo", 200, true), ("alpha", 300, true), ("foxtrot", 50, true), ("zulu", 50, false)],
        &[("echo", 0, true), ("charlie", 0, true), ("alpha", 999, false)],
    ];
    for batch in plan {
        for &(title, value, by_me) in batch {
            let token = if by_me { m1 } else { m2 };
            let id = app.create(token, "deals", json!({"title": title, "value": value})).await;
            let d = Deal { id, title, value, tick };
            if by_me {
                mine.push(d)
            } else {
                theirs.push(d)
            }
        }
        app.clock.advance(time::Duration::seconds(1));
        tick += 1;
    }
    // Two changes in the same second: the first deal and the fifth move to the top, tied.
    for i in [0, 4] {
        let (s, v) = app.patch(m1, &format!("/api/v1/deals/{}", mine[i].id), json!({"value": 100})).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        mine[i].value = 100;
        mine[i].tick = tick;
    }
    let all: Vec<Deal> = mine.iter().chain(&theirs).cloned().collect();

    let sorts = ["", "-updated_at", "updated_at", "title", "-title", "value", "-value", "id", "-id"];
    for (who, token, visible) in [("manager1", m1, &mine), ("head", &app.t.head, &all)] {
        for sort in sorts {
            let query = if sort.is_empty() { String::new() } else { format!("&sort={sort}") };
            let want = expected(visible, sort);
            for limit in [1, 2, 3, 500] {
                let rows = walk(&app, token, "deals", &query, limit).await;
                assert_eq!(ids(&rows), want, "{who}, sort '{sort}', limit {limit}");
            }
        }
    }
    // The rows carry what the sort ordered them by.
    let rows = walk(&app, m1, "deals", "&sort=title", 2).await;
    let titles: Vec<&str> = rows.iter().map(|r| r["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["alpha", "alpha", "bravo", "charlie", "charlie", "delta", "echo", "foxtrot"]);
    let rows = walk(&app, m1, "deals", "", 3).await;
    assert_eq!(rows[0]["updated_at"], "2026-11-23T09:00:03.000Z");
    assert_eq!(rows[0]["updated_at"], rows[1]["updated_at"]);
    assert_eq!(rows.last().unwrap()["updated_at"], "2026-11-23T09:00:00.000Z");

    // A record deleted between pages is skipped, not repeated; the rest still come once each.
    let (s, v) = app.get(m1, "/api/v1/deals?limit=3&sort=id").await;
    assert_eq!(s, StatusCode::OK);
    let first_page = ids(v["data"].as_array().unwrap());
    let cursor = v["next_cursor"].as_str().unwrap().to_string();
    let gone = expected(&mine, "id")[4];
    assert_eq!(app.delete(m1, &format!("/api/v1/deals/{gone}")).await.0, StatusCode::NO_CONTENT);
    let (s, v) = app.get(m1, &format!("/api/v1/deals?limit=500&sort=id&cursor={cursor}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut seen = first_page;
    seen.extend(ids(v["data"].as_array().unwrap()));
    let want: Vec<i64> = expected(&mine, "id").into_iter().filter(|id| *id != gone).collect();
    assert_eq!(seen, want);
    assert!(v["next_cursor"].is_null());
}

fn set(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

async fn filters_match_exactly(app: TestApp) {
    let (a, m1, m2, m3) = (&app.t.admin, &app.t.manager1, &app.t.manager2, &app.t.manager3);
    let p1 = app.ids.pipeline;
    let p2 = app.create(a, "pipelines", json!({"name": "Партнёры"})).await;
    app.create(a, "stages", json!({"pipeline_id": p2, "name": "Первый"})).await;
    let org = app.create(m1, "organizations", json!({"name": "ООО Фильтр"})).await;

    let won1 = app.create(m1, "deals", json!({"title": "won1", "status": "won"})).await;
    let won2 = app.create(m2, "deals", json!({"title": "won2", "status": "won", "pipeline_id": p2})).await;
    let lost = app.create(m1, "deals", json!({"title": "lost", "status": "lost", "organization_id": org})).await;
    let open1 =
        app.create(a, "deals", json!({"title": "open1", "owner_id": app.ids.manager3, "pipeline_id": p2, "organization_id": org})).await;
    let open2 = app.create(m1, "deals", json!({"title": "open2"})).await;
    let frozen = app.create(m3, "deals", json!({"title": "frozen", "status": "frozen", "frozen_reason": "пауза"})).await;

    let h = &app.t.head;
    let cases: Vec<(String, Vec<i64>)> = vec![
        ("&status=won".into(), vec![won1, won2]),
        ("&status=open".into(), vec![open1, open2]),
        ("&status=frozen".into(), vec![frozen]),
        (format!("&owner_id={}", app.ids.manager1), vec![won1, lost, open2]),
        (format!("&owner_id={}", app.ids.manager3), vec![open1, frozen]),
        (format!("&pipeline_id={p1}"), vec![won1, lost, open2, frozen]),
        (format!("&pipeline_id={p2}"), vec![won2, open1]),
        ("&organization_id=null".into(), vec![won1, won2, open2, frozen]),
        (format!("&organization_id={org}"), vec![lost, open1]),
        (format!("&status=won&owner_id={}", app.ids.manager1), vec![won1]),
        (format!("&status=won&pipeline_id={p2}"), vec![won2]),
        (format!("&status=lost&pipeline_id={p2}"), vec![]),
        ("&title=open2".into(), vec![open2]),
        ("&owner_id=999999".into(), vec![]),
    ];
    for (query, want) in &cases {
        let got = app.all_ids(h, "deals", query).await;
        assert_eq!(set(got.clone()), set(want.clone()), "head, deals{query}");
        // Filtered lists keep the default order.
        let mut ordered = want.clone();
        ordered.sort_unstable_by_key(|id| Reverse(*id));
        assert_eq!(got, ordered, "head, deals{query} in -updated_at order");
    }
    // Filters narrow what the caller may see; they never widen it.
    assert_eq!(app.all_ids(m1, "deals", "&status=won").await, [won1]);
    assert_eq!(app.all_ids(m1, "deals", &format!("&owner_id={}", app.ids.manager2)).await, Vec::<i64>::new());
    assert_eq!(app.all_ids(m1, "deals", &format!("&pipeline_id={p2}")).await, Vec::<i64>::new());
    // Deleted records match no filter.
    assert_eq!(app.delete(m1, &format!("/api/v1/deals/{won1}")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.all_ids(h, "deals", "&status=won").await, [won2]);

    // Activities by done, persons by (no) organization.
    let task = |subject: &str, done: bool| json!({"type": "task", "subject": subject, "done": done});
    let done = app.create(m1, "activities", task("готово", true)).await;
    let todo1 = app.create(m1, "activities", task("сделать 1", false)).await;
    let todo2 = app.create(m1, "activities", json!({"type": "call", "subject": "сделать 2"})).await;
    let todo3 = app.create(m2, "activities", task("сделать 3", false)).await;
    assert_eq!(set(app.all_ids(h, "activities", "&done=false").await), [todo1, todo2, todo3]);
    assert_eq!(app.all_ids(h, "activities", "&done=true").await, [done]);
    assert_eq!(set(app.all_ids(m1, "activities", "&done=false").await), [todo1, todo2]);
    assert_eq!(app.all_ids(h, "activities", "&done=false&type=call").await, [todo2]);
    let (s, v) = app.patch(m1, &format!("/api/v1/activities/{todo1}"), json!({"done": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(set(app.all_ids(h, "activities", "&done=false").await), [todo2, todo3]);
    assert_eq!(set(app.all_ids(h, "activities", "&done=true").await), [done, todo1]);

    let loner = app.create(m1, "persons", json!({"name": "Одиночка"})).await;
    let employee = app.create(m1, "persons", json!({"name": "Сотрудник", "organization_id": org})).await;
    assert_eq!(app.all_ids(h, "persons", "&organization_id=null").await, [loner]);
    assert_eq!(app.all_ids(h, "persons", &format!("&organization_id={org}")).await, [employee]);
    // Filters by phone and e-mail take any spelling the API accepts.
    let (s, v) =
        app.patch(m1, &format!("/api/v1/persons/{employee}"), json!({"phone": "8 916 222-33-44", "email": "Staff@Filter.example"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(app.all_ids(h, "persons", "&phone=%2B7%20916%20222%2033%2044").await, [employee]);
    assert_eq!(app.all_ids(h, "persons", "&email=STAFF@filter.example").await, [employee]);
}

async fn bad_list_input_is_refused(app: TestApp) {
    let t = &app.t.manager1;
    for (title, value) in [("alpha", 1), ("bravo", 2), ("charlie", 3)] {
        app.create(t, "deals", json!({"title": title, "value": value})).await;
    }
    let (s, v) = app.get(t, "/api/v1/deals?sort=title&limit=1").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let title_cursor = v["next_cursor"].as_str().unwrap().to_string();
    let (s, v) = app.get(t, "/api/v1/deals?limit=1").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let default_cursor = v["next_cursor"].as_str().unwrap().to_string();
    let forge = |s: &str| URL_SAFE_NO_PAD.encode(s);
    let random = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 24]>());

    let cases: Vec<(&str, String, &str)> = vec![
        ("deals", "limit=-1".into(), "limit"),
        ("deals", "limit=0".into(), "limit"),
        ("deals", "limit=501".into(), "limit"),
        ("deals", "limit=abc".into(), "limit"),
        ("deals", "limit=".into(), "limit"),
        ("deals", "limit=1.5".into(), "limit"),
        ("deals", "limit=99999999999999999999".into(), "limit"),
        ("deals", "sort=nope".into(), "sort"),
        ("deals", "sort=-nope".into(), "sort"),
        ("deals", "sort=".into(), "sort"),
        ("deals", "sort=utm_source".into(), "sort"),
        ("deals", "sort=custom".into(), "sort"),
        ("deals", "sort=--title".into(), "sort"),
        ("deals", format!("cursor={random}"), "cursor"),
        ("deals", "cursor=not%20base64!!".into(), "cursor"),
        ("deals", "cursor=".into(), "cursor"),
        ("deals", format!("cursor={}", forge(r#"["-updated_at","x",1]"#)), "cursor"),
        ("deals", format!("cursor={}", forge(r#"["-updated_at",1,"x"]"#)), "cursor"),
        ("deals", format!("cursor={}", forge(r#"["-updated_at",1]"#)), "cursor"),
        ("deals", format!("cursor={}", forge(r#"{"sort":"-updated_at"}"#)), "cursor"),
        ("deals", format!("sort=title&cursor={}", forge(r#"["title",1,1]"#)), "cursor"),
        ("deals", format!("sort=-value&cursor={title_cursor}"), "cursor"),
        ("deals", format!("cursor={title_cursor}"), "cursor"),
        ("deals", format!("sort=title&cursor={default_cursor}"), "cursor"),
        ("deals", "foo=1".into(), "foo"),
        ("deals", "owner_id=abc".into(), "owner_id"),
        ("deals", "owner_id=".into(), "owner_id"),
        ("deals", "status=maybe".into(), "status"),
        ("deals", "expected_close_date=2026-02-30".into(), "expected_close_date"),
        ("deals", "created_at=yesterday".into(), "created_at"),
        ("deals", "workspace_id=1".into(), "workspace_id"),
        ("deals", "deleted_at=null".into(), "deleted_at"),
        ("deals", "custom=x".into(), "custom"),
        ("deals", "status=won&foo=1".into(), "foo"),
        ("activities", "done=yes".into(), "done"),
        ("activities", "description=x".into(), "description"),
        ("persons", "phone=12".into(), "phone"),
        ("users", "password=secret".into(), "password"),
        ("users", "password_hash=x".into(), "password_hash"),
    ];
    for (collection, query, field) in &cases {
        let resp = app.get(t, &format!("/api/v1/{collection}?{query}")).await;
        assert_error(&resp, 422, "validation", Some(field));
    }
    // History takes only a limit and its own cursors.
    let deal = app.all_ids(t, "deals", "").await[0];
    let history = format!("/api/v1/deals/{deal}/history");
    for (query, field) in [
        ("foo=1".to_string(), "foo"),
        ("limit=0".into(), "limit"),
        ("limit=abc".into(), "limit"),
        (format!("cursor={random}"), "cursor"),
        (format!("cursor={title_cursor}"), "cursor"),
        (format!("cursor={default_cursor}"), "cursor"),
    ] {
        assert_error(&app.get(t, &format!("{history}?{query}")).await, 422, "validation", Some(field));
    }

    // The genuine cursors still work where they belong, and nothing was lost on the way.
    let (s, v) = app.get(t, &format!("/api/v1/deals?sort=title&cursor={title_cursor}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let titles: Vec<&str> = v["data"].as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["bravo", "charlie"]);
    let (s, v) = app.get(t, "/api/v1/deals?limit=500").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["data"].as_array().unwrap().len(), 3);
    assert!(v["next_cursor"].is_null());
}

async fn history_lists_every_change_newest_first(app: TestApp) {
    let t = &app.t.manager1;
    let (s0, s1) = (app.ids.stages[0], app.ids.stages[1]);
    let deal = app.create(t, "deals", json!({"title": "Исходная", "value": 1000})).await;
    let path = format!("/api/v1/deals/{deal}");
    app.clock.advance(time::Duration::hours(1));
    let (s, v) = app.patch(t, &path, json!({"stage_id": s1, "title": "Переименованная"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    app.clock.advance(time::Duration::hours(1));
    let (s, _) = app.delete(t, &path).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // The deal is gone, its history is not.
    assert_error(&app.get(t, &path).await, 404, "not_found", None);
    assert_error(&app.get(&app.t.admin, &path).await, 404, "not_found", None);
    assert!(!app.all_ids(&app.t.admin, "deals", "").await.contains(&deal));
    let (s, v) = app.get(t, &format!("{path}/history")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["next_cursor"].is_null());
    let events = v["data"].as_array().unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["delete", "update", "create"]);
    for e in events {
        assert_eq!(e["actor_id"], app.ids.manager1, "{e}");
        assert_eq!(e["channel"], "api", "{e}");
    }
    let times: Vec<&str> = events.iter().map(|e| e["created_at"].as_str().unwrap()).collect();
    assert_eq!(times, ["2026-11-23T11:00:00.000Z", "2026-11-23T10:00:00.000Z", "2026-11-23T09:00:00.000Z"]);
    assert_eq!(events[0]["changes"], json!({}));
    assert_eq!(
        events[1]["changes"],
        json!({
            "stage_id": {"from": s0, "to": s1},
            "title": {"from": "Исходная", "to": "Переименованная"},
            "stage_entered_at": {"from": "2026-11-23T09:00:00.000Z", "to": "2026-11-23T10:00:00.000Z"},
        })
    );
    let created = &events[2]["changes"];
    assert_eq!(created["title"], json!({"from": null, "to": "Исходная"}));
    assert_eq!(created["stage_id"], json!({"from": null, "to": s0}));
    assert_eq!(created["value"], json!({"from": null, "to": 1000}));
    assert_eq!(created["owner_id"], json!({"from": null, "to": app.ids.manager1}));
    assert!(created.get("id").is_none() && created.get("updated_at").is_none(), "{created}");

    // Page by page, the same events in the same order, each once.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let url = match &cursor {
            Some(c) => format!("{path}/history?limit=1&cursor={c}"),
            None => format!("{path}/history?limit=1"),
        };
        let (s, v) = app.get(t, &url).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["data"].as_array().unwrap().len(), 1, "{v}");
        paged.push(v["data"][0].clone());
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(&paged, events);
    let (s, v) = app.get(t, &format!("{path}/history?limit=2")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
    let c = v["next_cursor"].as_str().unwrap();
    let (_, v) = app.get(t, &format!("{path}/history?limit=2&cursor={c}")).await;
    assert_eq!(v["data"], json!([events[2]]));
    assert!(v["next_cursor"].is_null());

    // Heads read it too; a manager who never saw the deal does not.
    let (s, v) = app.get(&app.t.head, &format!("{path}/history")).await;
    assert_eq!((s, &v["data"]), (StatusCode::OK, &json!(events)));
    assert_error(&app.get(&app.t.manager2, &format!("{path}/history")).await, 404, "not_found", None);
    // Another record's history is its own.
    let other = app.create(t, "deals", json!({"title": "Другая"})).await;
    let (_, v) = app.get(t, &format!("/api/v1/deals/{other}/history")).await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    assert_eq!(v["data"][0]["action"], "create");
}
