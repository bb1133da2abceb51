//! Dates in the UI's language, not the browser's, in a real browser (started in Russian-English
//! Chromium, `--lang=ru-RU`): a manager types a deal's expected close date as Russians write it,
//! picks one in the calendar by keyboard, meets an impossible date, reads and types dates in
//! English, and freezes the deal with a return date on a phone-sized screen. Every date reaches
//! the API exactly as the native input would have sent it.
use crate::browser::{start_browser, Browser};
use crate::helpers::*;
use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::{json, Value};

async fn js(b: &Browser, script: &str) -> Value {
    b.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("{script}: {e}"))
}

async fn type_into(b: &Browser, css: &str, text: &str) {
    let el = b.wait_for(css).await;
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

/// Keys to whatever has the focus, as a person presses them.
async fn press(b: &Browser, keys: &str) {
    b.client.active_element().await.unwrap().send_keys(keys).await.unwrap();
}

async fn value_of(b: &Browser, css: &str) -> Value {
    js(b, &format!("return document.querySelector('{css}').value;")).await
}

async fn deal_field(app: &TestApp, id: i64, field: &str) -> Value {
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{id}")).await;
    v["data"][field].clone()
}

/// Waits until the deal's `field` reads `want` through the API.
async fn wait_field(app: &TestApp, id: i64, field: &str, want: Value) {
    for _ in 0..100 {
        if deal_field(app, id, field).await == want {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("deal {id}: {field} is {} and not {want}", deal_field(app, id, field).await);
}

async fn open_edit(b: &Browser) {
    b.wait_for("#deal-fields button[hx-get$='/edit']").await.click().await.unwrap();
    b.wait_for("#deal-fields form #f-expected_close_date").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_are_typed_and_picked_in_the_ui_language() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    app.set_password(app.ids.manager1, "manager-pass-123").await;
    b.login(&app.base, "m1@a.test", "manager-pass-123").await;

    // A new deal: the field is text in Russian order, its label still points at it, and the
    // hidden input under the old name carries the ISO date.
    b.client.goto(&format!("{}/deals/new", app.base)).await.unwrap();
    b.wait_for("#f-expected_close_date[data-date-text]").await;
    let shape = js(
        &b,
        "var v = document.getElementById('f-expected_close_date'), h = document.querySelector('input[name=expected_close_date]');
         return [v.type, v.placeholder, !!document.querySelector('label[for=f-expected_close_date]'), h.type, v.name, h.id];",
    )
    .await;
    assert_eq!(shape, json!(["text", "ДД.ММ.ГГГГ", true, "hidden", "", "f-expected_close_date-iso"]));
    type_into(&b, "#f-title", "Станки с датой").await;
    type_into(&b, "#f-expected_close_date", "5.12.26").await;
    press(&b, &Key::Tab.to_string()).await;
    b.wait_until("the date written out", "document.getElementById('f-expected_close_date').value === '05.12.2026'").await;
    assert_eq!(value_of(&b, "input[name=expected_close_date]").await, json!("2026-12-05"));
    b.shot("dates-new-deal-ru").await;
    b.client.find(Locator::Css(".card-form button[type=submit]")).await.unwrap().click().await.unwrap();
    b.wait_until("the deal saved", "location.pathname.match(/^\\/deals\\/\\d+$/) || location.pathname === '/board'").await;
    let deals = app.all_records(&app.t.manager1, "deals", "", 10).await;
    assert_eq!(deals.len(), 1, "{deals:?}");
    let deal = deals[0]["id"].as_i64().unwrap();
    assert_eq!(deals[0]["expected_close_date"], "2026-12-05");

    // The card's form shows the stored date the Russian way; 31.02 is no date and is not saved.
    b.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    open_edit(&b).await;
    assert_eq!(value_of(&b, "#f-expected_close_date").await, json!("05.12.2026"));
    type_into(&b, "#f-expected_close_date", "31.02.2026").await;
    press(&b, &Key::Tab.to_string()).await;
    b.wait_until("the date marked", "document.getElementById('f-expected_close_date').getAttribute('aria-invalid') === 'true'").await;
    let said = b.text_of("#deal-fields .date-error").await;
    assert!(said.contains("Нет такой даты"), "{said}");
    let described = js(&b, "return document.getElementById('f-expected_close_date').getAttribute('aria-describedby');").await;
    assert!(described.as_str().unwrap_or_default().contains("f-expected_close_date-date-error"), "{described}");
    b.client.find(Locator::Css("#deal-fields button[type=submit]")).await.unwrap().click().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    b.shot("dates-invalid-ru").await;
    assert!(js(&b, "return !!document.querySelector('#deal-fields form');").await == json!(true), "the form stays open");
    assert_eq!(deal_field(&app, deal, "expected_close_date").await, json!("2026-12-05"), "nothing wrong is saved");

    // The calendar by keyboard: ↓ opens it on the day typed; → → ↓ and PageDown reach
    // 14 January 2027; Enter picks it and gives the focus back to the field.
    type_into(&b, "#f-expected_close_date", "5.12.2026").await;
    press(&b, &Key::Down.to_string()).await;
    b.wait_until("the calendar", "document.querySelector('.datepop[role=dialog]') && document.activeElement.dataset.day === '2026-12-05'")
        .await;
    let head = js(&b, "return [...document.querySelectorAll('.datepop th')].map(t => t.textContent).join(' ') + ' | ' + document.querySelector('.datepop-title').textContent;").await;
    assert_eq!(head, json!("Пн Вт Ср Чт Пт Сб Вс | Декабрь 2026"));
    press(&b, &format!("{}{}{}", Key::Right, Key::Right, Key::Down)).await;
    b.wait_until("the 14th", "document.activeElement.dataset.day === '2026-12-14'").await;
    press(&b, &Key::PageDown.to_string()).await;
    b.wait_until("January", "document.activeElement.dataset.day === '2027-01-14'").await;
    assert_eq!(js(&b, "return document.querySelector('.datepop-title').textContent;").await, json!("Январь 2027"));
    b.shot("dates-calendar-ru").await;
    press(&b, &Key::Enter.to_string()).await;
    b.wait_until("the picked date", "!document.querySelector('.datepop') && document.activeElement.id === 'f-expected_close_date'").await;
    assert_eq!(value_of(&b, "#f-expected_close_date").await, json!("14.01.2027"));
    assert_eq!(js(&b, "return document.getElementById('f-expected_close_date').hasAttribute('aria-invalid');").await, json!(false));
    // Esc closes without picking.
    press(&b, &Key::Down.to_string()).await;
    b.wait_for(".datepop").await;
    press(&b, &Key::Escape.to_string()).await;
    b.wait_until("closed by Esc", "!document.querySelector('.datepop') && document.activeElement.id === 'f-expected_close_date'").await;
    b.client.find(Locator::Css("#deal-fields button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_field(&app, deal, "expected_close_date", json!("2027-01-14")).await;

    // A date and time: the task form's field, 24-hour, into the local ISO the server reads.
    b.wait_for("#task-due[data-date-text=datetime]").await;
    type_into(&b, "#task-due", "6.12.26 15:30").await;
    press(&b, &Key::Tab.to_string()).await;
    b.wait_until("the date and time written out", "document.getElementById('task-due').value === '06.12.2026 15:30'").await;
    assert_eq!(value_of(&b, "#task-due-iso").await, json!("2026-12-06T15:30"));

    // Today's reschedule keeps the server's local time and shows it the Russian way.
    let task = app
        .create(
            &app.t.manager1,
            "activities",
            json!({"type": "task", "subject": "Позвонить", "deal_id": deal, "due_at": "2026-11-23T12:00:00Z"}),
        )
        .await;
    b.client.goto(&format!("{}/today", app.base)).await.unwrap();
    b.wait_for(&format!("#due-{task}[data-date-text=datetime]")).await;
    js(&b, &format!("document.getElementById('due-{task}').closest('details').open = true;")).await;
    let shown = value_of(&b, &format!("#due-{task}")).await;
    let iso = value_of(&b, &format!("#due-{task}-iso")).await;
    assert!(shown.as_str().unwrap().starts_with("23.11.2026 ") && iso.as_str().unwrap().starts_with("2026-11-23T"), "{shown} {iso}");
    type_into(&b, &format!("#due-{task}"), "24.11.2026 10:15").await;
    b.client.find(Locator::Css(&format!("#due-{task}"))).await.unwrap().send_keys(&Key::Down.to_string()).await.unwrap();
    b.wait_for(".datepop").await;
    b.shot("dates-today-reschedule-ru").await;
    press(&b, &Key::Enter.to_string()).await;
    b.wait_until("the day kept with its time", &format!("document.getElementById('due-{task}-iso').value === '2026-11-24T10:15'")).await;
    // Limits: an input with min and max (made by a script, like the condition builder's) takes
    // only days between them, and the calendar greys out the rest; a script setting the hidden
    // value is shown in the field.
    js(
        &b,
        "document.getElementById('main').insertAdjacentHTML('beforeend', '<form id=\"limits\"><label for=\"lim\">Срок</label><input type=\"date\" id=\"lim\" name=\"lim\" min=\"2026-12-01\" max=\"2026-12-31\"></form>');",
    )
    .await;
    b.wait_for("#lim[data-date-text]").await;
    type_into(&b, "#lim", "30.11.2026").await;
    press(&b, &Key::Tab.to_string()).await;
    b.wait_until("the limit said", "document.querySelector('#limits .date-error').textContent === 'Не раньше 01.12.2026'").await;
    assert_eq!(value_of(&b, "#lim-iso").await, json!(""));
    b.client.find(Locator::Css("#limits .date-open")).await.unwrap().click().await.unwrap();
    b.wait_until("the calendar at the first allowed day", "document.activeElement.dataset.day === '2026-12-01'").await;
    let greyed = js(&b, "return [document.querySelector('[data-day=\"2026-12-31\"]').getAttribute('aria-disabled'), document.querySelector('[data-day=\"2027-01-01\"]')];").await;
    assert_eq!(greyed, json!([null, null]));
    press(&b, &Key::PageDown.to_string()).await;
    b.wait_until("January", "document.activeElement.dataset.day === '2027-01-01'").await;
    assert_eq!(js(&b, "return document.activeElement.getAttribute('aria-disabled');").await, json!("true"));
    press(&b, &Key::Enter.to_string()).await;
    assert_eq!(value_of(&b, "#lim-iso").await, json!(""), "a day out of range is not picked");
    press(&b, &Key::Escape.to_string()).await;
    js(&b, "document.getElementById('lim-iso').value = '2026-12-20';").await;
    assert_eq!(value_of(&b, "#lim").await, json!("20.12.2026"));
    assert_eq!(js(&b, "return document.getElementById('lim').hasAttribute('aria-invalid');").await, json!(false));
    b.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();

    // English: the dates as the English pages show them, Monday still first.
    b.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    b.wait_until("English", "document.documentElement.lang === 'en'").await;
    open_edit(&b).await;
    assert_eq!(value_of(&b, "#f-expected_close_date").await, json!("Jan 14, 2027"));
    assert_eq!(js(&b, "return document.getElementById('f-expected_close_date').placeholder;").await, json!("MMM D, YYYY"));
    type_into(&b, "#f-expected_close_date", "5/12/2026").await;
    press(&b, &Key::Tab.to_string()).await;
    b.wait_until("the English date", "document.getElementById('f-expected_close_date').value === 'Dec 5, 2026'").await;
    b.client.find(Locator::Css("#deal-fields .date-open")).await.unwrap().click().await.unwrap();
    b.wait_for(".datepop").await;
    let head = js(&b, "return [...document.querySelectorAll('.datepop th')].map(t => t.textContent).join(' ') + ' | ' + document.querySelector('.datepop-title').textContent;").await;
    assert_eq!(head, json!("Mon Tue Wed Thu Fri Sat Sun | December 2026"));
    b.shot("dates-calendar-en").await;
    // A click outside closes it.
    b.client.find(Locator::Css("#deal-fields h2")).await.unwrap().click().await.unwrap();
    b.wait_until("closed by a click outside", "!document.querySelector('.datepop')").await;
    type_into(&b, "#f-expected_close_date", "Dec 20, 2026").await;
    press(&b, &Key::Tab.to_string()).await;
    b.wait_until("read back", "document.querySelector('input[name=expected_close_date]').value === '2026-12-20'").await;
    b.shot("dates-edit-en").await;
    b.client.find(Locator::Css("#deal-fields button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_field(&app, deal, "expected_close_date", json!("2026-12-20")).await;

    // In the board's dialog (a modal <dialog>): the calendar opens over it and a click picks.
    b.client.goto(&format!("{}/board", app.base)).await.unwrap();
    b.wait_for(&format!(".column[data-stage-id=\"{}\"] .column-add", app.ids.stages[0])).await.click().await.unwrap();
    b.wait_until(
        "the deal dialog",
        "document.getElementById('dialog').open && document.querySelector('#dialog #f-expected_close_date[data-date-text]')",
    )
    .await;
    b.client.find(Locator::Css("#dialog .date-open")).await.unwrap().click().await.unwrap();
    b.wait_for("#dialog .datepop").await;
    let on_top = js(
        &b,
        "var r = document.querySelector('#dialog .datepop').getBoundingClientRect();
         return !!document.elementFromPoint(r.left + r.width / 2, r.bottom - 60).closest('.datepop');",
    )
    .await;
    assert_eq!(on_top, json!(true), "the calendar is not clipped by the dialog");
    b.shot("dates-dialog-calendar-en").await;
    b.client.find(Locator::Css("#dialog .datepop-nav[data-nav='1']")).await.unwrap().click().await.unwrap();
    let first = js(&b, "return document.querySelector('#dialog .datepop-day').dataset.day;").await;
    b.client.find(Locator::Css("#dialog .datepop-day")).await.unwrap().click().await.unwrap();
    b.wait_until("picked by a click", "!document.querySelector('.datepop')").await;
    assert_eq!(value_of(&b, "#dialog input[name=expected_close_date]").await, first);
    js(&b, "document.getElementById('dialog').close();").await;

    // A phone: the freeze form's return date, the calendar inside the screen, nothing sideways.
    b.fit_viewport(390, 844).await;
    b.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    b.wait_for("#frozen-return").await;
    js(
        &b,
        "var d = document.getElementById('frozen-return').closest('details'); d.open = true;
         var r = document.getElementById('frozen-reason');
         if (r.tagName === 'SELECT') r.value = r.options[1].value; else r.value = 'Budget next year';",
    )
    .await;
    type_into(&b, "#frozen-return", "1.2.27").await;
    press(&b, &Key::Tab.to_string()).await;
    b.wait_until("the return date", "document.getElementById('frozen-return').value === 'Feb 1, 2027'").await;
    js(&b, "document.getElementById('frozen-return').scrollIntoView({block: 'center'});").await;
    b.client.find(Locator::Css("#frozen-return")).await.unwrap().click().await.unwrap();
    press(&b, &Key::Down.to_string()).await;
    b.wait_until("the calendar on a phone", "document.activeElement.dataset.day === '2027-02-01'").await;
    let fits = js(
        &b,
        "var r = document.querySelector('.datepop').getBoundingClientRect();
         return [r.left >= 0, r.right <= document.documentElement.clientWidth, Math.max(0, document.documentElement.scrollWidth - window.innerWidth)];",
    )
    .await;
    assert_eq!(fits, json!([true, true, 0]), "the calendar fits a 390 px screen");
    b.shot("dates-calendar-390-en").await;
    press(&b, &Key::Right.to_string()).await;
    press(&b, &Key::Enter.to_string()).await;
    b.wait_until("picked on a phone", "document.getElementById('frozen-return').value === 'Feb 2, 2027'").await;
    js(&b, "document.querySelector('#frozen-return').form.querySelector('button[type=submit]').click();").await;
    wait_field(&app, deal, "status", json!("frozen")).await;
    assert_eq!(deal_field(&app, deal, "return_on").await, json!("2027-02-02"));
}
