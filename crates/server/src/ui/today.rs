//! The signed-in user's day: their open tasks that are overdue, due today (in the workspace's
//! time zone) or undated, with marking one done and moving it to another time in place.
use super::i18n::T;
use super::{render_status, OrUi, Ui, UiResult};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use poryadok_core::schema::Entity;
use poryadok_core::types::format_ms;
use poryadok_core::zone;
use poryadok_store::{Row, StoreError};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/today", get(today_page))
        .route("/activities/{id}/complete", post(complete))
        .route("/activities/{id}/reschedule", post(reschedule))
}

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Where a quick move puts a task that had no due time: the start of a working day.
const DEFAULT_TIME_OF_DAY: i64 = 9 * HOUR_MS;

pub struct TaskView {
    pub id: i64,
    /// When it is due, as the reader reads it: a time for today's, a date and time for overdue.
    pub due: String,
    /// The current due time for the reschedule input (`YYYY-MM-DDTHH:MM`, local).
    pub due_input: String,
    pub overdue: bool,
    pub kind: String,
    pub subject: String,
    /// The deal, person and organization it belongs to: `(href, name)`.
    pub links: Vec<(String, String)>,
    /// Why the last attempt to reschedule it failed.
    pub error: Option<String>,
    /// "How to do this": knowledge-base articles linked to its deal's stage or that stage's
    /// entry tasks, `(href, title)`.
    pub howto: Vec<(String, String)>,
}

pub struct Section {
    /// `overdue`, `today` or `undated`: the section's id on the page.
    pub id: &'static str,
    pub title: String,
    pub tasks: Vec<TaskView>,
}

pub struct TodayView {
    pub sections: Vec<Section>,
    /// Nothing is overdue or due today.
    pub clear_day: bool,
    pub csrf: String,
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "today.html")]
struct TodayPage {
    ctx: super::Ctx,
    t: T,
    today: TodayView,
}

#[derive(Template)]
#[template(path = "today_fragment.html")]
struct TodayFragment {
    t: T,
    today: TodayView,
}

/// A failed reschedule: which task, and the message to show beside it.
type Failed = Option<(i64, String)>;

async fn today_page(State(st): State<AppState>, ui: Ui) -> UiResult {
    respond(&st, &ui, None, None).await
}

async fn respond(st: &AppState, ui: &Ui, failed: Failed, notice: Option<String>) -> UiResult {
    let status = if failed.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let today = load(st, ui, failed, notice).await.or_ui(ui)?;
    if ui.htmx {
        return Ok(render_status(status, &TodayFragment { t: ui.t, today }));
    }
    Ok(render_status(status, &TodayPage { ctx: ui.ctx("today", ui.t.t("nav.today")), t: ui.t, today }))
}

async fn load(st: &AppState, ui: &Ui, failed: Failed, notice: Option<String>) -> Result<TodayView, StoreError> {
    let tz = ui.actor.reader_tz();
    let (start, end) = zone::day_bounds(tz, st.db.clock.now_ms());
    let rows = st.db.open_tasks(&ui.actor, end).await?;
    let linked = |field: &'static str| rows.iter().filter_map(move |r| r.get(field).as_int());
    let deals = st.db.names(&ui.actor, Entity::Deal, linked("deal_id")).await?;
    let persons = st.db.names(&ui.actor, Entity::Person, linked("person_id")).await?;
    let orgs = st.db.names(&ui.actor, Entity::Organization, linked("organization_id")).await?;
    let deal_ids: Vec<i64> = deals.keys().copied().collect();
    let howto = st.db.kb_for_deals(&ui.actor, &deal_ids).await?;
    let links = Links { deals, persons, orgs, howto };
    let mut sections = [("overdue", "today.overdue"), ("today", "today.today"), ("undated", "today.undated")].map(|(id, key)| Section {
        id,
        title: ui.t.t(key).to_string(),
        tasks: Vec::new(),
    });
    for r in &rows {
        let due = r.get("due_at").as_int();
        let slot = match due {
            Some(ms) if ms < start => 0,
            Some(_) => 1,
            None => 2,
        };
        let error = failed.as_ref().filter(|(id, _)| *id == r.id()).map(|(_, m)| m.clone());
        sections[slot].tasks.push(task(ui, r, due, slot == 0, &links, error));
    }
    let clear_day = sections[0].tasks.is_empty() && sections[1].tasks.is_empty();
    Ok(TodayView { sections: sections.into_iter().filter(|s| !s.tasks.is_empty()).collect(), clear_day, csrf: ui.csrf.clone(), notice })
}

struct Links {
    deals: HashMap<i64, String>,
    persons: HashMap<i64, String>,
    orgs: HashMap<i64, String>,
    howto: HashMap<i64, Vec<poryadok_store::kb::LinkedArticle>>,
}

