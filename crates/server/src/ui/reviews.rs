//! Call quality review in the web UI (issue 22): the queue (`/reviews`, a head filters by status,
//! manager and week and draws a week's sample; a manager sees their own results), the review
//! screen (`/reviews/{id}`: the recording's player, the deal and the client beside it, the
//! scorecard by the call's steps, a comment pinned to a moment of the recording, the dispute and
//! its resolution) and the report (`/reviews/report`: per manager per week and month, per
//! criterion weakest first, the trend chart, CSV and XLSX).
//!
//! The pages only read and call the store's review functions; the score, the sample and every
//! refusal are decided there. The "pin to the current moment" button and the seek links are
//! `assets/reviews.js`; without it the moment is typed as `mm:ss`.
use super::i18n::T;
use super::kit::{download, go_to};
use super::reports::Bar;
use super::{messages, render_status, OrUi, Ui, UiResult};
use crate::report::{Cell, Table};
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use poryadok_core::domain::Role;
use poryadok_core::review::{Criterion, STEPS};
use poryadok_store::reviews::{last_week, parse_week, playable, week_key, CallReview, ReviewReport};
use poryadok_store::StoreError;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reviews", get(queue))
        .route("/reviews/sample", post(sample))
        .route("/reviews/settings", post(save_settings))
        .route("/reviews/report", get(report_page))
        .route("/reviews/{id}", get(review_page))
        .route("/reviews/{id}/score", post(score))
        .route("/reviews/{id}/dispute", post(dispute))
        .route("/reviews/{id}/resolve", post(resolve))
}

fn is_head(ui: &Ui) -> bool {
    matches!(ui.actor.caller.role, Role::Admin | Role::Head)
}

fn pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn get_of<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, v)| k == key && !v.trim().is_empty()).map(|(_, v)| v.trim())
}

/// A moment of the recording as `m:ss` (`h:mm:ss` past an hour).
pub fn moment(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// `mm:ss`, `h:mm:ss` or plain seconds; `None` for anything else.
pub fn parse_moment(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.trim().split(':').collect();
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 6) {
        return None;
    }
    let nums: Vec<i64> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    if nums.iter().skip(1).any(|n| *n >= 60) {
        return None;
    }
    Some(nums.iter().fold(0, |acc, n| acc * 60 + n))
}

fn status_label(t: &T, status: &str) -> String {
    t.t(&format!("reviews.status.{status}")).to_string()
}

fn status_class(status: &str) -> &'static str {
    match status {
        "queued" => "info",
        "disputed" => "warn",
        "resolved" | "reviewed" => "ok",
        _ => "",
    }
}

fn call_time(ui: &Ui, r: &CallReview) -> String {
    r.call_at.as_deref().and_then(|s| poryadok_core::types::parse_timestamp(s).ok()).map(|ms| ui.fmt().datetime(ms)).unwrap_or_default()
}

fn pct(p: f64) -> String {
    let s = format!("{p:.1}");
    format!("{} %", s.strip_suffix(".0").unwrap_or(&s))
}

// ---------------------------------------------------------------------------------------------
// The queue.

pub struct RowView {
    pub href: String,
    pub week: String,
    pub manager: String,
    pub direction: String,
    pub when: String,
    pub client: String,
    pub status: String,
    pub status_class: &'static str,
    pub score: String,
}

#[derive(Template)]
#[template(path = "reviews.html")]
struct QueuePage {
    ctx: super::Ctx,
    t: T,
    head: bool,
    rows: Vec<RowView>,
    status: String,
    manager: i64,
    week: String,
    managers: Vec<(i64, String)>,
    statuses: Vec<(&'static str, String)>,
    sample_week: String,
    /// The sampling settings' form (a head's), as saved or as typed when refused.
    settings: SettingsView,
    notice: String,
    error: String,
}

/// The sampling settings as the form shows them.
#[derive(Default)]
pub struct SettingsView {
    pub inbound: String,
    pub outbound: String,
    pub min_seconds: String,
    pub lost_deals: bool,
    /// The field a refusal names (`inbound_pct`…), with its message.
    pub error_field: String,
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        v.to_string().replace('.', ",")
    }
}

