//! The web UI in a real browser: Debian's headless Chromium driven through chromedriver
//! (WebDriver). Screenshots of the key screens in both languages go to `target/screenshots/`.
//!
//! CI sets `PORYADOK_TEST_BROWSER=1`, and then a missing chromedriver is a failure. Outside CI
//! a machine without chromedriver says so and runs nothing here.
use crate::helpers::*;
use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use std::os::unix::process::CommandExt;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A chromedriver process and a browser session on it; both end when this is dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Browser {
    /// Ends the driver and every browser process it started, also when the test failed: the
    /// driver runs in its own process group, and Chromium's processes all carry this browser's
    /// own profile directory on their command line.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = Command::new("pkill").args(["-KILL", "-f", &self._profile.0.display().to_string()]).status();
    }
}

fn required() -> bool {
    std::env::var("PORYADOK_TEST_BROWSER").is_ok_and(|v| v == "1")
}

pub async fn start_browser() -> Option<Browser> {
    if !std::path::Path::new(CHROMEDRIVER).exists() {
        assert!(!required(), "PORYADOK_TEST_BROWSER=1 but {CHROMEDRIVER} is missing (install chromium-driver)");
        eprintln!("browser tests not run: {CHROMEDRIVER} is missing (Debian package chromium-driver)");
        return None;
    }
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let profile = TempDir(std::env::temp_dir().join(format!("poryadok-chromium-{}-{port}", std::process::id())));
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                "--disable-dev-shm-usage", "--window-size=1366,768", "--lang=ru-RU",
                format!("--user-data-dir={}", profile.0.display()),
            ],
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let mut last_err = String::new();
    for _ in 0..50 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new()).capabilities(caps.clone()).connect(&url).await {
            Ok(client) => {
                let browser = Browser { client, driver, _profile: profile };
                browser.fit_viewport(1366, 768).await;
                return Some(browser);
            }
            Err(e) => last_err = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not start a session: {last_err}");
}

pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Browser {
    /// Sizes the window (larger or smaller) so that the page itself (not the window) is
    /// `width`×`height`.
    pub async fn fit_viewport(&self, width: u32, height: u32) {
        let inner = self.client.execute("return [window.innerWidth, window.innerHeight];", vec![]).await.unwrap();
        let (w, h) = (inner[0].as_i64().unwrap_or(0), inner[1].as_i64().unwrap_or(0));
        let (ow, oh) = self.client.get_window_size().await.unwrap();
        let fit = |outer: u64, inner: i64, want: u32| (outer as i64 - inner + i64::from(want)).max(i64::from(want)) as u32;
        self.client.set_window_size(fit(ow, w, width), fit(oh, h, height)).await.unwrap();
    }

    pub async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
    }

    pub async fn wait_for(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("waiting for {css}: {e}"))
    }

    /// Waits until `script` (a JS expression) is true: up to 30 s, since the whole suite's
    /// compiles and servers share two cores with the browser.
    pub async fn wait_until(&self, what: &str, script: &str) {
        for _ in 0..300 {
            if self.client.execute(&format!("return !!({script});"), vec![]).await.unwrap() == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("timed out waiting for {what}");
    }

    pub async fn login(&self, base: &str, email: &str, password: &str) {
        self.client.goto(&format!("{base}/login")).await.unwrap();
        self.wait_for("#email").await.send_keys(email).await.unwrap();
        self.client.find(Locator::Css("#password")).await.unwrap().send_keys(password).await.unwrap();
        self.client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
        // Heads start at the dashboard, everyone else at the board; the tests begin at the board.
        self.wait_for("#topnav").await;
        if self.client.current_url().await.unwrap().path() != "/board" {
            self.client.goto(&format!("{base}/board")).await.unwrap();
        }
        self.wait_for("#board").await;
    }

    /// Drags `from` onto `to` with the mouse, in small steps as a hand does.
    pub async fn drag(&self, from: &str, to: &str) {
        let source = self.client.find(Locator::Css(from)).await.unwrap();
        let target = self.client.find(Locator::Css(to)).await.unwrap();
        let step = Duration::from_millis(50);
        let actions = MouseActions::new("mouse".into())
            .then(PointerAction::MoveToElement { element: source, duration: Some(step), x: 0.0, y: 0.0 })
            .then(PointerAction::Down { button: MOUSE_BUTTON_LEFT })
            .then(PointerAction::MoveBy { duration: Some(step), x: 12.0, y: 6.0 })
            .then(PointerAction::MoveBy { duration: Some(step), x: 30.0, y: 10.0 })
            .then(PointerAction::MoveToElement { element: target, duration: Some(Duration::from_millis(200)), x: 0.0, y: 0.0 })
            .then(PointerAction::Up { button: MOUSE_BUTTON_LEFT });
        self.client.perform_actions(actions).await.unwrap();
    }

    pub async fn text_of(&self, css: &str) -> String {
        self.client.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
    }
}

