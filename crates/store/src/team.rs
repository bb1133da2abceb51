//! The team's work schedules and the routing that reads them.
//!
//! A user's weekly pattern (`work_schedules`, one row) and dated exceptions
//! (`schedule_exceptions`) are kept here; whether someone is on shift is decided by
//! `poryadok_core::schedule` with the workspace's business calendar for holidays. Routing
//! ([`route`]) picks whom a client's call or lead goes to: the owner when on shift, else the next
//! colleague on shift in the owner's team (round-robin or least load), else the team's head, with
//! the reason as a message code. A workspace that has set no schedule at all routes as before
//! schedules existed: everyone active counts as at work.
use crate::actor::Actor;
use crate::db::Db;
use crate::error::{Result, StoreError};
use crate::records::append_history;
use crate::regulation::{head_of, workspace_calendar};
use poryadok_core::calendar::BusinessHours;
use poryadok_core::domain::{HistoryAction, Role};
use poryadok_core::msg::{Common, Msg, TeamMsg};
use poryadok_core::schedule::{self, date_text, hm, Exception, ExceptionKind, Schedule, Shift};
use poryadok_core::types::{format_ms, Phone};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait, Value};
use serde::Serialize;
use serde_json::{json, Map, Value as Json};
use std::collections::{HashMap, HashSet};
use time::{Date, Duration};

fn raw(backend: DbBackend, sql: &str, values: Vec<Value>) -> sea_orm::Statement {
    let sql = if backend == DbBackend::Postgres { sql.to_string() } else { sql.replace('$', "?") };
    sea_orm::Statement::from_sql_and_values(backend, sql, values)
}

/// A dated exception as the API shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ScheduleException {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub from: String,
    pub to: String,
    pub start: Option<String>,
    pub end: Option<String>,
}

/// One user's schedule: the weekly pattern (empty with `business_hours: true` when none is set),
/// the exceptions from today on, and where they stand now.
#[derive(Debug, Clone, Serialize)]
pub struct UserSchedule {
    pub user_id: i64,
    pub shifts: Vec<Shift>,
    pub business_hours: bool,
    pub exceptions: Vec<ScheduleException>,
    pub version: i64,
    pub on_shift: bool,
    pub next_on_shift: Option<String>,
}

/// A user in "who is on shift now" and the team calendar.
#[derive(Debug, Clone, Serialize)]
pub struct TeamMember {
    pub user_id: i64,
    pub name: String,
    pub role: String,
    pub team_id: Option<i64>,
    pub extension: Option<String>,
    pub phone: Option<String>,
    pub on_shift: bool,
    /// The absence covering today (vacation, sick_leave, day_off), if any.
    pub absent: Option<String>,
    pub next_on_shift: Option<String>,
}

/// One day of the team calendar for one user: their working intervals (`09:00–18:00`) and the
/// absence of that day.
#[derive(Debug, Clone, Serialize)]
pub struct CalendarCell {
    pub hours: Vec<String>,
    pub absent: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CalendarRow {
    pub user_id: i64,
    pub name: String,
    pub days: Vec<CalendarCell>,
}

/// The team calendar: the seven days from `from` (a Monday) and a row per active user.
#[derive(Debug, Clone, Serialize)]
pub struct TeamCalendar {
    pub from: String,
    pub days: Vec<String>,
    pub rows: Vec<CalendarRow>,
}

/// Whom routing chose and why.
#[derive(Debug, Clone)]
pub struct Routed {
    pub user_id: Option<i64>,
    pub reason: TeamMsg,
    /// Whether the client's owner is on shift (`None` without an owner).
    pub owner_on_shift: Option<bool>,
}

/// How routing picks among colleagues on shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteMode {
    RoundRobin,
    LeastLoad,
}

impl RouteMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "round_robin" => Some(Self::RoundRobin),
            "least_load" => Some(Self::LeastLoad),
            _ => None,
        }
    }
}

