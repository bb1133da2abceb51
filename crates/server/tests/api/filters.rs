//! The filter language end to end: `?filter=` on lists, the check endpoint, saved filters, and a
//! differential test — the SQL compiled for this backend selects exactly the records the
//! in-memory evaluator selects, for the documented examples and for random expressions.
use crate::helpers::*;
use poryadok_core::filter::{self, EvalRecord};
use poryadok_core::schema::{Entity, Kind};
use poryadok_core::types::{parse_timestamp, Val};
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;

crate::both_dbs!(
    random_records_and_random_expressions,
    sql_and_evaluator_agree,
    filter_errors_point_at_the_mistake,
    saved_filters_are_private_or_shared
);

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn all(app: &TestApp, token: &str, collection: &str) -> Vec<Value> {
    app.all_records(token, collection, "&sort=id", 500).await
}

fn to_eval(entity: Entity, v: &Value) -> EvalRecord {
    let mut r = EvalRecord::new();
    for f in entity.fields() {
        let x = &v[f.name];
        let val = match (f.kind, x) {
            (_, Value::Null) => continue,
            (Kind::Custom, Value::Object(m)) => {
                r.custom = m.clone();
                continue;
            }
            (Kind::Timestamp, Value::String(s)) => Val::Int(parse_timestamp(s).unwrap()),
            (_, Value::Bool(b)) => Val::Bool(*b),
            (_, Value::Number(n)) => Val::Int(n.as_i64().unwrap()),
            (_, Value::String(s)) => Val::Text(s.clone()),
            _ => continue,
        };
        r.fields.insert(f.name.to_string(), val);
    }
    r
}

/// Every deal as the evaluator sees it: with its organization, person, owner and activities.
async fn deal_records(app: &TestApp) -> Vec<(i64, EvalRecord)> {
    let t = &app.t.admin;
    let users: HashMap<i64, EvalRecord> =
        all(app, t, "users").await.iter().map(|u| (u["id"].as_i64().unwrap(), to_eval(Entity::User, u))).collect();
    let activities = all(app, t, "activities").await;
    let acts_of = |key: &str, id: i64| -> Vec<EvalRecord> {
        activities.iter().filter(|a| a[key].as_i64() == Some(id)).map(|a| to_eval(Entity::Activity, a)).collect()
    };
    let with_owner = |mut r: EvalRecord, v: &Value| {
        r.owner = v["owner_id"].as_i64().and_then(|o| users.get(&o)).cloned().map(Box::new);
        r
    };
    // Organizations and persons, each with its owner and its own activities.
    let with_activities = |entity: Entity, key: &str, rows: Vec<Value>| -> HashMap<i64, EvalRecord> {
        rows.iter()
            .map(|v| {
                let id = v["id"].as_i64().unwrap();
                let mut r = with_owner(to_eval(entity, v), v);
                r.activities = acts_of(key, id);
                (id, r)
            })
            .collect()
    };
    let orgs = with_activities(Entity::Organization, "organization_id", all(app, t, "organizations").await);
    let persons = with_activities(Entity::Person, "person_id", all(app, t, "persons").await);
    all(app, t, "deals")
        .await
        .iter()
        .map(|d| {
            let id = d["id"].as_i64().unwrap();
            let mut r = with_owner(to_eval(Entity::Deal, d), d);
            r.org = d["organization_id"].as_i64().and_then(|o| orgs.get(&o)).cloned().map(Box::new);
            r.person = d["person_id"].as_i64().and_then(|p| persons.get(&p)).cloned().map(Box::new);
            r.activities = acts_of("deal_id", id);
            (id, r)
        })
        .collect()
}

