//! Web forms in the browser: the hosted page `/f/{key}`, its embed script `/f/{key}/embed.js`, and
//! the public `POST /f/{key}` that the page, an HTML form on the client's own site or a script
//! posts to. (A server posts to `/hooks/{key}` with the source's secret instead; see `hooks`.)
//!
//! Nobody signs a browser's post, so the checks come before storing, in this order: the form
//! exists and is switched on (404); the post comes from this server's own page or an allowed
//! origin (403, not stored: anyone could send it); the sender's IP is under the form's per-minute
//! rate (429, not stored). Everything past that is stored: a filled honeypot or a form sent faster
//! than a person types is kept as `rejected` and answered like a success, so a bot learns nothing;
//! a missing or unreadable field is kept as `failed` and the page comes back with the error next
//! to the field and the values kept; a good one is `pending` for the job engine. The fill time is
//! measured from a token the page carries (`<ms>.<HMAC of ms under the source's secret>`), so it
//! cannot be forged.
//!
//! The page speaks the workspace's language and carries no session: it is public. Its
//! `Content-Security-Policy` ([`crate::security::form_csp`]) lets only this server and the form's
//! allowed origins frame it, and lets it post only here (and be sent on to the thank-you page).
//! A post with `Origin: null` is refused like a foreign site's.
use crate::auth::constant_time_eq;
use crate::error::ApiError;
use crate::ui::i18n::{Lang, T};
use crate::ui::render_status;
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Extension, Router};
use poryadok_core::domain::Channel;
use poryadok_core::intake::{form_urlencoded_pairs, Attribution};
use poryadok_core::msg::IntakeMsg;
use poryadok_core::Msg;
use poryadok_store::intake::forms::{normal_origin, FormConfig, FormProblem, Problem, Submission, HONEYPOT};
use poryadok_store::intake::{Arrival, NewEvent, Source};
use serde_json::{json, Value as Json};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

/// The hidden field with the page's start token.
const STARTED: &str = "_started";
/// The hidden field that keeps a framed page framed after a post.
const EMBED: &str = "_embed";
const RATE_WINDOW_MS: i64 = 60_000;
/// Senders tracked at once; past that, finished windows are dropped (and, in a flood, all of them).
const MAX_TRACKED: usize = 50_000;

pub fn routes() -> Router<AppState> {
    Router::new().route("/f/{key}", get(page).post(submit).options(preflight)).route("/f/{key}/embed.js", get(embed_js))
}

/// Per-sender submission counts: a fixed one-minute window per (form, IP), kept in memory.
#[derive(Default)]
pub struct FormGuard {
    windows: Mutex<HashMap<(i64, IpAddr), (i64, i64)>>,
}

impl FormGuard {
    /// Counts a submission; `Err(seconds)` when the sender is over `limit` and must wait.
    pub fn hit(&self, source: i64, ip: IpAddr, limit: i64, now: i64) -> Result<(), i64> {
        let mut windows = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() >= MAX_TRACKED {
            windows.retain(|_, (start, _)| now - *start < RATE_WINDOW_MS);
            if windows.len() >= MAX_TRACKED {
                windows.clear();
            }
        }
        let (start, count) = windows.entry((source, ip)).or_insert((now, 0));
        if now - *start >= RATE_WINDOW_MS || now < *start {
            (*start, *count) = (now, 0);
        }
        if *count >= limit {
            return Err((*start + RATE_WINDOW_MS - now + 999) / 1000);
        }
        *count += 1;
        Ok(())
    }
}

/// One input of the page.
struct PageField {
    name: String,
    label: String,
    input_type: &'static str,
    textarea: bool,
    inputmode: &'static str,
    autocomplete: &'static str,
    required: bool,
    value: String,
    error: Option<String>,
    focus: bool,
}

#[derive(Template)]
#[template(path = "form_page.html")]
struct FormPage {
    t: T,
    title: String,
    key: String,
    action: String,
    embed: bool,
    show_form: bool,
    fields: Vec<PageField>,
    hidden: Vec<(String, String)>,
    has_required: bool,
    notice: Option<String>,
    done: Option<String>,
}

/// A form with what its page needs to speak: the source, its settings and the workspace's language.
struct Form {
    source: Source,
    config: FormConfig,
    t: T,
}