fn task(ui: &Ui, r: &Row, due: Option<i64>, overdue: bool, links: &Links, error: Option<String>) -> TaskView {
    let fmt = ui.fmt();
    let tz = ui.actor.reader_tz();
    let mut to = Vec::new();
    for (field, path, names) in
        [("deal_id", "deals", &links.deals), ("person_id", "persons", &links.persons), ("organization_id", "organizations", &links.orgs)]
    {
        if let Some((id, name)) = r.get(field).as_int().and_then(|id| names.get(&id).map(|n| (id, n))) {
            to.push((format!("/{path}/{id}"), name.clone()));
        }
    }
    let howto = r
        .get("deal_id")
        .as_int()
        .and_then(|d| links.howto.get(&d))
        .map(|list| list.iter().map(|a| (format!("/kb/{}", a.key), a.title.clone())).collect())
        .unwrap_or_default();
    TaskView {
        howto,
        id: r.id(),
        due: match due {
            Some(ms) if overdue => fmt.datetime(ms),
            Some(ms) => clock_time(tz, ms),
            None => String::new(),
        },
        due_input: due.map(|ms| fmt.input_datetime(ms)).unwrap_or_default(),
        overdue,
        kind: ui.t.t(type_key(r.get("type").as_text().unwrap_or("task"))).to_string(),
        subject: r.get("subject").as_text().unwrap_or("").to_string(),
        links: to,
        error,
    }
}

/// `14:05` in the workspace's zone.
fn clock_time(tz: &str, ms: i64) -> String {
    let l = zone::local(tz, ms);
    format!("{:02}:{:02}", l.hour(), l.minute())
}

fn type_key(kind: &str) -> &'static str {
    match kind {
        "call" => "today.type.call",
        "meeting" => "today.type.meeting",
        "email" => "today.type.email",
        "demo" => "today.type.demo",
        "deadline" => "today.type.deadline",
        "lunch" => "today.type.lunch",
        _ => "today.type.task",
    }
}

/// htmx gets the refreshed day, a plain form goes back to it.
async fn after_change(st: &AppState, ui: &Ui, notice: &str) -> UiResult {
    if ui.htmx {
        return respond(st, ui, None, Some(ui.t.t(notice).to_string())).await;
    }
    Ok(Redirect::to("/today").into_response())
}

async fn complete(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> UiResult {
    st.db.update(&ui.actor, Entity::Activity, id, &json!({"done": true})).await.or_ui(&ui)?;
    after_change(&st, &ui, "today.done_notice").await
}

#[derive(Deserialize)]
struct RescheduleForm {
    #[serde(default)]
    due: String,
    /// `tomorrow` or `week`: a quick move keeping the task's time of day.
    quick: Option<String>,
}

/// The same local time of day as `due` (or the start of a working day), `days` after today.
pub fn moved(tz: &str, now: i64, due: Option<i64>, days: i64) -> i64 {
    let time_of_day = due.map_or(DEFAULT_TIME_OF_DAY, |ms| ms - zone::day_bounds(tz, ms).0);
    let (today, _) = zone::day_bounds(tz, now);
    // Noon of the target day is inside it whatever daylight saving does to the day's length.
    zone::day_bounds(tz, today + days * DAY_MS + 12 * HOUR_MS).0 + time_of_day
}

async fn reschedule(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(form): Form<RescheduleForm>) -> UiResult {
    let current = st.db.get(&ui.actor, Entity::Activity, id).await.or_ui(&ui)?.get("due_at").as_int();
    let tz = ui.actor.reader_tz();
    let now = st.db.clock.now_ms();
    let target = match form.quick.as_deref() {
        Some("tomorrow") => Some(moved(tz, now, current, 1)),
        Some("week") => Some(moved(tz, now, current, 7)),
        _ => ui.fmt().parse_input_datetime(&form.due),
    };
    let Some(ms) = target else {
        return respond(&st, &ui, Some((id, ui.t.t("today.bad_date").to_string())), None).await;
    };
    match st.db.update(&ui.actor, Entity::Activity, id, &json!({"due_at": format_ms(ms)})).await {
        Ok(_) => after_change(&st, &ui, "today.moved_notice").await,
        Err(e) => match super::field_error(&ui.t, &e) {
            Some((_, message)) => respond(&st, &ui, Some((id, message)), None).await,
            None => Err(ui.fail(e)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_moves_keep_the_time_of_day_in_the_workspace_zone() {
        let tz = "Europe/Moscow";
        let now = 1_795_424_400_000; // 2026-11-23T09:00Z, 12:00 in Moscow
        let due = 1_795_330_800_000; // 2026-11-22T07:00Z, 10:00 in Moscow
        assert_eq!(format_ms(moved(tz, now, Some(due), 1)), "2026-11-24T07:00:00.000Z");
        assert_eq!(format_ms(moved(tz, now, Some(due), 7)), "2026-11-30T07:00:00.000Z");
        assert_eq!(format_ms(moved(tz, now, None, 1)), "2026-11-24T06:00:00.000Z");
        assert_eq!(clock_time(tz, due), "10:00");
    }
}
