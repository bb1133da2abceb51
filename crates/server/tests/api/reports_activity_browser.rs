//! The activity page in a real browser: a head reads each manager's calls, tasks and invoices,
//! follows a manager's bar to the deals behind their calls, and reads the page in English and on
//! a phone; screenshots.
use crate::browser::start_browser;
use crate::helpers::*;
use crate::reports_activity::{week, WEEK};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_reads_the_managers_activity_in_the_browser() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    week(&app).await;
    app.set_password(app.ids.admin, "admin-pass-123").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123").await;

    b.client.goto(&format!("{}/reports/activity?{WEEK}&compare=previous", app.base)).await.unwrap();
    b.wait_for("#activity-calls").await;
    let calls = b.text_of("#activity-calls").await.replace('\u{a0}', " ");
    assert!(calls.contains("m1") && calls.contains("7 мин") && calls.contains("50 %"), "{calls}");
    let work = b.text_of("#activity-work").await.replace('\u{a0}', " ");
    assert!(work.contains("Задач просрочено") && work.contains("Отдел"), "{work}");
    let invoices = b.text_of("#activity-invoices").await.replace('\u{a0}', " ");
    assert!(invoices.contains("100 000 ₽") && invoices.contains("60 000 ₽"), "{invoices}");
    b.shot("reports-activity-ru").await;
    b.client.execute("document.getElementById('activity-calls').scrollIntoView();", vec![]).await.unwrap();
    b.shot("reports-activity-tables-ru").await;

    // m1's bar leads to the deals of their calls: A, B and P.
    b.client.execute("document.querySelectorAll('ol.hbars a')[0].click();", vec![]).await.unwrap();
    b.wait_until("the deals list", "location.pathname === '/deals'").await;
    b.wait_until("its totals", "document.getElementById('list-totals') && document.getElementById('list-totals').innerText.includes('3')")
        .await;
    let list = b.text_of("main").await;
    assert!(list.contains("Сделка A") && list.contains("Сделка B") && list.contains("Сделка P"), "{list}");

    b.fit_viewport(390, 844).await;
    b.client.goto(&format!("{}/reports/activity?{WEEK}", app.base)).await.unwrap();
    b.wait_for("#activity-calls").await;
    let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    assert!(wide.as_i64().unwrap_or(99) <= 0, "the page scrolls sideways by {wide}px on a phone");
    b.shot("reports-phone-activity-ru").await;
    for (table, name) in [("activity-calls", "calls"), ("activity-work", "work"), ("activity-invoices", "invoices")] {
        b.client.execute(&format!("document.getElementById('{table}').scrollIntoView();"), vec![]).await.unwrap();
        b.shot(&format!("reports-phone-activity-{name}-ru")).await;
    }

    b.client.execute("document.getElementById('lang-switch').click();", vec![]).await.unwrap();
    b.wait_until("English", "document.documentElement.lang === 'en'").await;
    b.client.goto(&format!("{}/reports/activity?{WEEK}", app.base)).await.unwrap();
    b.wait_for("#activity-calls").await;
    let calls = b.text_of("#activity-calls").await.replace('\u{a0}', " ");
    assert!(calls.contains("Incoming") && calls.contains("17 min") && calls.contains("50%"), "{calls}");
    let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    assert!(wide.as_i64().unwrap_or(99) <= 0, "the English page scrolls sideways by {wide}px on a phone");
    b.shot("reports-phone-activity-en").await;
    b.client.execute("document.getElementById('activity-work').scrollIntoView();", vec![]).await.unwrap();
    b.shot("reports-phone-activity-work-en").await;
    b.fit_viewport(1280, 900).await;
    b.shot("reports-activity-en").await;
}