async fn form_by_key(st: &AppState, key: &str) -> Result<Option<Form>, ApiError> {
    let Some(source) = st.db.source_by_key(key).await?.filter(|s| s.kind == "form") else {
        return Ok(None);
    };
    let ws = st.db.system_actor(source.workspace_id, Channel::Intake).await?;
    let lang = Lang::from_locale(&ws.ws.locale);
    Ok(Some(Form { config: FormConfig::of(&source), source, t: T::new(lang) }))
}

impl Form {
    fn page(&self, embed: bool) -> FormPage {
        FormPage {
            t: self.t,
            title: self.config.title.clone(),
            key: self.source.hook_key.clone(),
            action: format!("/f/{}", self.source.hook_key),
            embed,
            show_form: true,
            fields: self.config.fields.iter().map(|f| page_field(f, String::new())).collect(),
            hidden: Vec::new(),
            has_required: self.config.fields.iter().any(|f| f.required),
            notice: None,
            done: None,
        }
    }

    /// A page with only a message on it (not found, too many posts, a foreign site).
    fn notice(&self, embed: bool, key: &str) -> FormPage {
        FormPage { show_form: false, notice: Some(self.t.t(key).to_string()), ..self.page(embed) }
    }

    fn respond(&self, status: StatusCode, page: &FormPage) -> Response {
        let mut resp = render_status(status, page);
        // The thank-you page a good post is sent to must be a permitted form target.
        let targets: Vec<String> = self.config.redirect_url.as_deref().and_then(origin_of).into_iter().collect();
        let policy = crate::security::form_csp(&self.config.allowed_origins, &targets);
        // Origins are normalised when saved, so the policy is always a valid header; if not, the
        // page is framed by nobody rather than by anybody.
        let policy = HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static(crate::security::UI_CSP));
        resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
        resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        resp
    }
}

fn page_field(f: &poryadok_store::intake::forms::FormField, value: String) -> PageField {
    let (input_type, inputmode) = match f.kind.as_str() {
        "email" => ("email", ""),
        "phone" => ("tel", "tel"),
        "number" => ("text", "decimal"),
        _ => ("text", ""),
    };
    let autocomplete = match f.maps_to.as_str() {
        "person.name" => "name",
        "person.phone" => "tel",
        "person.email" => "email",
        "person.job_title" => "organization-title",
        "organization.name" => "organization",
        _ => "",
    };
    PageField {
        name: f.name.clone(),
        label: f.label.clone(),
        input_type,
        textarea: f.kind == "textarea",
        inputmode,
        autocomplete,
        required: f.required,
        value,
        error: None,
        focus: false,
    }
}

fn not_found() -> Response {
    ApiError::from_msg(StatusCode::NOT_FOUND, "not_found", IntakeMsg::NoSuchForm {}).into_response()
}

/// A visitor following a link to a missing or switched-off form gets a page, in their browser's language.
fn missing_page(headers: &HeaderMap) -> Response {
    let accept = header_str(headers, header::ACCEPT_LANGUAGE).unwrap_or("ru").to_ascii_lowercase();
    let t = T::new(if accept.starts_with("en") { Lang::En } else { Lang::Ru });
    let page = FormPage {
        t,
        title: "404".into(),
        key: String::new(),
        action: String::new(),
        embed: false,
        show_form: false,
        fields: Vec::new(),
        hidden: Vec::new(),
        has_required: false,
        notice: Some(t.t("forms.not_found").to_string()),
        done: None,
    };
    render_status(StatusCode::NOT_FOUND, &page)
}

fn query_pairs(raw: Option<&str>) -> HashMap<String, String> {
    raw.map(form_urlencoded_pairs).unwrap_or_default().into_iter().collect()
}

fn header_str(headers: &HeaderMap, name: HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|s| !s.is_empty())
}

/// This server's address as the visitor reached it.
pub(crate) fn base_url(st: &AppState, headers: &HeaderMap) -> String {
    if let Some(base) = &st.public_url {
        return base.trim_end_matches('/').to_string();
    }
    let host = header_str(headers, header::HOST).unwrap_or("127.0.0.1");
    let scheme = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()).filter(|s| *s == "https").unwrap_or("http");
    format!("{scheme}://{host}")
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    normal_origin(&format!("{scheme}://{authority}")).ok()
}

/// Where a browser's post comes from.
enum PostOrigin {
    /// Neither `Origin` nor `Referer`: not a browser (a script or a server), let through.
    Unknown,
    /// `Origin: null`: a browser hid where the post comes from (a sandboxed frame, a `data:` or
    /// `file:` page, a no-referrer redirect). It cannot be told apart from a hostile page that
    /// hides itself on purpose, so it is refused.
    Opaque,
    Site(String),
}