async fn seed(app: &TestApp) {
    let (a, m1) = (&app.t.admin, &app.t.manager1);
    let [s0, s1, s2] = app.ids.stages[..] else { panic!() };
    let partner = app.create(a, "organizations", json!({"name": "Агентство Север", "custom": {"is_agency": true, "city": "Москва"}})).await;
    let org1 = app.create(a, "organizations", json!({"name": "ООО «От Партнера Плюс»", "custom": {"city": "Казань"}})).await;
    let org2 = app
        .create(
            a,
            "organizations",
            json!({"name": "Ромашка", "owner_id": app.ids.manager1, "custom": {"partner_org": partner, "city": ""}}),
        )
        .await;
    let org3 = app
        .create(
            a,
            "organizations",
            json!({"name": "ИП Лютиков от партнера", "owner_id": app.ids.manager1, "custom": {"partner_org": partner}}),
        )
        .await;
    let p1 = app.create(a, "persons", json!({"name": "Анна", "organization_id": org1, "email": "anna@example.ru"})).await;
    let p2 = app.create(m1, "persons", json!({"name": "Борис", "organization_id": org2})).await;
    let deals = [
        (
            a,
            json!({"title": "Первая сделка", "organization_id": org1, "person_id": p1, "value": 15_000_000, "custom": {"budget": 100_000, "traffic": 120.5, "city": "Казань"}, "source": "Сайт", "expected_close_date": "2026-12-15"}),
        ),
        (
            a,
            json!({"title": "Вторая", "stage_id": s1, "organization_id": org2, "person_id": p2, "value": 5_000_000, "owner_id": app.ids.manager2}),
        ),
        (
            m1,
            json!({"title": "Третья сделка", "stage_id": s2, "organization_id": org2, "value": 20_000_000, "custom": {"traffic": 5000}, "status": "frozen", "frozen_reason": "Не сезон"}),
        ),
        (m1, json!({"title": "Четвёртая", "stage_id": s2, "organization_id": org3, "status": "won", "value": 1})),
        (a, json!({"title": "Пятая без всего", "stage_id": s0})),
        (
            a,
            json!({"title": "Шестая", "stage_id": s1, "status": "lost", "lost_reason": "Дорого", "organization_id": org1, "value": 10_000_001, "custom": {"budget": 0, "city": "Москва"}}),
        ),
        (
            a,
            json!({"title": "Седьмая сделка от партнера", "organization_id": partner, "owner_id": app.ids.manager3, "expected_close_date": "2026-11-30", "source": "Звонок"}),
        ),
    ];
    let mut ids = Vec::new();
    for (i, (token, body)) in deals.iter().enumerate() {
        if i % 3 == 1 {
            app.clock.advance(time::Duration::hours(30));
        }
        ids.push(app.create(token, "deals", body.clone()).await);
    }
    // Tasks and calls: open and overdue, open in the future, done.
    let acts = [
        (a, json!({"type": "task", "subject": "Позвонить", "deal_id": ids[0], "due_at": "2026-11-20T10:00:00Z"})),
        (a, json!({"type": "call", "subject": "+79161234567", "deal_id": ids[0], "done": true, "organization_id": org1})),
        (a, json!({"type": "task", "subject": "Отправить КП", "deal_id": ids[1], "due_at": "2027-01-10T10:00:00Z"})),
        (m1, json!({"type": "meeting", "subject": "Встреча", "deal_id": ids[2], "done": true, "person_id": p2})),
        (m1, json!({"type": "task", "subject": "Вернуться после сезона", "deal_id": ids[2], "due_at": "2027-03-01T10:00:00Z"})),
        (a, json!({"type": "task", "subject": "Без сделки", "organization_id": org2, "due_at": "2026-11-01T10:00:00Z"})),
    ];
    for (token, body) in acts {
        app.clock.advance(time::Duration::minutes(7));
        app.create(token, "activities", body).await;
    }
    // A user who left: their deal is a hygiene violation.
    let leaver_deal = app.create(&app.t.manager2, "deals", json!({"title": "Сделка ушедшего"})).await;
    app.delete(a, &format!("/api/v1/users/{}", app.ids.manager2)).await;
    let _ = leaver_deal;
}

