//! Third-party secrets at rest: what the database holds is sealed under the server's key, values
//! stored in plain text before sealing keep working and are sealed by the start-up pass, and a
//! database opened with another key says so instead of sending with garbage.
use crate::helpers::*;
use poryadok_store::secrets::{SecretKey, PREFIX};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

crate::both_dbs!(
    stored_secrets_are_sealed_and_open_only_with_the_key,
    plain_secrets_from_before_keep_working_and_are_sealed,
    the_status_counts_plain_and_sealed_secrets_and_a_rotation_reseals_them_all_under_the_new_key,
);

/// Every text column of `table` for row `id`, straight from the database, joined.
async fn raw_row(app: &TestApp, table: &str, column: &str, id: i64) -> String {
    let conn = sea_orm::Database::connect(app.url.expose()).await.unwrap();
    let sql = format!("SELECT {column} AS v FROM {table} WHERE id = {id}");
    let row = conn.query_one(Statement::from_string(conn.get_database_backend(), sql)).await.unwrap().unwrap();
    let v: Option<String> = row.try_get("", "v").unwrap();
    conn.close().await.unwrap();
    v.unwrap_or_default()
}

async fn exec(app: &TestApp, sql: &str) {
    let conn = sea_orm::Database::connect(app.url.expose()).await.unwrap();
    conn.execute(Statement::from_string(conn.get_database_backend(), sql.to_string())).await.unwrap();
    conn.close().await.unwrap();
}