/// Where a browser's post comes from: its Origin, else its Referer's origin.
fn request_origin(headers: &HeaderMap) -> PostOrigin {
    match header_str(headers, header::ORIGIN) {
        Some(o) if o.eq_ignore_ascii_case("null") => PostOrigin::Opaque,
        Some(o) => PostOrigin::Site(normal_origin(o).unwrap_or_else(|_| o.to_lowercase())),
        None => header_str(headers, header::REFERER).and_then(origin_of).map_or(PostOrigin::Unknown, PostOrigin::Site),
    }
}

/// The server's own origin: its public address, or the host the request named.
fn is_own_origin(st: &AppState, headers: &HeaderMap, origin: &str) -> bool {
    if st.public_url.as_deref().and_then(origin_of).is_some_and(|own| own == origin) {
        return true;
    }
    let host = header_str(headers, header::HOST).map(str::to_lowercase);
    origin.split_once("://").is_some_and(|(_, authority)| host.as_deref() == Some(authority))
}

/// Whether a post from `origin` may reach this form; `Some(origin)` when it is another site that
/// must be named in the answer's CORS header.
fn origin_check(st: &AppState, headers: &HeaderMap, config: &FormConfig) -> Result<Option<String>, ()> {
    match request_origin(headers) {
        PostOrigin::Unknown => Ok(None),
        PostOrigin::Opaque => Err(()),
        PostOrigin::Site(o) if is_own_origin(st, headers, &o) => Ok(None),
        PostOrigin::Site(o) if config.allows_origin(&o) => Ok(Some(o)),
        PostOrigin::Site(_) => Err(()),
    }
}

fn mac(secret: &str, ms: i64) -> String {
    crate::hooks::sign(secret, format!("form-started:{ms}").as_bytes()).trim_start_matches("sha256=").to_string()
}

/// The start token a page carries: when it was opened, signed with the source's secret.
pub fn started_token(secret: &str, ms: i64) -> String {
    format!("{ms}.{}", mac(secret, ms))
}

fn verify_started(secret: &str, token: &str) -> Option<i64> {
    let (ms, sig) = token.trim().split_once('.')?;
    let ms: i64 = ms.parse().ok()?;
    constant_time_eq(sig.as_bytes(), mac(secret, ms).as_bytes()).then_some(ms)
}

/// `GET /f/{key}`: the hosted page (framed by the embed script with `?embed=1`).
async fn page(State(st): State<AppState>, Path(key): Path<String>, RawQuery(raw): RawQuery, headers: HeaderMap) -> Response {
    let form = match form_by_key(&st, &key).await {
        Ok(Some(f)) => f,
        Ok(None) => return missing_page(&headers),
        Err(e) => return e.into_response(),
    };
    let q = query_pairs(raw.as_deref());
    let embed = q.get("embed").is_some_and(|v| v == "1");
    let referer = header_str(&headers, header::REFERER).map(str::to_string);
    let own_url = match raw.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => format!("{}/f/{key}?{r}", base_url(&st, &headers)),
        None => format!("{}/f/{key}", base_url(&st, &headers)),
    };
    // Framed, the page's own URL says nothing: the script passes the parent page's.
    let landing = q.get("landing").cloned().or_else(|| if embed { referer.clone() } else { Some(own_url) });
    let referrer = q.get("referrer").cloned().or(if embed { None } else { referer });
    let attribution = Attribution::from_lookup(|name| match name {
        "landing_page" => landing.clone(),
        "referrer" => referrer.clone(),
        other => q.get(other).cloned(),
    });
    let mut p = form.page(embed);
    p.hidden = hidden_fields(&attribution, &started_token(&form.source.secret, st.db.clock.now_ms()), embed);
    form.respond(StatusCode::OK, &p)
}

fn hidden_fields(a: &Attribution, started: &str, embed: bool) -> Vec<(String, String)> {
    let mut out = vec![(STARTED.to_string(), started.to_string())];
    if embed {
        out.push((EMBED.to_string(), "1".into()));
    }
    out.extend(Attribution::FIELDS.iter().filter_map(|f| a.get(f).map(|v| ((*f).to_string(), v.to_string()))));
    out
}