/// The walk-through: sign in, drag a deal to the next stage, open its card and add a
/// note, filter a list, look at Today, then read it all in English and switch back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_works_through_the_day_in_a_real_browser() {
    let Some(browser) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let m1 = &app.t.manager1;
    let org = app.create(m1, "organizations", json!({"name": "ООО Ромашка"})).await;
    let deal = app.create(m1, "deals", json!({"title": "Сайт для Ромашки", "value": 15_000_000, "organization_id": org})).await;
    app.create(m1, "deals", json!({"title": "<script>alert(1)</script>", "value": 100_000})).await;
    app.create(m1, "deals", json!({"title": "Крупный контракт", "value": 90_000_000})).await;
    app.create(
        m1,
        "activities",
        json!({"type": "call", "subject": "Перезвонить Ромашке", "deal_id": deal, "due_at": "2026-11-23T12:00:00Z"}),
    )
    .await;
    app.create(
        m1,
        "activities",
        json!({"type": "task", "subject": "Отправить договор", "deal_id": deal, "due_at": "2026-11-20T12:00:00Z"}),
    )
    .await;
    let password = "browser-pass-123";
    app.set_password(app.ids.manager1, password).await;

    browser.login(&app.base, "m1@a.test", password).await;
    assert_eq!(browser.text_of(".topbar nav a.active").await, "Воронка");
    assert!(browser.text_of("#board").await.contains("<script>alert(1)</script>"), "the title shows as text");
    browser.shot("board-ru").await;

    // Drag the deal to the next stage; the move persists and the columns' counts follow.
    let card = format!(".deal-card[data-deal-id=\"{deal}\"]");
    let next_column = format!(".column[data-stage-id=\"{}\"] .cards", app.ids.stages[1]);
    browser.drag(&card, &next_column).await;
    browser
        .wait_until(
            "the card in the second column",
            &format!("document.querySelector('{next_column} {card}') && !document.querySelector('[aria-busy]')"),
        )
        .await;
    let (_, v) = app.get(m1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["stage_id"], app.ids.stages[1], "the move is stored");
    browser.client.refresh().await.unwrap();
    browser.wait_for(&format!("{next_column} {card}")).await;
    assert_eq!(browser.text_of(&format!(".column[data-stage-id=\"{}\"] .count", app.ids.stages[1])).await, "1");

    // Open the card from the board and add a note: it shows at the top of the timeline.
    browser.client.find(Locator::Css(&card)).await.unwrap().click().await.unwrap();
    browser.wait_for("#deal-head").await;
    browser.client.find(Locator::Css("#note-content")).await.unwrap().send_keys("Клиент ждёт КП до пятницы").await.unwrap();
    browser.client.find(Locator::Css("#note-form button.primary")).await.unwrap().click().await.unwrap();
    browser
        .wait_until("the note in the timeline", "document.querySelector('.timeline li .body')?.textContent === 'Клиент ждёт КП до пятницы'")
        .await;
    browser.shot("card-ru").await;
    let deal_url = browser.client.current_url().await.unwrap().to_string();

    // Filter the deals list with an expression: the table narrows without a reload.
    browser.client.goto(&format!("{}/deals", app.base)).await.unwrap();
    browser.wait_for("#list-q").await.send_keys("value > 500000").await.unwrap();
    browser
        .wait_until("the filtered list", "document.querySelector('#list') && document.querySelector('#list').textContent.includes('Крупный контракт') && !document.querySelector('#list').textContent.includes('Сайт для Ромашки')")
        .await;
    assert!(browser.client.current_url().await.unwrap().as_str().contains("q="), "the filter is in the address");
    browser.shot("list-ru").await;

    browser.client.goto(&format!("{}/today", app.base)).await.unwrap();
    browser.wait_for("#today").await;
    let today = browser.text_of("#today").await;
    assert!(today.contains("Отправить договор") && today.contains("Перезвонить Ромашке"), "{today}");
    browser.shot("today-ru").await;

    // Switch to English: every screen follows, and the choice survives a reload.
    browser.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    browser.wait_until("English", "document.documentElement.lang === 'en'").await;
    assert!(browser.text_of("#today").await.contains("Overdue"));
    browser.shot("today-en").await;
    for (path, ready, name) in
        [("/board", "#board", "board-en"), (deal_url.as_str(), "#deal-head", "card-en"), ("/deals?q=value+%3E+500000", "#list", "list-en")]
    {
        let url = if path.starts_with("http") { path.to_string() } else { format!("{}{path}", app.base) };
        browser.client.goto(&url).await.unwrap();
        browser.wait_for(ready).await;
        browser.shot(name).await;
    }
    assert_eq!(browser.text_of(".topbar nav a.active").await, "Deals");
    browser.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    browser.wait_until("Russian again", "document.documentElement.lang === 'ru'").await;
    assert_eq!(browser.text_of(".topbar nav a.active").await, "Сделки");
    assert!(browser.client.current_url().await.unwrap().as_str().contains("/deals?q="), "the switch returns to the same page");
}