/// The answer to "whom do I connect this caller to" (`GET /api/v1/routing`).
#[derive(Debug, Clone, Serialize)]
pub struct RoutingAnswer {
    pub user_id: Option<i64>,
    pub name: Option<String>,
    pub extension: Option<String>,
    pub phone: Option<String>,
    pub reason: String,
    pub person_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub owner_on_shift: Option<bool>,
}

/// The workspace's schedules as routing reads them: patterns, the exceptions that end on or
/// after a day, and the business calendar.
pub(crate) struct Schedules {
    pub used: bool,
    pub cal: BusinessHours,
    pub tz: String,
    /// The zones of the users who set their own (m0045): their shifts are in their local time.
    zones: HashMap<i64, String>,
    by_user: HashMap<i64, Schedule>,
    versions: HashMap<i64, i64>,
    exception_rows: Vec<ScheduleException>,
}

impl Schedules {
    pub(crate) fn of(&self, user: i64) -> Schedule {
        self.by_user.get(&user).cloned().unwrap_or_default()
    }

    /// The zone `user`'s shifts are in: their own, else the workspace's.
    pub(crate) fn tz_of(&self, user: i64) -> &str {
        self.zones.get(&user).map_or(self.tz.as_str(), String::as_str)
    }

    /// Whether `user` is at work at `at`: always, in a workspace without schedules.
    pub fn on_shift(&self, user: i64, at: i64) -> bool {
        !self.used || schedule::on_shift(self.by_user.get(&user).unwrap_or(&Schedule::default()), &self.cal, self.tz_of(user), at)
    }

    fn next_on_shift(&self, user: i64, at: i64) -> Option<i64> {
        schedule::next_on_shift(self.by_user.get(&user).unwrap_or(&Schedule::default()), &self.cal, self.tz_of(user), at)
    }

    /// The absence covering local day `d`.
    fn absence(&self, user: i64, d: Date) -> Option<ExceptionKind> {
        self.by_user.get(&user)?.exceptions.iter().find(|e| e.kind.is_absence() && e.covers(d)).map(|e| e.kind)
    }
}

fn exception_of(r: &QueryResult) -> Result<(ScheduleException, Option<Exception>)> {
    let (from, to): (String, String) = (r.try_get("", "from_day")?, r.try_get("", "to_day")?);
    let (start, end): (Option<i64>, Option<i64>) = (r.try_get("", "start_min")?, r.try_get("", "end_min")?);
    let kind: String = r.try_get("", "kind")?;
    let hours = start.zip(end).map(|(s, e)| (s.clamp(0, 1440) as u16, e.clamp(0, 1440) as u16));
    let row = ScheduleException {
        id: r.try_get("", "id")?,
        user_id: r.try_get("", "user_id")?,
        kind: kind.clone(),
        from: from.clone(),
        to: to.clone(),
        start: hours.map(|h| hm(h.0)),
        end: hours.map(|h| hm(h.1)),
    };
    let parsed = match (ExceptionKind::parse(&kind), schedule::parse_date(&from), schedule::parse_date(&to)) {
        (Some(kind), Some(from), Some(to)) => Some(Exception { kind, from, to, hours }),
        _ => None,
    };
    Ok((row, parsed))
}