const EXAMPLES: &[&str] = &[
    "status = open and not exists activity(done = false)",
    "status = frozen and count activity(done = false) = 0",
    "stage >= \"Коммуникация\" and (budget is empty or traffic is empty)",
    "stage = \"Принял в работу\" and stage_entered_at < now - 7d",
    "status = open and exists activity(done = false and due_at < now)",
    "org.name ~ \"от партнера\" and org.partner_org is empty",
    "owner != org.owner or owner != person.owner",
    "owner.active = false",
    "pipeline = \"Клиенты\"",
    "status in (open, frozen)",
    "value > 100000",
    "city is empty",
    "last_activity_at < now - 1d",
    "last_activity_at is empty",
    "expected_close_date < 2026-12-01",
    "org.is_agency = true or org.city = \"Москва\"",
    "title !~ \"сделка\" and not (source is empty)",
    "owner = me",
    "count activity() >= 2",
    "org.last_activity_at > now - 30d",
];

const ATOMS: &[&str] = &[
    "status = open",
    "status != won",
    "status in (lost, frozen)",
    "status not in (open)",
    "value > 100000",
    "value <= 50000",
    "stage >= \"Принял в работу\"",
    "stage < \"Коммуникация\"",
    "pipeline = \"Клиенты\"",
    "budget is empty",
    "budget >= 1000",
    "traffic < 1000",
    "traffic is not empty",
    "city = \"Казань\"",
    "city is empty",
    "org.name ~ \"ром\"",
    "org.name !~ \"ООО\"",
    "org.partner_org is empty",
    "org.city is empty",
    "org.is_agency = true",
    "owner = me",
    "owner != org.owner",
    "owner = person.owner",
    "owner.active = false",
    "owner.role = manager",
    "exists activity(done = false)",
    "exists activity(done = false and due_at < now)",
    "count activity(done = true) >= 1",
    "count activity() = 0",
    "stage_entered_at < now - 1d",
    "created_at > 2026-11-24",
    "last_activity_at > now - 2h",
    "last_activity_at is empty",
    "title ~ \"СДЕЛКА\"",
    "source is empty",
    "expected_close_date >= today",
    "person.email is not empty",
    "closed_at is not empty",
];

fn random_expr(rng: &mut rand::rngs::StdRng, depth: u32) -> String {
    if depth == 0 || rng.gen_bool(0.35) {
        return ATOMS[rng.gen_range(0..ATOMS.len())].to_string();
    }
    let (a, b) = (random_expr(rng, depth - 1), random_expr(rng, depth - 1));
    match rng.gen_range(0..4) {
        0 => format!("({a}) and ({b})"),
        1 => format!("({a}) or ({b})"),
        2 => format!("not ({a})"),
        _ => format!("exists activity(done = {}) and ({a})", rng.gen_bool(0.5)),
    }
}