/// A post's fields as name → text: form fields, or a JSON object (flat, or `{"fields", "attribution"}`).
fn body_pairs(body: &[u8], content_type: Option<&str>) -> Result<HashMap<String, String>, Msg> {
    let ct = content_type.unwrap_or("application/x-www-form-urlencoded").to_ascii_lowercase();
    if ct.starts_with("application/json") {
        let Ok(Json::Object(top)) = serde_json::from_slice::<Json>(body) else {
            return Err(IntakeMsg::FormBodyNotObject {}.into());
        };
        let mut out = HashMap::new();
        let mut put = |k: &str, v: &Json| {
            let text = match v {
                Json::String(s) => s.clone(),
                Json::Number(n) => n.to_string(),
                Json::Bool(b) => b.to_string(),
                _ => return,
            };
            out.insert(k.to_string(), text);
        };
        for (k, v) in &top {
            match (k.as_str(), v) {
                ("fields" | "attribution", Json::Object(inner)) => inner.iter().for_each(|(k, v)| put(k, v)),
                _ => put(k, v),
            }
        }
        return Ok(out);
    }
    if ct.starts_with("application/x-www-form-urlencoded") || ct.starts_with("text/plain") {
        let text = std::str::from_utf8(body).map_err(|_| IntakeMsg::BodyNotUtf8 {})?;
        return Ok(form_urlencoded_pairs(text).into_iter().collect());
    }
    Err(IntakeMsg::FormContentType {}.into())
}

fn wants_json(headers: &HeaderMap) -> bool {
    let ct = header_str(headers, header::CONTENT_TYPE).unwrap_or("");
    let accept = header_str(headers, header::ACCEPT).unwrap_or("");
    ct.starts_with("application/json") || (accept.contains("application/json") && !accept.contains("text/html"))
}

fn with_cors(mut resp: Response, origin: Option<&str>) -> Response {
    if let Some(v) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        resp.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        resp.headers_mut().insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    resp
}

/// What a post is, before it is stored.
fn spam_check(form: &Form, pairs: &HashMap<String, String>, sub: &Submission, now: i64) -> Option<Msg> {
    if pairs.get(HONEYPOT).is_some_and(|v| !v.trim().is_empty()) {
        return Some(IntakeMsg::HoneypotFilled {}.into());
    }
    let min = form.config.min_fill_seconds;
    if min <= 0 {
        return None;
    }
    match sub.started_at {
        None => Some(IntakeMsg::NoStartToken { min }.into()),
        Some(s) if now - s < min * 1000 => Some(IntakeMsg::TooFast { ms: now - s, min }.into()),
        Some(_) => None,
    }
}

/// A post in the stored format: the form's own fields, the attribution (the `Referer` is the
/// landing page of a site's own form) and the verified start time.
fn submission_of(form: &Form, pairs: &HashMap<String, String>, headers: &HeaderMap) -> Submission {
    let mut sub = Submission::default();
    for f in &form.config.fields {
        if let Some(v) = pairs.get(&f.name) {
            sub.set(&f.name, v);
        }
    }
    let referer = header_str(headers, header::REFERER).map(str::to_string);
    sub.attribution =
        Attribution::from_lookup(|name| pairs.get(name).cloned().or_else(|| (name == "landing_page").then(|| referer.clone()).flatten()));
    sub.started_at = pairs.get(STARTED).and_then(|t| verify_started(&form.source.secret, t));
    sub
}

