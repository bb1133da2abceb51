//! The reports in a real browser: a head opens the funnel, compares with the previous period,
//! goes from a bar to the deals behind it, reads the managers' funnels with their weakest steps,
//! and downloads a report; in Russian, in English and on a phone.
use crate::browser::start_browser;
use crate::helpers::*;
use crate::reports::department;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_reads_the_funnel_and_the_managers_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    department(&app).await;
    app.set_password(app.ids.admin, "admin-pass-123").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123").await;

    b.client.goto(&format!("{}/reports", app.base)).await.unwrap();
    b.wait_for("#funnel-table").await;
    b.client.execute("document.querySelector('#report-form [name=compare]').click();", vec![]).await.unwrap();
    b.client.execute("document.querySelector('#report-form button[type=submit]').click();", vec![]).await.unwrap();
    b.wait_until("the comparison", "document.querySelector('#report .bar-prev') !== null").await;
    assert!(b.client.current_url().await.unwrap().as_str().contains("compare=previous"), "the URL keeps the report");
    b.shot("reports-funnel-ru").await;
    let table = b.text_of("#funnel-table").await;
    assert!(table.contains("Принял в работу") && table.contains("73,3") && table.contains("11"), "{table}");

    // A bar leads to the deals behind it.
    b.client.execute("document.querySelectorAll('ol.hbars a')[1].click();", vec![]).await.unwrap();
    b.wait_until("the deals list", "location.pathname === '/deals'").await;
    b.wait_until("its totals", "document.getElementById('list-totals') && document.getElementById('list-totals').innerText.includes('11')")
        .await;

    b.client.goto(&format!("{}/reports/managers", app.base)).await.unwrap();
    b.wait_for("#managers-table .weak").await;
    b.shot("reports-managers-ru").await;
    let csv = b.client.execute("return fetch(document.getElementById('report-csv').href).then(r => r.text());", vec![]).await.unwrap();
    assert!(csv.as_str().unwrap_or("").contains("Слабый шаг"), "{csv}");

    b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
    b.wait_until("English", "document.documentElement.lang === 'en'").await;
    b.client.goto(&format!("{}/reports/funnel", app.base)).await.unwrap();
    b.wait_for("#funnel-table").await;
    b.shot("reports-funnel-en").await;
    b.fit_viewport(390, 844).await;
    for (path, name) in [("/reports/funnel", "funnel"), ("/reports/managers", "managers")] {
        b.client.goto(&format!("{}{path}", app.base)).await.unwrap();
        b.wait_for("#report").await;
        let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
        assert!(wide.as_i64().unwrap_or(99) <= 0, "{path} scrolls sideways by {wide}px on a phone");
        b.shot(&format!("reports-phone-{name}-en")).await;
    }
}
