//! Plans in a real browser: a head types November's targets into the grid with the keyboard,
//! saves with Enter, sees the confirmation, previews and imports a plan sheet, goes to plan vs
//! fact for the month and from a fact to the deals behind it; in Russian, in English and on a
//! phone, with screenshots.
use crate::browser::start_browser;
use crate::helpers::*;
use crate::plans::{deal, holiday};
use fantoccini::Locator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_enters_plans_and_reads_plan_vs_fact_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    holiday(&app).await;
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    // m1 has won 7 500 ₽ and 3 000 ₽ this month, m2 4 800 ₽.
    let first = deal(&app, m1, 750_000, "won").await;
    // And made an outgoing call on it.
    let call = serde_json::json!({"type": "call", "subject": "Звонок", "done": true, "due_at": "2026-11-20T10:00:00Z", "owner_id": m1,
                                  "deal_id": first, "call_direction": "outbound", "call_outcome": "answered"});
    app.create(&app.t.admin, "activities", call).await;
    deal(&app, m1, 300_000, "won").await;
    deal(&app, m2, 480_000, "won").await;
    app.set_password(app.ids.admin, "admin-pass-123").await;
    // Signed in by hand: where the start page leads depends on the role.
    b.client.goto(&format!("{}/login", app.base)).await.unwrap();
    b.wait_for("#email").await.send_keys("admin@a.test").await.unwrap();
    b.client.find(Locator::Css("#password")).await.unwrap().send_keys("admin-pass-123").await.unwrap();
    b.client.find(Locator::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
    b.wait_until("signed in", "location.pathname !== '/login'").await;

    b.client.goto(&format!("{}/plans", app.base)).await.unwrap();
    b.wait_for("#plans-grid").await;
    assert_eq!(b.text_of("#plans-title").await, "Ноябрь 2026");
    // The keyboard: m1's revenue, Tab to won deals, then Enter saves.
    let revenue = b.client.find(Locator::Css(&format!("input[name='u{m1}.revenue']"))).await.unwrap();
    revenue.send_keys("14 000").await.unwrap();
    b.client.active_element().await.unwrap().send_keys("\u{e004}3").await.unwrap();
    let m2_revenue = b.client.find(Locator::Css(&format!("input[name='u{m2}.revenue']"))).await.unwrap();
    m2_revenue.send_keys("6000\u{e007}").await.unwrap();
    b.wait_for("#plans-saved").await;
    let saved = b.text_of("#plans-saved").await;
    assert!(saved.contains("новых 3"), "{saved}");
    let value = b.client.execute(&format!("return document.querySelector(\"input[name='u{m1}.revenue']\").value;"), vec![]).await.unwrap();
    assert_eq!(value.as_str(), Some("14\u{a0}000"));
    b.shot("plans-grid-ru").await;

    // A bad value is marked at its cell and nothing is saved.
    let calls = b.client.find(Locator::Css(&format!("input[name='u{m2}.calls']"))).await.unwrap();
    calls.send_keys("много\u{e007}").await.unwrap();
    b.wait_for("#plans-errors").await;
    b.wait_for(&format!("input[name='u{m2}.calls'][aria-invalid=true]")).await;
    let errors = b.text_of("#plans-errors").await;
    assert!(errors.contains("m2 — Исходящие звонки: «много» — не целое число"), "{errors}");
    b.shot("plans-grid-error-ru").await;

    // The import: a preview of a sheet, then for real.
    let sheet = std::env::temp_dir().join(format!("plans-{}.csv", std::process::id()));
    std::fs::write(&sheet, "Менеджер;Звонки;Письма\nm1;120;40\nНикто;1;1\n").unwrap();
    b.client.execute("document.getElementById('plans-import').open = true;", vec![]).await.unwrap();
    b.client.find(Locator::Css("#plans-file")).await.unwrap().send_keys(&sheet.display().to_string()).await.unwrap();
    b.client.find(Locator::Css("#plans-preview")).await.unwrap().click().await.unwrap();
    b.wait_for("#plans-import-errors").await;
    let summary = b.text_of("#plans-import-summary").await;
    assert!(summary.contains("ничего не сохранено") && summary.contains("будет новых планов: 2"), "{summary}");
    b.client.execute("document.getElementById('plans-import-result').scrollIntoView();", vec![]).await.unwrap();
    b.shot("plans-import-preview-ru").await;
    b.client.find(Locator::Css("#plans-apply")).await.unwrap().click().await.unwrap();
    b.wait_until("the import", "document.getElementById('plans-import-summary').innerText.startsWith('Загружено')").await;
    b.wait_until("the grid refreshed", &format!("document.querySelector(\"input[name='u{m1}.calls']\").value === '120'")).await;
    let _ = std::fs::remove_file(&sheet);

    // Plan vs fact for the month: m1 10 500 ₽ of 14 000 ₽ = 75 %; 15 of 20 working days, so 14 000 ₽ by the end.
    b.client.execute("window.scrollTo(0, 0);", vec![]).await.unwrap();
    b.client.find(Locator::Css("#plans-report")).await.unwrap().click().await.unwrap();
    b.wait_for("#plan-fact-revenue").await;
    let table = b.text_of("#plan-fact-revenue").await;
    assert!(table.split_whitespace().collect::<Vec<_>>().join(" ").contains("m1 14 000 ₽ 10 500 ₽ 75 % 14 000 ₽ 100 %"), "{table}");
    b.shot("plan-fact-ru").await;
    // A fact leads to the deals behind it.
    b.client.execute("document.querySelector('#plan-fact-revenue tbody a').click();", vec![]).await.unwrap();
    b.wait_until("the deals list", "location.pathname === '/deals'").await;
    b.wait_until(
        "its two deals",
        "document.getElementById('list-totals') && document.getElementById('list-totals').innerText.includes('2')",
    )
    .await;
    // A count of calls leads to the deals they were made on.
    b.client.goto(&format!("{}/reports/plan_fact", app.base)).await.unwrap();
    b.wait_for("#plan-fact-calls").await;
    let calls = b.text_of("#plan-fact-calls").await;
    assert!(calls.split_whitespace().collect::<Vec<_>>().join(" ").contains("m1 120 1 0,8 %"), "{calls}");
    b.client.execute("document.querySelector('#plan-fact-calls tbody a').click();", vec![]).await.unwrap();
    b.wait_until("the deals list", "location.pathname === '/deals'").await;
    b.wait_until(
        "the called deal",
        "document.getElementById('list-totals') && document.getElementById('list-totals').innerText.includes('1')",
    )
    .await;

    // On a phone, in both languages.
    b.fit_viewport(390, 844).await;
    for lang in ["ru", "en"] {
        if lang == "en" {
            b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
            b.wait_until("English", "document.documentElement.lang === 'en'").await;
        }
        for (path, name, ready) in [("/plans", "plans", "#plans-grid"), ("/reports/plan_fact", "plan-fact", "#plan-fact-revenue")] {
            b.client.goto(&format!("{}{path}", app.base)).await.unwrap();
            b.wait_for(ready).await;
            let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
            assert!(wide.as_i64().unwrap_or(99) <= 0, "{path} scrolls sideways by {wide}px on a phone");
            b.shot(&format!("{name}-phone-{lang}")).await;
            if name == "plan-fact" {
                b.client.execute("document.querySelector('#report ol.hbars').scrollIntoView();", vec![]).await.unwrap();
                b.shot(&format!("{name}-phone-{lang}-figures")).await;
            }
        }
    }
    let table = b.text_of("#plan-fact-revenue").await;
    assert!(table.contains("Fulfilment") && table.contains("75%"), "{table}");
}
