//! The filter box in a real browser: the condition builder writes an expression from a field, an
//! operator and a value chosen in the reader's language and the list follows it; the expression
//! reads back into rows; typing is helped by suggestions of fields, operators and values, taken
//! with the keyboard. Screenshots in Russian, English and at 390 px wide.
use crate::browser::{start_browser, Browser};
use crate::helpers::*;
use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::json;

async fn pick(b: &Browser, css: &str, value: &str) {
    b.wait_for(css).await;
    let script = format!(
        "var s = document.querySelector({css:?}); s.value = {value:?}; s.dispatchEvent(new Event('change', {{bubbles: true}})); return s.value;",
        css = css,
        value = value
    );
    let got = b.client.execute(&script, vec![]).await.unwrap();
    assert_eq!(got, json!(value), "{css} has the option {value}");
}

async fn keys(b: &Browser, css: &str, text: &str) {
    b.client.find(Locator::Css(css)).await.unwrap().send_keys(text).await.unwrap();
}

async fn list_text(b: &Browser) -> String {
    b.text_of("#list").await
}

async fn open_builder(b: &Browser, id: &str) {
    b.wait_until("the Conditions button", &format!("!document.querySelector('[data-fb-open=\"{id}\"]').hidden")).await;
    b.client.find(Locator::Css(&format!("[data-fb-open=\"{id}\"]"))).await.unwrap().click().await.unwrap();
    b.wait_for(&format!("#{id} .fb-row select[data-fb-field]")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_condition_builder_and_suggestions_write_the_filter() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let (s, v) = app
        .post(
            &app.t.admin,
            "/api/v1/custom_fields",
            json!({"entity": "deal", "key": "region", "label": "Регион", "field_type": "enum", "options": ["Москва", "Нижний Новгород"]}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let stage = |i: usize| json!(app.ids.stages[i]);
    for (title, value, st, city) in
        [("Окна", 100_000, 0, "Москва"), ("Двери", 250_000, 1, "Нижний Новгород"), ("Крыша", 400_000, 2, "Москва")]
    {
        app.create(&app.t.manager1, "deals", json!({"title": title, "value": value, "stage_id": stage(st), "custom": {"region": city}}))
            .await;
    }
    app.set_password(app.ids.manager1, "manager-pass-123").await;
    b.login(&app.base, "m1@a.test", "manager-pass-123").await;

    // The builder: "Этап" "не раньше" "Принял в работу", applied.
    b.client.goto(&format!("{}/deals", app.base)).await.unwrap();
    open_builder(&b, "list-fb").await;
    let fields = b.text_of("#list-fb .fb-row select[data-fb-field]").await;
    assert!(
        fields.contains("Этап") && fields.contains("Сумма") && fields.contains("Регион") && fields.contains("Компания · Название"),
        "{fields}"
    );
    pick(&b, "#list-fb .fb-row select[data-fb-field]", "stage").await;
    pick(&b, "#list-fb .fb-row select[data-fb-op]", ">=").await;
    assert_eq!(b.text_of("#list-fb .fb-row select[data-fb-op] option:checked").await, "не раньше");
    pick(&b, "#list-fb .fb-row [data-fb-val]", "Принял в работу").await;
    // A second row: the city, a value with a blank that must be quoted.
    b.client.find(Locator::Css("#list-fb [data-fb-add]")).await.unwrap().click().await.unwrap();
    pick(&b, "#list-fb .fb-row:nth-child(2) select[data-fb-field]", "region").await;
    pick(&b, "#list-fb .fb-row:nth-child(2) [data-fb-val]", "Нижний Новгород").await;
    b.shot("filters-builder-ru").await;
    b.client.find(Locator::Css("#list-fb [data-fb-apply]")).await.unwrap().click().await.unwrap();
    b.wait_until("the list filtered", "!document.querySelector('#list').innerText.includes('Окна')").await;
    let q = b.client.execute("return document.getElementById('list-q').value;", vec![]).await.unwrap();
    assert_eq!(q, json!(r#"stage >= "Принял в работу" and region = "Нижний Новгород""#));
    let shown = list_text(&b).await;
    assert!(shown.contains("Двери") && !shown.contains("Крыша") && !shown.contains("Окна"), "{shown}");
    b.wait_until("the address keeps the filter", "location.search.includes('q=')").await;
    b.shot("filters-builder-applied-ru").await;

    // Opened again, the expression is back in rows; "any" instead of "all" widens the list.
    open_builder(&b, "list-fb").await;
    let back = b
        .client
        .execute(
            "return Array.from(document.querySelectorAll('#list-fb .fb-row')).map(r => [r.querySelector('[data-fb-field]').value, r.querySelector('[data-fb-op]').value, r.querySelector('[data-fb-val]').value]);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(back, json!([["stage", ">=", "Принял в работу"], ["region", "=", "Нижний Новгород"]]));
    assert!(b.client.execute("return document.querySelector('#list-fb [data-fb-replace]').hidden;", vec![]).await.unwrap() == json!(true));
    pick(&b, "#list-fb [data-fb-join]", "or").await;
    b.client.find(Locator::Css("#list-fb [data-fb-apply]")).await.unwrap().click().await.unwrap();
    b.wait_until("both stages and the city", "document.querySelector('#list').innerText.includes('Крыша')").await;
    assert!(!list_text(&b).await.contains("Окна"));

    // An expression the builder cannot show: it says it will replace it.
    b.client.goto(&format!("{}/deals?q={}", app.base, "not+%28value+%3E+1%29")).await.unwrap();
    open_builder(&b, "list-fb").await;
    b.wait_until("the notice", "!document.querySelector('#list-fb [data-fb-replace]').hidden").await;
    keys(&b, "#list-fb select[data-fb-field]", &Key::Escape.to_string()).await;
    b.wait_until("Esc closes the builder", "document.getElementById('list-fb').hidden").await;

    // Suggestions: a field found by its Russian label, Tab takes it; then its operators.
    b.client.goto(&format!("{}/deals", app.base)).await.unwrap();
    b.wait_for("#list-q").await;
    keys(&b, "#list-q", "сум").await;
    b.wait_until(
        "the field suggested",
        "document.getElementById('list-q-suggest')?.hidden === false && document.getElementById('list-q-suggest')?.innerText?.includes('value')",
    )
    .await;
    let aria = b
        .client
        .execute("var q = document.getElementById('list-q'); return [q.getAttribute('role'), q.getAttribute('aria-autocomplete'), q.getAttribute('aria-expanded'), document.getElementById('list-q-suggest').getAttribute('role')];", vec![])
        .await
        .unwrap();
    assert_eq!(aria, json!(["combobox", "list", "true", "listbox"]));
    b.shot("filters-autocomplete-ru").await;
    keys(&b, "#list-q", &Key::Tab.to_string()).await;
    b.wait_until("the field written", "document.getElementById('list-q').value === 'value '").await;
    b.wait_until("its operators suggested", "document.getElementById('list-q-suggest')?.innerText?.includes('не меньше')").await;
    keys(&b, "#list-q", &Key::Escape.to_string()).await;
    b.wait_until(
        "Esc closes the suggestions and keeps the text",
        "document.getElementById('list-q').getAttribute('aria-expanded') === 'false' && document.getElementById('list-q').value === 'value '",
    )
    .await;
    keys(&b, "#list-q", ">= 2000").await;
    keys(&b, "#list-q", &Key::Enter.to_string()).await;
    b.wait_until("the typed filter applied", "!document.querySelector('#list').innerText.includes('Окна')").await;

    // Values after an operator: arrows and Enter take one (quoted as the language wants).
    b.client.execute("var q = document.getElementById('list-q'); q.value = ''; q.focus();", vec![]).await.unwrap();
    keys(&b, "#list-q", "region = ").await;
    b.wait_until("the options suggested", "document.getElementById('list-q-suggest')?.innerText?.includes('Нижний Новгород')").await;
    keys(&b, "#list-q", &format!("{}{}", Key::Down, Key::Down)).await;
    b.shot("filters-autocomplete-values-ru").await;
    keys(&b, "#list-q", &Key::Enter.to_string()).await;
    b.wait_until("the value written", "document.getElementById('list-q').value === 'region = \"Нижний Новгород\" '").await;
    b.wait_until("the list follows", "!document.querySelector('#list').innerText.includes('Крыша')").await;
    assert!(list_text(&b).await.contains("Двери"));

    // The board has them too.
    b.client.goto(&format!("{}/board", app.base)).await.unwrap();
    b.wait_for("#board-q").await;
    keys(&b, "#board-q", "stage = ").await;
    b.wait_until("stages suggested on the board", "document.getElementById('board-q-suggest')?.innerText?.includes('Коммуникация')").await;
    keys(&b, "#board-q", &Key::Escape.to_string()).await;
    open_builder(&b, "board-fb").await;
    pick(&b, "#board-fb .fb-row select[data-fb-field]", "value").await;
    pick(&b, "#board-fb .fb-row select[data-fb-op]", ">").await;
    keys(&b, "#board-fb .fb-row [data-fb-val]", "3 000").await;
    b.shot("filters-board-builder-ru").await;
    b.client.find(Locator::Css("#board-fb [data-fb-apply]")).await.unwrap().click().await.unwrap();
    b.wait_until("the board filtered", "!document.querySelector('#board').innerText.includes('Двери')").await;
    assert_eq!(b.client.execute("return document.getElementById('board-q').value;", vec![]).await.unwrap(), json!("value > 3000"));

    // English.
    b.client.goto(&format!("{}/deals", app.base)).await.unwrap();
    b.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    b.wait_until("English", "document.documentElement.lang === 'en'").await;
    b.client.goto(&format!("{}/deals", app.base)).await.unwrap();
    open_builder(&b, "list-fb").await;
    pick(&b, "#list-fb .fb-row select[data-fb-field]", "status").await;
    pick(&b, "#list-fb .fb-row [data-fb-val]", "open").await;
    let texts = b.text_of("#list-fb").await;
    assert!(texts.contains("Filter conditions") && texts.contains("Apply"), "{texts}");
    assert_eq!(b.text_of("#list-fb .fb-row [data-fb-val] option:checked").await, "Open");
    b.shot("filters-builder-en").await;
    keys(&b, "#list-fb select[data-fb-field]", &Key::Escape.to_string()).await;
    keys(&b, "#list-q", "sta").await;
    b.wait_until("suggestions in English", "document.getElementById('list-q-suggest')?.innerText?.includes('Stage')").await;
    b.shot("filters-autocomplete-en").await;

    // A phone: the rows stack and nothing scrolls sideways.
    b.fit_viewport(390, 844).await;
    b.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    b.wait_until("Russian", "document.documentElement.lang === 'ru'").await;
    b.client.goto(&format!("{}/deals", app.base)).await.unwrap();
    open_builder(&b, "list-fb").await;
    pick(&b, "#list-fb .fb-row select[data-fb-field]", "stage").await;
    pick(&b, "#list-fb .fb-row [data-fb-val]", "Коммуникация").await;
    b.client.find(Locator::Css("#list-fb [data-fb-add]")).await.unwrap().click().await.unwrap();
    pick(&b, "#list-fb .fb-row:nth-child(2) select[data-fb-field]", "expected_close_date").await;
    b.shot("filters-builder-390").await;
    let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    assert!(wide.as_i64().unwrap() <= 0, "the page scrolls sideways by {wide}px");
    let stacked = b
        .client
        .execute(
            "var r = document.querySelector('#list-fb .fb-row'); var f = r.querySelector('[data-fb-field]').getBoundingClientRect(), o = r.querySelector('[data-fb-op]').getBoundingClientRect(); return o.top >= f.bottom;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(stacked, json!(true), "the operator goes under the field at 390 px");
    // Applied with a row left without its value, the builder asks for it; removed, it applies.
    b.client.find(Locator::Css("#list-fb [data-fb-apply]")).await.unwrap().click().await.unwrap();
    b.wait_until("the missing value pointed out", "!document.querySelector('#list-fb [data-fb-error]').hidden").await;
    assert!(b.text_of("#list-fb [data-fb-error]").await.contains("Укажите значение"));
    b.client.find(Locator::Css("#list-fb .fb-row:nth-child(2) [data-fb-remove]")).await.unwrap().click().await.unwrap();
    b.client.find(Locator::Css("#list-fb [data-fb-apply]")).await.unwrap().click().await.unwrap();
    b.wait_until("the list filtered on a phone", "!document.querySelector('#list').innerText.includes('Двери')").await;
    keys(&b, "#list-q", " and ст").await;
    b.wait_until("suggestions on a phone", "document.getElementById('list-q-suggest')?.hidden === false").await;
    b.shot("filters-autocomplete-390").await;

    // The audit rule's expression (a head's page): suggestions for the rule's entity.
    b.fit_viewport(1366, 768).await;
    b.client.delete_all_cookies().await.unwrap();
    app.set_password(app.ids.admin, "admin-pass-123456").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123456").await;
    b.client.goto(&format!("{}/audit/rules/new", app.base)).await.unwrap();
    b.wait_for("#rule-expression").await;
    b.client.find(Locator::Css("#rule-expression")).await.unwrap().click().await.unwrap();
    keys(&b, "#rule-expression", "owner.ro").await;
    b.wait_until("the owner's role suggested", "document.getElementById('rule-expression-suggest')?.innerText?.includes('owner.role')")
        .await;
    keys(&b, "#rule-expression", &Key::Tab.to_string()).await;
    keys(&b, "#rule-expression", "= ").await;
    b.wait_until("the roles suggested", "document.getElementById('rule-expression-suggest')?.innerText?.includes('Менеджер')").await;
    b.shot("filters-audit-rule-ru").await;
    assert_eq!(b.client.execute("return document.getElementById('rule-expression').value;", vec![]).await.unwrap(), json!("owner.role = "));
}

/// A mistake typed into the filter box is explained in the reader's language, with the caret
/// under the mistake: Russian, English, and at 390 px.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mistyped_filter_is_explained_in_the_readers_language() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    app.create(&app.t.manager1, "deals", json!({"title": "Окна", "value": 100_000})).await;
    app.set_password(app.ids.manager1, "manager-pass-123").await;
    b.login(&app.base, "m1@a.test", "manager-pass-123").await;

    b.client.goto(&format!("{}/deals", app.base)).await.unwrap();
    b.wait_for("#list-q").await;
    keys(&b, "#list-q", "status = opne").await;
    b.wait_until("the Russian explanation", "document.querySelector('#list .filter-error')?.textContent?.includes('opne')").await;
    let ru = b.text_of("#list .filter-error").await;
    assert!(ru.starts_with("«opne» — не значение поля «status» — может быть, «open»?"), "{ru}");
    assert!(ru.contains("1 | status = opne") && ru.contains("^^^^"), "the caret line: {ru}");
    assert!(!ru.contains("is not a value"), "no English in the Russian UI: {ru}");
    b.shot("filters-error-ru").await;

    // A syntax mistake reads in Russian too.
    b.client.goto(&format!("{}/deals", app.base)).await.unwrap();
    b.wait_for("#list-q").await;
    keys(&b, "#list-q", "(status = open").await;
    b.wait_until("the unclosed parenthesis", "document.querySelector('#list .filter-error')?.textContent?.includes('не закрыта')").await;
    assert!(b.text_of("#list .filter-error").await.starts_with("не закрыта «(» — добавьте «)», чтобы закрыть её"));

    // English.
    b.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    b.wait_until("English", "document.documentElement.lang === 'en'").await;
    b.client.goto(&format!("{}/deals", app.base)).await.unwrap();
    b.wait_for("#list-q").await;
    keys(&b, "#list-q", "status = opne").await;
    b.wait_until("the English explanation", "document.querySelector('#list .filter-error')?.textContent?.includes('opne')").await;
    let en = b.text_of("#list .filter-error").await;
    assert!(en.starts_with("'opne' is not a value of 'status' — did you mean 'open'?"), "{en}");
    b.shot("filters-error-en").await;

    // A phone: the explanation wraps, nothing scrolls sideways.
    b.fit_viewport(390, 844).await;
    b.client.find(Locator::Css("#lang-switch")).await.unwrap().click().await.unwrap();
    b.wait_until("Russian", "document.documentElement.lang === 'ru'").await;
    b.client.goto(&format!("{}/deals", app.base)).await.unwrap();
    b.wait_for("#list-q").await;
    keys(&b, "#list-q", "value ~ \"окна\"").await;
    b.wait_until("the type mistake", "document.querySelector('#list .filter-error')?.textContent?.includes('содержит')").await;
    let ru = b.text_of("#list .filter-error").await;
    assert!(ru.starts_with("«~» (содержит) работает с текстом, а «value» — деньги"), "{ru}");
    let wide = b.client.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    assert!(wide.as_i64().unwrap() <= 0, "the page scrolls sideways by {wide}px");
    b.shot("filters-error-390").await;
}
