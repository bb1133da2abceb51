//! Notifications: one per event and user, each user sees and marks only their own, the bell and
//! the page in the web UI, and e-mail copies through a real SMTP conversation with a local sink.
use crate::helpers::*;
use poryadok_server::mail::SmtpConfig;
use poryadok_server::worker::Worker;
use poryadok_server::AppState;
use poryadok_store::notifications::NewNotification;
use reqwest::StatusCode;
use serde_json::json;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

crate::both_dbs!(
    one_event_notifies_a_user_once_and_only_they_see_it,
    unread_count_and_marking_read_touch_only_the_callers_own,
    malformed_requests_name_the_field,
    an_email_copy_reaches_the_mail_server_and_is_recorded,
    an_unreachable_mail_server_fails_the_job_and_nothing_is_marked_sent,
    the_bell_counts_unread_and_the_page_marks_them_read,
);

fn note(app: &TestApp, user: i64, key: Option<&str>, title: &str) -> NewNotification {
    NewNotification {
        workspace_id: app.ws,
        user_id: user,
        kind: "sla_breach".into(),
        title: title.into(),
        body: "The stage deadline has passed.".into(),
        link: Some("/deals/5".into()),
        deal_id: None,
        dedupe_key: key.map(Into::into),
        email: false,
    }
}

async fn list(app: &TestApp, token: &str, query: &str) -> Vec<serde_json::Value> {
    let (status, v) = app.get(token, &format!("/api/v1/notifications{query}")).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["data"].as_array().unwrap().clone()
}

async fn unread(app: &TestApp, token: &str) -> i64 {
    let (status, v) = app.get(token, "/api/v1/notifications/unread_count").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["data"]["unread"].as_i64().unwrap()
}

