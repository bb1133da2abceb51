//! The dashboard in a real browser: a head signs in to it, drills from a tile to the deals
//! behind a bar, goes from a tile to its report and downloads it; in Russian, in English and on
//! a phone.
use crate::browser::start_browser;
use crate::helpers::*;
use crate::reports::department;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_starts_at_the_dashboard_and_drills_down() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    department(&app).await;
    app.set_password(app.ids.admin, "admin-pass-123").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123").await;

    b.client.goto(&format!("{}/", app.base)).await.unwrap();
    b.wait_for("#tile-funnel").await;
    assert!(b.client.current_url().await.unwrap().path() == "/dashboard", "a head's start page is the dashboard");
    b.shot("dashboard-ru").await;
    b.client.goto(&format!("{}/reports/forecast", app.base)).await.unwrap();
    b.wait_for("#forecast-summary").await;
    b.shot("forecast-ru").await;
    b.client.goto(&format!("{}/", app.base)).await.unwrap();
    b.wait_for("#tile-funnel").await;
    let revenue = b.text_of("#tile-revenue").await;
    assert!(revenue.contains("3 000 ₽") && revenue.contains("выиграно сделок: 3"), "{revenue}");

    // The funnel tile's second bar: the eleven deals that reached «Принял в работу».
    b.client.execute("document.querySelectorAll('#tile-funnel ol.hbars a')[1].click();", vec![]).await.unwrap();
    b.wait_until("the deals list", "location.pathname === '/deals'").await;
    b.wait_until("its totals", "document.getElementById('list-totals') && document.getElementById('list-totals').innerText.includes('11')")
        .await;

    // A tile's title leads to its report, which downloads as CSV.
    b.client.goto(&format!("{}/dashboard", app.base)).await.unwrap();
    b.wait_for("#tile-funnel").await;
    b.client.execute("document.querySelector('#tile-funnel h2 a').click();", vec![]).await.unwrap();
    b.wait_for("#funnel-table").await;
    let csv = b.client.execute("return fetch(document.getElementById('report-csv').href).then(r => r.text());", vec![]).await.unwrap();
    assert!(csv.as_str().unwrap_or("").contains("Принял в работу,11"), "{csv}");

    b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
    b.wait_until("English", "document.documentElement.lang === 'en'").await;
    b.client.goto(&format!("{}/dashboard", app.base)).await.unwrap();
    b.wait_for("#tile-funnel").await;
    assert!(b.text_of("h1").await.contains("Department dashboard"));
    b.shot("dashboard-en").await;
    // A 1280 px screen holds a head's whole English menu on one line; the rarer pages are under
    // "More", which opens on a click and leads to them.
    b.fit_viewport(1280, 800).await;
    b.client.goto(&format!("{}/dashboard", app.base)).await.unwrap();
    b.wait_for("#tile-funnel").await;
    let over = b
        .client
        .execute(
            "const bar = document.querySelector('.topbar'); const nav = document.getElementById('topnav'); \
             return [bar.scrollWidth - bar.clientWidth, nav.scrollWidth - nav.clientWidth, bar.offsetHeight];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(over, serde_json::json!([0, 0, 48]), "the top bar overflows or wraps at 1280 px (bar, menu, height)");
    b.client.execute("document.querySelector('#nav-more summary').click();", vec![]).await.unwrap();
    b.wait_until("the More menu open", "document.getElementById('nav-more').open").await;
    b.shot("nav-more-en").await;
    b.client.execute("document.querySelector('#nav-more a[href=\"/settings\"]').click();", vec![]).await.unwrap();
    b.wait_until("the settings", "location.pathname.startsWith('/settings')").await;
    b.fit_viewport(390, 844).await;
    b.client.goto(&format!("{}/dashboard", app.base)).await.unwrap();
    b.wait_for("#tile-sources").await;
    let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    assert!(wide.as_i64().unwrap_or(99) <= 0, "the dashboard scrolls sideways by {wide}px on a phone");
    b.shot("dashboard-phone-en").await;
    b.client.goto(&format!("{}/reports/forecast", app.base)).await.unwrap();
    b.wait_for("#forecast-summary").await;
    let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    assert!(wide.as_i64().unwrap_or(99) <= 0, "the forecast scrolls sideways by {wide}px on a phone");
    b.shot("forecast-phone-en").await;
}
