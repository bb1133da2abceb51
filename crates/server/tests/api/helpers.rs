use poryadok_core::domain::Channel;
use poryadok_core::schema::Entity;
use poryadok_core::FixedClock;
use poryadok_server::AppState;
use poryadok_store::workspace::NewWorkspace;
use poryadok_store::{DatabaseUrl, Db};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Tokens of the users every test workspace has.
pub struct Tokens {
    pub admin: String,
    pub head: String,
    /// manager1 and manager2 share team "Центр"; manager3 is in team "Казань".
    pub manager1: String,
    pub manager2: String,
    pub manager3: String,
    pub analyst: String,
    /// The administrator of another workspace.
    pub other_admin: String,
}

pub struct Ids {
    pub admin: i64,
    pub manager1: i64,
    pub manager2: i64,
    pub manager3: i64,
    pub pipeline: i64,
    pub stages: Vec<i64>,
    pub other_pipeline: i64,
    pub other_org: i64,
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub clock: Arc<FixedClock>,
    pub t: Tokens,
    pub ids: Ids,
    pub ws: i64,
    /// The test database, for tests that write rows no API writes yet.
    pub url: DatabaseUrl,
}

pub fn start_time() -> time::OffsetDateTime {
    time::macros::datetime!(2026-11-23 09:00 UTC)
}

pub async fn fresh_database(backend: Backend) -> Option<DatabaseUrl> {
    let unique = format!("{}_{}", std::process::id(), rand::random::<u64>());
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("poryadok-tests");
            std::fs::create_dir_all(&dir).unwrap();
            Some(DatabaseUrl::new(format!("sqlite://{}", dir.join(format!("t{unique}.db")).display())))
        }
        Backend::Postgres => {
            let admin = std::env::var("PORYADOK_TEST_POSTGRES").ok()?;
            use sea_orm::ConnectionTrait;
            let conn = sea_orm::Database::connect(&admin).await.expect("PORYADOK_TEST_POSTGRES is set but the server is unreachable");
            let name = format!("poryadok_t{unique}");
            conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
            conn.close().await.unwrap();
            let (prefix, _) = admin.rsplit_once('/').expect("PORYADOK_TEST_POSTGRES must end with /DBNAME");
            Some(DatabaseUrl::new(format!("{prefix}/{name}")))
        }
    }
}

/// `None` only for PostgreSQL when PORYADOK_TEST_POSTGRES is unset (the quick local loop);
/// `.ci/run` always sets it, and then an unreachable server fails the test.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let url = match fresh_database(backend).await {
        Some(u) => u,
        None => {
            eprintln!("PostgreSQL variant not run: PORYADOK_TEST_POSTGRES is not set");
            return None;
        }
    };
    Some(spawn_app_at(url).await)
}

