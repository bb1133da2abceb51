//! Time in stage, the managers' load and the partners in a real browser: a head reads the
//! working days of each stage, follows a count to the deals behind it, reads each manager's load
//! and the partners' revenue, follows a partner's bar to its deals; in Russian, in English and on
//! a phone, with screenshots.
use crate::browser::{start_browser, Browser};
use crate::helpers::*;
use crate::reports_stage_time::{fortnight, FORTNIGHT};
use serde_json::json;

const DECEMBER: &str = "from=2026-12-01&to=2026-12-31";

/// A screenshot of the page's top, then one with its table in view.
async fn shots(b: &Browser, name: &str) {
    b.shot(name).await;
    b.client.execute("document.querySelector('#report .table-panel').scrollIntoView();", vec![]).await.unwrap();
    b.shot(&format!("{name}-table")).await;
}

async fn no_sideways_scroll(b: &Browser, path: &str) {
    let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    assert!(wide.as_i64().unwrap_or(99) <= 0, "{path} scrolls sideways by {wide}px");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_reads_time_in_stage_load_and_partners_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let ids = fortnight(&app).await;
    crate::reports_partners::clients(&app).await;
    for (owner, deal, due) in [(app.ids.manager1, ids["A"], "2026-12-04T12:00:00Z"), (app.ids.manager2, ids["C"], "2026-12-09T12:00:00Z")] {
        let body = json!({"type": "task", "subject": "Позвонить", "owner_id": owner, "deal_id": deal, "due_at": due});
        app.create(&app.t.admin, "activities", body).await;
    }
    app.set_password(app.ids.admin, "admin-pass-123").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123").await;

    // Time in stage, compared with the week before.
    b.client.goto(&format!("{}/reports/stage_time?{FORTNIGHT}&compare=previous", app.base)).await.unwrap();
    b.wait_for("#stage-time-table").await;
    let table = b.text_of("#stage-time-table").await;
    assert!(table.contains("Медиана, раб. дн.") && table.contains("Новый"), "{table}");
    assert!(table.contains("0,2") && table.contains("9,8") && table.contains("6"), "«Новый»: median 0.2, longest 9.8: {table}");
    no_sideways_scroll(&b, "/reports/stage_time").await;
    shots(&b, "reports-stage-time-ru").await;
    // The stays of «Новый» lead to the four deals that left it.
    b.client.execute("document.querySelector('#stage-time-table tbody tr a').click();", vec![]).await.unwrap();
    b.wait_until("the deals list", "location.pathname === '/deals'").await;
    b.wait_until("its totals", "document.getElementById('list-totals') && document.getElementById('list-totals').innerText.includes('4')")
        .await;

    // The load: m1's overdue task is marked.
    b.client.goto(&format!("{}/reports/load?{DECEMBER}", app.base)).await.unwrap();
    b.wait_for("#load-table .weak").await;
    let table = b.text_of("#load-table").await;
    assert!(table.contains("m1") && table.contains("Выручка на открытую сделку"), "{table}");
    no_sideways_scroll(&b, "/reports/load").await;
    shots(&b, "reports-load-ru").await;

    // Partners: Альфа first; its bar leads to its clients' won deals.
    b.client.goto(&format!("{}/reports/partners?{DECEMBER}", app.base)).await.unwrap();
    b.wait_for("#partners-table").await;
    let first = b.text_of("#partners-table tbody tr").await;
    assert!(first.contains("Альфа"), "{first}");
    no_sideways_scroll(&b, "/reports/partners").await;
    shots(&b, "reports-partners-ru").await;
    b.client.execute("document.querySelectorAll('ol.hbars a')[0].click();", vec![]).await.unwrap();
    b.wait_until("the deals list", "location.pathname === '/deals'").await;
    b.wait_until("its totals", "document.getElementById('list-totals') && document.getElementById('list-totals').innerText.includes('2')")
        .await;

    b.fit_viewport(390, 844).await;
    for lang in ["ru", "en"] {
        if lang == "en" {
            b.client.goto(&format!("{}/reports/load", app.base)).await.unwrap();
            b.wait_for("#lang-switch").await;
            b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
            b.wait_until("English", "document.documentElement.lang === 'en'").await;
        }
        for (name, query) in [("stage_time", FORTNIGHT), ("load", DECEMBER), ("partners", DECEMBER)] {
            let path = format!("/reports/{name}?{query}&compare=previous");
            b.client.goto(&format!("{}{path}", app.base)).await.unwrap();
            b.wait_for("#report .report-table").await;
            no_sideways_scroll(&b, &path).await;
            shots(&b, &format!("reports-phone-{}-{lang}", name.replace('_', "-"))).await;
        }
    }
    let table = b.text_of("#partners-table").await;
    assert!(table.contains("Clients") && table.contains("Revenue"), "{table}");
    b.fit_viewport(1366, 768).await;
    b.client.goto(&format!("{}/reports/stage_time?{FORTNIGHT}", app.base)).await.unwrap();
    b.wait_for("#stage-time-table").await;
    let table = b.text_of("#stage-time-table").await;
    assert!(table.contains("Median, working days") && table.contains("9.8"), "{table}");
    no_sideways_scroll(&b, "/reports/stage_time (en)").await;
    shots(&b, "reports-stage-time-en").await;
}
