//! The sales and lost-reasons reports over a hand-built week of closings, every figure computed
//! by hand: won, revenue, the average deal, the cycle's median and mean, the win rate per day,
//! week, manager, source and pipeline; lost deals by reason, stage and manager; the previous
//! period; what a manager sees; bad parameters; a CSV read back; the pages and their drill-down.
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    sales_are_counted_exactly_by_period_manager_source_and_pipeline,
    lost_deals_are_counted_by_reason_stage_and_manager,
    the_sales_and_lost_reasons_pages_lead_to_the_counted_deals,
);

pub const WEEK: &str = "from=2026-11-23&to=2026-11-30";

/// Closes deal `id` at the current instant, after moving it to stage `stage` (an index of the
/// test pipeline's stages) when given.
async fn close(app: &TestApp, id: i64, stage: Option<usize>, status: &str, reason: &str) {
    if let Some(s) = stage {
        let (st, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{id}"), json!({"stage_id": app.ids.stages[s]})).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    let body = match status {
        "won" => json!({"status": "won"}),
        _ => json!({"status": "lost", "lost_reason": reason, "close_comment": "—"}),
    };
    let (st, v) = app.patch(&app.t.admin, &format!("/api/v1/deals/{id}"), body).await;
    assert_eq!(st, StatusCode::OK, "{v}");
}

fn day(app: &TestApp, n: i64) {
    app.clock.advance(time::Duration::days(n));
}

/// The week. Every deal is created on Monday 23 November at 12:00 Moscow time (09:00 UTC); value
/// in kopecks, owner, source:
///
/// | deal | value | owner | source | pipeline | closed | as | cycle |
/// |---|---|---|---|---|---|---|---|
/// | A | 100 000 | m1 | Сайт | Клиенты | Tue 24 | won | 1 d |
/// | E | 80 000 | m1 | Сайт | Клиенты | Tue 24 | lost «Дорого» at «Новый» | |
/// | C | 200 000 | m2 | Партнёр | Клиенты | Wed 25 | won | 2 d |
/// | F | 120 000 | m2 | — | Клиенты | Wed 25 | lost «Дорого» at «Коммуникация» | |
/// | B | 300 000 | m1 | Сайт | Клиенты | Fri 27 | won | 4 d |
/// | G | 40 000 | m1 | Партнёр | Клиенты | Fri 27 | lost «Не отвечает» at «Принял в работу» | |
/// | P | 500 000 | m1 | Партнёр | Партнёры | Fri 27 | won | 4 d |
/// | D | 50 000 | m2 | — | Клиенты | Mon 30 | won | 7 d |
/// | H | 70 000 | m1 | Сайт | Клиенты | Tue 24 | not a lead | |
/// | I | 90 000 | m2 | Сайт | Клиенты | open | | |
///
/// Returns the ids by letter, and the second pipeline's.
pub async fn week(app: &TestApp) -> (std::collections::HashMap<char, i64>, i64) {
    let partners = app.create(&app.t.admin, "pipelines", json!({"name": "Партнёры"})).await;
    app.create(&app.t.admin, "stages", json!({"pipeline_id": partners, "name": "Новый"})).await;
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    let mut ids = std::collections::HashMap::new();
    for (letter, value, owner, source, pipeline) in [
        ('A', 100_000, m1, Some("Сайт"), None),
        ('E', 80_000, m1, Some("Сайт"), None),
        ('C', 200_000, m2, Some("Партнёр"), None),
        ('F', 120_000, m2, None, None),
        ('B', 300_000, m1, Some("Сайт"), None),
        ('G', 40_000, m1, Some("Партнёр"), None),
        ('P', 500_000, m1, Some("Партнёр"), Some(partners)),
        ('D', 50_000, m2, None, None),
        ('H', 70_000, m1, Some("Сайт"), None),
        ('I', 90_000, m2, Some("Сайт"), None),
    ] {
        let mut body = json!({"title": format!("Сделка {letter}"), "owner_id": owner, "value": value, "source": source});
        if let Some(p) = pipeline {
            body["pipeline_id"] = json!(p);
        }
        ids.insert(letter, app.create(&app.t.admin, "deals", body).await);
    }
    day(app, 1); // Tue 24
    close(app, ids[&'A'], None, "won", "").await;
    close(app, ids[&'E'], None, "lost", "Дорого").await;
    let (s, v) = app.post(&app.t.admin, &format!("/api/v1/deals/{}/not_lead", ids[&'H']), json!({"reason": "Спам"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    day(app, 1); // Wed 25
    close(app, ids[&'C'], None, "won", "").await;
    close(app, ids[&'F'], Some(2), "lost", "Дорого").await;
    day(app, 2); // Fri 27
    close(app, ids[&'B'], Some(1), "won", "").await;
    close(app, ids[&'G'], Some(1), "lost", "Не отвечает").await;
    close(app, ids[&'P'], None, "won", "").await;
    day(app, 3); // Mon 30
    close(app, ids[&'D'], None, "won", "").await;
    (ids, partners)
}

/// The figures of a row or total: won, revenue, average, lost, win rate, median, mean.
fn figures(v: &Value) -> (i64, i64, Value, i64, Value, Value, Value) {
    (
        v["won"].as_i64().unwrap(),
        v["won_value"].as_i64().unwrap(),
        v["average"].clone(),
        v["lost"].as_i64().unwrap(),
        v["win_rate"].clone(),
        v["cycle_median_days"].clone(),
        v["cycle_mean_days"].clone(),
    )
}

async fn sales(app: &TestApp, token: &str, query: &str) -> Value {
    let (s, v) = app.get(token, &format!("/api/v1/reports/sales?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    v["data"].clone()
}

fn row<'a>(d: &'a Value, key: &str, value: Value) -> &'a Value {
    d["rows"].as_array().unwrap().iter().find(|r| r[key] == value).unwrap_or_else(|| panic!("no row {key} = {value} in {d}"))
}

async fn sales_are_counted_exactly_by_period_manager_source_and_pipeline(app: TestApp) {
    let (_, partners) = week(&app).await;
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    let head = &app.t.head;

    // Eight days: by day. Won A, C, B, P, D: 1 150 000, average 230 000; lost E, F, G: 5 of 8;
    // cycles 1, 2, 4, 4, 7 days: median 4, mean 18 / 5.
    let d = sales(&app, head, WEEK).await;
    assert_eq!((d["group"].as_str(), d["step"].as_str(), &d["pipeline_id"]), (Some("period"), Some("day"), &Value::Null));
    assert_eq!(figures(&d["total"]), (5, 1_150_000, json!(230_000), 3, json!(0.625), json!(4.0), json!(3.6)));
    let days: Vec<(String, i64, i64, i64)> = d["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["from"].as_str().unwrap().to_string(),
                r["won"].as_i64().unwrap(),
                r["won_value"].as_i64().unwrap(),
                r["lost"].as_i64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("2026-11-23", 0, 0, 0),
        ("2026-11-24", 1, 100_000, 1),
        ("2026-11-25", 1, 200_000, 1),
        ("2026-11-26", 0, 0, 0),
        ("2026-11-27", 2, 800_000, 1),
        ("2026-11-28", 0, 0, 0),
        ("2026-11-29", 0, 0, 0),
        ("2026-11-30", 1, 50_000, 0),
    ];
    assert_eq!(days, expected.map(|(d, w, v, l)| (d.to_string(), w, v, l)).to_vec());
    let fri = row(&d, "from", json!("2026-11-27"));
    assert_eq!(figures(fri), (2, 800_000, json!(400_000), 1, json!(0.6667), json!(4.0), json!(4.0)));
    assert_eq!(figures(row(&d, "from", json!("2026-11-23"))), (0, 0, Value::Null, 0, Value::Null, Value::Null, Value::Null));

    // By week: Monday 23 to Sunday 29, then Monday 30 alone.
    let d = sales(&app, head, &format!("{WEEK}&step=week")).await;
    let w1 = row(&d, "from", json!("2026-11-23"));
    assert_eq!(w1["to"], "2026-11-29");
    // A, C, B, P: 1 100 000, cycles 1, 2, 4, 4: median 3, mean 11 / 4; lost 3: 4 of 7.
    assert_eq!(figures(w1), (4, 1_100_000, json!(275_000), 3, json!(0.5714), json!(3.0), json!(2.75)));
    assert_eq!(figures(row(&d, "from", json!("2026-11-30"))), (1, 50_000, json!(50_000), 0, json!(1.0), json!(7.0), json!(7.0)));
    let d = sales(&app, head, &format!("{WEEK}&step=month")).await;
    assert_eq!(d["rows"].as_array().unwrap().len(), 1);
    assert_eq!(figures(&d["rows"][0]), figures(&d["total"]));

    // By manager: m1 won A, B, P (900 000; cycles 1, 4, 4) and lost E, G; m2 won C, D (250 000;
    // cycles 2, 7) and lost F. The most revenue first.
    let d = sales(&app, head, &format!("{WEEK}&group=owner")).await;
    assert_eq!(d["rows"].as_array().unwrap().iter().map(|r| r["name"].clone()).collect::<Vec<_>>(), vec![json!("m1"), json!("m2")]);
    assert_eq!(figures(row(&d, "owner_id", json!(m1))), (3, 900_000, json!(300_000), 2, json!(0.6), json!(4.0), json!(3.0)));
    assert_eq!(figures(row(&d, "owner_id", json!(m2))), (2, 250_000, json!(125_000), 1, json!(0.6667), json!(4.5), json!(4.5)));

    // By source: Партнёр won C, P (700 000; 2 and 4 days), lost G; Сайт won A, B (400 000; 1 and 4
    // days), lost E; none won D (7 days), lost F.
    let d = sales(&app, head, &format!("{WEEK}&group=source")).await;
    let order: Vec<_> = d["rows"].as_array().unwrap().iter().map(|r| r["source"].clone()).collect();
    assert_eq!(order, vec![json!("Партнёр"), json!("Сайт"), Value::Null]);
    assert_eq!(figures(row(&d, "source", json!("Партнёр"))), (2, 700_000, json!(350_000), 1, json!(0.6667), json!(3.0), json!(3.0)));
    assert_eq!(figures(row(&d, "source", json!("Сайт"))), (2, 400_000, json!(200_000), 1, json!(0.6667), json!(2.5), json!(2.5)));
    assert_eq!(figures(row(&d, "source", Value::Null)), (1, 50_000, json!(50_000), 1, json!(0.5), json!(7.0), json!(7.0)));

    // By pipeline: Клиенты won A, B, C, D (650 000; 1, 2, 4, 7 days) and lost three; Партнёры P.
    let d = sales(&app, head, &format!("{WEEK}&group=pipeline")).await;
    assert_eq!(
        figures(row(&d, "pipeline_id", json!(app.ids.pipeline))),
        (4, 650_000, json!(162_500), 3, json!(0.5714), json!(3.0), json!(3.5))
    );
    assert_eq!(figures(row(&d, "pipeline_id", json!(partners))), (1, 500_000, json!(500_000), 0, json!(1.0), json!(4.0), json!(4.0)));
    assert_eq!(row(&d, "pipeline_id", json!(partners))["name"], "Партнёры");
    // One pipeline chosen: only its deals.
    let d = sales(&app, head, &format!("{WEEK}&pipeline_id={}", app.ids.pipeline)).await;
    assert_eq!((d["pipeline_id"].as_i64(), figures(&d["total"]).0, figures(&d["total"]).1), (Some(app.ids.pipeline), 4, 650_000));

    // A manager sees the figures of their own deals.
    let d = sales(&app, &app.t.manager1, &format!("{WEEK}&group=owner")).await;
    assert_eq!(d["rows"].as_array().unwrap().len(), 1, "{d}");
    assert_eq!(figures(&d["total"]), (3, 900_000, json!(300_000), 2, json!(0.6), json!(4.0), json!(3.0)));
    let d = sales(&app, &app.t.manager2, WEEK).await;
    assert_eq!(figures(&d["total"]), (2, 250_000, json!(125_000), 1, json!(0.6667), json!(4.5), json!(4.5)));

    // Tuesday 1 December: Q is created and won at once (a cycle of 0). The week from Monday 30
    // beside the one before.
    day(&app, 1);
    let q = app.create(&app.t.admin, "deals", json!({"title": "Сделка Q", "owner_id": m2, "value": 60_000})).await;
    close(&app, q, None, "won", "").await;
    let d = sales(&app, head, "from=2026-11-30&to=2026-12-06&compare=previous&group=owner").await;
    assert_eq!(d["previous"]["period"], json!({"from": "2026-11-23", "to": "2026-11-29"}));
    assert_eq!(figures(&d["total"]), (2, 110_000, json!(55_000), 0, json!(1.0), json!(3.5), json!(3.5)));
    assert_eq!(figures(&d["previous"]["total"]).1, 1_100_000);
    let prev_m1 = d["previous"]["rows"].as_array().unwrap().iter().find(|r| r["owner_id"] == m1).unwrap();
    assert_eq!(prev_m1["won_value"], 900_000);
    let d = sales(&app, head, "from=2026-11-30&to=2026-12-06&compare=previous").await;
    let (now, prev) = (d["rows"].as_array().unwrap(), d["previous"]["rows"].as_array().unwrap());
    assert_eq!((now.len(), prev.len()), (7, 7));
    assert_eq!((now[1]["from"].as_str(), now[1]["won_value"].as_i64()), (Some("2026-12-01"), Some(60_000)));
    assert_eq!((prev[1]["from"].as_str(), prev[1]["won_value"].as_i64()), (Some("2026-11-24"), Some(100_000)));

    // Bad words are refused by name; a CSV reads back.
    assert_error(&app.get(head, "/api/v1/reports/sales?group=colour").await, 422, "validation", Some("group"));
    assert_error(&app.get(head, "/api/v1/reports/sales?step=hour").await, 422, "validation", Some("step"));
    assert_error(&app.get(head, "/api/v1/reports/lost_reasons?group=nope").await, 422, "validation", Some("group"));
    let url = format!("{}/api/v1/reports/sales?{WEEK}&group=owner&format=csv", app.base);
    let resp = app.client.get(url).bearer_auth(head).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines,
        vec![
            "Менеджер,Выиграно,Выручка,Средняя сделка,Проиграно,Доля выигранных,Цикл: медиана (дн.),Цикл: среднее (дн.)",
            "m1,3,9000.00,3000.00,2,60.0,4.0,3.0",
            "m2,2,2500.00,1250.00,1,66.7,4.5,4.5",
            "Итого,5,11500.00,2300.00,3,62.5,4.0,3.6",
        ],
        "{csv}"
    );
    let url = format!("{}/api/v1/reports/sales?{WEEK}&format=xlsx", app.base);
    let resp = app.client.get(url).bearer_auth(head).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await.unwrap().starts_with(b"PK"));
}

async fn lost_deals_are_counted_by_reason_stage_and_manager(app: TestApp) {
    week(&app).await;
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    let (s, v) = app.get(&app.t.head, &format!("/api/v1/reports/lost_reasons?{WEEK}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let d = &v["data"];
    // E (80 000, m1, «Новый») and F (120 000, m2, «Коммуникация») were too dear; G (40 000, m1,
    // «Принял в работу») did not answer.
    assert_eq!(d["total"], json!({"lost": 3, "value": 240_000}));
    assert_eq!(
        d["reasons"],
        json!([
            {"reason": "Дорого", "lost": 2, "value": 200_000, "share": 0.6667},
            {"reason": "Не отвечает", "lost": 1, "value": 40_000, "share": 0.3333},
        ])
    );
    let stages: Vec<_> =
        d["stages"].as_array().unwrap().iter().map(|s| (s["name"].clone(), s["lost"].clone(), s["value"].clone())).collect();
    assert_eq!(
        stages,
        vec![
            (json!("Новый"), json!(1), json!(80_000)),
            (json!("Принял в работу"), json!(1), json!(40_000)),
            (json!("Коммуникация"), json!(1), json!(120_000)),
        ]
    );
    let managers = d["managers"].as_array().unwrap();
    assert_eq!(
        (managers[0]["owner_id"].as_i64(), managers[0]["lost"].as_i64(), managers[0]["value"].as_i64()),
        (Some(m1), Some(2), Some(120_000))
    );
    assert_eq!(
        managers[0]["reasons"],
        json!([{"reason": "Дорого", "lost": 1, "value": 80_000}, {"reason": "Не отвечает", "lost": 1, "value": 40_000}])
    );
    assert_eq!(
        (managers[1]["owner_id"].as_i64(), managers[1]["reasons"].clone()),
        (Some(m2), json!([{"reason": "Дорого", "lost": 1, "value": 120_000}]))
    );

    // A manager sees their own; the week before had none.
    let (_, v) = app.get(&app.t.manager2, &format!("/api/v1/reports/lost_reasons?{WEEK}&compare=previous")).await;
    assert_eq!(v["data"]["total"], json!({"lost": 1, "value": 120_000}));
    assert_eq!(v["data"]["previous"]["total"], json!({"lost": 0, "value": 0}));

    let url = format!("{}/api/v1/reports/lost_reasons?{WEEK}&format=csv", app.base);
    let csv = app.client.get(url).bearer_auth(&app.t.head).send().await.unwrap().text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines,
        vec![
            "Причина,Проиграно,Сумма,Доля,m1,m2",
            "Дорого,2,2000.00,66.7,1,1",
            "Не отвечает,1,400.00,33.3,1,0",
            "Итого,3,2400.00,,2,1",
            ",,,,,",
            "Этап,Проиграно,Сумма,Доля",
            "Новый,1,800.00,33.3",
            "Принял в работу,1,400.00,33.3",
            "Коммуникация,1,1200.00,33.3",
        ],
        "{csv}"
    );
}

/// The deals an expression selects, by title.
async fn titles(app: &TestApp, expr: &str) -> Vec<String> {
    let found = app.all_records(&app.t.admin, "deals", &format!("&filter={}", urlencode(expr)), 100).await;
    let mut t: Vec<String> = found.iter().map(|d| d["title"].as_str().unwrap().to_string()).collect();
    t.sort();
    t
}

/// The expression behind the first link of the table row headed `row`.
fn link_in_row(html: &str, row: &str, nth: usize) -> String {
    let tr =
        html.split("<tr").find(|r| r.contains(&format!("<th scope=\"row\">{row}</th>"))).unwrap_or_else(|| panic!("no row {row}: {html}"));
    let mut rest = tr;
    for _ in 0..nth {
        rest = &rest[rest.find("<a ").unwrap() + 3..];
    }
    let href = html_attr(rest, "<a ", "href").unwrap().replace("&amp;", "&");
    let q = href.strip_prefix("/deals?q=").unwrap().to_string();
    form_urlencoded::parse(format!("q={q}").as_bytes()).next().unwrap().1.into_owned()
}

async fn the_sales_and_lost_reasons_pages_lead_to_the_counted_deals(app: TestApp) {
    week(&app).await;
    let ui = app.ui_login(app.ids.admin, "admin@a.test").await;
    let (s, html) = ui.get(&format!("/reports/sales?{WEEK}&group=owner")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Продажи") && html.contains("Причины проигрыша") && html.contains("id=\"sales-table\""), "{html}");
    assert!(html.contains("<ol class=\"hbars\""), "a chart");
    assert!(html.contains("9\u{a0}000\u{a0}₽") && html.contains("62,5\u{a0}%"), "m1's revenue and the win rate: {html}");
    // m1's won count leads to A, B and P; their lost count to E and G.
    assert_eq!(titles(&app, &link_in_row(&html, "m1", 0)).await, vec!["Сделка A", "Сделка B", "Сделка P"]);
    assert_eq!(titles(&app, &link_in_row(&html, "m1", 1)).await, vec!["Сделка E", "Сделка G"]);
    // A team narrows the links too: m3 of «Казань» has none of these deals.
    let (_, teams) = app.get(&app.t.admin, "/api/v1/teams").await;
    let team = |name: &str| teams["data"].as_array().unwrap().iter().find(|t| t["name"] == name).unwrap()["id"].as_i64().unwrap();
    let (_, html) = ui.get(&format!("/reports/sales?{WEEK}&group=owner&team_id={}", team("Центр"))).await;
    let expr = link_in_row(&html, "m1", 0);
    assert!(expr.contains("owner.team = \"Центр\""), "{expr}");
    assert_eq!(titles(&app, &expr).await, vec!["Сделка A", "Сделка B", "Сделка P"]);
    let (_, html) = ui.get(&format!("/reports/sales?{WEEK}&team_id={}", team("Казань"))).await;
    assert!(html.contains("id=\"report-empty\""), "{html}");
    // Friday's bucket leads to B and P, in both pipelines.
    let (_, html) = ui.get(&format!("/reports/sales?{WEEK}")).await;
    let friday = link_in_row(&html, "27.11.2026", 0);
    assert_eq!(titles(&app, &friday).await, vec!["Сделка B", "Сделка P"], "{friday}");
    let (s, list) = ui.get(&format!("/deals?q={}", urlencode(&friday))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.contains("Сделка P"));
    // Sources: «without a source» leads to D (won).
    let (_, html) = ui.get(&format!("/reports/sales?{WEEK}&group=source")).await;
    assert_eq!(titles(&app, &link_in_row(&html, "Без источника", 0)).await, vec!["Сделка D"]);

    // Lost reasons: «Дорого» leads to E and F; m1's cell of it to E; the stage «Коммуникация» to F.
    let (s, html) = ui.get(&format!("/reports/lost_reasons?{WEEK}")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("id=\"lost-reasons-table\"") && html.contains("На каком этапе проиграны"), "{html}");
    assert_eq!(titles(&app, &link_in_row(&html, "Дорого", 0)).await, vec!["Сделка E", "Сделка F"]);
    assert_eq!(titles(&app, &link_in_row(&html, "Дорого", 1)).await, vec!["Сделка E"]);
    assert_eq!(titles(&app, &link_in_row(&html, "Коммуникация", 0)).await, vec!["Сделка F"]);

    // A refused word is shown at its field; a period without closings explains itself.
    let (s, html) = ui.get_fragment("/reports/sales?step=hour").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("data-field=\"step\""), "{html}");
    let (_, html) = ui.get("/reports/sales?from=2025-01-01&to=2025-01-31").await;
    assert!(html.contains("id=\"report-empty\"") && html.contains("ни одна сделка не выиграна"), "{html}");
    let (_, html) = ui.get("/reports/lost_reasons?from=2025-01-01&to=2025-01-31").await;
    assert!(html.contains("id=\"report-empty\"") && html.contains("нет проигранных сделок"), "{html}");
    let (s, csv) = ui.get(&format!("/reports/lost_reasons?{WEEK}&format=csv")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.contains("Дорого,2,2000.00,66.7"), "{csv}");
    // The funnel still shows.
    let (s, _) = ui.get("/reports/funnel").await;
    assert_eq!(s, StatusCode::OK);
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