/// Loads the workspace's schedules with the exceptions that end on or after `since`.
pub(crate) async fn load(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, tz: &str, since: Date) -> Result<Schedules> {
    let cal = workspace_calendar(conn, backend, ws).await?;
    let mut by_user: HashMap<i64, Schedule> = HashMap::new();
    let mut versions = HashMap::new();
    let rows = conn
        .query_all(raw(backend, "SELECT user_id, shifts, version FROM work_schedules WHERE workspace_id = $1", vec![ws.into()]))
        .await?;
    let used_pattern = !rows.is_empty();
    for r in rows {
        let user: i64 = r.try_get("", "user_id")?;
        let text: String = r.try_get("", "shifts")?;
        let shifts = serde_json::from_str::<Json>(&text).ok().and_then(|v| schedule::parse_shifts(&v).ok()).unwrap_or_default();
        by_user.entry(user).or_default().shifts = Some(shifts);
        versions.insert(user, r.try_get::<i64>("", "version")?);
    }
    let sql = "SELECT id, user_id, kind, from_day, to_day, start_min, end_min FROM schedule_exceptions \
               WHERE workspace_id = $1 AND to_day >= $2 ORDER BY from_day, id";
    let rows = conn.query_all(raw(backend, sql, vec![ws.into(), date_text(since).into()])).await?;
    let mut exception_rows = Vec::with_capacity(rows.len());
    let used_exceptions = !rows.is_empty();
    for r in rows {
        let (row, parsed) = exception_of(&r)?;
        if let Some(e) = parsed {
            by_user.entry(row.user_id).or_default().exceptions.push(e);
        }
        exception_rows.push(row);
    }
    let zones = user_zones(conn, backend, ws).await?;
    Ok(Schedules { used: used_pattern || used_exceptions, cal, tz: tz.to_string(), zones, by_user, versions, exception_rows })
}