async fn one_event_notifies_a_user_once_and_only_they_see_it(app: TestApp) {
    let m1 = app.ids.manager1;
    let sla = note(&app, m1, Some("sla:5:2"), "SLA 1");
    let first = app.db.notify(&sla).await.unwrap();
    let (a, b) = tokio::join!(app.db.notify(&sla), app.db.notify(&sla));
    assert!(first.is_some() && a.unwrap().is_none() && b.unwrap().is_none(), "the same key notifies once, however many race");
    // The same event for another user is their own notification.
    assert!(app.db.notify(&note(&app, app.ids.manager2, Some("sla:5:2"), "SLA for m2")).await.unwrap().is_some());
    // Without a key nothing is deduplicated.
    app.db.notify(&note(&app, m1, None, "Plain 1")).await.unwrap();
    app.db.notify(&note(&app, m1, None, "Plain 2")).await.unwrap();

    let mine = list(&app, &app.t.manager1, "").await;
    let titles: Vec<&str> = mine.iter().map(|n| n["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Plain 2", "Plain 1", "SLA 1"], "newest first, and only m1's");
    assert_eq!((mine[0]["link"].as_str(), mine[0]["read"].as_bool()), (Some("/deals/5"), Some(false)));
    assert_eq!(mine[0]["created_at"], "2026-11-23T09:00:00.000Z");
    assert_eq!(list(&app, &app.t.manager2, "").await.len(), 1);
    assert!(list(&app, &app.t.admin, "").await.is_empty(), "an administrator does not see other users' notifications");
    assert!(list(&app, &app.t.other_admin, "").await.is_empty());
    assert!(app.db.list_jobs(app.ws, None, 10).await.unwrap().is_empty(), "no e-mail copies without a mail server");

    // With e-mail copies on, the notification and its copy's job are one write; a duplicate makes neither.
    let mut with_copy = note(&app, m1, Some("sla:6:1"), "SLA 2");
    with_copy.email = true;
    let id = app.db.notify(&with_copy).await.unwrap().unwrap();
    assert!(app.db.notify(&with_copy).await.unwrap().is_none());
    let jobs = app.db.list_jobs(app.ws, None, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!((jobs[0]["kind"].as_str(), jobs[0]["dedupe_key"].as_str()), (Some("notify_email"), Some(format!("email:{id}").as_str())));

    // A link leaves the server only as a local path.
    let mut outside = note(&app, m1, None, "Phish");
    outside.link = Some("https://evil.example/login".into());
    let err = app.db.notify(&outside).await.unwrap_err();
    assert!(err.to_string().contains("local path"), "{err}");
}

async fn unread_count_and_marking_read_touch_only_the_callers_own(app: TestApp) {
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(app.db.notify(&note(&app, app.ids.manager1, None, &format!("N{i}"))).await.unwrap().unwrap());
    }
    let theirs = app.db.notify(&note(&app, app.ids.manager2, None, "M2")).await.unwrap().unwrap();
    assert_eq!(unread(&app, &app.t.manager1).await, 5);

    // Someone else's ids change nothing, in either direction.
    let (status, v) = app.post(&app.t.manager2, "/api/v1/notifications/read", json!({"ids": ids})).await;
    assert_eq!((status, v["data"]["marked"].as_i64(), v["data"]["unread"].as_i64()), (StatusCode::OK, Some(0), Some(1)));
    let (_, v) = app.post(&app.t.manager1, "/api/v1/notifications/read", json!({"ids": [ids[0], ids[1], theirs]})).await;
    assert_eq!((v["data"]["marked"].as_i64(), v["data"]["unread"].as_i64()), (Some(2), Some(3)));
    assert_eq!(unread(&app, &app.t.manager2).await, 1);
    let (_, v) = app.post(&app.t.manager1, "/api/v1/notifications/read", json!({"ids": [ids[0]]})).await;
    assert_eq!(v["data"]["marked"], 0, "already read");

    let unread_list = list(&app, &app.t.manager1, "?unread=true").await;
    assert_eq!(unread_list.iter().map(|n| n["id"].as_i64().unwrap()).collect::<Vec<_>>(), [ids[4], ids[3], ids[2]]);
    let all = list(&app, &app.t.manager1, "?unread=false").await;
    assert_eq!(all.len(), 5);
    assert_eq!((all[4]["read"].as_bool(), all[4]["read_at"].as_str()), (Some(true), Some("2026-11-23T09:00:00.000Z")));
    // Paging back by id.
    let page = list(&app, &app.t.manager1, &format!("?limit=2&before={}", ids[3])).await;
    assert_eq!(page.iter().map(|n| n["id"].as_i64().unwrap()).collect::<Vec<_>>(), [ids[2], ids[1]]);

    let (_, v) = app.post(&app.t.manager1, "/api/v1/notifications/read", json!({"all": true})).await;
    assert_eq!((v["data"]["marked"].as_i64(), v["data"]["unread"].as_i64()), (Some(3), Some(0)));
    assert_eq!(unread(&app, &app.t.manager2).await, 1, "all means all of mine");
}

async fn malformed_requests_name_the_field(app: TestApp) {
    let t = &app.t.manager1;
    let read = |body: serde_json::Value| app.post(t, "/api/v1/notifications/read", body);
    assert_error(&read(json!({})).await, 422, "validation", Some("ids"));
    assert_error(&read(json!({"ids": "1,2"})).await, 422, "validation", Some("ids"));
    assert_error(&read(json!({"ids": [1, "x"]})).await, 422, "validation", Some("ids"));
    assert_error(&read(json!({"ids": [0]})).await, 422, "validation", Some("ids"));
    assert_error(&read(json!({"ids": [1], "all": true})).await, 422, "validation", Some("ids"));
    assert_error(&read(json!({"all": false})).await, 422, "validation", Some("all"));
    assert_error(&read(json!([1, 2])).await, 400, "validation", Some("body"));
    let resp = app.client.post(format!("{}/api/v1/notifications/read", app.base)).bearer_auth(t).body("{").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_error(&app.get(t, "/api/v1/notifications?unread=maybe").await, 422, "validation", Some("unread"));
    assert_error(&app.get(t, "/api/v1/notifications?limit=0").await, 422, "validation", Some("limit"));
    assert_error(&app.get(t, "/api/v1/notifications?before=x").await, 422, "validation", Some("before"));
    assert_error(&app.get("nope", "/api/v1/notifications/unread_count").await, 401, "unauthorized", None);
}