/// A move the server refuses puts the card back where it was and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_drag_puts_the_card_back_and_says_why() {
    let Some(browser) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Только для чтения"})).await;
    let analyst = app.db.user_by_email("analyst@a.test").await.unwrap().unwrap().1;
    app.set_password(analyst, "analyst-pass-123").await;
    browser.login(&app.base, "analyst@a.test", "analyst-pass-123").await;
    let card = format!(".deal-card[data-deal-id=\"{deal}\"]");
    let first = format!(".column[data-stage-id=\"{}\"] .cards", app.ids.stages[0]);
    let next_column = format!(".column[data-stage-id=\"{}\"] .cards", app.ids.stages[1]);
    browser.drag(&card, &next_column).await;
    browser.wait_until("the refusal", "!document.getElementById('toast').hidden").await;
    browser.wait_until("the card back in its column", &format!("document.querySelector('{first} {card}')")).await;
    assert!(browser.text_of("#toast").await.contains("только на чтение"), "the reason is shown");
    browser.shot("board-refused-move").await;
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(v["data"]["stage_id"], app.ids.stages[0]);
}

/// Intake as an administrator sees it: a failed call in the inbox, the source's mapping fixed on
/// its page, the event re-processed from its own page while the status follows the worker; the
/// inbox and the source's page in both languages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_fixes_a_mapping_and_reprocesses_a_failed_call() {
    use crate::intake::{call, source, work};
    let Some(browser) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let hook = source(&app, "telephony", json!({"preset": "generic"})).await;
    let failed = json!({"call_id": "b-1", "numA": "+79990001122", "status": "answered", "duration": 5, "utm": {"source": "yandex"}});
    let event = call(&app, &hook, failed).await.1["event_id"].as_i64().unwrap();
    call(&app, &hook, json!({"call_id": "b-2", "from": "+79990003344", "status": "missed"})).await;
    work(&app).await;
    app.set_password(app.ids.admin, "admin-pass-123").await;
    browser.login(&app.base, "admin@a.test", "admin-pass-123").await;

    browser.client.goto(&format!("{}/intake/events", app.base)).await.unwrap();
    assert!(browser.wait_for(&format!("#event-{event}")).await.text().await.unwrap().contains("b-1"));
    browser.shot("intake-inbox-ru").await;

    browser.client.goto(&format!("{}/settings/intake/{}", app.base, hook.id)).await.unwrap();
    browser.wait_for("#map_caller").await.send_keys("numA").await.unwrap();
    // Another preset redraws the placeholders and keeps what was typed.
    browser
        .client
        .execute("const p = document.getElementById('source-preset'); p.value = 'ringostat'; p.dispatchEvent(new Event('change'));", vec![])
        .await
        .unwrap();
    browser.wait_until("Ringostat's names", "document.getElementById('map_callee').placeholder === 'dst'").await;
    assert_eq!(browser.client.execute("return document.getElementById('map_caller').value;", vec![]).await.unwrap(), json!("numA"));
    browser
        .client
        .execute("const p = document.getElementById('source-preset'); p.value = 'generic'; p.dispatchEvent(new Event('change'));", vec![])
        .await
        .unwrap();
    browser.wait_until("the generic names", "document.getElementById('map_callee').placeholder === 'to'").await;
    browser.client.find(Locator::Css("#source-save")).await.unwrap().click().await.unwrap();
    browser.wait_until("the save", "document.querySelector('#intake-body .notice.ok')").await;
    browser.shot("intake-source-ru").await;

    browser.client.goto(&format!("{}/intake/events/{event}", app.base)).await.unwrap();
    browser.wait_for("#event-reprocess").await.click().await.unwrap();
    browser.wait_until("the event queued", "document.querySelector('#event-status[hx-trigger]')").await;
    work(&app).await;
    browser.wait_until("the event processed", "document.querySelector('#event-status-badge.ok')").await;
    assert!(browser.text_of("#event-status").await.contains("+7 999 000-11-22"));
    browser.shot("intake-event-ru").await;

    browser.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    browser.wait_until("English", "document.documentElement.lang === 'en'").await;
    for (path, ready, name) in [
        ("/intake/events".to_string(), "#intake-inbox", "intake-inbox-en"),
        (format!("/settings/intake/{}", hook.id), "#source-form", "intake-source-en"),
    ] {
        browser.client.goto(&format!("{}{path}", app.base)).await.unwrap();
        browser.wait_for(ready).await;
        browser.shot(name).await;
    }
}

