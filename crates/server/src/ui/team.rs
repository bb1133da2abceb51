//! The team's schedule (`/team?week=2026-12-07`): a week grid of users × days with each one's
//! shifts, absences and who is on shift now; everyone reads it. A head of sales or an
//! administrator opens a user (`/team/users/{id}`) to set the weekly shifts (a field per weekday:
//! `09:00-13:00, 14:00-18:00`) and to add or remove a vacation, sick leave, day off or extra shift.
use super::i18n::T;
use super::{messages, render_status, OrUi, Ui, UiResult};
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use poryadok_core::schedule::{self, parse_date};
use poryadok_store::StoreError;
use serde_json::{json, Value};
use time::Duration;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/team", get(week))
        .route("/team/users/{id}", get(user_page).post(save_shifts))
        .route("/team/users/{id}/exceptions", post(add_exception))
        .route("/team/users/{id}/exceptions/{eid}/delete", post(delete_exception))
}

pub struct CellView {
    pub text: String,
    pub class: &'static str,
}

pub struct RowView {
    pub name: String,
    pub href: String,
    pub on_shift: bool,
    pub cells: Vec<CellView>,
}

#[derive(Template)]
#[template(path = "team.html")]
struct WeekPage {
    ctx: super::Ctx,
    t: T,
    title: String,
    heads: Vec<String>,
    rows: Vec<RowView>,
    prev_href: String,
    next_href: String,
    editable: bool,
}

fn query_of(raw: Option<&str>, key: &str) -> Option<String> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes()).find(|(k, _)| k == key).map(|(_, v)| v.into_owned())
}

fn absence_label(t: &T, kind: &str) -> String {
    t.t(&format!("team.kind.{kind}")).to_string()
}