/// [`spawn_app`] over the database at `url` (a new, empty one).
pub async fn spawn_app_at(url: DatabaseUrl) -> TestApp {
    let clock = Arc::new(FixedClock::new(start_time()));
    let db = Db::connect(&url, clock.clone()).await.unwrap();
    let db_url = url.clone();
    db.migrate().await.unwrap();

    let ws = db.create_workspace(&NewWorkspace { name: "Вектор".into(), ..Default::default() }).await.unwrap();
    let other = db.create_workspace(&NewWorkspace { name: "Чужая".into(), ..Default::default() }).await.unwrap();
    let sys = db.system_actor(ws.id, Channel::Cli).await.unwrap();
    let other_sys = db.system_actor(other.id, Channel::Cli).await.unwrap();

    let team_a = db.create(&sys, Entity::Team, &json!({"name": "Центр"})).await.unwrap().id();
    let team_b = db.create(&sys, Entity::Team, &json!({"name": "Казань"})).await.unwrap().id();
    let user = |email: &str, role: &str, team: Option<i64>| {
        let (db, sys) = (db.clone(), sys.clone());
        let body = json!({"email": email, "name": email.split('@').next().unwrap(), "role": role, "team_id": team});
        async move {
            let id = db.create(&sys, Entity::User, &body).await.unwrap().id();
            (id, db.create_token(sys.ws_id(), id, "test").await.unwrap())
        }
    };
    let (admin_id, admin) = user("admin@a.test", "admin", None).await;
    let (_, head) = user("head@a.test", "head", None).await;
    let (m1, manager1) = user("m1@a.test", "manager", Some(team_a)).await;
    let (m2, manager2) = user("m2@a.test", "manager", Some(team_a)).await;
    let (m3, manager3) = user("m3@a.test", "manager", Some(team_b)).await;
    let (_, analyst) = user("analyst@a.test", "analyst", None).await;
    let other_admin_id =
        db.create(&other_sys, Entity::User, &json!({"email": "admin@b.test", "name": "B", "role": "admin"})).await.unwrap().id();
    let other_admin = db.create_token(other.id, other_admin_id, "test").await.unwrap();

    let pipeline = db.create(&sys, Entity::Pipeline, &json!({"name": "Клиенты"})).await.unwrap().id();
    let mut stages = Vec::new();
    for name in ["Новый", "Принял в работу", "Коммуникация"] {
        stages.push(db.create(&sys, Entity::Stage, &json!({"pipeline_id": pipeline, "name": name})).await.unwrap().id());
    }
    let other_pipeline = db.create(&other_sys, Entity::Pipeline, &json!({"name": "Чужая воронка"})).await.unwrap().id();
    db.create(&other_sys, Entity::Stage, &json!({"pipeline_id": other_pipeline, "name": "Новый"})).await.unwrap();
    let other_org = db.create(&other_sys, Entity::Organization, &json!({"name": "ООО Чужие"})).await.unwrap().id();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let state = AppState::new(db.clone());
    tokio::spawn(async move {
        let _ = poryadok_server::serve(listener, state, std::future::pending()).await;
    });
    TestApp {
        base: format!("http://{addr}"),
        client: reqwest::Client::builder().cookie_store(true).build().unwrap(),
        db,
        clock,
        t: Tokens { admin, head, manager1, manager2, manager3, analyst, other_admin },
        ids: Ids { admin: admin_id, manager1: m1, manager2: m2, manager3: m3, pipeline, stages, other_pipeline, other_org },
        ws: ws.id,
        url: db_url,
    }
}

impl TestApp {
    /// Another server over this test's database, its settings changed by `configure` (e.g. a
    /// trusted proxy header); returns its base URL.
    pub async fn serve_with(&self, configure: impl FnOnce(&mut AppState)) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let mut state = AppState::new(self.db.clone());
        configure(&mut state);
        tokio::spawn(async move {
            let _ = poryadok_server::serve(listener, state, std::future::pending()).await;
        });
        format!("http://{addr}")
    }

    pub async fn call(&self, method: Method, token: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{}", self.base, path)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
    pub async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, token, path, None).await
    }
    pub async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, token, path, Some(body)).await
    }
    pub async fn patch(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, token, path, Some(body)).await
    }
    pub async fn delete(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, token, path, None).await
    }
    /// Creates a record and returns its id, failing the test on anything but 201.
    pub async fn create(&self, token: &str, collection: &str, body: Value) -> i64 {
        let (s, v) = self.post(token, &format!("/api/v1/{collection}"), body).await;
        assert_eq!(s, StatusCode::CREATED, "creating {collection}: {v}");
        v["data"]["id"].as_i64().unwrap()
    }
    /// Every record of a collection the caller sees, following cursors `page` at a time.
    pub async fn all_records(&self, token: &str, collection: &str, query: &str, page: u32) -> Vec<Value> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/{collection}?limit={page}{query}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let (s, v) = self.get(token, &path).await;
            assert_eq!(s, StatusCode::OK, "{v}");
            out.extend(v["data"].as_array().unwrap().iter().cloned());
            match v["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return out,
            }
        }
    }

    /// Every id of a collection the caller sees, two per page so that paging is exercised.
    pub async fn all_ids(&self, token: &str, collection: &str, query: &str) -> Vec<i64> {
        self.all_records(token, collection, query, 2).await.iter().map(|r| r["id"].as_i64().unwrap()).collect()
    }
}