/// `POST /f/{key}`: a browser's (or a site script's) submission.
async fn submit(
    State(st): State<AppState>,
    Path(key): Path<String>,
    addr: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match form_by_key(&st, &key).await {
        Ok(Some(f)) => f,
        Ok(None) => return not_found(),
        Err(e) => return e.into_response(),
    };
    let json_client = wants_json(&headers);
    let content_type = header_str(&headers, header::CONTENT_TYPE).map(str::to_string);
    let parsed = body_pairs(&body, content_type.as_deref());
    let embed = parsed.as_ref().is_ok_and(|p| p.get(EMBED).is_some_and(|v| v == "1"));
    let Ok(cors) = origin_check(&st, &headers, &form.config) else {
        if json_client {
            return ApiError::from_msg(StatusCode::FORBIDDEN, "forbidden_origin", IntakeMsg::ForeignOrigin {}).into_response();
        }
        return form.respond(StatusCode::FORBIDDEN, &form.notice(embed, "forms.forbidden_origin"));
    };
    let now = st.db.clock.now_ms();
    let ip = crate::security::client_ip(&headers, addr.map(|Extension(ConnectInfo(a))| a), &st.security);
    if let Some(ip) = ip {
        if let Err(wait) = st.forms.hit(form.source.id, ip, form.config.rate_per_minute, now) {
            let resp = if json_client {
                ApiError::from_msg(StatusCode::TOO_MANY_REQUESTS, "rate_limited", IntakeMsg::TooManySubmissions { wait }).into_response()
            } else {
                form.respond(StatusCode::TOO_MANY_REQUESTS, &form.notice(embed, "forms.rate_limited"))
            };
            let mut resp = with_cors(resp, cors.as_deref());
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait.max(1)));
            return resp;
        }
    }
    let pairs = match parsed {
        Ok(p) => p,
        Err(message) => {
            let resp = if json_client {
                ApiError::from_msg(StatusCode::BAD_REQUEST, "validation", message).with_field("body").into_response()
            } else {
                form.respond(StatusCode::BAD_REQUEST, &form.notice(embed, "forms.bad_body"))
            };
            return with_cors(resp, cors.as_deref());
        }
    };
    let sub = submission_of(&form, &pairs, &headers);
    let (arrival, problems) = match spam_check(&form, &pairs, &sub, now) {
        Some(why) => (Arrival::Rejected(why), Vec::new()),
        None => match st.db.form_problems(&form.source, &sub).await {
            Ok(problems) => match problems.first() {
                None => (Arrival::Pending, problems),
                Some(first) => (Arrival::Invalid(first.clone().into()), problems),
            },
            Err(e) => return ApiError::from(e).into_response(),
        },
    };
    let stored = sub.to_body();
    let ev = NewEvent {
        source: &form.source,
        external_id: None,
        content_type,
        body: &stored,
        remote_addr: ip.map(|i| i.to_string()),
        arrival: arrival.clone(),
    };
    let accepted = match st.db.accept_event(&ev).await {
        Ok(a) => a,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if matches!(arrival, Arrival::Pending) && !accepted.duplicate {
        st.wake_worker();
    }
    let resp = match problems.first() {
        Some(p) if json_client => ApiError::invalid(p.field.clone(), p.msg.clone()).into_response(),
        Some(_) => form.respond(StatusCode::UNPROCESSABLE_ENTITY, &with_errors(&form, &sub, &pairs, &problems, embed)),
        None if json_client => (StatusCode::ACCEPTED, axum::Json(json!({"data": {"status": "received"}}))).into_response(),
        None => match &form.config.redirect_url {
            Some(url) if !embed => Redirect::to(url).into_response(),
            _ => {
                let message = form.config.success_message.clone().unwrap_or_else(|| form.t.t("forms.thanks").to_string());
                form.respond(StatusCode::OK, &FormPage { done: Some(message), show_form: false, ..form.page(embed) })
            }
        },
    };
    with_cors(resp, cors.as_deref())
}

/// The page again with what was typed, and each mistake next to its field.
fn with_errors(form: &Form, sub: &Submission, pairs: &HashMap<String, String>, problems: &[FormProblem], embed: bool) -> FormPage {
    let t = form.t;
    let message = |p: &FormProblem| match p.problem {
        Problem::Required => t.t("forms.err.required"),
        Problem::Contact => t.t("forms.err.contact"),
        Problem::Phone => t.t("forms.err.phone"),
        Problem::Email => t.t("forms.err.email"),
        Problem::Number => t.t("forms.err.number"),
        Problem::Invalid => t.t("forms.err.invalid"),
    };
    let mut page = form.page(embed);
    page.fields = form
        .config
        .fields
        .iter()
        .map(|f| {
            let mut field = page_field(f, sub.value(&f.name).unwrap_or_default().to_string());
            field.error = problems.iter().find(|p| p.field == f.name).map(|p| message(p).to_string());
            field
        })
        .collect();
    if let Some(first) = page.fields.iter_mut().find(|f| f.error.is_some()) {
        first.focus = true;
    }
    // A mistake without a field of its own is told in the notice.
    let loose = problems.iter().find(|p| !form.config.fields.iter().any(|f| f.name == p.field));
    page.notice = Some(loose.map_or_else(|| t.t("forms.check_fields").to_string(), |p| message(p).to_string()));
    // The same start token: the time to fill counts from the first opening.
    let started = pairs.get(STARTED).cloned().unwrap_or_default();
    page.hidden = hidden_fields(&sub.attribution, &started, embed);
    page
}