/// What a local SMTP sink received: the commands and every message's DATA.
#[derive(Default)]
pub(crate) struct Sink {
    pub(crate) commands: Vec<String>,
    pub(crate) messages: Vec<String>,
}

/// A minimal SMTP server on 127.0.0.1 that accepts everything, for as long as the test runs.
pub(crate) async fn smtp_sink() -> (u16, Arc<Mutex<Sink>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sink = Arc::new(Mutex::new(Sink::default()));
    let seen = sink.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let (r, mut w) = stream.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    seen.lock().unwrap().commands.push(line.clone());
                    let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-sink\r\n250 AUTH PLAIN\r\n",
                        "AUTH" => b"235 accepted\r\n",
                        "DATA" => {
                            w.write_all(b"354 go on\r\n").await.unwrap();
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            seen.lock().unwrap().messages.push(data);
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            w.write_all(b"221 bye\r\n").await.unwrap();
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, sink)
}

fn mailing_worker(app: &TestApp, port: u16) -> Worker {
    let smtp =
        SmtpConfig::new(&format!("smtp://bot:s3cret@127.0.0.1:{port}"), "Poryadok <crm@poryadok.test>", Some("https://crm.example.com/"))
            .unwrap();
    Worker::new(&AppState::new(app.db.clone()).with_smtp(Some(smtp)))
}

fn with_copy(app: &TestApp, title: &str) -> NewNotification {
    NewNotification { email: true, ..note(app, app.ids.manager1, Some("sla:5:1"), title) }
}

async fn an_email_copy_reaches_the_mail_server_and_is_recorded(app: TestApp) {
    let (port, sink) = smtp_sink().await;
    let worker = mailing_worker(&app, port);
    app.db.notify(&with_copy(&app, "Deal 5 missed its SLA")).await.unwrap().unwrap();
    assert!(list(&app, &app.t.manager1, "").await[0]["emailed_at"].is_null(), "not before the server accepted it");

    let report = worker.run_once().await.unwrap();
    assert_eq!((report.ran, report.failed), (1, 0));
    {
        let sink = sink.lock().unwrap();
        assert_eq!(sink.messages.len(), 1);
        let msg = &sink.messages[0];
        assert!(msg.contains("Subject: Deal 5 missed its SLA"), "{msg}");
        assert!(msg.contains("https://crm.example.com/deals/5"), "the link opens this server: {msg}");
        assert!(msg.contains("The stage deadline has passed."), "{msg}");
        assert!(msg.contains("m1@a.test") && msg.contains("crm@poryadok.test"), "{msg}");
        assert!(sink.commands.iter().any(|c| c.starts_with("AUTH PLAIN")), "credentials from the URL are used: {:?}", sink.commands);
        assert!(sink.commands.iter().any(|c| c.contains("RCPT TO:<m1@a.test>")), "{:?}", sink.commands);
    }
    let mine = list(&app, &app.t.manager1, "").await;
    assert_eq!(mine[0]["emailed_at"], "2026-11-23T09:00:00.000Z");
    assert_eq!(app.db.list_jobs(app.ws, Some("done"), 10).await.unwrap().len(), 1);
    // Nothing is sent twice: a second pass has nothing to do.
    assert_eq!(worker.run_once().await.unwrap().ran, 0);
    assert_eq!(sink.lock().unwrap().messages.len(), 1);
}