/// Random deals, organizations, persons and activities, reproducible from `seed`.
async fn random_seed(app: &TestApp, seed: u64) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let a = &app.t.admin;
    let owners = [app.ids.admin, app.ids.manager1, app.ids.manager3];
    let pick = |rng: &mut rand::rngs::StdRng, n: usize| rng.gen_range(0..n);
    let names = ["ООО «От Партнера»", "Ромашка", "АО Север", "ИП Лютиков", "Агентство «Вектор»"];
    let cities = ["Москва", "Казань", "", "москва"];
    let mut orgs = Vec::new();
    for i in 0..6 {
        let mut custom = json!({});
        if rng.gen_bool(0.6) {
            custom["city"] = json!(cities[pick(&mut rng, cities.len())]);
        }
        if rng.gen_bool(0.4) {
            custom["is_agency"] = json!(rng.gen_bool(0.5));
        }
        if i > 0 && rng.gen_bool(0.4) {
            custom["partner_org"] = json!(orgs[pick(&mut rng, orgs.len())]);
        }
        let body =
            json!({"name": format!("{} {i}", names[pick(&mut rng, names.len())]), "owner_id": owners[pick(&mut rng, 3)], "custom": custom});
        orgs.push(app.create(a, "organizations", body).await);
    }
    let mut persons = Vec::new();
    for i in 0..5 {
        let mut body = json!({"name": format!("Контакт {i}"), "owner_id": owners[pick(&mut rng, 3)]});
        if rng.gen_bool(0.5) {
            body["email"] = json!(format!("p{i}@example.ru"));
        }
        persons.push(app.create(a, "persons", body).await);
    }
    let statuses = ["open", "open", "won", "lost", "frozen"];
    let sources = ["Сайт", "Звонок", "Партнер"];
    for i in 0..30 {
        app.clock.advance(time::Duration::hours(rng.gen_range(0..40)));
        let value = [0, 5_000_000, 10_000_000, 10_000_001, 90_000_000][pick(&mut rng, 5)];
        let mut body = json!({"title": format!("Сделка {i}"), "stage_id": app.ids.stages[pick(&mut rng, 3)], "status": statuses[pick(&mut rng, 5)],
                              "value": value, "owner_id": owners[pick(&mut rng, 3)]});
        if rng.gen_bool(0.7) {
            body["organization_id"] = json!(orgs[pick(&mut rng, orgs.len())]);
        }
        if rng.gen_bool(0.6) {
            body["person_id"] = json!(persons[pick(&mut rng, persons.len())]);
        }
        if rng.gen_bool(0.5) {
            body["source"] = json!(sources[pick(&mut rng, 3)]);
        }
        if rng.gen_bool(0.5) {
            body["expected_close_date"] = json!(format!("2026-12-{:02}", rng.gen_range(1..29)));
        }
        let mut custom = json!({});
        for (key, v) in [
            ("budget", json!(rng.gen_range(0..3000))),
            ("traffic", json!(rng.gen_range(0..2000) as f64 / 2.0)),
            ("city", json!(cities[pick(&mut rng, 4)])),
        ] {
            if rng.gen_bool(0.5) {
                custom[key] = v;
            }
        }
        body["custom"] = custom;
        let deal = app.create(a, "deals", body).await;
        for _ in 0..rng.gen_range(0..4) {
            app.clock.advance(time::Duration::minutes(rng.gen_range(1..600)));
            let due = format!("2026-{:02}-{:02}T10:00:00Z", rng.gen_range(11..13), rng.gen_range(1..29));
            let kind = ["task", "call", "meeting"][pick(&mut rng, 3)];
            let body = json!({"type": kind, "subject": "Дело", "deal_id": deal, "done": rng.gen_bool(0.5), "due_at": due});
            app.create(a, "activities", body).await;
        }
    }
}