/// `OPTIONS /f/{key}`: lets a script on an allowed site post JSON.
async fn preflight(State(st): State<AppState>, Path(key): Path<String>, headers: HeaderMap) -> Response {
    let form = match form_by_key(&st, &key).await {
        Ok(Some(f)) => f,
        Ok(None) => return not_found(),
        Err(e) => return e.into_response(),
    };
    match origin_check(&st, &headers, &form.config) {
        Ok(cors) => {
            let mut resp = with_cors(StatusCode::NO_CONTENT.into_response(), cors.as_deref());
            let h = resp.headers_mut();
            h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST"));
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type, accept"));
            h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
            resp
        }
        Err(()) => ApiError::from_msg(StatusCode::FORBIDDEN, "forbidden_origin", IntakeMsg::ForeignOrigin {}).into_response(),
    }
}

/// `GET /f/{key}/embed.js`: puts the form in an iframe where the script tag is, passing the parent
/// page's address, referrer and UTM tags, and follows the form's height.
async fn embed_js(State(st): State<AppState>, Path(key): Path<String>, headers: HeaderMap) -> Response {
    let form = match form_by_key(&st, &key).await {
        Ok(Some(f)) => f,
        Ok(None) => {
            return (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], "/* no such form */")
                .into_response();
        }
        Err(e) => return e.into_response(),
    };
    let base = base_url(&st, &headers);
    let lit = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let src = format!("{base}/f/{}?embed=1", form.source.hook_key);
    let script = format!(
        r#"(function () {{
  var src = {src}, key = {key}, title = {title};
  var here = window.location, query = new URLSearchParams(here.search), p = new URLSearchParams();
  p.set("landing", here.href);
  if (document.referrer) p.set("referrer", document.referrer);
  ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"].forEach(function (k) {{
    var v = query.get(k); if (v) p.set(k, v);
  }});
  var frame = document.createElement("iframe");
  frame.src = src + "&" + p.toString();
  frame.title = title;
  frame.setAttribute("loading", "lazy");
  frame.style.cssText = "display:block;width:100%;max-width:560px;height:520px;border:0;overflow:hidden";
  var me = document.currentScript;
  if (me && me.parentNode) me.parentNode.insertBefore(frame, me.nextSibling); else document.body.appendChild(frame);
  var origin = new URL(src).origin;
  window.addEventListener("message", function (e) {{
    if (e.origin !== origin || e.source !== frame.contentWindow) return;
    var d = e.data;
    if (d && d.poryadokForm === key && typeof d.height === "number") frame.style.height = Math.ceil(d.height) + "px";
  }});
}})();
"#,
        src = lit(&src),
        key = lit(&form.source.hook_key),
        title = lit(&form.config.title),
    );
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], script).into_response()
}

/// A web form's signed server-to-server post, stored in the forms' one format; a body that is not
/// a submission is stored as it came, and fails with its error.
pub fn normalised_signed(body: &Bytes) -> Bytes {
    match Submission::from_body(body) {
        Ok(s) => Bytes::from(s.to_body()),
        Err(_) => body.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_token_cannot_be_forged() {
        let token = started_token("whsec_x", 1_000);
        assert_eq!(verify_started("whsec_x", &token), Some(1_000));
        assert_eq!(verify_started("whsec_y", &token), None);
        assert_eq!(verify_started("whsec_x", &token.replace("1000.", "900.")), None);
        assert_eq!(verify_started("whsec_x", "junk"), None);
    }

    #[test]
    fn the_rate_window_resets_after_a_minute() {
        let g = FormGuard::default();
        let ip: IpAddr = [10, 0, 0, 1].into();
        assert!(g.hit(1, ip, 2, 0).is_ok() && g.hit(1, ip, 2, 10).is_ok());
        assert_eq!(g.hit(1, ip, 2, 20_000), Err(40));
        assert!(g.hit(2, ip, 2, 20_000).is_ok(), "another form counts apart");
        assert!(g.hit(1, ip, 2, 60_000).is_ok());
    }

    /// Every key this module shows exists in both languages (the catalogue test reads only `src/ui`).
    #[test]
    fn every_key_used_here_exists() {
        let src = include_str!("forms.rs");
        for marker in ["t.t(\"", "notice(embed, \""] {
            for (i, _) in src.match_indices(marker) {
                let rest = &src[i + marker.len()..];
                let key = &rest[..rest.find('"').unwrap_or(0)];
                for lang in [Lang::Ru, Lang::En] {
                    assert_ne!(T::new(lang).t(key), key, "missing {key}");
                }
            }
        }
    }
}
