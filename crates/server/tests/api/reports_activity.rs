//! The managers' activity report over a hand-built week, every figure computed by hand: calls in,
//! out and missed (through the telephony webhook and logged by hand) with the share answered and
//! the talk time, messages (through the e-mail intake) and e-mails, meetings, tasks done and
//! overdue, invoices issued and paid; one pipeline, a filter, a team, a manager, what a manager
//! sees, the previous week, bad parameters, a CSV read back, the page and its drill-down.
use crate::helpers::*;
use crate::intake::{call, deliver, source, work};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;

crate::both_dbs!(
    each_managers_activity_is_counted_exactly,
    the_activity_report_narrows_compares_and_refuses_bad_parameters,
    the_activity_page_leads_to_the_deals_behind_each_count,
);

pub const WEEK: &str = "from=2026-11-23&to=2026-11-29";

fn hours(app: &TestApp, n: i64) {
    app.clock.advance(time::Duration::hours(n));
}

async fn activity(app: &TestApp, token: &str, query: &str) -> Value {
    let (s, v) = app.get(token, &format!("/api/v1/reports/activity?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    v["data"].clone()
}

async fn act(app: &TestApp, body: Value) -> i64 {
    app.create(&app.t.admin, "activities", body).await
}

async fn done(app: &TestApp, id: i64) {
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/activities/{id}"), json!({"done": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
}

async fn invoice(app: &TestApp, number: &str, owner: i64, deal: i64, amount: i64, issued: &str, paid: Option<(i64, &str)>) -> i64 {
    let body = json!({"number": number, "owner_id": owner, "deal_id": deal, "amount": amount, "issued_on": issued});
    let (s, v) = app.post(&app.t.admin, "/api/v1/invoices", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["data"]["id"].as_i64().unwrap();
    if let Some((amount, on)) = paid {
        let (s, v) = app.post(&app.t.admin, &format!("/api/v1/invoices/{id}/payments"), json!({"amount": amount, "paid_on": on})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    id
}

fn email(from: &str, id: &str, date: &str) -> String {
    format!("From: {from}\r\nTo: sales@vector.test\r\nSubject: Вопрос\r\nMessage-ID: <{id}@client.test>\r\nDate: {date}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nДобрый день!\r\n")
}

/// The week of Monday 23 November (Moscow). The clock starts Monday 09:00 UTC (12:00 in Moscow)
/// and ends Friday 27, 09:00 UTC. Deals (pipeline «Клиенты» unless said):
/// A (m1, Анна), B (m2, Борис), V (m3, Вера), P (m1, pipeline «Партнёры»), S (m2, a spam number,
/// closed as not a lead with its person marked).
///
/// | what | whose | on | counts as |
/// |---|---|---|---|
/// | Анна calls in, answered, 125 s (webhook) | m1 | A | m1 in, talk 125 |
/// | Борис calls in, nobody answers (webhook) | m2 | B | m2 missed; a callback task for m2 |
/// | the spam number calls twice (before and after S is closed) | m2 | S / none | nothing |
/// | call out, answered, 4 min, Mon 10:00 | m1 | B | m1 out, talk 240 |
/// | call out, not reached, Mon 10:30 | m1 | A | m1 out |
/// | call out, answered, 600 s, Mon 11:00 | m3 | V | m3 out, talk 600 |
/// | call out, answered, 60 s, Mon 12:00 | m1 | P | m1 out, talk 60 |
/// | call out, answered, 90 s, Fri 20 Nov | m1 | A | the week before |
/// | e-mail, done Mon, due Mon 13:00 | m1 | A | m1 message out, e-mail, task done |
/// | meeting, due Tue 08:00, done Tue 09:00 | m1 | A | m1 meeting, task done |
/// | the callback task, done Tue 09:00 | m2 | B | m2 task done |
/// | task due Tue 07:00, never done | m2 | B | m2 overdue |
/// | task due Wed 09:00, done then | m1 | A | m1 task done |
/// | task on Анна's card alone, done Fri | m1 | — | m1 task done |
/// | task due Sat 28, open | m3 | V | nothing yet |
/// | task due Fri 20 Nov, open | m2 | B | the week before: overdue |
/// | e-mails from Анна (Tue) and Борис (Wed), one from Анна on Fri 20 | | A, B | m1, m2 message in |
/// | invoice 1: 50 000, issued and paid Wed 25 | m1 | A | issued, paid |
/// | invoice 2: 20 000, issued Wed 25, half paid | m2 | B | issued |
/// | invoice 3: 10 000, issued Mon 16, paid Thu 26 | m2 | B | paid (issued the week before) |
/// | invoice 4: issued Thu 26, cancelled | m1 | A | nothing |
/// | invoice 5: 30 000, issued Fri 27 | m1 | P | issued |
///
/// Returns the deals by letter.
pub async fn week(app: &TestApp) -> HashMap<char, i64> {
    let (m1, m2, m3) = (app.ids.manager1, app.ids.manager2, app.ids.manager3);
    let partners = app.create(&app.t.admin, "pipelines", json!({"name": "Партнёры"})).await;
    app.create(&app.t.admin, "stages", json!({"pipeline_id": partners, "name": "Новый"})).await;
    let person = |name: &str, phone: &str, email: Option<&str>, owner: i64| {
        let body = json!({"name": name, "phone": phone, "email": email, "owner_id": owner});
        async move { app.create(&app.t.admin, "persons", body).await }
    };
    let anna = person("Анна", "+79161110001", Some("anna@client.test"), m1).await;
    let boris = person("Борис", "+79161110002", Some("boris@client.test"), m2).await;
    let vera = person("Вера", "+79161110003", None, m3).await;
    let spam = person("Спам", "+79160000666", None, m2).await;
    let mut deals = HashMap::new();
    for (letter, owner, person, pipeline) in [
        ('A', m1, Some(anna), None),
        ('B', m2, Some(boris), None),
        ('V', m3, Some(vera), None),
        ('P', m1, None, Some(partners)),
        ('S', m2, Some(spam), None),
    ] {
        let mut body = json!({"title": format!("Сделка {letter}"), "owner_id": owner, "person_id": person});
        if let Some(p) = pipeline {
            body["pipeline_id"] = json!(p);
        }
        deals.insert(letter, app.create(&app.t.admin, "deals", body).await);
    }

    // Monday 09:00 UTC.
    let phone = source(app, "telephony", json!({"callback_minutes": 30})).await;
    for (id, from, status, duration) in
        [("c1", "+79161110001", "answered", 125), ("c2", "+79161110002", "missed", 0), ("c3", "+79160000666", "answered", 30)]
    {
        let (s, v) =
            call(app, &phone, json!({"call_id": id, "from": from, "direction": "in", "status": status, "duration": duration})).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        work(app).await;
    }
    let (s, v) =
        app.post(&app.t.admin, &format!("/api/v1/deals/{}/not_lead", deals[&'S']), json!({"reason": "Спам", "mark_person": true})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    call(app, &phone, json!({"call_id": "c4", "from": "+79160000666", "direction": "in", "status": "answered", "duration": 20})).await;
    work(app).await;
    let callback = app.all_records(&app.t.admin, "activities", &format!("&deal_id={}&done=false", deals[&'B']), 10).await;
    assert_eq!(callback.len(), 1, "the missed call's callback task: {callback:?}");
    let callback = callback[0]["id"].as_i64().unwrap();

    let logged = |owner: i64, deal: char, dir: &str, outcome: &str, seconds: Option<i64>, minutes: Option<i64>, at: &str| {
        json!({"type": "call", "subject": "Звонок", "done": true, "due_at": at, "owner_id": owner, "deal_id": deals[&deal],
               "call_direction": dir, "call_outcome": outcome, "call_seconds": seconds, "duration_min": minutes})
    };
    act(app, logged(m1, 'B', "outbound", "answered", None, Some(4), "2026-11-23T10:00:00Z")).await;
    act(app, logged(m1, 'A', "outbound", "missed", None, None, "2026-11-23T10:30:00Z")).await;
    act(app, logged(m3, 'V', "outbound", "answered", Some(600), None, "2026-11-23T11:00:00Z")).await;
    act(app, logged(m1, 'P', "outbound", "answered", Some(60), None, "2026-11-23T12:00:00Z")).await;
    act(app, logged(m1, 'A', "outbound", "answered", Some(90), None, "2026-11-20T10:00:00Z")).await;
    let task = |owner: i64, deal: Option<char>, kind: &str, subject: &str, due: &str, done: bool| {
        let mut body = json!({"type": kind, "subject": subject, "due_at": due, "done": done, "owner_id": owner});
        match deal {
            Some(d) => body["deal_id"] = json!(deals[&d]),
            None => body["person_id"] = json!(anna),
        }
        body
    };
    act(app, task(m1, Some('A'), "email", "КП", "2026-11-23T13:00:00Z", true)).await;
    let meeting = act(app, task(m1, Some('A'), "meeting", "Встреча", "2026-11-24T08:00:00Z", false)).await;
    act(app, task(m2, Some('B'), "task", "Перезвонить", "2026-11-24T07:00:00Z", false)).await;
    let wednesday = act(app, task(m1, Some('A'), "task", "Отправить договор", "2026-11-25T09:00:00Z", false)).await;
    let card = act(app, task(m1, None, "task", "Поздравить", "2026-11-26T10:00:00Z", false)).await;
    act(app, task(m3, Some('V'), "task", "Созвониться", "2026-11-28T10:00:00Z", false)).await;
    act(app, task(m2, Some('B'), "task", "Забытая", "2026-11-20T10:00:00Z", false)).await;

    let mail = source(app, "email", json!({})).await;
    for (from, id, date) in [
        ("anna@client.test", "a1", "Tue, 24 Nov 2026 10:00:00 +0300"),
        ("boris@client.test", "b1", "Wed, 25 Nov 2026 11:00:00 +0300"),
        ("anna@client.test", "a0", "Fri, 20 Nov 2026 10:00:00 +0300"),
    ] {
        let (s, v) = deliver(app, &mail, "message/rfc822", email(from, id, date).as_bytes()).await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        work(app).await;
    }
    let (_, on_a) = app.get(&app.t.admin, &format!("/api/v1/deals/{}/messages", deals[&'A'])).await;
    assert_eq!(on_a["data"].as_array().unwrap().len(), 2, "Анна's e-mails land on her deal: {on_a}");

    hours(app, 24); // Tuesday 09:00
    done(app, callback).await;
    done(app, meeting).await;
    hours(app, 24); // Wednesday 09:00
    done(app, wednesday).await;
    invoice(app, "1", m1, deals[&'A'], 5_000_000, "2026-11-25", Some((5_000_000, "2026-11-25"))).await;
    invoice(app, "2", m2, deals[&'B'], 2_000_000, "2026-11-25", Some((1_000_000, "2026-11-25"))).await;
    hours(app, 24); // Thursday 09:00
    invoice(app, "3", m2, deals[&'B'], 1_000_000, "2026-11-16", Some((1_000_000, "2026-11-26"))).await;
    let cancelled = invoice(app, "4", m1, deals[&'A'], 700_000, "2026-11-26", None).await;
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/invoices/{cancelled}"), json!({"status": "cancelled"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    hours(app, 24); // Friday 09:00
    done(app, card).await;
    invoice(app, "5", m1, deals[&'P'], 3_000_000, "2026-11-27", None).await;
    deals
}

/// A manager's (or the total's) figures in the order of the table.
fn figures(v: &Value) -> [i64; 14] {
    [
        "calls_in",
        "calls_out",
        "calls_missed",
        "talk_seconds",
        "messages_in",
        "messages_out",
        "emails_out",
        "meetings",
        "tasks_done",
        "tasks_overdue",
        "invoices_issued",
        "invoices_issued_value",
        "invoices_paid",
        "invoices_paid_value",
    ]
    .map(|k| v[k].as_i64().unwrap_or_else(|| panic!("{k} in {v}")))
}

fn manager(d: &Value, id: i64) -> &Value {
    d["managers"].as_array().unwrap().iter().find(|r| r["owner_id"] == id).unwrap_or_else(|| panic!("no manager {id} in {d}"))
}

fn owners(d: &Value) -> Vec<Value> {
    d["managers"].as_array().unwrap().iter().map(|r| r["name"].clone()).collect()
}

//                         in out miss talk  m.in m.out mail meet done over iss  iss.value paid paid.value
const M1: [i64; 14] = [1, 3, 0, 425, 1, 1, 1, 1, 4, 0, 2, 8_000_000, 1, 5_000_000];
const M2: [i64; 14] = [0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 2_000_000, 1, 1_000_000];
const M3: [i64; 14] = [0, 1, 0, 600, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

async fn each_managers_activity_is_counted_exactly(app: TestApp) {
    week(&app).await;
    let (m1, m2, m3) = (app.ids.manager1, app.ids.manager2, app.ids.manager3);
    let d = activity(&app, &app.t.head, WEEK).await;
    assert_eq!((&d["report"], &d["pipeline_id"]), (&json!("activity"), &Value::Null), "every pipeline");
    assert_eq!(d["period"], json!({"from": "2026-11-23", "to": "2026-11-29"}));
    // The busiest first: m1 (4 calls, a message, a meeting, 4 tasks), m2, m3; nobody else works clients.
    assert_eq!(owners(&d), vec![json!("m1"), json!("m2"), json!("m3")]);
    assert_eq!(figures(manager(&d, m1)), M1);
    assert_eq!(figures(manager(&d, m2)), M2);
    assert_eq!(figures(manager(&d, m3)), M3);
    // Answered: m1 1 of 1, m2 0 of 1, m3 had no incoming call; the department 1 of 2.
    let share = |v: &Value| (v["calls"].clone(), v["answered_share"].clone());
    assert_eq!(share(manager(&d, m1)), (json!(4), json!(1.0)));
    assert_eq!(share(manager(&d, m2)), (json!(1), json!(0.0)));
    assert_eq!(share(manager(&d, m3)), (json!(1), Value::Null));
    assert_eq!(share(&d["total"]), (json!(6), json!(0.5)));
    assert_eq!(figures(&d["total"]), [1, 4, 1, 1025, 2, 1, 1, 1, 5, 1, 3, 10_000_000, 2, 6_000_000]);

    // A manager sees their own figures only.
    let d = activity(&app, &app.t.manager2, WEEK).await;
    assert_eq!(owners(&d), vec![json!("m2")]);
    assert_eq!(figures(&d["total"]), M2);
    let d = activity(&app, &app.t.manager1, WEEK).await;
    assert_eq!(figures(&d["total"]), M1);

    // The CSV: a row per manager and the department's, talk time in minutes (1025 s ≈ 17).
    let url = format!("{}/api/v1/reports/activity?{WEEK}&format=csv", app.base);
    let csv = app.client.get(url).bearer_auth(&app.t.head).send().await.unwrap().text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines,
        vec![
            "Менеджер,Входящие,Исходящие,Пропущенные,Отвечено,Время разговоров (мин),Сообщений получено,Сообщений отправлено,Из них писем,Встречи,Задач выполнено,Задач просрочено,Выставлено счетов,На сумму,Оплачено счетов,Оплачено на сумму",
            "m1,1,3,0,100.0,7,1,1,1,1,4,0,2,80000.00,1,50000.00",
            "m2,0,0,1,0.0,0,1,0,0,0,1,1,1,20000.00,1,10000.00",
            "m3,0,1,0,,10,0,0,0,0,0,0,0,0.00,0,0.00",
            "Отдел,1,4,1,50.0,17,2,1,1,1,5,1,3,100000.00,2,60000.00",
        ],
        "{csv}"
    );
    let url = format!("{}/api/v1/reports/activity?{WEEK}&format=xlsx", app.base);
    let resp = app.client.get(url).bearer_auth(&app.t.head).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await.unwrap().starts_with(b"PK"));
}

async fn the_activity_report_narrows_compares_and_refuses_bad_parameters(app: TestApp) {
    week(&app).await;
    let (m1, m2, m3) = (app.ids.manager1, app.ids.manager2, app.ids.manager3);
    let head = &app.t.head;

    // «Клиенты» only: m1 loses the call on P (60 s), invoice 5 and the task on Анна's card alone.
    let d = activity(&app, head, &format!("{WEEK}&pipeline_id={}", app.ids.pipeline)).await;
    assert_eq!(d["pipeline_id"], app.ids.pipeline);
    assert_eq!(figures(manager(&d, m1)), [1, 2, 0, 365, 1, 1, 1, 1, 3, 0, 1, 5_000_000, 1, 5_000_000]);
    assert_eq!(figures(manager(&d, m2)), M2);
    assert_eq!(figures(manager(&d, m3)), M3);

    // A filter of deals: deal A alone. m1's calls in (Анна's) and out (not reached), the e-mail,
    // the meeting, two tasks with the e-mail's, Анна's message, invoice 1. The others keep a row of zeros.
    let filter: String = form_urlencoded::byte_serialize("title = \"Сделка A\"".as_bytes()).collect();
    let d = activity(&app, head, &format!("{WEEK}&filter={filter}")).await;
    assert_eq!(figures(manager(&d, m1)), [1, 1, 0, 125, 1, 1, 1, 1, 3, 0, 1, 5_000_000, 1, 5_000_000]);
    assert_eq!(figures(manager(&d, m2)), [0; 14]);
    assert_eq!(owners(&d), vec![json!("m1"), json!("m2"), json!("m3")]);

    // A team's members, a manager: theirs alone (whosever the deal: m1's call on B stays m1's).
    let (_, teams) = app.get(&app.t.admin, "/api/v1/teams").await;
    let team = |name: &str| teams["data"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap()["id"].as_i64().unwrap();
    let d = activity(&app, head, &format!("{WEEK}&team_id={}", team("Казань"))).await;
    assert_eq!((owners(&d), figures(&d["total"])), (vec![json!("m3")], M3));
    let d = activity(&app, head, &format!("{WEEK}&team_id={}", team("Центр"))).await;
    assert_eq!(owners(&d), vec![json!("m1"), json!("m2")]);
    let d = activity(&app, head, &format!("{WEEK}&owner_id={m1}")).await;
    assert_eq!((owners(&d), figures(&d["total"])), (vec![json!("m1")], M1));

    // Beside the week before (16–22 November): m1's call of Friday 20 (90 s), Анна's e-mail of
    // that day; m2's forgotten task due then, still open; invoice 3 issued then.
    let d = activity(&app, head, &format!("{WEEK}&compare=previous")).await;
    let prev = &d["previous"];
    assert_eq!(prev["period"], json!({"from": "2026-11-16", "to": "2026-11-22"}));
    assert_eq!(figures(manager(prev, m1)), [0, 1, 0, 90, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(figures(manager(prev, m2)), [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1_000_000, 0, 0]);
    assert_eq!(figures(manager(&d, m1)), M1);

    // Bad parameters are refused by name.
    for (query, field) in [
        ("from=2026-11-29&to=2026-11-23", "from"),
        ("owner_id=999999", "owner_id"),
        ("team_id=nope", "team_id"),
        ("pipeline_id=999999", "pipeline_id"),
        ("filter=citty%20is%20empty", "filter"),
        ("compare=next", "compare"),
    ] {
        assert_error(&app.get(head, &format!("/api/v1/reports/activity?{query}")).await, 422, "validation", Some(field));
    }
    // An empty period is empty, not an error.
    let d = activity(&app, head, "from=2025-01-01&to=2025-01-31").await;
    assert_eq!(figures(&d["total"]), [0; 14]);
}

/// The expression of the link in column `col` (0: the first figure) of the row headed `row` in
/// the table `table`; none when the cell has no link.
fn link(html: &str, table: &str, row: &str, col: usize) -> Option<String> {
    let start = html.find(&format!("id=\"{table}\"")).unwrap_or_else(|| panic!("no table {table}: {html}"));
    let grid = &html[start..start + html[start..].find("</table>").unwrap()];
    let tr = grid
        .split("<tr")
        .find(|r| r.contains(&format!("<th scope=\"row\">{row}</th>")))
        .unwrap_or_else(|| panic!("no row {row} in {table}: {grid}"));
    let cell = tr.split("<td").nth(col + 1).unwrap_or_else(|| panic!("no column {col} in {tr}"));
    let href = html_attr(cell.split("</td>").next().unwrap(), "<a ", "href")?.replace("&amp;", "&");
    let q = href.strip_prefix("/deals?q=").unwrap().to_string();
    Some(form_urlencoded::parse(format!("q={q}").as_bytes()).next().unwrap().1.into_owned())
}

/// The deals an expression selects, by title.
async fn titles(app: &TestApp, expr: &str) -> Vec<String> {
    let q: String = form_urlencoded::byte_serialize(expr.as_bytes()).collect();
    let found = app.all_records(&app.t.admin, "deals", &format!("&filter={q}"), 100).await;
    let mut t: Vec<String> = found.iter().map(|d| d["title"].as_str().unwrap().to_string()).collect();
    t.sort();
    t
}

async fn the_activity_page_leads_to_the_deals_behind_each_count(app: TestApp) {
    week(&app).await;
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, html) = ui.get(&format!("/reports/activity?{WEEK}")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    for id in ["activity-calls", "activity-work", "activity-invoices"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
    }
    assert!(html.contains("<ol class=\"hbars\"") && html.contains("задач выполнено: 4 · звонков: 4"), "m1's bar: {html}");
    assert!(html.contains("17 мин") && html.contains("50\u{a0}%") && html.contains("80\u{a0}000\u{a0}₽"), "{html}");
    // m1: the call in leads to A; the calls out to A, B and P; tasks done to A (the task on the
    // card alone has no deal); the meeting to A.
    let deals = |table: &str, row: &str, col: usize| {
        let expr = link(&html, table, row, col).unwrap_or_else(|| panic!("no link in {table} {row} {col}"));
        let app = &app;
        async move { titles(app, &expr).await }
    };
    assert_eq!(deals("activity-calls", "m1", 0).await, vec!["Сделка A"]);
    assert_eq!(deals("activity-calls", "m1", 1).await, vec!["Сделка A", "Сделка B", "Сделка P"]);
    assert_eq!(deals("activity-calls", "m2", 2).await, vec!["Сделка B"]);
    assert_eq!(deals("activity-work", "m1", 3).await, vec!["Сделка A"]);
    assert_eq!(deals("activity-work", "m1", 4).await, vec!["Сделка A"]);
    assert_eq!(deals("activity-work", "m2", 4).await, vec!["Сделка B"]);
    assert_eq!(deals("activity-work", "m2", 5).await, vec!["Сделка B"], "the overdue task");
    // The department's calls out: A, B, P and V. A zero leads nowhere; messages have no list.
    assert_eq!(deals("activity-calls", "Отдел", 1).await, vec!["Сделка A", "Сделка B", "Сделка P", "Сделка V"]);
    assert_eq!(link(&html, "activity-calls", "m3", 0), None);
    assert_eq!(link(&html, "activity-work", "m1", 0), None);
    // A team narrows the department's links too.
    let (_, teams) = app.get(&app.t.admin, "/api/v1/teams").await;
    let centre = teams["data"].as_array().unwrap().iter().find(|t| t["name"] == "Центр").unwrap()["id"].as_i64().unwrap();
    let (_, html) = ui.get(&format!("/reports/activity?{WEEK}&team_id={centre}")).await;
    let expr = link(&html, "activity-calls", "Отдел", 1).unwrap();
    assert!(expr.contains("owner.team = \"Центр\""), "{expr}");
    assert_eq!(titles(&app, &expr).await, vec!["Сделка A", "Сделка B", "Сделка P"]);
    // The list opens.
    let (s, list) = ui.get(&format!("/deals?q={}", form_urlencoded::byte_serialize(expr.as_bytes()).collect::<String>())).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("Сделка P"));

    // A refused parameter is shown at its field; an empty period explains itself.
    let (s, html) = ui.get_fragment("/reports/activity?owner_id=999999").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("data-field=\"owner_id\""), "{html}");
    let (_, html) = ui.get("/reports/activity?from=2025-01-01&to=2025-01-31").await;
    assert!(html.contains("id=\"report-empty\"") && html.contains("ни звонков"), "{html}");
    let (s, csv) = ui.get(&format!("/reports/activity?{WEEK}&format=csv")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.contains("Отдел,1,4,1,50.0,17"), "{csv}");
}