async fn stored_secrets_are_sealed_and_open_only_with_the_key(app: TestApp) {
    let (s, v) = app
        .call(
            Method::PUT,
            &app.t.manager1,
            "/api/v1/me/smtp",
            Some(json!({"host": "smtp.firm.test", "tls": "tls", "login": "olga@firm.test", "password": "own-p4ss"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["password_set"], true);
    assert!(!v.to_string().contains("own-p4ss"), "never answered: {v}");
    let gateway = json!({"url": "http://127.0.0.1:9/sms", "method": "POST", "headers": {"X-Api-Key": "gw-key-123"},
                         "content_type": "application/json", "body": "{\"phone\": \"{to}\", \"message\": \"{text}\"}"});
    let (s, v) = app.call(Method::PUT, &app.t.admin, "/api/v1/sms_gateway", Some(gateway)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let bot = crate::intake::source(&app, "telegram", json!({"bot_token": "777:bot-token"})).await;
    let imap = json!({"host": "127.0.0.1", "port": 9, "security": "plain", "username": "u", "password": "imap-pw"});
    let mail = crate::intake::source(&app, "email", json!({"imap": imap})).await;
    let (s, hook) = app.post(&app.t.admin, "/api/v1/webhooks", json!({"url": "http://127.0.0.1:9/hook", "events": ["deal.updated"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let hook_secret = hook["data"]["secret"].as_str().unwrap().to_string();

    let stored = [
        (raw_row(&app, "users", "smtp_account", app.ids.manager1).await, "own-p4ss"),
        (raw_row(&app, "workspaces", "sms_gateway", app.ws).await, "gw-key-123"),
        (raw_row(&app, "intake_sources", "config", bot.id).await, "777:bot-token"),
        (raw_row(&app, "intake_sources", "secret", bot.id).await, bot.secret.as_str()),
        (raw_row(&app, "intake_sources", "config", mail.id).await, "imap-pw"),
        (raw_row(&app, "webhooks", "secret", hook["data"]["id"].as_i64().unwrap()).await, hook_secret.as_str()),
    ];
    for (text, plain) in &stored {
        assert!(!text.contains(plain), "{plain} is stored in plain text: {text}");
        assert!(text.contains(PREFIX), "sealed: {text}");
    }
    // The account's other settings stay readable; only the password is sealed.
    assert!(stored[0].0.contains("smtp.firm.test"), "{}", stored[0].0);

    // With its key the server opens them for sending …
    let account = app.db.own_smtp_for(app.ws, app.ids.manager1).await.unwrap().unwrap();
    assert_eq!(account.password.as_deref(), Some("own-p4ss"));
    assert_eq!(app.db.bot_of(app.ws, bot.id).await.unwrap().1.as_deref(), Some("777:bot-token"));
    // … and the hook still takes the provider's signed posts.
    let update = json!({"update_id": 1, "message": {"message_id": 1, "from": {"id": 5, "first_name": "А"}, "chat": {"id": 5},
                        "date": 1_790_000_000, "text": "Здравствуйте"}});
    let resp = app
        .client
        .post(format!("{}{}", app.base, bot.path))
        .header("x-telegram-bot-api-secret-token", bot.secret.clone())
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);

    // Opened with another key, the same database is a clear error, not a panic nor garbage sent.
    let other = app.db.clone().with_secret_key(SecretKey::ephemeral());
    let e = other.own_smtp_for(app.ws, app.ids.manager1).await.unwrap_err();
    assert!(e.to_string().contains("does not decrypt with this server's key"), "{e}");
    assert!(other.bot_of(app.ws, bot.id).await.is_err());
    assert!(other.seal_stored_secrets().await.is_err(), "the start-up pass refuses a wrong key");
}

async fn plain_secrets_from_before_keep_working_and_are_sealed(app: TestApp) {
    // What a database written before sealing holds.
    let account = r#"{"host":"smtp.old.test","port":587,"tls":"starttls","login":"m1@old.test","password":"old-plain","from":null}"#;
    exec(&app, &format!("UPDATE users SET smtp_account = '{account}' WHERE id = {}", app.ids.manager1)).await;
    let bot = crate::intake::source(&app, "telegram", json!({"bot_token": "111:x"})).await;
    exec(
        &app,
        &format!("UPDATE intake_sources SET config = '{{\"bot_token\":\"111:plain\"}}', secret = 'whsec_plain' WHERE id = {}", bot.id),
    )
    .await;

    assert_eq!(app.db.own_smtp_for(app.ws, app.ids.manager1).await.unwrap().unwrap().password.as_deref(), Some("old-plain"));
    let (_, shown) = app.get(&app.t.manager1, "/api/v1/me/smtp").await;
    assert_eq!(shown["data"]["password_set"], true, "{shown}");
    assert_eq!(app.db.bot_of(app.ws, bot.id).await.unwrap().1.as_deref(), Some("111:plain"));

    let sealed = app.db.seal_stored_secrets().await.unwrap();
    assert!(sealed.sealed >= 3, "{sealed:?}");
    assert!(!raw_row(&app, "users", "smtp_account", app.ids.manager1).await.contains("old-plain"));
    assert!(!raw_row(&app, "intake_sources", "config", bot.id).await.contains("111:plain"));
    assert!(raw_row(&app, "intake_sources", "secret", bot.id).await.starts_with(PREFIX));
    assert_eq!(app.db.seal_stored_secrets().await.unwrap().sealed, 0, "a second pass has nothing left");
    // Still the same secrets.
    assert_eq!(app.db.own_smtp_for(app.ws, app.ids.manager1).await.unwrap().unwrap().password.as_deref(), Some("old-plain"));
    assert_eq!(app.db.bot_of(app.ws, bot.id).await.unwrap().1.as_deref(), Some("111:plain"));
    let resp = app
        .client
        .post(format!("{}{}", app.base, bot.path))
        .header("x-telegram-bot-api-secret-token", "whsec_plain")
        .json(&json!({"update_id": 2, "message": {"message_id": 2, "from": {"id": 6, "first_name": "Б"}, "chat": {"id": 6},
                      "date": 1_790_000_000, "text": "Добрый день"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
}

/// `poryadok secrets status` / `seal` / `rotate` (issue 24), through the store functions they call.
async fn the_status_counts_plain_and_sealed_secrets_and_a_rotation_reseals_them_all_under_the_new_key(app: TestApp) {
    let bot = crate::intake::source(&app, "telegram", json!({"bot_token": "222:x"})).await;
    exec(&app, &format!("UPDATE intake_sources SET secret = 'whsec_plain' WHERE id = {}", bot.id)).await;
    let count = |cols: &[poryadok_store::secrets::SecretColumn], table: &str, column: &str| {
        let c = cols.iter().find(|c| c.table == table && c.column == column).unwrap();
        (c.sealed, c.plain, c.unreadable)
    };
    let status = app.db.secrets_status().await.unwrap();
    assert_eq!(count(&status, "intake_sources", "secret").1, 1, "the plain one is counted: {status:?}");
    assert_eq!(count(&status, "intake_sources", "config"), (1, 0, 0), "the bot's token is sealed: {status:?}");
    assert_eq!(raw_row(&app, "intake_sources", "secret", bot.id).await, "whsec_plain", "the status writes nothing");

    let new = SecretKey::ephemeral();
    let resealed = app.db.rotate_secrets(&new).await.unwrap();
    assert!(resealed >= 2, "{resealed}");
    let stored = raw_row(&app, "intake_sources", "secret", bot.id).await;
    assert!(stored.starts_with(PREFIX) && new.open(&stored).unwrap() == "whsec_plain", "sealed under the new key");
    let old_view = app.db.secrets_status().await.unwrap();
    assert_eq!(count(&old_view, "intake_sources", "secret"), (0, 0, 1), "the old key no longer opens it");
    let new_db = app.db.clone().with_secret_key(new);
    let status = new_db.secrets_status().await.unwrap();
    assert!(status.iter().all(|c| c.plain == 0 && c.unreadable == 0), "{status:?}");
    assert_eq!(new_db.bot_of(app.ws, bot.id).await.unwrap().1.as_deref(), Some("222:x"), "the same secret under the new key");
    // A rotation whose values do not open with the configured key changes nothing.
    assert!(app.db.rotate_secrets(&SecretKey::ephemeral()).await.is_err());
    assert_eq!(raw_row(&app, "intake_sources", "secret", bot.id).await, stored);
}
