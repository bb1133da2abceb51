//! Web forms end to end: the hosted page and its embed script, a lead onto one card however the
//! phone is written, spam kept but never processed, foreign sites and floods refused unstored,
//! mistakes shown next to the field and kept as failed events, signed server-to-server posts,
//! and form settings checked part by part.
use crate::helpers::{assert_error, html_attr, TestApp};
use crate::intake::{deals_of, deliver, persons_with_phone, source, work, Hook};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    the_hosted_page_shows_the_fields_and_a_trap_and_the_embed_frames_it,
    a_lead_becomes_a_person_and_a_deal_and_comes_back_to_them,
    spam_is_kept_but_never_processed_and_answered_like_a_success,
    foreign_sites_and_floods_are_refused_and_not_stored,
    a_mistake_comes_back_next_to_its_field_and_is_kept_as_failed,
    a_server_posts_a_signed_submission,
    bad_form_settings_name_the_part,
    a_form_with_a_redirect_sends_the_visitor_on,
);

fn config() -> Value {
    json!({
        "title": "Заказ звонка",
        "fields": [
            {"name": "name", "label": "Имя", "required": true, "maps_to": "person.name"},
            {"name": "phone", "label": "Телефон", "maps_to": "person.phone"},
            {"name": "email", "label": "E-mail", "maps_to": "person.email"},
            {"name": "company", "label": "Компания", "maps_to": "organization.name"},
            {"name": "budget", "label": "Бюджет", "maps_to": "deal.value"},
            {"name": "rooms", "label": "Комнат", "type": "number", "maps_to": "custom.rooms"},
            {"name": "comment", "label": "Комментарий", "type": "textarea"}
        ],
        "success_message": "Спасибо, перезвоним!"
    })
}

/// A form source; its config may map to the deal custom field `rooms`, made here.
async fn form(app: &TestApp, config: Value) -> (Hook, String) {
    let (_, defs) = app.get(&app.t.admin, "/api/v1/custom_fields").await;
    if !defs["data"].as_array().unwrap().iter().any(|d| d["key"] == "rooms") {
        app.create(&app.t.admin, "custom_fields", json!({"entity": "deal", "key": "rooms", "label": "Комнат", "field_type": "number"}))
            .await;
    }
    let hook = source(app, "form", config).await;
    let key = hook.path.trim_start_matches("/hooks/").to_string();
    (hook, key)
}

/// A browser: keeps no cookies it does not need and does not follow redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// The hidden inputs of a page, as a browser would send them.
fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let marker = "<input type=\"hidden\" name=\"";
    for (i, _) in html.match_indices(marker) {
        let rest = &html[i + marker.len()..];
        let name = &rest[..rest.find('"').unwrap()];
        let value = html_attr(rest, "value=", "value").unwrap_or_default();
        out.push((name.to_string(), unescape(&value)));
    }
    out
}

async fn open(app: &TestApp, key: &str, query: &str, referer: Option<&str>) -> (StatusCode, HeaderMap, String) {
    let mut req = browser().get(format!("{}/f/{key}{query}", app.base));
    if let Some(r) = referer {
        req = req.header("referer", r);
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.headers().clone(), resp.text().await.unwrap())
}

/// Posts the form as the page would: the typed fields, the page's hidden fields, an empty trap.
async fn send(
    app: &TestApp,
    key: &str,
    origin: &str,
    hidden: &[(String, String)],
    typed: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    let mut form: Vec<(String, String)> = typed.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    form.extend(hidden.iter().cloned());
    if !typed.iter().any(|(k, _)| *k == "website") {
        form.push(("website".into(), String::new()));
    }
    let resp = browser().post(format!("{}/f/{key}", app.base)).header("origin", origin).form(&form).send().await.unwrap();
    (resp.status(), resp.headers().clone(), resp.text().await.unwrap())
}

/// Opens the page, waits as a person would, and sends it.
async fn fill(app: &TestApp, key: &str, typed: &[(&str, &str)]) -> (StatusCode, HeaderMap, String) {
    let (_, _, page) = open(app, key, "", None).await;
    app.clock.advance(time::Duration::seconds(5));
    send(app, key, &app.base, &hidden_inputs(&page), typed).await
}

