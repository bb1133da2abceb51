//! The sales and lost-reasons pages in a real browser: a head groups sales by manager, follows
//! a bar to the deals behind it, reads the lost reasons, and both pages fit a phone; screenshots.
use crate::browser::start_browser;
use crate::helpers::*;
use crate::reports_sales::{week, WEEK};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_reads_sales_and_lost_reasons_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    week(&app).await;
    app.set_password(app.ids.admin, "admin-pass-123").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123").await;

    b.client.goto(&format!("{}/reports/sales?{WEEK}&compare=previous", app.base)).await.unwrap();
    b.wait_for("#sales-table").await;
    b.shot("reports-sales-days-ru").await;
    // Grouped by manager from the form.
    b.client.execute("document.getElementById('r-group').value = 'owner';", vec![]).await.unwrap();
    b.client.execute("document.querySelector('#report-form button[type=submit]').click();", vec![]).await.unwrap();
    b.wait_until(
        "by manager",
        "location.search.includes('group=owner') && document.querySelector('#sales-table th[scope=col]').innerText.includes('Менеджер')",
    )
    .await;
    let table = b.text_of("#sales-table").await;
    assert!(table.contains("m1") && table.contains("9 000") && table.contains("62,5"), "{table}");
    b.shot("reports-sales-managers-ru").await;
    // m1's bar leads to A, B and P.
    b.client.execute("document.querySelectorAll('ol.hbars a')[0].click();", vec![]).await.unwrap();
    b.wait_until("the deals list", "location.pathname === '/deals'").await;
    b.wait_until("its totals", "document.getElementById('list-totals') && document.getElementById('list-totals').innerText.includes('3')")
        .await;

    b.client.goto(&format!("{}/reports/lost_reasons?{WEEK}", app.base)).await.unwrap();
    b.wait_for("#lost-reasons-table").await;
    let table = b.text_of("#lost-reasons-table").await;
    assert!(table.contains("Дорого") && table.contains("66,7"), "{table}");
    b.shot("reports-lost-reasons-ru").await;

    b.fit_viewport(390, 844).await;
    for (path, name) in [("sales", "sales"), ("lost_reasons", "lost-reasons")] {
        b.client.goto(&format!("{}/reports/{path}?{WEEK}", app.base)).await.unwrap();
        b.wait_for("#report").await;
        let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
        assert!(wide.as_i64().unwrap_or(99) <= 0, "{path} scrolls sideways by {wide}px on a phone");
        b.shot(&format!("reports-phone-{name}-ru")).await;
    }
}