async fn queue(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> UiResult {
    let p = pairs(q.as_deref());
    let mut notice = get_of(&p, "sampled").map(|s| ui.t.fmt("reviews.sampled", &[("n", s)])).unwrap_or_default();
    if get_of(&p, "saved").is_some() {
        notice = ui.t.t("reviews.settings_saved").to_string();
    }
    queue_view(&st, &ui, &p, notice, String::new(), StatusCode::OK, None).await
}

/// `POST /reviews/settings` (inbound_pct, outbound_pct, min_seconds, lost_deals): the sampling
/// settings; a refusal shows beside the form with what was typed.
async fn save_settings(State(st): State<AppState>, ui: Ui, body: Bytes) -> UiResult {
    let f = pairs(std::str::from_utf8(&body).ok());
    if !ui.actor.caller.role.can_configure_regulation() {
        return Err(ui.forbidden());
    }
    let text = |k: &str| get_of(&f, k).unwrap_or("").trim().to_string();
    // A number as typed (`10`, `2,5`); anything else goes to the store as text and is refused there.
    let num = |k: &str| {
        let t = text(k).replace(',', ".");
        t.parse::<f64>().map(|n| json!(n)).unwrap_or_else(|_| json!(t))
    };
    let seconds = text("min_seconds");
    let body = json!({
        "inbound_pct": num("inbound_pct"),
        "outbound_pct": num("outbound_pct"),
        "min_seconds": seconds.parse::<i64>().map(|n| json!(n)).unwrap_or_else(|_| json!(seconds)),
        "lost_deals": get_of(&f, "lost_deals").is_some(),
    });
    match st.db.put_review_settings(&ui.actor, &body).await {
        Ok(_) => Ok(go_to(&ui, "/reviews?saved=1")),
        Err(e @ StoreError::Validation(_)) => {
            let typed = SettingsView {
                inbound: text("inbound_pct"),
                outbound: text("outbound_pct"),
                min_seconds: seconds,
                lost_deals: get_of(&f, "lost_deals").is_some(),
                error_field: e.field().unwrap_or_default().to_string(),
            };
            let error = messages::refusal_line(&ui.t, &e).unwrap_or_default();
            queue_view(&st, &ui, &[], String::new(), error, StatusCode::UNPROCESSABLE_ENTITY, Some(typed)).await
        }
        Err(e) => Err(ui.fail(e)),
    }
}

async fn queue_view(
    st: &AppState,
    ui: &Ui,
    p: &[(String, String)],
    notice: String,
    error: String,
    code: StatusCode,
    typed: Option<SettingsView>,
) -> UiResult {
    let status = get_of(p, "status").filter(|s| ["queued", "reviewed", "disputed", "resolved"].contains(s)).map(str::to_string);
    let manager = get_of(p, "manager_id").and_then(|m| m.parse::<i64>().ok());
    let week = get_of(p, "week").filter(|w| parse_week(w).is_some()).map(str::to_string);
    let list = st.db.reviews(&ui.actor, status.as_deref(), manager, week.as_deref()).await.or_ui(ui)?;
    let head = is_head(ui);
    let mut managers: Vec<(i64, String)> =
        if head { crate::report::owners(&st.db, &ui.actor).await.or_ui(ui)?.into_iter().collect() } else { Vec::new() };
    managers.sort_by(|a, b| a.1.cmp(&b.1));
    let rows = list
        .iter()
        .map(|r| RowView {
            href: format!("/reviews/{}", r.id),
            week: r.week.clone(),
            manager: r.manager_name.clone(),
            direction: ui.t.t(&format!("reviews.dir.{}", r.direction)).to_string(),
            when: call_time(ui, r),
            client: r.person_name.clone().or_else(|| r.phone.clone()).unwrap_or_default(),
            status: status_label(&ui.t, &r.status),
            status_class: status_class(&r.status),
            score: r.score_pct.map(pct).unwrap_or_default(),
        })
        .collect();
    let statuses = ["queued", "reviewed", "disputed", "resolved"].into_iter().map(|s| (s, status_label(&ui.t, s))).collect();
    let page = QueuePage {
        ctx: ui.ctx("reviews", ui.t.t("reviews.title").to_string()),
        t: ui.t,
        head,
        rows,
        status: status.unwrap_or_default(),
        manager: manager.unwrap_or(0),
        week: week.unwrap_or_default(),
        managers,
        statuses,
        sample_week: week_key(last_week(&ui.actor.ws.timezone, st.db.clock.now_ms())),
        settings: match typed {
            Some(t) => t,
            None if head => {
                let s = st.db.review_settings(&ui.actor).await.or_ui(ui)?;
                SettingsView {
                    inbound: number(s.inbound_pct),
                    outbound: number(s.outbound_pct),
                    min_seconds: s.min_seconds.to_string(),
                    lost_deals: s.lost_deals,
                    error_field: String::new(),
                }
            }
            None => SettingsView::default(),
        },
        notice,
        error,
    };
    Ok(render_status(code, &page))
}

/// `POST /reviews/sample` (week): draws the week's sample, then the queue of that week.
async fn sample(State(st): State<AppState>, ui: Ui, body: Bytes) -> UiResult {
    let f = pairs(std::str::from_utf8(&body).ok());
    if !ui.actor.caller.role.can_configure_regulation() {
        return Err(ui.forbidden());
    }
    let typed = get_of(&f, "week").unwrap_or("").to_string();
    let Some(monday) = parse_week(&typed) else {
        let e = StoreError::invalid("week", poryadok_core::msg::ReviewMsg::Week { s: typed.clone() });
        let error = messages::refusal_line(&ui.t, &e).unwrap_or_default();
        return queue_view(&st, &ui, &[], String::new(), error, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    };
    let r = st.db.sample_week(&ui.actor, monday).await.or_ui(&ui)?;
    Ok(go_to(&ui, &format!("/reviews?week={}&sampled={}", r.week, r.queued)))
}

// ---------------------------------------------------------------------------------------------
// The review screen.

pub struct CritView {
    pub key: String,
    pub title: String,
    pub critical: bool,
    pub weight: i64,
    /// The options, each with whether it is the chosen one.
    pub options: Vec<(i64, bool)>,
    /// The points given, `1 / 2`, once scored.
    pub given: String,
    pub failed: bool,
}

pub struct StepView {
    pub title: String,
    pub items: Vec<CritView>,
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    ctx: super::Ctx,
    t: T,
    rv: CallReview,
    direction: String,
    when: String,
    duration: String,
    recording: String,
    steps: Vec<StepView>,
    score: String,
    comment_moment: String,
    comment_second: i64,
    can_score: bool,
    can_dispute: bool,
    can_resolve: bool,
    status: String,
    status_class: &'static str,
    resolution: String,
    saved: String,
    error: String,
    typed_comment: String,
    typed_moment: String,
    typed_text: String,
}

/// What a refused form had typed, shown again beside the message.
#[derive(Default)]
struct Typed {
    points: HashMap<String, i64>,
    comment: String,
    moment: String,
    text: String,
    error: String,
}

async fn review_page(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, RawQuery(q): RawQuery) -> UiResult {
    let saved = if get_of(&pairs(q.as_deref()), "saved").is_some() { ui.t.t("reviews.saved").to_string() } else { String::new() };
    review_view(&st, &ui, id, saved, None, StatusCode::OK).await
}

fn steps_of(t: &T, criteria: &[Criterion], given: &HashMap<String, i64>, scored: bool, failed: &[String]) -> Vec<StepView> {
    STEPS
        .iter()
        .filter_map(|step| {
            let items: Vec<CritView> = criteria
                .iter()
                .filter(|c| c.step == *step)
                .map(|c| {
                    let chosen = given.get(&c.key).copied();
                    CritView {
                        key: c.key.clone(),
                        title: c.title.clone(),
                        critical: c.critical,
                        weight: c.weight,
                        options: c.points.iter().map(|p| (*p, chosen == Some(*p))).collect(),
                        given: if scored { chosen.map(|p| format!("{p} / {}", c.max())).unwrap_or_default() } else { String::new() },
                        failed: failed.contains(&c.key),
                    }
                })
                .collect();
            (!items.is_empty()).then(|| StepView { title: t.t(&format!("reviews.step.{step}")).to_string(), items })
        })
        .collect()
}

async fn review_view(st: &AppState, ui: &Ui, id: i64, saved: String, typed: Option<Typed>, code: StatusCode) -> UiResult {
    let r = st.db.review(&ui.actor, id).await.or_ui(ui)?;
    let criteria = st.db.review_criteria(&ui.actor, &r).await.or_ui(ui)?;
    let scored = r.status != "queued";
    let typed = typed.unwrap_or_default();
    let mut given: HashMap<String, i64> =
        r.points.as_object().map(|o| o.iter().filter_map(|(k, v)| Some((k.clone(), v.as_i64()?))).collect()).unwrap_or_default();
    given.extend(typed.points.clone());
    let failed: Vec<String> =
        r.failed_critical.as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default();
    let head = is_head(ui);
    let steps = steps_of(&ui.t, &criteria, &given, scored, &failed);
    let page = ReviewPage {
        ctx: ui.ctx("reviews", ui.t.t("reviews.review_title").to_string()),
        t: ui.t,
        when: call_time(ui, &r),
        direction: ui.t.t(&format!("reviews.dir.{}", r.direction)).to_string(),
        duration: r.call_seconds.map(moment).unwrap_or_default(),
        recording: r.recording_url.clone().filter(|u| playable(u)).unwrap_or_default(),
        steps,
        score: r.score_pct.filter(|_| scored).map(pct).unwrap_or_default(),
        comment_moment: r.comment_second.map(moment).unwrap_or_default(),
        comment_second: r.comment_second.unwrap_or(0),
        can_score: head && r.status == "queued",
        can_dispute: r.status == "reviewed" && r.manager_id == ui.actor.user_id(),
        can_resolve: head && r.status == "disputed",
        status: status_label(&ui.t, &r.status),
        status_class: status_class(&r.status),
        resolution: r.resolution.as_deref().map(|x| ui.t.t(&format!("reviews.resolution.{x}")).to_string()).unwrap_or_default(),
        saved,
        error: typed.error,
        typed_comment: typed.comment,
        typed_moment: typed.moment,
        typed_text: typed.text,
        rv: r,
    };
    Ok(render_status(code, &page))
}

/// The points of a scorecard form (`p.<key>` = n), as the API takes them.
fn points_of(f: &[(String, String)]) -> (Value, HashMap<String, i64>) {
    let mut o = Map::new();
    let mut typed = HashMap::new();
    for (k, v) in f {
        if let Some(key) = k.strip_prefix("p.") {
            match v.trim().parse::<i64>() {
                Ok(n) => {
                    o.insert(key.to_string(), json!(n));
                    typed.insert(key.to_string(), n);
                }
                Err(_) => {
                    o.insert(key.to_string(), json!(v));
                }
            }
        }
    }
    (Value::Object(o), typed)
}

/// After a refusal: the page again with what was typed and the message beside the form.
async fn refused(st: &AppState, ui: &Ui, id: i64, e: StoreError, mut typed: Typed) -> UiResult {
    // A criterion's refusal names it by its title, the form's other fields by their labels.
    let e = match e {
        StoreError::Validation(mut fe) => {
            let label = match fe.field.strip_prefix("points.") {
                Some(key) => {
                    let r = st.db.review(&ui.actor, id).await.or_ui(ui)?;
                    let criteria = st.db.review_criteria(&ui.actor, &r).await.or_ui(ui)?;
                    criteria.into_iter().find(|c| c.key == key).map(|c| c.title)
                }
                None => match fe.field.as_str() {
                    "comment_second" => Some(ui.t.t("reviews.moment").to_string()),
                    "text" => Some(ui.t.t("reviews.dispute").to_string()),
                    "resolution" => Some(ui.t.t("reviews.resolution").to_string()),
                    "points" => Some(ui.t.t("reviews.scorecard").to_string()),
                    _ => None,
                },
            };
            fe.label = label.or(fe.label);
            StoreError::Validation(fe)
        }
        other => other,
    };
    match e {
        StoreError::Validation(_) | StoreError::Conflict { .. } => {
            typed.error = messages::refusal_line(&ui.t, &e).unwrap_or_default();
            review_view(st, ui, id, String::new(), Some(typed), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        e => Err(ui.fail(e)),
    }
}

/// `POST /reviews/{id}/score`: `p.<key>`, `comment`, `moment` (`mm:ss`).
async fn score(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let f = pairs(std::str::from_utf8(&body).ok());
    let (points, typed_points) = points_of(&f);
    let comment = get_of(&f, "comment").unwrap_or("").to_string();
    let typed_moment = get_of(&f, "moment").unwrap_or("").to_string();
    let typed = Typed { points: typed_points, comment: comment.clone(), moment: typed_moment.clone(), ..Default::default() };
    let mut body = json!({"points": points});
    if !comment.is_empty() {
        body["comment"] = json!(comment);
    }
    if !typed_moment.is_empty() {
        match parse_moment(&typed_moment) {
            Some(s) => body["comment_second"] = json!(s),
            None => {
                let e = StoreError::invalid("comment_second", poryadok_core::msg::ReviewMsg::CommentSecond {});
                return refused(&st, &ui, id, e, typed).await;
            }
        }
    }
    match st.db.score_review(&ui.actor, id, &body).await {
        Ok(_) => Ok(go_to(&ui, &format!("/reviews/{id}?saved=1"))),
        Err(e) => refused(&st, &ui, id, e, typed).await,
    }
}

/// `POST /reviews/{id}/dispute`: `text` (the call's manager, once).
async fn dispute(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let f = pairs(std::str::from_utf8(&body).ok());
    let text = get_of(&f, "text").unwrap_or("").to_string();
    match st.db.dispute_review(&ui.actor, id, &json!({"text": text})).await {
        Ok(_) => Ok(go_to(&ui, &format!("/reviews/{id}?saved=1"))),
        Err(e) => refused(&st, &ui, id, e, Typed { text, ..Default::default() }).await,
    }
}

/// `POST /reviews/{id}/resolve`: `resolution` (upheld, changed), `p.<key>` when changed, `comment`.
async fn resolve(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let f = pairs(std::str::from_utf8(&body).ok());
    let (points, typed_points) = points_of(&f);
    let comment = get_of(&f, "comment").unwrap_or("").to_string();
    let resolution = get_of(&f, "resolution").unwrap_or("");
    let mut body = json!({"resolution": resolution, "comment": comment});
    if resolution == "changed" {
        body["points"] = points;
    }
    match st.db.resolve_review(&ui.actor, id, &body).await {
        Ok(_) => Ok(go_to(&ui, &format!("/reviews/{id}?saved=1"))),
        Err(e) => refused(&st, &ui, id, e, Typed { points: typed_points, comment, ..Default::default() }).await,
    }
}

// ---------------------------------------------------------------------------------------------
// The report.

pub struct TrendRow {
    pub name: String,
    pub cells: Vec<String>,
}

/// A cell of the manager × criterion table: the average score, the share given the maximum,
/// the number of reviews (all empty without reviews).
pub struct CriterionCellView {
    pub score: String,
    pub passed: String,
    pub reviews: i64,
}

pub struct CriterionRow {
    pub name: String,
    pub reviews: i64,
    pub cells: Vec<CriterionCellView>,
}

#[derive(Template)]
#[template(path = "reviews_report.html")]
struct ReportPage {
    ctx: super::Ctx,
    t: T,
    from: String,
    to: String,
    bars: Vec<Bar>,
    chart_label: String,
    criteria: Vec<Bar>,
    criteria_label: String,
    weeks: Vec<String>,
    by_week: Vec<TrendRow>,
    months: Vec<String>,
    by_month: Vec<TrendRow>,
    managers: Vec<(String, i64, String)>,
    csv_href: String,
    xlsx_href: String,
    /// The manager × criterion table: its column titles and rows; its own CSV and XLSX.
    criterion_heads: Vec<String>,
    criterion_rows: Vec<CriterionRow>,
    criteria_csv_href: String,
    criteria_xlsx_href: String,
}

/// The report's period from `from`/`to` (ISO weeks; default: the last four weeks).
pub fn period_of(tz: &str, now_ms: i64, from: Option<&str>, to: Option<&str>) -> Result<(String, String), StoreError> {
    let today = poryadok_core::zone::local(tz, now_ms).date();
    let week = |s: &str, field: &str| {
        parse_week(s).map(week_key).ok_or_else(|| StoreError::invalid(field, poryadok_core::msg::ReviewMsg::Week { s: s.to_string() }))
    };
    let from = match from {
        Some(f) => week(f, "from")?,
        None => week_key(today - time::Duration::days(28)),
    };
    let to = match to {
        Some(t) => week(t, "to")?,
        None => week_key(today),
    };
    Ok((from, to))
}

fn matrix(lines: &[poryadok_store::reviews::PeriodLine]) -> (Vec<String>, Vec<TrendRow>) {
    let mut periods: Vec<String> = lines.iter().map(|l| l.period.clone()).collect();
    periods.sort();
    periods.dedup();
    let mut names: Vec<(i64, String)> = lines.iter().map(|l| (l.manager_id, l.manager_name.clone())).collect();
    names.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    names.dedup();
    let rows = names
        .into_iter()
        .map(|(id, name)| TrendRow {
            name,
            cells: periods
                .iter()
                .map(|p| {
                    lines
                        .iter()
                        .find(|l| l.manager_id == id && &l.period == p)
                        .map(|l| format!("{} ({})", pct(l.score_pct), l.reviews))
                        .unwrap_or_default()
                })
                .collect(),
        })
        .collect();
    (periods, rows)
}

async fn report_page(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> UiResult {
    let p = pairs(q.as_deref());
    let (from, to) = period_of(&ui.actor.ws.timezone, st.db.clock.now_ms(), get_of(&p, "from"), get_of(&p, "to")).or_ui(&ui)?;
    let report = st.db.review_report(&ui.actor, &from, &to).await.or_ui(&ui)?;
    let by_criterion = get_of(&p, "by") == Some("criterion");
    if let Some(format) = get_of(&p, "format").filter(|f| ["csv", "xlsx"].contains(f)) {
        return export(&report, &ui.t, format, by_criterion, &from).map_err(|e| ui.fail(e));
    }
    let href = |fmt: &str| format!("/reviews/report?from={from}&to={to}&format={fmt}");
    let criteria_href = |fmt: &str| format!("/reviews/report?from={from}&to={to}&by=criterion&format={fmt}");
    let bars = report
        .weeks
        .iter()
        .map(|w| Bar {
            label: w.label.clone(),
            text: format!("{} · {}", pct(w.score_pct), ui.t.fmt("reviews.n_reviews", &[("n", &w.reviews.to_string())])),
            width: w.score_pct,
            previous: None,
            previous_text: String::new(),
            href: format!("/reviews?week={}", w.key),
        })
        .collect();
    let criteria = report
        .criteria
        .iter()
        .map(|c| Bar {
            label: c.label.clone(),
            text: pct(c.score_pct),
            width: c.score_pct,
            previous: None,
            previous_text: String::new(),
            href: String::from("/reviews?status=reviewed"),
        })
        .collect();
    let (weeks, by_week) = matrix(&report.manager_weeks);
    let (months, by_month) = matrix(&report.manager_months);
    let fmt = ui.fmt();
    let months = months.iter().map(|m| fmt.month(m)).collect();
    let managers = report.managers.iter().map(|m| (m.label.clone(), m.reviews, pct(m.score_pct))).collect();
    let criterion_heads = report.criterion_columns.iter().map(|c| c.title.clone()).collect();
    let criterion_rows = report
        .manager_criteria
        .iter()
        .map(|m| CriterionRow {
            name: m.manager_name.clone(),
            reviews: m.reviews,
            cells: m
                .cells
                .iter()
                .map(|c| CriterionCellView {
                    score: c.score_pct.map(pct).unwrap_or_default(),
                    passed: c.passed_pct.map(pct).unwrap_or_default(),
                    reviews: c.reviews,
                })
                .collect(),
        })
        .collect();
    let page = ReportPage {
        ctx: ui.ctx("reviews", ui.t.t("reviews.report_title").to_string()),
        t: ui.t,
        csv_href: href("csv"),
        xlsx_href: href("xlsx"),
        criterion_heads,
        criterion_rows,
        criteria_csv_href: criteria_href("csv"),
        criteria_xlsx_href: criteria_href("xlsx"),
        from,
        to,
        bars,
        chart_label: ui.t.t("reviews.trend").to_string(),
        criteria,
        criteria_label: ui.t.t("reviews.by_criterion").to_string(),
        weeks,
        by_week,
        months,
        by_month,
        managers,
    };
    Ok(render_status(StatusCode::OK, &page))
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The report as a download: every table (one CSV, or a workbook of a sheet per table, the
/// manager × criterion table among them), or with `by_criterion` that table alone.
pub fn export(r: &ReviewReport, t: &T, format: &str, by_criterion: bool, from: &str) -> Result<axum::response::Response, StoreError> {
    let name = if by_criterion { format!("call-reviews-criteria-{from}") } else { format!("call-reviews-{from}") };
    if format == "csv" {
        let text = if by_criterion { criteria_table(r, t).csv() } else { report_csv(r, t) };
        return Ok(download(text.into_bytes(), "text/csv; charset=utf-8", &format!("{name}.csv")));
    }
    let bytes = if by_criterion {
        crate::report::workbook(&[(t.t("reviews.sheet.manager_criteria").to_string(), &criteria_table(r, t))])
    } else {
        report_xlsx(r, t)
    }
    .map_err(|e| StoreError::Internal(e.to_string()))?;
    Ok(download(bytes, XLSX, &format!("{name}.xlsx")))
}

/// The manager × criterion table: a row per manager — their reviews, then for each criterion
/// the average score, the share of reviews given its maximum, and how many reviews scored it.
pub fn criteria_table(r: &ReviewReport, t: &T) -> Table {
    let mut heads = vec![t.t("reviews.col.manager").to_string(), t.t("reviews.col.reviews").to_string()];
    for c in &r.criterion_columns {
        for k in ["reviews.col.crit_score", "reviews.col.crit_passed", "reviews.col.crit_reviews"] {
            heads.push(t.fmt(k, &[("criterion", c.title.as_str())]));
        }
    }
    let mut table = Table::new(heads);
    table.rows = r
        .manager_criteria
        .iter()
        .map(|m| {
            let mut row = vec![Cell::Text(m.manager_name.clone()), Cell::Int(m.reviews)];
            for c in &m.cells {
                row.push(Cell::Pct(c.score_pct.map(|p| p / 100.0)));
                row.push(Cell::Pct(c.passed_pct.map(|p| p / 100.0)));
                row.push(Cell::Int(c.reviews));
            }
            row
        })
        .collect();
    table
}

/// The report's tables: per manager, per manager per week, per manager per month, per
/// criterion (weakest first) and the team per week. Shares are fractions (the tables' percent).
pub fn report_tables(r: &ReviewReport, t: &T) -> Vec<(String, Table)> {
    let h = |k: &str| t.t(&format!("reviews.col.{k}")).to_string();
    let share = |p: f64| Cell::Pct(Some(p / 100.0));
    let mut managers = Table::new(vec![h("manager"), h("reviews"), h("score")]);
    managers.rows = r.managers.iter().map(|m| vec![Cell::Text(m.label.clone()), Cell::Int(m.reviews), share(m.score_pct)]).collect();
    let period = |lines: &[poryadok_store::reviews::PeriodLine], head: &str| {
        let mut tb = Table::new(vec![h("manager"), h(head), h("reviews"), h("score")]);
        tb.rows = lines
            .iter()
            .map(|l| vec![Cell::Text(l.manager_name.clone()), Cell::Text(l.period.clone()), Cell::Int(l.reviews), share(l.score_pct)])
            .collect();
        tb
    };
    let mut criteria = Table::new(vec![h("criterion"), h("reviews"), h("score")]);
    criteria.rows = r.criteria.iter().map(|c| vec![Cell::Text(c.label.clone()), Cell::Int(c.reviews), share(c.score_pct)]).collect();
    let mut weeks = Table::new(vec![h("week"), h("reviews"), h("score")]);
    weeks.rows = r.weeks.iter().map(|w| vec![Cell::Text(w.label.clone()), Cell::Int(w.reviews), share(w.score_pct)]).collect();
    vec![
        (t.t("reviews.sheet.managers").to_string(), managers),
        (t.t("reviews.sheet.manager_weeks").to_string(), period(&r.manager_weeks, "week")),
        (t.t("reviews.sheet.manager_months").to_string(), period(&r.manager_months, "month")),
        (t.t("reviews.sheet.criteria").to_string(), criteria),
        (t.t("reviews.sheet.weeks").to_string(), weeks),
    ]
}

/// One CSV of every table: a first column names the part (managers, a manager's week or month,
/// a criterion, the team's week).
pub fn report_csv(r: &ReviewReport, t: &T) -> String {
    let h = |k: &str| t.t(&format!("reviews.col.{k}")).to_string();
    let mut all = Table::new(vec![h("part"), h("name"), h("period"), h("reviews"), h("score")]);
    for (part, table) in report_tables(r, t) {
        let with_period = table.headers.len() == 4;
        for row in table.rows {
            let mut cells = row.into_iter();
            let name = cells.next().unwrap_or(Cell::Empty);
            let period = if with_period { cells.next().unwrap_or(Cell::Empty) } else { Cell::Empty };
            let mut line = vec![Cell::Text(part.clone()), name, period];
            line.extend(cells);
            all.rows.push(line);
        }
    }
    all.csv()
}

pub fn report_xlsx(r: &ReviewReport, t: &T) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut tables = report_tables(r, t);
    tables.push((t.t("reviews.sheet.manager_criteria").to_string(), criteria_table(r, t)));
    let sheets: Vec<(String, &Table)> = tables.iter().map(|(n, tb)| (n.clone(), tb)).collect();
    crate::report::workbook(&sheets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_read_and_print() {
        assert_eq!(moment(42), "00:42");
        assert_eq!(moment(125), "02:05");
        assert_eq!(moment(3725), "1:02:05");
        assert_eq!(parse_moment("02:05"), Some(125));
        assert_eq!(parse_moment("1:02:05"), Some(3725));
        assert_eq!(parse_moment("90"), Some(90));
        assert_eq!(parse_moment("1:75"), None);
        assert_eq!(parse_moment("a:10"), None);
        assert_eq!(parse_moment(""), None);
    }
}
