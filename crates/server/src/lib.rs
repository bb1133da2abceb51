//! HTTP: the JSON API, authentication, the OpenAPI document and the health check.
//! Handlers are thin: parse the request, call the store, map the result.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod api;
pub mod auth;
pub mod calendar_feed;
pub mod channels;
pub mod click_to_call;
pub mod digest;
pub mod documents;
pub mod docx;
pub mod docx_builtin;
pub mod error;
pub mod export;
pub mod forms;
pub mod hooks;
pub mod imap;
pub mod mail;
pub mod mailbox;
pub mod markdown;
pub mod mention;
pub mod openapi;
pub mod pipedrive;
pub mod report;
pub mod security;
pub mod sla;
pub mod ui;
pub mod worker;
pub mod workspace_export;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use error::ApiError;
use poryadok_store::Db;
use serde_json::json;
use std::sync::Arc;

pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// Mark cookies `Secure` (when served behind HTTPS).
    pub secure_cookies: bool,
    pub openapi: Arc<String>,
    /// Wakes this process's job worker when a request enqueued work.
    pub worker_wake: Arc<tokio::sync::Notify>,
    /// The mail server for e-mail copies of notifications; none: notifications stay in the app.
    pub smtp: Option<Arc<mail::SmtpConfig>>,
    /// The Telegram Bot API replies go through (another base URL in tests or behind a proxy).
    pub telegram_api: Arc<str>,
    /// This server's address as outsiders reach it (webhook and form URLs), if known.
    pub public_url: Option<String>,
    /// Per-sender rate limits of the public web forms.
    pub forms: Arc<forms::FormGuard>,
    /// Batches webhook deliveries into the intake inbox.
    pub inbox: Arc<hooks::Inbox>,
    /// Which proxy header names the client (see [`security::client_ip`]).
    pub security: security::Settings,
    /// Wakes the open pages' live events (see `ui::live`); its PostgreSQL listener starts with
    /// the first page that listens.
    pub live: Arc<tokio::sync::Notify>,
    pub live_listening: Arc<std::sync::Once>,
    /// Where files on cards are kept and how large one may be (`--files-dir`, `--max-file-mb`).
    pub files: poryadok_store::files::FileStore,
}

impl AppState {
    pub fn new(db: Db) -> Self {
        let doc = openapi::document().to_pretty_json().unwrap_or_else(|_| "{}".into());
        AppState {
            db,
            secure_cookies: false,
            openapi: Arc::new(doc),
            worker_wake: Arc::new(tokio::sync::Notify::new()),
            smtp: None,
            public_url: None,
            telegram_api: Arc::from(channels::TELEGRAM_API),
            forms: Arc::new(forms::FormGuard::default()),
            inbox: Arc::default(),
            security: security::Settings::default(),
            live: Arc::new(tokio::sync::Notify::new()),
            live_listening: Arc::new(std::sync::Once::new()),
            // Tests and embedders; `poryadok serve` always names the directory (docs/FILES.md).
            files: poryadok_store::files::FileStore::local(
                std::env::temp_dir().join("poryadok-files"),
                poryadok_store::files::DEFAULT_MAX_BYTES,
            ),
        }
    }

    pub fn with_smtp(mut self, smtp: Option<mail::SmtpConfig>) -> Self {
        self.smtp = smtp.map(Arc::new);
        self
    }

    /// Another Telegram Bot API base URL than Telegram's own (none keeps the default).
    pub fn with_telegram_api(mut self, url: Option<&str>) -> Self {
        if let Some(u) = url.map(|u| u.trim().trim_end_matches('/')).filter(|u| !u.is_empty()) {
            self.telegram_api = Arc::from(u);
        }
        self
    }

    /// Whether notifications made now should also go out by e-mail.
    pub fn emails_on(&self) -> bool {
        self.smtp.is_some()
    }

    pub fn wake_worker(&self) {
        self.worker_wake.notify_one();
    }
}

async fn healthz(State(st): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    match st.db.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ok"}))),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable"})))
        }
    }
}