/// `GET /team?week=YYYY-MM-DD`: the week holding that day (this week by default).
async fn week(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> UiResult {
    let day = query_of(q.as_deref(), "week").and_then(|d| parse_date(&d));
    let cal = st.db.team_calendar(&ui.actor, day).await.or_ui(&ui)?;
    let now = st.db.team_on_shift(&ui.actor).await.or_ui(&ui)?;
    let monday = parse_date(&cal.from).ok_or_else(|| ui.fail(StoreError::Internal("week".into())))?;
    let editable = ui.actor.caller.role.can_configure_regulation();
    let heads = cal
        .days
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{} {}", ui.t.t(&format!("team.day.{}", i + 1)), d.get(8..10).unwrap_or("").trim_start_matches('0')))
        .collect();
    let rows = cal
        .rows
        .iter()
        .map(|r| RowView {
            name: r.name.clone(),
            href: if editable { format!("/team/users/{}", r.user_id) } else { String::new() },
            on_shift: now.iter().any(|m| m.user_id == r.user_id && m.on_shift),
            cells: r
                .days
                .iter()
                .map(|c| match &c.absent {
                    Some(k) => CellView { text: absence_label(&ui.t, k), class: "absent" },
                    None if c.hours.is_empty() => CellView { text: "—".into(), class: "off" },
                    None => CellView { text: c.hours.join(", "), class: "on" },
                })
                .collect(),
        })
        .collect();
    let title = ui.t.fmt("team.week_of", &[("day", cal.from.as_str())]);
    let link = |d: time::Date| format!("/team?week={}", schedule::date_text(d));
    let page = WeekPage {
        ctx: ui.ctx("team", ui.t.t("team.title").to_string()),
        t: ui.t,
        title,
        heads,
        rows,
        prev_href: link(monday - Duration::days(7)),
        next_href: link(monday + Duration::days(7)),
        editable,
    };
    Ok(render_status(StatusCode::OK, &page))
}

pub struct ExceptionView {
    pub id: i64,
    pub kind: String,
    pub dates: String,
    pub hours: String,
}

#[derive(Template)]
#[template(path = "team_user.html")]
struct UserPage {
    ctx: super::Ctx,
    t: T,
    user_id: i64,
    name: String,
    /// Per weekday 1–7: the label and the field's text.
    days: Vec<(String, String)>,
    exceptions: Vec<ExceptionView>,
    saved: String,
    error: String,
    csrf: String,
    on_shift: bool,
}

async fn user_name(st: &AppState, ui: &Ui, id: i64) -> Result<String, super::UiError> {
    let team = st.db.team_on_shift(&ui.actor).await.or_ui(ui)?;
    team.into_iter().find(|m| m.user_id == id).map(|m| m.name).ok_or_else(|| ui.fail(StoreError::NotFound))
}

async fn user_view(
    st: &AppState,
    ui: &Ui,
    id: i64,
    typed: Option<Vec<String>>,
    saved: String,
    error: String,
    status: StatusCode,
) -> UiResult {
    if !ui.actor.caller.role.can_configure_regulation() {
        return Err(ui.forbidden());
    }
    let name = user_name(st, ui, id).await?;
    let s = st.db.user_schedule(&ui.actor, id).await.or_ui(ui)?;
    let texts: Vec<String> = typed.unwrap_or_else(|| {
        (1..=7u64)
            .map(|d| {
                s.shifts
                    .iter()
                    .filter(|x| u64::from(x.day) == d)
                    .map(|x| format!("{}-{}", poryadok_core::schedule::hm(x.start), poryadok_core::schedule::hm(x.end)))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .collect()
    });
    let days = texts.into_iter().enumerate().map(|(i, v)| (ui.t.t(&format!("team.day_full.{}", i + 1)).to_string(), v)).collect();
    let exceptions = s
        .exceptions
        .iter()
        .map(|e| ExceptionView {
            id: e.id,
            kind: absence_label(&ui.t, &e.kind),
            dates: if e.from == e.to { e.from.clone() } else { format!("{} — {}", e.from, e.to) },
            hours: match (&e.start, &e.end) {
                (Some(a), Some(b)) => format!("{a}–{b}"),
                _ => String::new(),
            },
        })
        .collect();
    let page = UserPage {
        ctx: ui.ctx("team", name.clone()),
        t: ui.t,
        user_id: id,
        name,
        days,
        exceptions,
        saved,
        error,
        csrf: ui.csrf.clone(),
        on_shift: s.on_shift,
    };
    Ok(render_status(status, &page))
}

async fn user_page(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, RawQuery(q): RawQuery) -> UiResult {
    let saved = if query_of(q.as_deref(), "saved").is_some() { ui.t.t("team.saved").to_string() } else { String::new() };
    user_view(&st, &ui, id, None, saved, String::new(), StatusCode::OK).await
}

fn form(body: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// The weekday fields as shifts: `09:00-13:00, 14:00-18:00` (a dash or an en dash); a part that
/// is not a range becomes a shift with that text, which core refuses with a message.
fn shifts_of(days: &[String]) -> Value {
    let mut out = Vec::new();
    for (i, text) in days.iter().enumerate() {
        for part in text.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()) {
            let (a, b) = part.split_once(['-', '–']).unwrap_or((part, ""));
            out.push(json!({"day": i + 1, "start": a.trim(), "end": b.trim()}));
        }
    }
    Value::Array(out)
}

/// `POST /team/users/{id}`: the weekly shifts, then back to the page with a confirmation; a
/// refusal (overlapping shifts, a bad time) shows what was typed with the message.
async fn save_shifts(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let f = form(&body);
    let days: Vec<String> =
        (1..=7).map(|d| f.iter().find(|(k, _)| *k == format!("day{d}")).map(|(_, v)| v.clone()).unwrap_or_default()).collect();
    let all_empty = days.iter().all(|d| d.trim().is_empty()) && f.iter().any(|(k, v)| k == "business_hours" && v == "1");
    let body = if all_empty { json!({"shifts": null}) } else { json!({"shifts": shifts_of(&days)}) };
    match st.db.put_schedule(&ui.actor, id, &body, None).await {
        Ok(_) => Ok(Redirect::to(&format!("/team/users/{id}?saved=1")).into_response()),
        Err(e @ StoreError::Validation(_)) => {
            let error = messages::refusal_line(&ui.t, &e).unwrap_or_default();
            user_view(&st, &ui, id, Some(days), String::new(), error, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(ui.fail(e)),
    }
}

/// `POST /team/users/{id}/exceptions` (kind, from, to, start, end).
async fn add_exception(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let f = form(&body);
    let mut o = serde_json::Map::new();
    for k in ["kind", "from", "to", "start", "end"] {
        if let Some((_, v)) = f.iter().find(|(key, v)| key == k && !v.trim().is_empty()) {
            o.insert(k.into(), json!(v.trim()));
        }
    }
    match st.db.add_schedule_exception(&ui.actor, id, &Value::Object(o)).await {
        Ok(_) => Ok(Redirect::to(&format!("/team/users/{id}?saved=1")).into_response()),
        Err(e @ StoreError::Validation(_)) => {
            let error = messages::refusal_line(&ui.t, &e).unwrap_or_default();
            user_view(&st, &ui, id, None, String::new(), error, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(ui.fail(e)),
    }
}

async fn delete_exception(State(st): State<AppState>, ui: Ui, Path((id, eid)): Path<(i64, i64)>) -> Result<Response, super::UiError> {
    st.db.delete_schedule_exception(&ui.actor, id, eid).await.or_ui(&ui)?;
    Ok(Redirect::to(&format!("/team/users/{id}?saved=1")).into_response())
}