/// Compares SQL with the evaluator for every expression; returns how many selected a proper subset.
async fn compare_all(app: &TestApp, records: &[(i64, EvalRecord)], expressions: impl Iterator<Item = String>) -> usize {
    let actor = app.db.actor_for_user(app.ids.admin, poryadok_core::domain::Channel::Api).await.unwrap();
    let schema = app.db.filter_schema(&actor, Entity::Deal).await.unwrap();
    let now = poryadok_core::Clock::now_ms(app.clock.as_ref());
    let mut discriminating = 0;
    for src in expressions {
        let checked = filter::parse_and_check(&src, &schema).unwrap_or_else(|e| panic!("{src}: {}", e.render(&src)));
        let mut expected: Vec<i64> = records.iter().filter(|(_, r)| filter::eval(&checked, r, now)).map(|(id, _)| *id).collect();
        expected.sort();
        let (s, v) = app.get(&app.t.admin, &format!("/api/v1/deals?limit=500&sort=id&filter={}", enc(&src))).await;
        assert_eq!(s, StatusCode::OK, "{src}: {v}");
        let got: Vec<i64> = v["data"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect();
        assert_eq!(got, expected, "SQL and evaluator disagree on: {src}");
        if !got.is_empty() && got.len() < records.len() {
            discriminating += 1;
        }
    }
    discriminating
}

async fn random_records_and_random_expressions(app: TestApp) {
    random_seed(&app, 7).await;
    let records = deal_records(&app).await;
    assert_eq!(records.len(), 30);
    let mut rng = rand::rngs::StdRng::seed_from_u64(99);
    let exprs: Vec<String> = (0..200).map(|_| random_expr(&mut rng, 3)).collect();
    let n = compare_all(&app, &records, exprs.into_iter()).await;
    assert!(n > 100, "only {n} of 200 random expressions selected a proper subset");
}

async fn sql_and_evaluator_agree(app: TestApp) {
    seed(&app).await;
    let records = deal_records(&app).await;
    assert!(records.len() >= 8);
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261123);
    let randoms: Vec<String> = (0..150).map(|_| random_expr(&mut rng, 3)).collect();
    let nonempty = compare_all(&app, &records, EXAMPLES.iter().map(|s| s.to_string()).chain(randoms)).await;
    assert!(nonempty > 60, "the expressions must discriminate: only {nonempty} selected a proper subset");

    let actor = app.db.actor_for_user(app.ids.admin, poryadok_core::domain::Channel::Api).await.unwrap();
    let schema = app.db.filter_schema(&actor, Entity::Deal).await.unwrap();
    let now = poryadok_core::Clock::now_ms(app.clock.as_ref());
    // The documented examples select what a person reading them expects.
    let ids = |src: &str| {
        let checked = filter::parse_and_check(src, &schema).unwrap();
        records
            .iter()
            .filter(|(_, r)| filter::eval(&checked, r, now))
            .map(|(_, r)| r.fields["title"].as_text().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(EXAMPLES[0]), ["Пятая без всего", "Седьмая сделка от партнера", "Сделка ушедшего"]);
    assert_eq!(ids(EXAMPLES[4]), ["Первая сделка"]);
    assert_eq!(ids(EXAMPLES[5]), ["Первая сделка", "Шестая"]);
    assert_eq!(ids(EXAMPLES[7]), ["Вторая", "Сделка ушедшего"]);

    // A manager's filtered list never shows more than their own.
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals?filter={}", enc("status in (open, won, lost, frozen)"))).await;
    assert!(v["data"].as_array().unwrap().iter().all(|d| d["owner_id"] == app.ids.manager1), "{v}");
}

async fn filter_errors_point_at_the_mistake(app: TestApp) {
    let t = &app.t.admin;
    let (s, v) = app.get(t, &format!("/api/v1/deals?filter={}", enc("citty is empty"))).await;
    assert_error(&(s, v.clone()), 422, "validation", Some("filter"));
    assert!(v["error"]["message"].as_str().unwrap().contains("did you mean 'city'"), "{v}");
    assert_eq!(v["error"]["position"]["line"], 1);
    assert_eq!(v["error"]["position"]["column"], 1);
    assert!(v["error"]["position"]["display"].as_str().unwrap().contains("^^^^^"), "{v}");
    // The mistake is a catalogue code with its arguments, and so is its hint.
    assert_eq!(v["error"]["message_code"], "filter_unknown_field", "{v}");
    assert_eq!(v["error"]["args"], json!({"name": "citty"}), "{v}");
    assert_eq!(v["error"]["position"]["length"], 5, "{v}");
    assert_eq!(v["error"]["position"]["hint_code"], "filter_hint_did_you_mean", "{v}");
    assert_eq!(v["error"]["position"]["hint_args"], json!({"name": "city"}), "{v}");
    assert_eq!(v["error"]["position"]["hint"], "did you mean 'city'?", "{v}");
    for bad in
        ["value ~ 5", "status = maybe", "stage = \"Нет такой\"", "(status = open", "status = open and", "\"unterminated", "done = \"yes\""]
    {
        assert_error(&app.get(t, &format!("/api/v1/deals?filter={}", enc(bad))).await, 422, "validation", Some("filter"));
    }
    let deep = format!("{}status = open{}", "(".repeat(40), ")".repeat(40));
    assert_error(&app.get(t, &format!("/api/v1/deals?filter={}", enc(&deep))).await, 422, "validation", Some("filter"));
    let long = vec!["status = open"; 400].join(" or ");
    assert_error(&app.get(t, &format!("/api/v1/deals?filter={}", enc(&long))).await, 422, "validation", Some("filter"));
    assert_error(&app.get(t, &format!("/api/v1/users?filter={}", enc("active = true"))).await, 422, "validation", Some("filter"));

    // The editor's check endpoint: the checked form and the live hit count.
    app.create(t, "deals", json!({"title": "Открытая"})).await;
    let (s, v) = app
        .post(t, "/api/v1/filters/check", json!({"entity": "deal", "expression": "status = open and not exists activity(done = false)"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["count"], 1);
    let (s, v) = app.post(t, "/api/v1/filters/check", json!({"entity": "deal", "expression": "stage >= \"Комуникация\""})).await;
    assert_eq!(s.as_u16(), 422);
    assert_eq!(v["error"]["field"], "expression");
    assert!(v["error"]["message"].as_str().unwrap().contains("Коммуникация"), "suggests the close stage name: {v}");
    assert_eq!(v["error"]["message_code"], "filter_unknown_stage", "{v}");
    assert_eq!(v["error"]["position"]["hint_code"], "filter_hint_did_you_mean_text", "{v}");
    // A syntax mistake on the second line: its code, what was found, and where.
    let (s, v) = app.post(t, "/api/v1/filters/check", json!({"entity": "deal", "expression": "status = open\nand status in open"})).await;
    assert_eq!(s.as_u16(), 422, "{v}");
    assert_eq!(v["error"]["field"], "expression", "{v}");
    assert_eq!(v["error"]["message_code"], "filter_expected_in_paren", "{v}");
    assert_eq!(v["error"]["args"], json!({"found": {"word": "open"}}), "{v}");
    assert_eq!(
        v["error"]["message"], "2:15: expected '(' after 'in' but found 'open' — list the values in parentheses: status in (open, frozen)",
        "{v}"
    );
    let p = &v["error"]["position"];
    assert_eq!(
        (p["line"].as_i64(), p["column"].as_i64(), p["offset"].as_i64(), p["length"].as_i64()),
        (Some(2), Some(15), Some(28), Some(4)),
        "{v}"
    );
    assert_eq!(p["hint_code"], "filter_hint_in_list", "{v}");
    assert_error(
        &app.post(t, "/api/v1/filters/check", json!({"entity": "team", "expression": "x"})).await,
        422,
        "validation",
        Some("entity"),
    );
}

async fn saved_filters_are_private_or_shared(app: TestApp) {
    let (m1, m2) = (&app.t.manager1, &app.t.manager2);
    let private = app
        .create(
            m1,
            "filters",
            json!({"name": "Мои без задач", "entity": "deal", "expression": "status = open and not exists activity(done = false)"}),
        )
        .await;
    let shared = app
        .create(m1, "filters", json!({"name": "Все замороженные", "entity": "deal", "expression": "status = frozen", "shared": true}))
        .await;
    assert_error(
        &app.post(m1, "/api/v1/filters", json!({"name": "Сломанный", "entity": "deal", "expression": "stauts = open"})).await,
        422,
        "validation",
        Some("expression"),
    );
    assert_error(&app.get(m2, &format!("/api/v1/filters/{private}")).await, 404, "not_found", None);
    let (s, v) = app.get(m2, &format!("/api/v1/filters/{shared}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["data"]["owner_id"], app.ids.manager1);
    assert_error(&app.patch(m2, &format!("/api/v1/filters/{shared}"), json!({"name": "Чужое"})).await, 403, "forbidden", None);
    assert_error(&app.delete(m2, &format!("/api/v1/filters/{shared}")).await, 403, "forbidden", None);
    assert_error(
        &app.patch(m1, &format!("/api/v1/filters/{shared}"), json!({"expression": "value >"})).await,
        422,
        "validation",
        Some("expression"),
    );
    let (s, _) = app.patch(m1, &format!("/api/v1/filters/{shared}"), json!({"expression": "status = frozen and value > 0"})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.all_ids(m2, "filters", "").await, vec![shared]);
    let mut mine = app.all_ids(m1, "filters", "").await;
    mine.sort();
    assert_eq!(mine, vec![private, shared]);
}