/// The duplicates page at a phone's width, a narrow window's (two cards a row, each about 270px)
/// and a desktop's: no label of a card runs into its value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_cards_keep_labels_apart_from_values() {
    let Some(browser) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let a = &app.t.admin;
    for name in ["Стоматология «Волга»", "ГК «Волга»"] {
        let body = json!({"name": name, "website": "https://volga.example", "address": "г. Казань, ул. Советская, д. 119",
            "owner_id": app.ids.manager1});
        app.create(a, "organizations", body).await;
    }
    let head = app.db.user_by_email("head@a.test").await.unwrap().unwrap().1;
    app.set_password(head, "head-pass-1234").await;
    browser.login(&app.base, "head@a.test", "head-pass-1234").await;
    browser.client.goto(&format!("{}/duplicates?entity=organizations", app.base)).await.unwrap();
    browser.wait_for(".dup-record dl.fields").await;
    // For each label: how far its text reaches past the start of its value (positive: overlap).
    let overlaps = "return [...document.querySelectorAll('.dup-record dl.fields dt')].map(dt => {
        const r = document.createRange(); r.selectNodeContents(dt);
        return [dt.textContent, r.getBoundingClientRect().right - dt.nextElementSibling.getBoundingClientRect().left];
    });";
    for width in [390, 640, 1366] {
        browser.fit_viewport(width, 800).await;
        let inner = browser.client.execute("return window.innerWidth;", vec![]).await.unwrap();
        assert_eq!(inner, json!(width), "the page is {width}px wide");
        let found = browser.client.execute(overlaps, vec![]).await.unwrap();
        let labels = found.as_array().unwrap();
        assert!(labels.iter().any(|l| l[0] == "Ответственный"), "{found}");
        for l in labels {
            assert!(l[1].as_f64().unwrap() <= -4.0, "at {width}px the label {} runs into its value: {found}", l[0]);
        }
        browser.shot(&format!("duplicates-{width}")).await;
    }
}
