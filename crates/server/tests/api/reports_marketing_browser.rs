//! The marketing page in a real browser: a head reads the seed's four channels (Yandex above
//! PromoPages on ROMI), sorts by cost per sale, drills from Yandex to its campaigns and from a
//! count to the leads themselves, and reads the page, the deal card's attribution and the
//! dashboard's tile on a phone in Russian and English without sideways scrolling; with screenshots.
use crate::browser::{start_browser, Browser};
use crate::helpers::*;
use crate::reports_marketing::seed;

async fn no_sideways_scroll(b: &Browser, what: &str) {
    let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    assert!(wide.as_i64().unwrap_or(99) <= 0, "{what} scrolls sideways by {wide}px");
}

/// An element's text, read in one step (the element may be swapped by htmx meanwhile).
async fn text(b: &Browser, css: &str) -> String {
    let js = format!("const e = document.querySelector({}); return e ? e.innerText : '';", serde_json::json!(css));
    b.client.execute(&js, vec![]).await.unwrap().as_str().unwrap_or_default().replace('\u{a0}', " ")
}

/// A screenshot of the page's top, then one with the table in view.
async fn shots(b: &Browser, name: &str) {
    b.shot(name).await;
    b.client.execute("document.getElementById('marketing-table').scrollIntoView();", vec![]).await.unwrap();
    b.shot(&format!("{name}-table")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_reads_the_marketing_page_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let ids = seed(&app).await;
    app.set_password(app.ids.admin, "admin-pass-123").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123").await;

    // The top menu leads to the page; Yandex first, PromoPages second.
    b.client.goto(&format!("{}/dashboard", app.base)).await.unwrap();
    b.wait_for("#tile-marketing").await;
    b.client.execute("document.querySelector('#topnav a[href=\"/marketing\"]').click();", vec![]).await.unwrap();
    b.wait_for("#marketing-table").await;
    let rows = text(&b, "#marketing-table tbody").await;
    let (y, p) = (rows.find("yandex").unwrap(), rows.find("promopages").unwrap());
    assert!(y < p, "{rows}");
    assert!(rows.contains("1900 %") && rows.contains("Без источника"), "{rows}");
    no_sideways_scroll(&b, "/marketing").await;
    shots(&b, "marketing-ru").await;

    // Sorted by cost per sale (a click on its head, twice: the cheapest first).
    for _ in 0..2 {
        let before = text(&b, "#marketing-table thead").await;
        b.client
            .execute(
                "[...document.querySelectorAll('#marketing-table thead a')].find(a => a.innerText.startsWith('Цена продажи')).click();",
                vec![],
            )
            .await
            .unwrap();
        b.wait_until("the order", &format!("document.querySelector('#marketing-table thead').innerText !== {}", serde_json::json!(before)))
            .await;
    }
    b.wait_for("#marketing-table th[aria-sort=\"ascending\"]").await;
    let first = text(&b, "#marketing-table tbody tr").await;
    assert!(first.starts_with("yandex"), "{first}");

    // Yandex → its campaigns → the leads of Brand.
    b.client.execute("document.querySelector('#marketing-table tbody tr th a').click();", vec![]).await.unwrap();
    b.wait_for("#marketing-crumbs").await;
    let table = text(&b, "#marketing-table").await;
    assert!(table.contains("Brand") && table.contains("Generic") && table.contains("Кампания"), "{table}");
    shots(&b, "marketing-campaigns-ru").await;
    b.client
        .execute("[...document.querySelectorAll('#marketing-table tbody tr')].find(r => r.innerText.includes('Brand')).querySelectorAll('td.num a')[0].click();", vec![])
        .await
        .unwrap();
    b.wait_until("the deals list", "location.pathname === '/deals'").await;
    b.wait_until(
        "its six leads",
        "document.getElementById('list-totals') && document.getElementById('list-totals').innerText.includes('6')",
    )
    .await;
    b.shot("marketing-leads-ru").await;

    // On a phone, in both languages: the page, a card's attribution, the dashboard.
    b.fit_viewport(390, 844).await;
    let card = format!("/deals/{}", ids["yandex"][0]);
    for lang in ["ru", "en"] {
        if lang == "en" {
            b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
            b.wait_until("English", "document.documentElement.lang === 'en'").await;
        }
        b.client.goto(&format!("{}/marketing", app.base)).await.unwrap();
        b.wait_for("#marketing-table").await;
        no_sideways_scroll(&b, &format!("/marketing ({lang})")).await;
        shots(&b, &format!("marketing-phone-{lang}")).await;
        b.client.goto(&format!("{}{card}", app.base)).await.unwrap();
        b.wait_for("#deal-credited").await;
        b.client.execute("document.getElementById('deal-attribution').scrollIntoView();", vec![]).await.unwrap();
        no_sideways_scroll(&b, &format!("{card} ({lang})")).await;
        b.shot(&format!("marketing-card-phone-{lang}")).await;
        let credited = text(&b, "#deal-credited").await;
        let first = if lang == "en" { "First touch" } else { "Первое касание" };
        assert!(credited.contains(first) && credited.contains("yandex · brand · crm"), "{credited}");
        b.client.goto(&format!("{}/dashboard", app.base)).await.unwrap();
        b.wait_for("#tile-marketing").await;
        b.client.execute("document.getElementById('tile-marketing').scrollIntoView();", vec![]).await.unwrap();
        no_sideways_scroll(&b, &format!("/dashboard ({lang})")).await;
        b.shot(&format!("marketing-tile-phone-{lang}")).await;
    }
    b.client.goto(&format!("{}/marketing", app.base)).await.unwrap();
    b.wait_for("#marketing-table").await;
    let head = text(&b, "#marketing-table thead").await;
    assert!(head.contains("Cost per sale") && head.contains("ROMI"), "{head}");
}
