//! The bonus split in a real browser: a head sets a pipeline's split (over 100 % is refused
//! beside the shares with what was typed, then saved), reads November's bonuses per user beside
//! the plan, drills into one user's deals and finds the export buttons; in Russian, in English
//! and on a phone, with screenshots.
use crate::bonus::{rub, user_id, won};
use crate::browser::start_browser;
use crate::helpers::*;
use fantoccini::Locator;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_sets_the_bonus_split_and_reads_the_bonuses_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (m1, m2, m3, p) = (app.ids.manager1, app.ids.manager2, app.ids.manager3, app.ids.pipeline);
    let head = user_id(&app, "head@a.test").await;
    let centre =
        app.all_records(&app.t.admin, "teams", "", 50).await.into_iter().find(|t| t["name"] == "Центр").unwrap()["id"].as_i64().unwrap();
    app.patch(&app.t.admin, &format!("/api/v1/teams/{centre}"), json!({"head_id": head})).await;
    app.set_password(head, "head-pass-123").await;
    b.login(&app.base, "head@a.test", "head-pass-123").await;

    // The split: 60 % + 50 % is refused beside the shares, what was typed stays.
    b.client.goto(&format!("{}/settings/pipelines/{p}/bonus", app.base)).await.unwrap();
    b.wait_for("#bonus-split").await;
    for (id, v) in [("#bonus-manager", "60"), ("#bonus-consultant", "50")] {
        let input = b.client.find(Locator::Css(id)).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(v).await.unwrap();
    }
    b.client.find(Locator::Css("#bonus-split-save")).await.unwrap().click().await.unwrap();
    b.wait_for("#bonus-split-error").await;
    let error = b.text_of("#bonus-split-error").await;
    assert!(error.contains("110") && error.contains("100"), "{error}");
    b.wait_for("#bonus-consultant[aria-invalid=true]").await;
    let typed = b.client.execute("return document.getElementById('bonus-consultant').value;", vec![]).await.unwrap();
    assert_eq!(typed.as_str(), Some("50"));
    b.shot("bonus-split-refused-ru").await;
    let (manager, consultant, share_head) = (
        b.client.find(Locator::Css("#bonus-manager")).await.unwrap(),
        b.client.find(Locator::Css("#bonus-consultant")).await.unwrap(),
        b.client.find(Locator::Css("#bonus-head")).await.unwrap(),
    );
    manager.clear().await.unwrap();
    manager.send_keys("5").await.unwrap();
    consultant.clear().await.unwrap();
    consultant.send_keys("10").await.unwrap();
    share_head.clear().await.unwrap();
    share_head.send_keys("1").await.unwrap();
    b.client.find(Locator::Css("#bonus-split-save")).await.unwrap().click().await.unwrap();
    b.wait_for("#bonus-split-saved").await;
    assert_eq!(b.text_of("#bonus-split-saved").await, "Сохранено");
    b.shot("bonus-split-saved-ru").await;
    let (_, split) = app.get(&app.t.head, &format!("/api/v1/pipelines/{p}/bonus_split")).await;
    assert_eq!(split["data"]["total"], "16", "{split}");

    // November: m2 sold the meeting and the product of a 200 000 ₽ deal, m3 consulted on m1's.
    won(&app, p, "Поставка станков", m1, rub(100_000), &[(m3, "consultant")], json!({})).await;
    won(&app, p, "Монтаж линии", m2, rub(200_000), &[(m2, "consultant")], json!({})).await;
    crate::plans::plan(&app, ("user_id", m2), "2026-11", "revenue", rub(250_000)).await;
    b.client.goto(&format!("{}/bonus?from=2026-11-01&to=2026-11-30", app.base)).await.unwrap();
    b.wait_for("#bonus-table").await;
    let table = b.text_of("#bonus-table").await.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(table.contains("m2 250 000 ₽ 200 000 ₽ 1 30 000 ₽"), "{table}");
    assert!(table.contains("Итого") && table.contains("48 000 ₽"), "{table}");
    assert!(b.client.find(Locator::Css("#bonus-csv")).await.is_ok() && b.client.find(Locator::Css("#bonus-xlsx")).await.is_ok());
    b.shot("bonus-report-ru").await;
    b.client.find(Locator::Css("#bonus-table tbody a")).await.unwrap().click().await.unwrap();
    b.wait_for("#bonus-deals").await;
    let deals = b.text_of("#bonus-deals").await;
    assert!(deals.contains("Монтаж линии") && deals.contains("менеджер · 5 %") && deals.contains("консультант · 10 %"), "{deals}");
    b.shot("bonus-drill-ru").await;

    // On a phone, in both languages.
    b.fit_viewport(390, 844).await;
    for lang in ["ru", "en"] {
        if lang == "en" {
            b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
            b.wait_until("English", "document.documentElement.lang === 'en'").await;
        }
        for (path, name, ready) in [
            ("/bonus?from=2026-11-01&to=2026-11-30".to_string(), "bonus-report", "#bonus-table"),
            (format!("/bonus?from=2026-11-01&to=2026-11-30&user_id={m2}"), "bonus-drill", "#bonus-deals"),
            (format!("/settings/pipelines/{p}/bonus"), "bonus-split", "#bonus-split"),
        ] {
            b.client.goto(&format!("{}{path}", app.base)).await.unwrap();
            b.wait_for(ready).await;
            let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
            assert!(wide.as_i64().unwrap_or(99) <= 0, "{path} scrolls sideways by {wide}px on a phone");
            b.shot(&format!("{name}-phone-{lang}")).await;
        }
    }
    let table = b.text_of("#bonus-split").await;
    assert!(table.contains("Bonus split by role") && table.contains("Consultant, %"), "{table}");
}