/// The zones of a workspace's users who set their own.
pub(crate) async fn user_zones(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<HashMap<i64, String>> {
    let sql = "SELECT id, timezone FROM users WHERE workspace_id = $1 AND timezone IS NOT NULL";
    let rows = conn.query_all(raw(backend, sql, vec![ws.into()])).await?;
    let mut out = HashMap::new();
    for r in rows {
        let tz: String = r.try_get("", "timezone")?;
        if poryadok_core::zone::is_known(&tz) {
            out.insert(r.try_get::<i64>("", "id")?, tz);
        }
    }
    Ok(out)
}

pub(crate) fn today(tz: &str, now: i64) -> Date {
    poryadok_core::zone::local(tz, now).date()
}

/// The users absent (vacation, sick leave, a day off) on the local day of `now`.
pub(crate) async fn absent_now(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, tz: &str, now: i64) -> Result<HashSet<i64>> {
    let d = date_text(today(tz, now));
    let sql = "SELECT DISTINCT user_id FROM schedule_exceptions WHERE workspace_id = $1 AND kind <> 'extra_shift' AND from_day <= $2 AND to_day >= $2";
    let rows = conn.query_all(raw(backend, sql, vec![ws.into(), d.into()])).await?;
    rows.iter().map(|r| r.try_get::<i64>("", "user_id").map_err(StoreError::from)).collect()
}

struct Member {
    id: i64,
    team_id: Option<i64>,
    role: String,
}

async fn active_members(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<Vec<Member>> {
    let sql = "SELECT id, team_id, role FROM users WHERE workspace_id = $1 AND active = $2 ORDER BY id";
    let rows = conn.query_all(raw(backend, sql, vec![ws.into(), true.into()])).await?;
    rows.iter().map(|r| Ok(Member { id: r.try_get("", "id")?, team_id: r.try_get("", "team_id")?, role: r.try_get("", "role")? })).collect()
}

async fn open_loads(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<HashMap<i64, i64>> {
    let sql = "SELECT owner_id, COUNT(*) AS n FROM deals WHERE workspace_id = $1 AND status = 'open' AND deleted_at IS NULL \
               AND owner_id IS NOT NULL GROUP BY owner_id";
    let rows = conn.query_all(raw(backend, sql, vec![ws.into()])).await?;
    rows.iter().map(|r| Ok((r.try_get::<i64>("", "owner_id")?, r.try_get::<i64>("", "n")?))).collect()
}

/// The round-robin pool's last choice, without changing it.
async fn last_of_pool(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, pool: &str) -> Result<Option<i64>> {
    let sql = "SELECT last_user_id FROM round_robin WHERE workspace_id = $1 AND pool = $2";
    match conn.query_one(raw(backend, sql, vec![ws.into(), pool.into()])).await? {
        Some(r) => Ok(r.try_get::<Option<i64>>("", "last_user_id")?),
        None => Ok(None),
    }
}

/// What routing is asked: the client's owner, the candidates for a client without one (a
/// source's pool or the managers), and whether the round-robin choice is remembered (an intake
/// event) or only looked at (a telephony provider asking whom to connect).
pub(crate) struct RouteAsk<'a> {
    pub owner: Option<i64>,
    pub pool: Option<&'a [i64]>,
    pub mode: RouteMode,
    pub remember: bool,
}

/// Whom a client's call or lead goes to now; see the module docs.
pub(crate) async fn route(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    tz: &str,
    now: i64,
    ask: RouteAsk<'_>,
) -> Result<Routed> {
    let sched = load(conn, backend, ws, tz, today(tz, now)).await?;
    let members = active_members(conn, backend, ws).await?;
    let owner = ask.owner.filter(|o| members.iter().any(|m| m.id == *o));
    let owner_on_shift = owner.map(|o| sched.on_shift(o, now));
    if let (Some(o), Some(true)) = (owner, owner_on_shift) {
        return Ok(Routed { user_id: Some(o), reason: TeamMsg::RouteOwnerOnShift {}, owner_on_shift });
    }
    let owner_team = owner.and_then(|o| members.iter().find(|m| m.id == o)).and_then(|m| m.team_id);
    let candidates: Vec<i64> = match (owner_team, ask.pool) {
        (Some(t), _) => members.iter().filter(|m| m.team_id == Some(t) && Some(m.id) != owner).map(|m| m.id).collect(),
        (None, Some(p)) if !p.is_empty() => members.iter().filter(|m| p.contains(&m.id) && Some(m.id) != owner).map(|m| m.id).collect(),
        _ => members.iter().filter(|m| m.role == Role::Manager.as_str() && Some(m.id) != owner).map(|m| m.id).collect(),
    };
    let on: Vec<i64> = candidates.into_iter().filter(|c| sched.on_shift(*c, now)).collect();
    let reason = if owner.is_some() { TeamMsg::RouteNextOnShift {} } else { TeamMsg::RouteNewClient {} };
    if !on.is_empty() {
        let pick = match ask.mode {
            RouteMode::LeastLoad => {
                let loads = open_loads(conn, backend, ws).await?;
                on.iter().copied().min_by_key(|u| (loads.get(u).copied().unwrap_or(0), *u))
            }
            RouteMode::RoundRobin => {
                let pool = match owner_team {
                    Some(t) => format!("shift:team:{t}"),
                    None => "intake".to_string(),
                };
                if ask.remember {
                    crate::intake::client::round_robin(conn, backend, ws, &pool, &on, now).await?
                } else {
                    let last = last_of_pool(conn, backend, ws, &pool).await?;
                    last.and_then(|l| on.iter().copied().find(|c| *c > l)).or(on.first().copied())
                }
            }
        };
        return Ok(Routed { user_id: pick, reason, owner_on_shift });
    }
    let head = head_of(conn, backend, ws, owner).await?;
    Ok(Routed { user_id: head.or(owner), reason: TeamMsg::RouteHeadNobodyOnShift {}, owner_on_shift })
}

fn may_edit(actor: &Actor) -> Result<()> {
    if actor.caller.role.can_configure_regulation() {
        Ok(())
    } else {
        Err(StoreError::forbidden(TeamMsg::HeadsOnly {}))
    }
}

impl Db {
    async fn user_in_ws(&self, actor: &Actor, user: i64) -> Result<()> {
        let sql = "SELECT id FROM users WHERE workspace_id = $1 AND id = $2";
        self.read.query_one(raw(self.backend, sql, vec![actor.ws_id().into(), user.into()])).await?.map(|_| ()).ok_or(StoreError::NotFound)
    }

    /// A user's schedule, with the exceptions that have not ended yet. Everyone in the workspace
    /// reads their colleagues' schedules (it is the team's calendar).
    pub async fn user_schedule(&self, actor: &Actor, user: i64) -> Result<UserSchedule> {
        self.user_in_ws(actor, user).await?;
        let now = self.clock.now_ms();
        let tz = &actor.ws.timezone;
        let s = load(&self.read, self.backend, actor.ws_id(), tz, today(tz, now)).await?;
        let mine = s.of(user);
        let tz = s.tz_of(user);
        Ok(UserSchedule {
            user_id: user,
            shifts: mine.shifts.clone().unwrap_or_default(),
            business_hours: mine.shifts.is_none(),
            exceptions: s.exception_rows.iter().filter(|e| e.user_id == user).cloned().collect(),
            version: s.versions.get(&user).copied().unwrap_or(0),
            on_shift: schedule::on_shift(&mine, &s.cal, tz, now),
            next_on_shift: schedule::next_on_shift(&mine, &s.cal, tz, now).map(format_ms),
        })
    }

    /// Sets a user's weekly pattern from `{shifts: [{day, start, end}]}` (`shifts: null` goes back
    /// to business hours). Heads and administrators only; `if_match` is the version read.
    pub async fn put_schedule(&self, actor: &Actor, user: i64, body: &Json, if_match: Option<i64>) -> Result<UserSchedule> {
        may_edit(actor)?;
        self.user_in_ws(actor, user).await?;
        let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        if let Some(k) = obj.keys().find(|k| k.as_str() != "shifts") {
            return Err(StoreError::invalid(k.as_str(), Common::UnknownField { expected: poryadok_core::msg::words(["shifts"]) }));
        }
        let shifts: Option<Vec<Shift>> = match obj.get("shifts") {
            None => return Err(StoreError::invalid("shifts", Common::Required {})),
            Some(Json::Null) => None,
            Some(v) => Some(schedule::parse_shifts(v).map_err(StoreError::Validation)?),
        };
        let (ws, now) = (actor.ws_id(), self.clock.now_ms());
        let tx = self.write.begin().await?;
        let lock = if self.backend == DbBackend::Postgres { " FOR UPDATE" } else { "" };
        let sql = format!("SELECT version, shifts FROM work_schedules WHERE workspace_id = $1 AND user_id = $2{lock}");
        let current = tx.query_one(raw(self.backend, &sql, vec![ws.into(), user.into()])).await?;
        let (version, before): (i64, Option<String>) = match &current {
            Some(r) => (r.try_get("", "version")?, Some(r.try_get("", "shifts")?)),
            None => (0, None),
        };
        if if_match.is_some_and(|v| v != version) {
            return Err(StoreError::Stale { current: version });
        }
        let mut changes = Map::new();
        changes.insert(
            "shifts".into(),
            json!([before.and_then(|b| serde_json::from_str::<Json>(&b).ok()), shifts.as_deref().map(|s| json!(s))]),
        );
        match (&shifts, current.is_some()) {
            (None, true) => {
                tx.execute(raw(
                    self.backend,
                    "DELETE FROM work_schedules WHERE workspace_id = $1 AND user_id = $2",
                    vec![ws.into(), user.into()],
                ))
                .await?;
            }
            (None, false) => {}
            (Some(s), true) => {
                let sql = "UPDATE work_schedules SET shifts = $1, version = version + 1, updated_by = $2, updated_at = $3 WHERE workspace_id = $4 AND user_id = $5";
                let text = json!(s).to_string();
                tx.execute(raw(self.backend, sql, vec![text.into(), actor.user_id().into(), now.into(), ws.into(), user.into()])).await?;
            }
            (Some(s), false) => {
                let sql = "INSERT INTO work_schedules (workspace_id, user_id, shifts, version, updated_by, updated_at) VALUES ($1, $2, $3, 1, $4, $5)";
                let text = json!(s).to_string();
                tx.execute(raw(self.backend, sql, vec![ws.into(), user.into(), text.into(), actor.user_id().into(), now.into()])).await?;
            }
        }
        append_history(&tx, self.backend, actor, "user_schedule", user, HistoryAction::Update, changes, now).await?;
        tx.commit().await?;
        self.user_schedule(actor, user).await
    }

    /// Adds a vacation, sick leave, day off or extra shift from `{kind, from, to?, start?, end?}`.
    pub async fn add_schedule_exception(&self, actor: &Actor, user: i64, body: &Json) -> Result<ScheduleException> {
        may_edit(actor)?;
        self.user_in_ws(actor, user).await?;
        let e = schedule::parse_exception(body).map_err(StoreError::Validation)?;
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let sql =
            "INSERT INTO schedule_exceptions (workspace_id, user_id, kind, from_day, to_day, start_min, end_min, created_by, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";
        let (s, en) = (e.hours.map(|h| i64::from(h.0)), e.hours.map(|h| i64::from(h.1)));
        let values = vec![
            actor.ws_id().into(),
            user.into(),
            e.kind.as_str().into(),
            date_text(e.from).into(),
            date_text(e.to).into(),
            s.into(),
            en.into(),
            actor.user_id().into(),
            now.into(),
        ];
        let id: i64 =
            tx.query_one(raw(self.backend, sql, values)).await?.ok_or_else(|| StoreError::Internal("no id".into()))?.try_get("", "id")?;
        let row = ScheduleException {
            id,
            user_id: user,
            kind: e.kind.as_str().into(),
            from: date_text(e.from),
            to: date_text(e.to),
            start: e.hours.map(|h| hm(h.0)),
            end: e.hours.map(|h| hm(h.1)),
        };
        let mut changes = Map::new();
        changes.insert("exception_added".into(), json!([null, row]));
        append_history(&tx, self.backend, actor, "user_schedule", user, HistoryAction::Update, changes, now).await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn delete_schedule_exception(&self, actor: &Actor, user: i64, id: i64) -> Result<()> {
        may_edit(actor)?;
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let sql = "SELECT id, user_id, kind, from_day, to_day, start_min, end_min FROM schedule_exceptions WHERE workspace_id = $1 AND user_id = $2 AND id = $3";
        let r =
            tx.query_one(raw(self.backend, sql, vec![actor.ws_id().into(), user.into(), id.into()])).await?.ok_or(StoreError::NotFound)?;
        let (row, _) = exception_of(&r)?;
        tx.execute(raw(
            self.backend,
            "DELETE FROM schedule_exceptions WHERE workspace_id = $1 AND id = $2",
            vec![actor.ws_id().into(), id.into()],
        ))
        .await?;
        let mut changes = Map::new();
        changes.insert("exception_removed".into(), json!([row, null]));
        append_history(&tx, self.backend, actor, "user_schedule", user, HistoryAction::Update, changes, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every active user with whether they are on shift now, their absence today and their
    /// next shift; those on shift first.
    pub async fn team_on_shift(&self, actor: &Actor) -> Result<Vec<TeamMember>> {
        let (ws, tz, now) = (actor.ws_id(), actor.ws.timezone.clone(), self.clock.now_ms());
        let s = load(&self.read, self.backend, ws, &tz, today(&tz, now)).await?;
        let sql = "SELECT id, name, role, team_id, extension, phone FROM users WHERE workspace_id = $1 AND active = $2 ORDER BY name, id";
        let rows = self.read.query_all(raw(self.backend, sql, vec![ws.into(), true.into()])).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.try_get("", "id")?;
            let mine = s.of(id);
            out.push(TeamMember {
                user_id: id,
                name: r.try_get("", "name")?,
                role: r.try_get("", "role")?,
                team_id: r.try_get("", "team_id")?,
                extension: r.try_get("", "extension")?,
                phone: r.try_get("", "phone")?,
                on_shift: schedule::on_shift(&mine, &s.cal, s.tz_of(id), now),
                absent: s.absence(id, today(s.tz_of(id), now)).map(|k| k.as_str().to_string()),
                next_on_shift: s.next_on_shift(id, now).map(format_ms),
            });
        }
        out.sort_by_key(|m| !m.on_shift);
        Ok(out)
    }

    /// The team calendar of the week holding local day `day` (today by default): per active user
    /// and day, the working intervals and the absence.
    pub async fn team_calendar(&self, actor: &Actor, day: Option<Date>) -> Result<TeamCalendar> {
        let (ws, tz, now) = (actor.ws_id(), actor.ws.timezone.clone(), self.clock.now_ms());
        let d = day.unwrap_or_else(|| today(&tz, now));
        let monday = d - Duration::days(i64::from(d.weekday().number_days_from_monday()));
        let s = load(&self.read, self.backend, ws, &tz, monday).await?;
        let days: Vec<Date> = (0..7).map(|i| monday + Duration::days(i)).collect();
        let sql = "SELECT id, name FROM users WHERE workspace_id = $1 AND active = $2 ORDER BY name, id";
        let rows = self.read.query_all(raw(self.backend, sql, vec![ws.into(), true.into()])).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id: i64 = r.try_get("", "id")?;
            let mine = s.of(id);
            let cells = days
                .iter()
                .map(|d| CalendarCell {
                    hours: schedule::day_hours(&mine, &s.cal, *d).iter().map(|(a, b)| format!("{}–{}", hm(*a), hm(*b))).collect(),
                    absent: s.absence(id, *d).map(|k| k.as_str().to_string()),
                })
                .collect();
            out.push(CalendarRow { user_id: id, name: r.try_get("", "name")?, days: cells });
        }
        Ok(TeamCalendar { from: date_text(monday), days: days.iter().map(|d| date_text(*d)).collect(), rows: out })
    }

    /// Whom to connect a caller with `phone` to: the client's owner when on shift, else the next
    /// colleague on shift of the owner's team, else the head; an unknown number is a new client.
    /// Looks only (the round-robin turn is not taken).
    pub async fn routing_for_phone(&self, actor: &Actor, phone: &str, mode: RouteMode) -> Result<RoutingAnswer> {
        let phone = Phone::parse(phone, &actor.ws.region).map_err(|m| StoreError::invalid("phone", m))?;
        let ws = actor.ws_id();
        let sql = "SELECT p.id, p.owner_id FROM identities i JOIN persons p ON p.workspace_id = i.workspace_id AND p.id = i.person_id \
                   AND p.deleted_at IS NULL WHERE i.workspace_id = $1 AND i.kind = 'phone' AND i.value = $2";
        let found = self.read.query_one(raw(self.backend, sql, vec![ws.into(), phone.as_str().into()])).await?;
        let (person, owner): (Option<i64>, Option<i64>) = match &found {
            Some(r) => (Some(r.try_get("", "id")?), r.try_get("", "owner_id")?),
            None => (None, None),
        };
        let routed = route(
            &self.read,
            self.backend,
            ws,
            &actor.ws.timezone,
            self.clock.now_ms(),
            RouteAsk { owner, pool: None, mode, remember: false },
        )
        .await?;
        let mut answer = RoutingAnswer {
            user_id: routed.user_id,
            name: None,
            extension: None,
            phone: None,
            reason: Msg::from(routed.reason).code().to_string(),
            person_id: person,
            owner_id: owner,
            owner_on_shift: routed.owner_on_shift,
        };
        if let Some(u) = routed.user_id {
            let sql = "SELECT name, extension, phone FROM users WHERE workspace_id = $1 AND id = $2";
            if let Some(r) = self.read.query_one(raw(self.backend, sql, vec![ws.into(), u.into()])).await? {
                answer.name = Some(r.try_get("", "name")?);
                answer.extension = r.try_get("", "extension")?;
                answer.phone = r.try_get("", "phone")?;
            }
        }
        Ok(answer)
    }
}