async fn events(app: &TestApp, status: &str) -> Vec<Value> {
    let (s, v) = app.get(&app.t.admin, &format!("/api/v1/intake/events?status={status}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["data"].as_array().unwrap().clone()
}

async fn all_events(app: &TestApp) -> usize {
    let (_, v) = app.get(&app.t.admin, "/api/v1/intake/events").await;
    v["data"].as_array().unwrap().len()
}

async fn the_hosted_page_shows_the_fields_and_a_trap_and_the_embed_frames_it(app: TestApp) {
    let (_, key) = form(&app, config()).await;
    let (s, headers, html) = open(&app, &key, "?utm_source=ya&utm_campaign=spring", Some("https://search.example/q")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("<h1>Заказ звонка</h1>") && html.contains("lang=\"ru\""), "{html}");
    assert!(
        html.contains("for=\"f-name\">Имя") && html.contains("name=\"phone\" type=\"tel\"") && html.contains("<textarea id=\"f-comment\"")
    );
    assert!(html.contains("name=\"website\" tabindex=\"-1\" autocomplete=\"off\""), "the honeypot: {html}");
    let hidden: std::collections::HashMap<_, _> = hidden_inputs(&html).into_iter().collect();
    assert!(hidden["_started"].contains('.'), "{hidden:?}");
    assert_eq!((hidden["utm_source"].as_str(), hidden["utm_campaign"].as_str()), ("ya", "spring"));
    assert_eq!(hidden["referrer"], "https://search.example/q");
    assert!(hidden["landing_page"].ends_with(&format!("/f/{key}?utm_source=ya&utm_campaign=spring")), "{hidden:?}");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'self';") && csp.contains("script-src 'self';"), "no other site may frame it: {csp}");
    assert_eq!(headers["cache-control"], "no-store");

    // Framed by the embed script: the parent page's address and tags travel in the URL.
    let q = "?embed=1&landing=https%3A%2F%2Fsite.example%2Fpromo%3Futm_source%3Dvk&referrer=https%3A%2F%2Fvk.com%2F&utm_source=vk";
    let (_, _, framed) = open(&app, &key, q, Some("https://site.example/promo?utm_source=vk")).await;
    // The framed page reports its height to the parent (assets/form.js reads the key).
    assert!(framed.contains("class=\"embed\"") && framed.contains(&format!("data-form-key=\"{key}\"")), "{framed}");
    let hidden: std::collections::HashMap<_, _> = hidden_inputs(&framed).into_iter().collect();
    assert_eq!(hidden["landing_page"], "https://site.example/promo?utm_source=vk");
    assert_eq!((hidden["referrer"].as_str(), hidden["utm_source"].as_str(), hidden["_embed"].as_str()), ("https://vk.com/", "vk", "1"));

    let resp = browser().get(format!("{}/f/{key}/embed.js", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    let js = resp.text().await.unwrap();
    assert!(js.contains(&format!("\"{}/f/{key}?embed=1\"", app.base)) && js.contains("createElement(\"iframe\")"), "{js}");
    assert!(js.contains("document.referrer") && js.contains("utm_source"), "{js}");

    let (s, _, html) = open(&app, "nosuchform", "", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(html.contains("Такой формы нет или она отключена"), "{html}");
    assert_eq!(browser().get(format!("{}/f/nosuchform/embed.js", app.base)).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    // Other kinds of sources have no page.
    let phone = source(&app, "telephony", json!({})).await;
    assert_eq!(open(&app, phone.path.trim_start_matches("/hooks/"), "", None).await.0, StatusCode::NOT_FOUND);
}

async fn a_lead_becomes_a_person_and_a_deal_and_comes_back_to_them(app: TestApp) {
    let (hook, key) = form(&app, config()).await;
    let (_, _, page) = open(&app, &key, "?utm_source=yandex&utm_medium=cpc", Some("https://ya.ru/")).await;
    app.clock.advance(time::Duration::seconds(5));
    let typed = [
        ("name", "Анна Смирнова"),
        ("phone", "8 (999) 123-45-67"),
        ("email", "Anna@Example.RU"),
        ("company", "ООО Ромашка"),
        ("budget", "150 000"),
        ("rooms", "3"),
        ("comment", "Перезвоните после обеда"),
    ];
    let (s, _, html) = send(&app, &key, &app.base, &hidden_inputs(&page), &typed).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Спасибо, перезвоним!") && !html.contains("<form"), "{html}");
    work(&app).await;

    let persons = persons_with_phone(&app, "+79991234567").await;
    assert_eq!(persons.len(), 1, "{persons:?}");
    let p = &persons[0];
    assert_eq!((p["name"].as_str(), p["email"].as_str()), (Some("Анна Смирнова"), Some("anna@example.ru")));
    let (_, org) = app.get(&app.t.admin, &format!("/api/v1/organizations/{}", p["organization_id"])).await;
    assert_eq!(org["data"]["name"], "ООО Ромашка");
    let person = p["id"].as_i64().unwrap();
    let deals = deals_of(&app, person).await;
    assert_eq!(deals.len(), 1);
    let d = &deals[0];
    assert_eq!(d["title"], "Заявка «Заказ звонка»: Анна Смирнова");
    assert_eq!(
        (d["value"].as_i64(), d["custom"]["rooms"].as_i64(), d["source"].as_str()),
        (Some(15_000_000), Some(3), Some("form source"))
    );
    assert_eq!(
        (d["utm_source"].as_str(), d["utm_medium"].as_str(), d["referrer"].as_str()),
        (Some("yandex"), Some("cpc"), Some("https://ya.ru/"))
    );
    assert!(d["landing_page"].as_str().unwrap().contains(&format!("/f/{key}?utm_source=yandex")), "{d}");
    let deal = d["id"].as_i64().unwrap();
    let notes = app.all_records(&app.t.admin, "notes", &format!("&deal_id={deal}"), 50).await;
    assert_eq!(notes.len(), 1);
    let note = notes[0]["content"].as_str().unwrap();
    for line in
        ["«Заказ звонка»", "Имя: Анна Смирнова", "Телефон: 8 (999) 123-45-67", "Бюджет: 150 000", "Комментарий: Перезвоните после обеда"]
    {
        assert!(note.contains(line), "{line} in {note}");
    }
    let (_, touches) = app.get(&app.t.admin, &format!("/api/v1/deals/{deal}/touches")).await;
    assert_eq!(touches["data"][0]["channel"], "form");
    let processed = events(&app, "processed").await;
    assert_eq!(processed.len(), 1);
    assert_eq!(
        (processed[0]["result"]["person_created"].as_bool(), processed[0]["result"]["deal_created"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(processed[0]["result"]["note_id"], notes[0]["id"]);

    // The same client again, the number written otherwise and a new e-mail: the same card and open deal.
    let (s, _, html) =
        fill(&app, &key, &[("name", "Анна"), ("phone", "+7 999 123 45 67"), ("email", "anna.work@example.ru"), ("budget", "5")]).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    // The server-to-server way lands on the same card too (found by e-mail this time).
    let body =
        json!({"fields": {"name": "Анна", "email": "ANNA@example.ru", "comment": "из CRM сайта"}, "attribution": {"utm_source": "site"}});
    let (s, v) = deliver(&app, &hook, "application/json", body.to_string().as_bytes()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    work(&app).await;
    assert_eq!(app.all_records(&app.t.admin, "persons", "", 50).await.len(), 1, "no duplicate person");
    let deals = deals_of(&app, person).await;
    assert_eq!(deals.len(), 1, "the open deal takes the next leads");
    assert_eq!(deals[0]["value"].as_i64(), Some(15_000_000), "a known deal keeps its amount");
    assert_eq!(app.all_records(&app.t.admin, "notes", &format!("&deal_id={deal}"), 50).await.len(), 3);
    let (_, p) = app.get(&app.t.admin, &format!("/api/v1/persons/{person}")).await;
    assert_eq!(p["data"]["email"], "anna@example.ru", "the first e-mail stays; the second is one more identity");
    let (_, touches) = app.get(&app.t.admin, &format!("/api/v1/deals/{deal}/touches")).await;
    assert_eq!(touches["data"].as_array().unwrap().len(), 3);
    assert_eq!(touches["data"][2]["utm_source"], "site");
}

async fn spam_is_kept_but_never_processed_and_answered_like_a_success(app: TestApp) {
    let (_, key) = form(&app, config()).await;
    let typed = [("name", "Bot"), ("phone", "+79990001122")];
    // A filled honeypot.
    let mut with_trap = typed.to_vec();
    with_trap.push(("website", "http://spam.example"));
    let (s, _, html) = fill(&app, &key, &with_trap).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Спасибо, перезвоним!"), "bots learn nothing: {html}");
    // Faster than a person: posted the moment the page opened.
    let (_, _, page) = open(&app, &key, "", None).await;
    let (s, _, html) = send(&app, &key, &app.base, &hidden_inputs(&page), &typed).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Спасибо, перезвоним!"));
    // No start token at all (posted without opening the page), or a forged one.
    let (s, _, _) = send(&app, &key, &app.base, &[], &typed).await;
    assert_eq!(s, StatusCode::OK);
    let forged = vec![("_started".to_string(), "1000.00ff".to_string())];
    send(&app, &key, &app.base, &forged, &[("name", "Bot 2"), ("phone", "+79990001122")]).await;
    work(&app).await;

    let rejected = events(&app, "rejected").await;
    assert_eq!(rejected.len(), 4, "{rejected:?}");
    let reasons: Vec<&str> = rejected.iter().map(|e| e["error"].as_str().unwrap()).collect();
    assert!(reasons.contains(&"honeypot filled"), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("submitted 0 ms after opening; the form needs 3 s")), "{reasons:?}");
    assert_eq!(reasons.iter().filter(|r| r.starts_with("no valid start token")).count(), 2, "{reasons:?}");
    assert_eq!(persons_with_phone(&app, "+79990001122").await.len(), 0);
    // What the bot typed is kept for the record.
    let (_, ev) = app.get(&app.t.admin, &format!("/api/v1/intake/events/{}", rejected[0]["id"])).await;
    assert!(ev["data"]["body"].as_str().unwrap().contains("+79990001122"), "{ev}");
}

async fn foreign_sites_and_floods_are_refused_and_not_stored(app: TestApp) {
    let mut c = config();
    c["allowed_origins"] = json!(["https://Site.Example/"]);
    c["rate_per_minute"] = json!(2);
    c["min_fill_seconds"] = json!(0);
    let (hook, key) = form(&app, c).await;
    let (_, v) = app.get(&app.t.admin, &format!("/api/v1/intake/sources/{}", hook.id)).await;
    assert_eq!(v["data"]["config"]["allowed_origins"], json!(["https://site.example"]), "{v}");
    let (_, headers, _) = open(&app, &key, "", None).await;
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'self' https://site.example;"), "{csp}");

    let typed = [("name", "Олег"), ("phone", "+79995550011")];
    let (s, _, html) = send(&app, &key, "https://evil.example", &[], &typed).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(html.contains("Эту форму нельзя отправить с этого сайта"), "{html}");
    let resp = browser()
        .post(format!("{}/f/{key}", app.base))
        .header("referer", "https://evil.example/page")
        .json(&json!({"name": "Олег", "phone": "+79995550011"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], "forbidden_origin");
    assert_eq!(all_events(&app).await, 0, "a foreign post is not stored");

    // A script on the allowed site: a preflight, then JSON.
    let pre = browser()
        .request(reqwest::Method::OPTIONS, format!("{}/f/{key}", app.base))
        .header("origin", "https://site.example")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), StatusCode::NO_CONTENT);
    assert_eq!(pre.headers()["access-control-allow-origin"], "https://site.example");
    // Behind a proxy that names the client in X-Forwarded-For, each client counts apart.
    let proxied = app.serve_with(|s| s.security.trusted_proxy_header = poryadok_server::security::ProxyHeader::XForwardedFor).await;
    let post = |ip: &'static str| {
        browser()
            .post(format!("{proxied}/f/{key}"))
            .header("origin", "https://site.example")
            .header("x-forwarded-for", ip)
            .json(&json!({"fields": {"name": "Олег", "phone": "+79995550011"}, "attribution": {"utm_source": "site"}, "website": ""}))
            .send()
    };
    let first = post("203.0.113.5").await.unwrap();
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    assert_eq!(first.headers()["access-control-allow-origin"], "https://site.example");
    assert_eq!(first.json::<Value>().await.unwrap()["data"]["status"], "received");
    // The same body again is the same event (a double click).
    assert_eq!(post("203.0.113.5").await.unwrap().status(), StatusCode::ACCEPTED);
    let third = post("203.0.113.5").await.unwrap();
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(third.headers()["retry-after"], "60");
    assert_eq!(third.json::<Value>().await.unwrap()["error"]["code"], "rate_limited");
    assert_eq!(post("203.0.113.6").await.unwrap().status(), StatusCode::ACCEPTED, "another sender has their own count");
    assert_eq!(all_events(&app).await, 1, "the flood is not stored and the replays are one event");
    app.clock.advance(time::Duration::seconds(61));
    assert_eq!(post("203.0.113.5").await.unwrap().status(), StatusCode::ACCEPTED, "a new minute, a new count");
    work(&app).await;
    let person = persons_with_phone(&app, "+79995550011").await;
    assert_eq!(person.len(), 1);
    assert_eq!(deals_of(&app, person[0]["id"].as_i64().unwrap()).await[0]["utm_source"], "site");
}

async fn a_mistake_comes_back_next_to_its_field_and_is_kept_as_failed(app: TestApp) {
    let (_, key) = form(&app, config()).await;
    let (s, _, html) = fill(&app, &key, &[("phone", "+7 999 000-11-22"), ("comment", "<b>срочно</b>")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("Проверьте отмеченные поля") && html.contains("Заполните это поле"), "{html}");
    assert!(
        html.contains("id=\"f-name\" name=\"name\" type=\"text\" value=\"\"")
            && html.contains("aria-invalid=\"true\" aria-describedby=\"e-name\""),
        "{html}"
    );
    assert!(html.contains("value=\"+7 999 000-11-22\""), "what was typed is kept: {html}");
    assert!(html.contains("&#60;b&#62;срочно&#60;/b&#62;</textarea>"), "and escaped: {html}");
    assert!(hidden_inputs(&html).iter().any(|(k, _)| k == "_started"), "the page keeps its start token");

    let (s, _, html) = fill(&app, &key, &[("name", "Ира"), ("phone", "12"), ("email", "ira@")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Проверьте номер телефона") && html.contains("Проверьте адрес e-mail"), "every mistake at once: {html}");
    let (s, _, html) = fill(&app, &key, &[("name", "Ира"), ("comment", "без телефона")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Оставьте телефон или e-mail"), "{html}");
    let (s, _, html) = fill(&app, &key, &[("name", "Ира"), ("email", "ira@example.ru"), ("budget", "много")]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Введите число"), "{html}");

    // A JSON client gets the error envelope.
    let (_, _, page) = open(&app, &key, "", None).await;
    app.clock.advance(time::Duration::seconds(5));
    let mut body: serde_json::Map<String, Value> = hidden_inputs(&page).into_iter().map(|(k, v)| (k, json!(v))).collect();
    body.insert("name".into(), json!("Ира"));
    body.insert("email".into(), json!("not-an-address"));
    let resp = browser().post(format!("{}/f/{key}", app.base)).header("origin", &app.base).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = resp.json().await.unwrap();
    assert_eq!((v["error"]["code"].as_str(), v["error"]["field"].as_str()), (Some("validation"), Some("email")), "{v}");

    work(&app).await;
    let failed = events(&app, "failed").await;
    let fields: Vec<&str> = failed.iter().rev().map(|e| e["error_field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["name", "phone", "phone", "budget", "email"]);
    assert_eq!(app.all_records(&app.t.admin, "persons", "", 50).await.len(), 0);
}

async fn a_server_posts_a_signed_submission(app: TestApp) {
    let (hook, _) = form(&app, config()).await;
    let body = json!({"id": "site-42", "fields": {"name": "Пётр", "phone": "89997776655", "utm_note": "x"}, "attribution": {"utm_source": "partner"}});
    let bytes = body.to_string();
    // A user's token or no secret at all is no way in.
    let resp = app.client.post(format!("{}{}", app.base, hook.path)).bearer_auth(&app.t.admin).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = app.client.post(format!("{}{}", app.base, hook.path)).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(all_events(&app).await, 0);

    let (s, v) = deliver(&app, &hook, "application/json", bytes.as_bytes()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    // The sender's id makes a retry one event.
    let (s, again) = deliver(&app, &hook, "application/json", bytes.as_bytes()).await;
    assert_eq!((s, again["duplicate"].as_bool(), again["event_id"].clone()), (StatusCode::OK, Some(true), v["event_id"].clone()));
    let token =
        app.client.post(format!("{}{}", app.base, hook.path)).header("x-poryadok-token", &hook.secret).json(&body).send().await.unwrap();
    assert_eq!(token.status(), StatusCode::OK, "the token header is the other way in");
    work(&app).await;
    let persons = persons_with_phone(&app, "+79997776655").await;
    assert_eq!(persons.len(), 1);
    let deal = &deals_of(&app, persons[0]["id"].as_i64().unwrap()).await[0];
    assert_eq!(deal["utm_source"], "partner");
    let notes = app.all_records(&app.t.admin, "notes", &format!("&deal_id={}", deal["id"]), 50).await;
    assert!(notes[0]["content"].as_str().unwrap().contains("utm_note: x"), "fields the form does not know are kept in the note");

    // Bad input from an authenticated sender is stored and reported.
    let (s, v) = deliver(&app, &hook, "application/json", b"{\"fields\": ").await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("body")), "{v}");
    let (s, v) = deliver(&app, &hook, "application/json", json!({"fields": {"phone": "+79997776600"}}).to_string().as_bytes()).await;
    assert_eq!(
        (s, v["error"]["code"].as_str(), v["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_event"), Some("name")),
        "{v}"
    );
    let (s, v) = deliver(&app, &hook, "application/json", json!({"name": "flat"}).to_string().as_bytes()).await;
    assert_eq!((s, v["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("fields")), "{v}");
    assert_eq!(events(&app, "failed").await.len(), 3);
}

async fn bad_form_settings_name_the_part(app: TestApp) {
    let app = &app;
    app.create(&app.t.admin, "custom_fields", json!({"entity": "deal", "key": "curator", "label": "Куратор", "field_type": "user"})).await;
    let bad = |config: Value| async move {
        app.post(&app.t.admin, "/api/v1/intake/sources", json!({"kind": "form", "name": "Форма", "config": config})).await
    };
    let field = |name: &str, maps_to: &str| json!({"name": name, "label": name, "maps_to": maps_to});
    let phone = field("phone", "person.phone");
    assert_error(&bad(json!({})).await, 422, "validation", Some("config.fields"));
    assert_error(&bad(json!({"fields": []})).await, 422, "validation", Some("config.fields"));
    assert_error(&bad(json!({"fields": [field("name", "person.name")]})).await, 422, "validation", Some("config.fields"));
    assert_error(&bad(json!({"fields": [phone, field("x", "person.age")]})).await, 422, "validation", Some("config.fields.1.maps_to"));
    assert_error(&bad(json!({"fields": [phone, field("phone", "note")]})).await, 422, "validation", Some("config.fields.1.name"));
    assert_error(&bad(json!({"fields": [phone, field("website", "note")]})).await, 422, "validation", Some("config.fields.1.name"));
    assert_error(&bad(json!({"fields": [phone, field("2fast", "note")]})).await, 422, "validation", Some("config.fields.1.name"));
    assert_error(&bad(json!({"fields": [phone, field("tel2", "person.phone")]})).await, 422, "validation", Some("config.fields.1.maps_to"));
    assert_error(&bad(json!({"fields": [phone, field("c", "custom.nope")]})).await, 422, "validation", Some("config.fields.1.maps_to"));
    assert_error(&bad(json!({"fields": [phone, field("c", "custom.curator")]})).await, 422, "validation", Some("config.fields.1.maps_to"));
    assert_error(
        &bad(json!({"fields": [phone, {"name": "e", "label": "E", "type": "phone", "maps_to": "person.email"}]})).await,
        422,
        "validation",
        Some("config.fields.1.type"),
    );
    assert_error(
        &bad(json!({"fields": [phone, {"name": "e", "label": "E", "type": "date"}]})).await,
        422,
        "validation",
        Some("config.fields.1.type"),
    );
    assert_error(
        &bad(json!({"fields": [phone, {"name": "e", "maps_to": "note"}]})).await,
        422,
        "validation",
        Some("config.fields.1.label"),
    );
    assert_error(
        &bad(json!({"fields": [phone, {"name": "e", "label": "E", "required": "yes"}]})).await,
        422,
        "validation",
        Some("config.fields.1.required"),
    );
    let too_many: Vec<Value> = (0..31).map(|i| field(&format!("f{i}"), if i == 0 { "person.phone" } else { "note" })).collect();
    assert_error(&bad(json!({"fields": too_many})).await, 422, "validation", Some("config.fields"));
    let ok = vec![phone.clone()];
    assert_error(
        &bad(json!({"fields": ok, "allowed_origins": ["site.example"]})).await,
        422,
        "validation",
        Some("config.allowed_origins.0"),
    );
    assert_error(
        &bad(json!({"fields": ok, "allowed_origins": ["https://site.example/form"]})).await,
        422,
        "validation",
        Some("config.allowed_origins.0"),
    );
    assert_error(
        &bad(json!({"fields": ok, "allowed_origins": "https://site.example"})).await,
        422,
        "validation",
        Some("config.allowed_origins"),
    );
    assert_error(&bad(json!({"fields": ok, "min_fill_seconds": -1})).await, 422, "validation", Some("config.min_fill_seconds"));
    assert_error(&bad(json!({"fields": ok, "rate_per_minute": 0})).await, 422, "validation", Some("config.rate_per_minute"));
    assert_error(&bad(json!({"fields": ok, "redirect_url": "ftp://x"})).await, 422, "validation", Some("config.redirect_url"));
    assert_error(&bad(json!({"fields": ok, "title": 5})).await, 422, "validation", Some("config.title"));
    assert_error(&bad(json!({"fields": ok, "pipeline_id": app.ids.other_pipeline})).await, 422, "validation", Some("config.pipeline_id"));

    // A good one comes back normalised, with its page's address.
    let (s, v) =
        bad(json!({"fields": [{"name": "phone", "label": "Телефон", "maps_to": "person.phone"}, {"name": "q", "label": "Вопрос"}]})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let c = &v["data"]["config"];
    assert_eq!(c["fields"][0]["type"], "phone");
    assert_eq!(
        (c["fields"][1]["type"].as_str(), c["fields"][1]["maps_to"].as_str(), c["fields"][1]["required"].as_bool()),
        (Some("text"), Some("note"), Some(false))
    );
    assert_eq!((c["min_fill_seconds"].as_i64(), c["rate_per_minute"].as_i64()), (Some(3), Some(10)));
    // A switched-off form has no page.
    let id = v["data"]["id"].as_i64().unwrap();
    let key = v["data"]["hook_key"].as_str().unwrap().to_string();
    assert_eq!(open(app, &key, "", None).await.0, StatusCode::OK);
    app.patch(&app.t.admin, &format!("/api/v1/intake/sources/{id}"), json!({"active": false})).await;
    assert_eq!(open(app, &key, "", None).await.0, StatusCode::NOT_FOUND);
}

async fn a_form_with_a_redirect_sends_the_visitor_on(app: TestApp) {
    let mut c = config();
    c["redirect_url"] = json!("https://site.example/thanks");
    let (_, key) = form(&app, c).await;
    let (s, headers, _) = fill(&app, &key, &[("name", "Ян"), ("email", "jan@example.ru")]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(headers["location"], "https://site.example/thanks");
    // In English when the workspace is.
    let (s, v) = app.patch(&app.t.admin, "/api/v1/workspace", json!({"locale": "en"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, _, html) = open(&app, &key, "", None).await;
    assert!(html.contains("lang=\"en\"") && html.contains(">Send</button>"), "{html}");
}
