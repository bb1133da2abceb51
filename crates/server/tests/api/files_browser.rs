//! Files and requisites in a real browser: a manager attaches a signed contract on a deal card
//! through its file input and sees it listed (Russian, then on a 390 px phone); an administrator
//! reading English fills the workspace's requisites, is told of a mistyped ИНН, then saves.
use crate::browser::start_browser;
use crate::helpers::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_is_attached_on_the_deal_card_and_requisites_are_filled() {
    let Some(b) = start_browser().await else { return };
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let deal = app.create(&app.t.manager1, "deals", json!({"title": "Поставка оборудования"})).await;
    let dir = std::env::temp_dir().join(format!("poryadok-upload-{}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("Договор подписан.pdf");
    std::fs::write(&path, b"%PDF-1.7\n% signed contract scan\n").unwrap();

    app.set_password(app.ids.manager1, "manager-pass-123").await;
    b.login(&app.base, "m1@a.test", "manager-pass-123").await;
    b.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    b.wait_until("the files block", "document.getElementById('files-empty') !== null").await;
    b.wait_for("#file-input").await.send_keys(&path.display().to_string()).await.unwrap();
    b.wait_for("#file-kind").await.send_keys("signed_contract").await.unwrap();
    b.wait_for("#file-upload button[type=submit]").await.click().await.unwrap();
    b.wait_until("the file listed", "document.querySelector('#card-files .file-row a.file-name')?.textContent === 'Договор подписан.pdf'")
        .await;
    let block = b.text_of("#card-files").await;
    assert!(block.contains("Подписанный договор (скан)") && block.contains("m1"), "{block}");
    b.shot("files-deal-card-ru").await;
    let (_, v) = app.get(&app.t.manager1, &format!("/api/v1/deals/{deal}/files")).await;
    assert_eq!(v["data"][0]["kind"], "signed_contract", "{v}");

    b.fit_viewport(390, 844).await;
    b.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    b.wait_until("the file listed on a phone", "document.querySelector('#card-files .file-row') !== null").await;
    let overflow: bool =
        b.client.execute("return document.documentElement.scrollWidth > window.innerWidth + 1;", vec![]).await.unwrap().as_bool().unwrap();
    assert!(!overflow, "the card scrolls sideways at 390 px");
    b.shot("files-deal-card-390-ru").await;

    // The administrator reads English.
    let (s, v) = app.patch(&app.t.admin, &format!("/api/v1/users/{}", app.ids.admin), json!({"locale": "en"})).await;
    assert_eq!(s, 200, "{v}");
    b.fit_viewport(1280, 900).await;
    b.client.delete_all_cookies().await.unwrap();
    app.set_password(app.ids.admin, "admin-pass-123456").await;
    b.login(&app.base, "admin@a.test", "admin-pass-123456").await;
    b.client.goto(&format!("{}/deals/{deal}", app.base)).await.unwrap();
    b.wait_until("the files block in English", "document.querySelector('#files-h')?.textContent === 'Files'").await;
    b.shot("files-deal-card-en").await;

    b.client.goto(&format!("{}/settings/requisites", app.base)).await.unwrap();
    for (key, value) in [
        ("legal_name", "LLC Vektor"),
        ("inn", "7707083894"),
        ("kpp", "773601001"),
        ("bik", "044525225"),
        ("corr_account", "30101810400000000225"),
        ("account", "40702810438000060473"),
    ] {
        b.wait_for(&format!("#req-{key}")).await.send_keys(value).await.unwrap();
    }
    b.wait_for("#requisites-save").await.click().await.unwrap();
    b.wait_until("the INN refused", "document.getElementById('req-inn-error') !== null").await;
    assert!(b.text_of("#req-inn-error").await.contains("check digits"));
    b.shot("requisites-refused-en").await;
    let inn = b.wait_for("#req-inn").await;
    inn.clear().await.unwrap();
    inn.send_keys("7707083893").await.unwrap();
    b.wait_for("#requisites-save").await.click().await.unwrap();
    b.wait_until("saved", "document.getElementById('requisites-saved') !== null").await;
    b.shot("requisites-saved-en").await;
    let r = poryadok_store::requisites::workspace(&app.db, app.ws).await.unwrap();
    assert_eq!(r.inn.map(|i| i.as_str().to_string()), Some("7707083893".to_string()));
    assert_eq!(r.account.map(|a| a.as_str().to_string()), Some("40702810438000060473".to_string()));
    let _ = std::fs::remove_dir_all(dir);
}