async fn openapi_json(State(st): State<AppState>) -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], st.openapi.as_str().to_owned())
}

async fn not_found() -> ApiError {
    ApiError::from_msg(StatusCode::NOT_FOUND, "not_found", poryadok_core::msg::ApiMsg::NoEndpoint {})
}

/// A response with no application logic, the floor against which API latency is measured.
async fn hello() -> &'static str {
    "hello"
}

pub fn router(state: AppState) -> Router {
    let ui_routes = ui::routes(state.clone());
    // Deliveries may be larger than API bodies (e-mails with attachments).
    let hook_routes = Router::new().route("/hooks/{key}", post(hooks::receive)).layer(DefaultBodyLimit::max(hooks::MAX_HOOK_BYTES));
    use api::{assistants, audit, channels, intake, jobs, notifications, records, reports, session, workspace};
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/hello", get(hello))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/auth/login", post(session::login))
        .route("/api/v1/auth/logout", post(session::logout))
        .route("/api/v1/me", get(session::me).patch(session::update_me))
        .route("/api/v1/me/calendar_feed", get(calendar_feed::status).post(calendar_feed::create).delete(calendar_feed::revoke))
        .route("/ical/{file}", get(calendar_feed::feed))
        .route("/api/v1/tokens", get(api::tokens::list).post(api::tokens::create))
        .route("/api/v1/tokens/{id}", axum::routing::delete(api::tokens::revoke))
        .route("/api/v1/users/{id}/unlock", post(api::users::unlock))
        .route("/api/v1/users/{id}/schedule", get(api::team::get_schedule).put(api::team::put_schedule))
        .route("/api/v1/users/{id}/schedule/exceptions", post(api::team::add_exception))
        .route("/api/v1/users/{id}/schedule/exceptions/{exception_id}", axum::routing::delete(api::team::delete_exception))
        .route("/api/v1/team/on_shift", get(api::team::on_shift))
        .route("/api/v1/team/calendar", get(api::team::calendar))
        .route("/api/v1/routing", get(api::team::routing))
        .route("/api/v1/regulation", get(api::regulation_file::export))
        .route("/api/v1/regulation/plan", post(api::regulation_file::plan))
        .route("/api/v1/regulation/apply", post(api::regulation_file::apply))
        .route("/api/v1/regulation/versions", get(api::regulation_file::versions))
        .route("/api/v1/regulation/versions/{n}", get(api::regulation_file::version))
        .route("/api/v1/regulation/versions/{n}/rollback", post(api::regulation_file::rollback))
        .route("/api/v1/regulation/document", get(api::regulation_doc::document))
        .route("/api/v1/regulation/document/read", post(api::regulation_doc::mark_read))
        .route("/api/v1/regulation/document/reads", get(api::regulation_doc::reads))
        .route("/api/v1/regulation/lint", get(api::regulation_doc::lint))
        .route("/api/v1/quizzes", get(api::quiz::list).post(api::quiz::create))
        .route("/api/v1/quizzes/generate", post(api::quiz::generate))
        .route("/api/v1/quizzes/mine", get(api::quiz::mine))
        .route("/api/v1/quizzes/results", get(api::quiz::results))
        .route("/api/v1/quizzes/{id}", get(api::quiz::get).put(api::quiz::put).delete(api::quiz::delete))
        .route("/api/v1/quizzes/{id}/attempts", post(api::quiz::attempt))
        .route("/api/v1/quizzes/{id}/start", post(api::quiz::start))
        .route("/api/v1/quizzes/{id}/assign", post(api::quiz::assign))
        .route("/api/v1/reviews", get(api::reviews::list))
        .route("/api/v1/reviews/scorecard", get(api::reviews::get_scorecard).put(api::reviews::put_scorecard))
        .route("/api/v1/reviews/settings", get(api::reviews::get_settings).patch(api::reviews::patch_settings))
        .route("/api/v1/reviews/sample", post(api::reviews::sample))
        .route("/api/v1/reviews/report", get(api::reviews::report))
        .route("/api/v1/reviews/{id}", get(api::reviews::get))
        .route("/api/v1/reviews/{id}/score", post(api::reviews::score))
        .route("/api/v1/reviews/{id}/dispute", post(api::reviews::dispute))
        .route("/api/v1/reviews/{id}/resolve", post(api::reviews::resolve))
        .route("/api/v1/workspace", get(workspace::get).patch(workspace::update))
        .route("/api/v1/workspace/requisites", get(api::requisites::get).put(api::requisites::put))
        .route("/api/v1/kb/articles", get(api::kb::list).post(api::kb::create))
        .route("/api/v1/kb/sections", get(api::kb::sections))
        .route("/api/v1/kb/targets", get(api::kb::targets))
        .route("/api/v1/kb/articles/{key}", get(api::kb::get).put(api::kb::put).delete(api::kb::delete))
        .route("/api/v1/kb/articles/{key}/versions", get(api::kb::versions))
        .route("/api/v1/kb/articles/{key}/versions/{n}", get(api::kb::version))
        .route("/api/v1/kb/articles/{key}/versions/{n}/restore", post(api::kb::restore))
        .route("/api/v1/{entity}/{id}/files", get(api::files::list).post(api::files::upload).layer(DefaultBodyLimit::disable()))
        .route("/api/v1/files/{id}", get(api::files::get).delete(api::files::delete))
        .route("/api/v1/files/{id}/content", get(api::files::content))
        .route("/api/v1/export", get(api::export::export))
        .route("/api/v1/pipelines/{id}/board", get(reports::board))
        .route("/api/v1/reports/{name}", get(reports::report))
        .route("/api/v1/dashboard", get(reports::dashboard))
        .route("/api/v1/reports/review", get(reports::review))
        .route("/api/v1/reports/bonus", get(api::bonus::report))
        .route("/api/v1/pipelines/{id}/bonus_split", get(api::bonus::get_split).put(api::bonus::put_split))
        .route("/api/v1/me/report_subscriptions", get(reports::subscriptions).patch(reports::set_subscriptions))
        .route("/api/v1/search", get(api::search::search))
        .route("/api/v1/filters/check", post(records::check_filter))
        .route("/api/v1/rules", get(audit::list_rules).post(audit::create_rule))
        .route("/api/v1/rules/catalogue", post(audit::install_catalogue))
        .route("/api/v1/rules/{id}", get(audit::get_rule).patch(audit::update_rule).delete(audit::delete_rule))
        .route("/api/v1/audit/rounds", get(audit::rounds).post(audit::start_round))
        .route("/api/v1/audit/standings", get(audit::standings))
        .route("/api/v1/audit/rounds/{id}/export", get(audit::export))
        .route("/api/v1/violations", get(audit::violations))
        .route("/api/v1/violations/{id}/answer", post(audit::answer))
        .route("/api/v1/violations/{id}/review", post(audit::review))
        .route("/api/v1/jobs", get(jobs::list))
        .route("/api/v1/jobs/{id}/retry", post(jobs::retry))
        .route("/api/v1/notifications", get(notifications::list))
        .route("/api/v1/notifications/unread_count", get(notifications::unread_count))
        .route("/api/v1/notifications/read", post(notifications::read))
        .route("/api/v1/assistants", get(assistants::list))
        .route("/api/v1/assistants/{name}", axum::routing::patch(assistants::update))
        .route("/api/v1/assistants/{name}/run", post(assistants::run))
        .route("/api/v1/{entity}/{id}/assistant_actions", get(assistants::actions))
        .route("/api/v1/{entity}/{id}/labels", get(assistants::labels))
        .route("/api/v1/message_templates", get(channels::list_templates).post(channels::create_template))
        .route("/api/v1/message_templates/preview", post(channels::preview_template))
        .route("/api/v1/message_templates/defaults", post(channels::default_templates))
        .route(
            "/api/v1/message_templates/{id}",
            get(channels::get_template).patch(channels::update_template).delete(channels::delete_template),
        )
        .route("/api/v1/sms_gateway", get(channels::get_sms_gateway).put(channels::put_sms_gateway))
        .route("/api/v1/sms_gateway/test", post(channels::test_sms))
        .route("/api/v1/outbound_messages", get(channels::messages).post(channels::queue_message))
        .route("/api/v1/outbound_messages/{id}", get(channels::message))
        .route("/api/v1/outbound_messages/{id}/retry", post(channels::retry_message))
        .route("/api/v1/webhooks", get(channels::list_webhooks).post(channels::create_webhook))
        .route("/api/v1/webhooks/{id}", get(channels::get_webhook).patch(channels::update_webhook).delete(channels::delete_webhook))
        .route("/api/v1/webhooks/{id}/deliveries", get(channels::deliveries))
        .route("/api/v1/webhook_deliveries/{id}", get(channels::delivery))
        .route("/api/v1/webhook_deliveries/{id}/redeliver", post(channels::redeliver))
        .route("/api/v1/intake/sources", get(intake::list_sources).post(intake::create_source))
        .route("/api/v1/intake/sources/{id}", get(intake::get_source).patch(intake::update_source).delete(intake::delete_source))
        .route("/api/v1/intake/sources/{id}/rotate_secret", post(intake::rotate_secret))
        .route("/api/v1/intake/presets", get(intake::presets))
        .route("/api/v1/intake/events", get(intake::events))
        .route("/api/v1/intake/events/{id}", get(intake::event))
        .route("/api/v1/intake/events/{id}/reprocess", post(intake::reprocess))
        .route("/api/v1/deals/{id}/touches", get(intake::touches))
        .route("/api/v1/{entity}/{id}/messages", get(intake::messages).post(channels::reply))
        .route("/api/v1/{entity}/{id}/reply_channels", get(channels::reply_channels))
        .route("/api/v1/client_notifications", get(api::client_notify::get_settings).put(api::client_notify::put_settings))
        .route("/api/v1/me/smtp", get(api::client_notify::get_own_smtp).put(api::client_notify::put_own_smtp))
        .merge(click_to_call::api_routes())
        .route("/api/v1/whatsapp_gateway", get(channels::get_whatsapp_gateway).put(channels::put_whatsapp_gateway))
        .route("/api/v1/products", get(api::documents::list_products).post(api::documents::create_product))
        .route(
            "/api/v1/products/{id}",
            get(api::documents::get_product).patch(api::documents::update_product).delete(api::documents::archive_product),
        )
        .route("/api/v1/deals/{id}/line_items", get(api::documents::list_lines).post(api::documents::add_line))
        .route("/api/v1/deals/{id}/line_items/settings", axum::routing::put(api::documents::line_settings))
        .route(
            "/api/v1/deals/{id}/line_items/{item}",
            axum::routing::patch(api::documents::update_line).delete(api::documents::delete_line),
        )
        .route("/api/v1/document_settings", get(api::documents::get_settings).put(api::documents::put_settings))
        .route("/api/v1/document_templates/fields", get(api::documents::fields))
        .route("/api/v1/document_templates/builtin", post(api::documents::install_builtin))
        .route(
            "/api/v1/document_templates",
            get(api::documents::list_templates).post(api::documents::upload_template).layer(DefaultBodyLimit::disable()),
        )
        .route("/api/v1/document_templates/{id}", get(api::documents::get_template).delete(api::documents::delete_template))
        .route("/api/v1/document_templates/{id}/content", get(api::documents::template_content))
        .route("/api/v1/deals/{id}/documents", get(api::documents::list_documents).post(api::documents::create_document))
        .route("/api/v1/documents/{id}", get(api::documents::get_document))
        .route("/api/v1/documents/{id}/{kind}", get(api::documents::document_file))
        .route("/api/v1/invoices", get(api::invoices::list).post(api::invoices::create))
        .route("/api/v1/invoices/import", post(api::invoices::import).layer(DefaultBodyLimit::max(api::invoices::MAX_IMPORT_BYTES)))
        .route("/api/v1/invoices/{id}", get(api::invoices::get).patch(api::invoices::update).delete(api::invoices::delete))
        .route("/api/v1/invoices/{id}/payments", get(api::invoices::payments).post(api::invoices::add_payment))
        .route("/api/v1/payments/{id}", axum::routing::delete(api::invoices::delete_payment))
        .route("/api/v1/imports", get(api::imports::list).post(api::imports::upload).layer(DefaultBodyLimit::disable()))
        .route("/api/v1/imports/{id}", get(api::imports::get))
        .route("/api/v1/imports/{id}/run", post(api::imports::run))
        .route("/api/v1/imports/{id}/rollback", post(api::imports::rollback))
        .route("/api/v1/plans", get(api::plans::list).post(api::plans::create))
        .route("/api/v1/plans/spread", get(api::plans::spread))
        .route("/api/v1/plans/import", post(api::plans::import).layer(DefaultBodyLimit::max(api::plans::MAX_IMPORT_BYTES)))
        .route("/api/v1/plans/{id}", get(api::plans::get).patch(api::plans::update).delete(api::plans::delete))
        .route("/api/v1/marketing/spend", get(api::spend::list).post(api::spend::create).delete(api::spend::delete_matching))
        .route("/api/v1/marketing/spend/totals", get(api::spend::totals))
        .route("/api/v1/marketing/spend/import", post(api::spend::import).layer(DefaultBodyLimit::max(api::spend::MAX_IMPORT_BYTES)))
        .route("/api/v1/marketing/spend/{id}", get(api::spend::get).delete(api::spend::delete))
        .route("/api/v1/marketing/aliases", get(api::spend::aliases).post(api::spend::put_alias).put(api::spend::put_alias))
        .route("/api/v1/marketing/aliases/defaults", post(api::spend::restore_aliases))
        .route("/api/v1/marketing/aliases/{id}", axum::routing::delete(api::spend::delete_alias))
        .route("/api/v1/deals/{id}/participants", get(records::participants).post(records::add_participant))
        .route("/api/v1/deals/{id}/not_lead", axum::routing::post(records::not_lead))
        .route("/api/v1/deals/{id}/participants/{participant}", axum::routing::delete(records::remove_participant))
        .route("/api/v1/{entity}", get(records::list).post(records::create))
        .route("/api/v1/{entity}/totals", get(records::totals))
        .route("/api/v1/{entity}/bulk", post(records::bulk))
        .route("/api/v1/{entity}/{id}", get(records::get).patch(records::update).put(records::update).delete(records::delete))
        .route("/api/v1/{entity}/{id}/history", get(records::history))
        .route("/api/v1/duplicates", get(api::merge::duplicates))
        .route("/api/v1/{entity}/{id}/merge", post(api::merge::merge))
        .merge(ui_routes)
        .merge(hook_routes)
        .merge(forms::routes())
        .merge(pipedrive::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::map_response(envelope_for_rejections))
        .layer(axum::middleware::map_response(security::headers))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state);
    // An older Pipedrive client calls `/api/v1/…` with its token form: it is routed before the
    // native routes see it.
    Router::new().fallback_service(tower::ServiceExt::map_request(app, pipedrive::route_compat))
}

/// axum answers an over-long body or a wrong method in plain text; keep the envelope promise.
async fn envelope_for_rejections(resp: axum::response::Response) -> axum::response::Response {
    use axum::response::IntoResponse;
    let is_json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    match resp.status() {
        StatusCode::PAYLOAD_TOO_LARGE if !is_json => ApiError::from_msg(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            poryadok_core::msg::ApiMsg::PayloadTooLarge { max: MAX_BODY_BYTES as i64 },
        )
        .with_field("body")
        .into_response(),
        StatusCode::METHOD_NOT_ALLOWED if !is_json => {
            ApiError::from_msg(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", poryadok_core::msg::ApiMsg::MethodNotAllowed {})
                .into_response()
        }
        _ => resp,
    }
}

/// Serves until the future `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