async fn an_unreachable_mail_server_fails_the_job_and_nothing_is_marked_sent(app: TestApp) {
    // A port nobody listens on: take one, then let it go.
    let port = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    };
    let worker = mailing_worker(&app, port);
    app.db.notify(&with_copy(&app, "Deal 5 missed its SLA")).await.unwrap().unwrap();

    assert_eq!(worker.run_once().await.unwrap().failed, 1);
    let queued = app.db.list_jobs(app.ws, Some("queued"), 10).await.unwrap();
    assert_eq!(queued.len(), 1, "retried later");
    assert!(queued[0]["last_error"].as_str().unwrap().contains("SMTP smtp://bot:***@127.0.0.1"), "{}", queued[0]);
    assert!(!queued[0]["last_error"].as_str().unwrap().contains("s3cret"), "the password never reaches the queue");
    assert_eq!(worker.run_once().await.unwrap().ran, 0, "not before the back-off");
    app.clock.advance(time::Duration::seconds(10));
    assert_eq!(worker.run_once().await.unwrap().failed, 1, "the second attempt fails too");
    for _ in 0..6 {
        app.clock.advance(time::Duration::hours(1));
        worker.run_once().await.unwrap();
    }
    let (status, v) = app.get(&app.t.admin, "/api/v1/jobs?status=failed").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((v["data"][0]["kind"].as_str(), v["data"][0]["attempts"].as_i64()), (Some("notify_email"), Some(8)), "{v}");
    assert!(list(&app, &app.t.manager1, "").await[0]["emailed_at"].is_null(), "never marked sent");

    // A server without a mail server cannot send a copy either, and says why.
    let id = v["data"][0]["id"].as_i64().unwrap();
    app.db.retry_job(app.ws, id).await.unwrap();
    app.clock.advance(time::Duration::seconds(16)); // on SQLite, until the first worker's process lease lapses
    assert_eq!(Worker::new(&AppState::new(app.db.clone())).run_once().await.unwrap().failed, 1);
    let queued = app.db.list_jobs(app.ws, Some("queued"), 10).await.unwrap();
    assert!(queued[0]["last_error"].as_str().unwrap().contains("PORYADOK_SMTP_URL"), "{}", queued[0]);
}

async fn the_bell_counts_unread_and_the_page_marks_them_read(app: TestApp) {
    let m1 = app.ids.manager1;
    let first = app.db.notify(&note(&app, m1, Some("a"), "Deal <Alpha> waits")).await.unwrap().unwrap();
    app.db.notify(&note(&app, m1, Some("b"), "Deal Beta waits")).await.unwrap();
    app.db.notify(&note(&app, app.ids.manager2, Some("c"), "Not for m1")).await.unwrap();
    let ui = app.ui_login(m1, "m1@a.test").await;

    let (status, board) = ui.get("/board").await;
    assert_eq!(status, StatusCode::OK);
    assert!(board.contains(r#"<span id="bell-count" class="bell-count">2</span>"#), "the bell shows 2");
    let (_, page) = ui.get("/notifications").await;
    assert!(page.contains("Deal &#60;Alpha&#62; waits") || page.contains("Deal &lt;Alpha&gt; waits"), "escaped title");
    assert!(page.contains("Deal Beta waits") && !page.contains("Not for m1"));
    assert!(page.contains(r#"href="/deals/5""#) && page.contains("23.11.2026"));

    // One read in place: the item loses its button and the bell follows out of band.
    let (status, frag) = ui.post_form(&format!("/notifications/{first}/read"), &[]).await;
    assert_eq!(status, StatusCode::OK, "{frag}");
    assert!(frag.contains(&format!(r#"id="notification-{first}" class="notif""#)), "{frag}");
    assert!(frag.contains(r#"hx-swap-oob="true">1</span>"#), "{frag}");
    let (_, unread_page) = ui.get("/notifications?unread=1").await;
    assert!(unread_page.contains("Deal Beta waits") && !unread_page.contains("Alpha"));

    let (status, frag) = ui.post_form("/notifications/read-all", &[]).await;
    assert_eq!(status, StatusCode::OK, "{frag}");
    assert!(frag.contains(r#"hx-swap-oob="true" hidden>0</span>"#), "{frag}");
    let (_, board) = ui.get("/board").await;
    assert!(board.contains(r#"<span id="bell-count" class="bell-count" hidden>0</span>"#), "the bell is quiet");
    assert_eq!(unread(&app, &app.t.manager1).await, 0);
    assert_eq!(unread(&app, &app.t.manager2).await, 1);

    // Someone else's notification cannot be marked from the page either.
    let theirs = list(&app, &app.t.manager2, "").await[0]["id"].as_i64().unwrap();
    let (status, _) = ui.post_form(&format!("/notifications/{theirs}/read"), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(unread(&app, &app.t.manager2).await, 1);
}
