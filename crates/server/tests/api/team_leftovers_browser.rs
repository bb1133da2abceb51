//! In a real browser (issues 22, 18): the plans page showing a quarter's plan spread to its
//! months, the review report's manager × criterion table, and the spend import of a workbook of
//! two cabinets' sheets — in Russian, in English and on a phone (390 px: the criteria table
//! scrolls inside its panel, never the page), with screenshots `target/screenshots/quarter-*`,
//! `review-criteria-*` and `spend-sheets-*`.
use crate::browser::start_browser;
use crate::helpers::*;
use crate::plans::{holiday, plan};
use crate::reviews_criteria::{calls, points};
use crate::spend_sheets::{workbook, VK, YANDEX};
use fantoccini::Locator;
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quarterly_plans_criteria_and_workbooks_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    holiday(&app).await;
    let (m1, m2) = (app.ids.manager1, app.ids.manager2);
    plan(&app, ("user_id", m1), "2026-Q4", "revenue", 650_000_000).await;
    plan(&app, ("user_id", m2), "2026-Q4", "revenue", 90_000_000).await;
    plan(&app, ("user_id", m2), "2026-11", "revenue", 30_000_000).await;
    app.call(
        Method::PUT,
        &app.t.head,
        "/api/v1/reviews/scorecard",
        Some(json!({"criteria": poryadok_core::review::default_criteria_ru()})),
    )
    .await;
    calls(&app, m1, 20).await;
    calls(&app, m2, 10).await;
    app.post(&app.t.head, "/api/v1/reviews/sample", json!({"week": "2026-W47"})).await;
    let (_, queue) = app.get(&app.t.head, "/api/v1/reviews?week=2026-W47").await;
    for (i, r) in queue["data"].as_array().unwrap().iter().enumerate() {
        let given = points(&[("greeting", (i % 3) as i64), ("questions", (i % 2) as i64)]);
        app.post(&app.t.head, &format!("/api/v1/reviews/{}/score", r["id"]), json!({"points": given})).await;
    }
    app.set_password(app.ids.admin, "admin-pass-123").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123").await;

    // The plans: November's empty cell shows its part of the quarter; the quarter its months.
    b.client.goto(&format!("{}/plans?period=2026-11", app.base)).await.unwrap();
    b.wait_for("#plans-spread-note").await;
    let grid = b.text_of("#plans-grid").await.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(grid.contains("из квартала: 2 000 000 ₽"), "{grid}");
    b.shot("quarter-month-ru").await;
    b.client.goto(&format!("{}/plans?period=2026-Q4", app.base)).await.unwrap();
    b.wait_for("#plans-spread-note").await;
    let grid = b.text_of("#plans-grid").await.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(grid.contains("Ноябрь 2026: 300 000 ₽*"), "{grid}");
    b.shot("quarter-q4-ru").await;

    // The review report's table.
    b.client.goto(&format!("{}/reviews/report?from=2026-W47&to=2026-W47", app.base)).await.unwrap();
    b.wait_for("#reviews-manager-criteria").await;
    b.client.execute("document.getElementById('reviews-manager-criteria').scrollIntoView();", vec![]).await.unwrap();
    b.shot("review-criteria-ru").await;

    // The spend import of a two-sheet workbook through the page.
    let file = std::env::temp_dir().join(format!("spend-sheets-{}.xlsx", std::process::id()));
    std::fs::write(&file, workbook(&[("Яндекс", YANDEX), ("VK", VK)])).unwrap();
    b.client.goto(&format!("{}/marketing/spend", app.base)).await.unwrap();
    b.client.execute("document.getElementById('spend-import').open = true;", vec![]).await.unwrap();
    b.client.find(Locator::Css("#spend-file")).await.unwrap().send_keys(&file.display().to_string()).await.unwrap();
    b.client.find(Locator::Css("#spend-preview")).await.unwrap().click().await.unwrap();
    b.wait_for("#spend-import-sheets").await;
    let sheets = b.text_of("#spend-import-sheets").await;
    assert!(sheets.contains("«Яндекс», «VK»"), "{sheets}");
    b.client.execute("document.getElementById('spend-import').scrollIntoView();", vec![]).await.unwrap();
    b.shot("spend-sheets-ru").await;

    // On a phone, in both languages: nothing makes the page itself scroll sideways.
    b.fit_viewport(390, 844).await;
    for lang in ["ru", "en"] {
        if lang == "en" {
            b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
            b.wait_until("English", "document.documentElement.lang === 'en'").await;
        }
        for (path, name, ready) in [
            ("/plans?period=2026-10", "quarter-month", "#plans-spread-note"),
            ("/plans?period=2026-Q4", "quarter-q4", "#plans-spread-note"),
            ("/reviews/report?from=2026-W47&to=2026-W47", "review-criteria", "#reviews-manager-criteria"),
        ] {
            b.client.goto(&format!("{}{path}", app.base)).await.unwrap();
            let el = b.wait_for(ready).await;
            let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
            assert!(wide.as_i64().unwrap_or(99) <= 0, "{path} scrolls sideways by {wide}px on a phone");
            if name == "review-criteria" {
                el.click().await.ok();
                b.client.execute("document.getElementById('reviews-manager-criteria').scrollIntoView();", vec![]).await.unwrap();
                let inner = b
                    .client
                    .execute("var e = document.getElementById('reviews-manager-criteria'); return e.scrollWidth - e.clientWidth;", vec![])
                    .await
                    .unwrap();
                assert!(inner.as_i64().unwrap_or(0) > 0, "the table scrolls inside its panel");
            } else {
                b.client.execute("document.getElementById('plans-grid').scrollIntoView();", vec![]).await.unwrap();
            }
            b.shot(&format!("{name}-phone-{lang}")).await;
        }
    }
    let text = b.text_of("#reviews-manager-criteria").await;
    assert!(text.contains("Managers × criteria"), "{text}");
    let _ = std::fs::remove_file(&file);
}