/// Asserts the error envelope: status, code and the named field.
#[track_caller]
pub fn assert_error(resp: &(StatusCode, Value), status: u16, code: &str, field: Option<&str>) {
    let (s, v) = resp;
    assert_eq!(s.as_u16(), status, "status of {v}");
    assert_eq!(v["error"]["code"], code, "code of {v}");
    assert_eq!(v["error"]["field"].as_str(), field, "field of {v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "message of {v}");
}

/// Runs an async scenario against SQLite and PostgreSQL as two tests.
#[macro_export]
macro_rules! both_dbs {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await.unwrap();
                super::$name(app).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                    super::$name(app).await;
                }
            }
        }
    )+};
}

/// A signed-in web UI session: a cookie-keeping client and the session's CSRF token.
pub struct UiSession {
    pub client: reqwest::Client,
    pub base: String,
    pub csrf: String,
}

/// The value of `attr="…"` right after `marker` in `html`.
pub fn html_attr(html: &str, marker: &str, attr: &str) -> Option<String> {
    let at = html.find(marker)?;
    let rest = &html[at..];
    let start = rest.find(&format!("{attr}=\""))? + attr.len() + 2;
    Some(rest[start..start + rest[start..].find('"')?].to_string())
}

impl TestApp {
    /// Gives `user_id` a password (users of the test workspace are created without one).
    pub async fn set_password(&self, user_id: i64, password: &str) {
        let sys = self.db.system_actor(self.ws, Channel::Cli).await.unwrap();
        self.db.update(&sys, Entity::User, user_id, &json!({"password": password})).await.unwrap();
    }

    /// Signs in through the login form, as a browser does.
    pub async fn ui_login(&self, user_id: i64, email: &str) -> UiSession {
        let password = format!("pw-{user_id}-long-enough");
        // Setting the password again would end the user's other sessions (as any password change does).
        if self.db.login(email, &password).await.is_err() {
            self.set_password(user_id, &password).await;
        }
        let client = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let form = client.get(format!("{}/login", self.base)).send().await.unwrap().text().await.unwrap();
        let login_csrf = html_attr(&form, "name=\"csrf_token\"", "value").expect("login form has a CSRF field");
        let resp = client
            .post(format!("{}/login", self.base))
            .form(&[("email", email), ("password", password.as_str()), ("csrf_token", login_csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "sign-in as {email}");
        let page = client.get(format!("{}/board", self.base)).send().await.unwrap().text().await.unwrap();
        let csrf = html_attr(&page, "name=\"csrf-token\"", "content").expect("signed-in pages carry the CSRF token");
        UiSession { client, base: self.base.clone(), csrf }
    }
}

impl UiSession {
    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let resp = self.client.get(format!("{}{path}", self.base)).send().await.unwrap();
        (resp.status(), resp.text().await.unwrap())
    }

    /// A GET as htmx sends it: the answer is a fragment.
    pub async fn get_fragment(&self, path: &str) -> (StatusCode, String) {
        let resp = self.client.get(format!("{}{path}", self.base)).header("HX-Request", "true").send().await.unwrap();
        (resp.status(), resp.text().await.unwrap())
    }

    /// A form POST as htmx sends it; the answer's status, `HX-Redirect` (if any) and body.
    pub async fn post_form_to(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Option<String>, String) {
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", &self.csrf)
            .form(form)
            .send()
            .await
            .unwrap();
        let redirect = resp.headers().get("hx-redirect").and_then(|v| v.to_str().ok()).map(str::to_string);
        (resp.status(), redirect, resp.text().await.unwrap())
    }

    /// A form POST as htmx sends it, with the CSRF header.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let (status, _, body) = self.post_form_to(path, form).await;
        (status, body)
    }
}
