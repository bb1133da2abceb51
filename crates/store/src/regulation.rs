//! The sales regulation, enforced where deals are written: inside the transaction of every
//! create and change of a deal (API, board, card, import or automation alike).
//!
//! Entering a stage checks the role's range and the stage's required fields, names the deal
//! from the stage's template (or notes that its name does not follow it), creates the stage's
//! entry tasks with due times in working time, and enqueues the stage's SLA check. Closing a deal
//! checks what winning needs, and that a lost or frozen deal has its reason (and comment, or
//! return date; a frozen deal gets its return task). A refusal rolls the whole write back.
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::jobs::{enqueue_on, NewJob};
use crate::records::{create_system_records, read_custom_defs, Row};
use crate::sql::{aliased, col};
use poryadok_core::calendar::BusinessHours;
use poryadok_core::domain::{DealStatus, Role};
use poryadok_core::msg::{Common, FieldName, FileMsg, Lang, RegulationMsg};
use poryadok_core::regulation::{self, default_not_lead_reasons, Assignee, NamingMode, SlaClock, StageRegulation, TaskTemplate, TimeUnit};
use poryadok_core::schema::Entity;
use poryadok_core::types::{parse_date, Val};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use sea_query::{Expr, Order, Query};
use serde_json::{json, Map, Value as Json};

pub const SLA_JOB: &str = "sla_check";

#[derive(Clone)]
struct Stage {
    name: String,
    position: i64,
    pipeline_id: i64,
    pipeline_name: String,
    regulation: StageRegulation,
    role_ranges: Vec<regulation::RoleRange>,
    won_required: Vec<String>,
}

async fn one(conn: &impl ConnectionTrait, backend: DbBackend, q: &sea_query::SelectStatement) -> Result<Option<QueryResult>> {
    Ok(conn.query_one(backend.build(q)).await?)
}

fn json_text(r: &QueryResult, c: &str) -> Result<Option<Json>> {
    Ok(r.try_get::<Option<String>>("", c)?.and_then(|s| serde_json::from_str(&s).ok()))
}

async fn load_stage(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, stage: i64) -> Result<Option<Stage>> {
    // Settings: from memory when they have not changed since (crate::settings_cache).
    crate::settings_cache::cached(ws, "stage", stage, || read_stage(conn, backend, ws, stage)).await
}

async fn read_stage(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, stage: i64) -> Result<Option<Stage>> {
    let q = Query::select()
        .expr_as(Expr::col((col("s"), col("name"))), col("name"))
        .expr_as(Expr::col((col("s"), col("position"))), col("position"))
        .expr_as(Expr::col((col("s"), col("pipeline_id"))), col("pipeline_id"))
        .expr_as(Expr::col((col("s"), col("regulation"))), col("regulation"))
        .expr_as(Expr::col((col("p"), col("name"))), col("pipeline_name"))
        .expr_as(Expr::col((col("p"), col("role_ranges"))), col("role_ranges"))
        .expr_as(Expr::col((col("p"), col("won_required_fields"))), col("won_required_fields"))
        .from_as(col("stages"), col("s"))
        .inner_join(aliased("pipelines", "p"), Expr::col((col("p"), col("id"))).equals((col("s"), col("pipeline_id"))))
        .and_where(Expr::col((col("s"), col("workspace_id"))).eq(ws))
        .and_where(Expr::col((col("s"), col("id"))).eq(stage))
        .to_owned();
    let Some(r) = one(conn, backend, &q).await? else { return Ok(None) };
    let regulation = match json_text(&r, "regulation")? {
        Some(v) => StageRegulation::parse(&v).unwrap_or_default(),
        None => StageRegulation::default(),
    };
    let role_ranges = json_text(&r, "role_ranges")?.and_then(|v| regulation::parse_role_ranges(&v).ok()).unwrap_or_default();
    let won_required = json_text(&r, "won_required_fields")?
        .and_then(|v| v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()))
        .unwrap_or_default();
    Ok(Some(Stage {
        name: r.try_get("", "name")?,
        position: r.try_get("", "position")?,
        pipeline_id: r.try_get("", "pipeline_id")?,
        pipeline_name: r.try_get("", "pipeline_name")?,
        regulation,
        role_ranges,
        won_required,
    }))
}

/// A deal's value for `field` (`custom.<key>` included), empty when unset.
fn deal_value(row: &Row, field: &str) -> Option<String> {
    if let Some(key) = field.strip_prefix("custom.") {
        let custom: Map<String, Json> = row.get("custom").as_text().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        return match custom.get(key) {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) if s.trim().is_empty() => None,
            Some(Json::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
        };
    }
    match row.get(field) {
        Val::Null => None,
        // A deal without an amount has value 0: for a requirement that is not filled.
        Val::Int(0) if field == "value" => None,
        Val::Int(i) => Some(i.to_string()),
        Val::Text(s) if s.trim().is_empty() => None,
        Val::Text(s) => Some(s.clone()),
        Val::Bool(b) => Some(b.to_string()),
    }
}

/// The labels of the fields among `required` that `row` leaves empty.
/// The required fields `row` lacks, custom ones with their workspace label.
async fn missing_fields(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    row: &Row,
    required: &[String],
) -> Result<Vec<FieldName>> {
    let missing: Vec<&String> = required.iter().filter(|f| deal_value(row, f).is_none()).collect();
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    let defs = read_custom_defs(conn, backend, ws, Some(Entity::Deal)).await?;
    Ok(missing
        .into_iter()
        .map(|f| match f.strip_prefix("custom.").and_then(|key| defs.iter().find(|(_, d)| d.key == key)) {
            Some((_, d)) => FieldName::labelled(f.as_str(), d.label.as_str()),
            None => FieldName::from(f.as_str()),
        })
        .collect())
}

/// The kinds among `kinds` that the deal has no live file of.
async fn missing_files(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, deal: i64, kinds: &[String]) -> Result<Vec<String>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let record = crate::files::RecordRef { entity: Entity::Deal, id: deal };
    let present = crate::files::kinds_present(conn, backend, ws, record, kinds).await?;
    Ok(kinds.iter().filter(|k| !present.contains(k)).cloned().collect())
}

async fn name_of(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, table: &str, id: Option<i64>) -> Result<String> {
    let Some(id) = id else { return Ok(String::new()) };
    let q = Query::select()
        .column(col("name"))
        .from(col(table))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("id")).eq(id))
        .to_owned();
    Ok(one(conn, backend, &q).await?.map(|r| r.try_get::<String>("", "name")).transpose()?.unwrap_or_default())
}

/// Values for template placeholders, read once per write.
struct Placeholders {
    values: Vec<(String, String)>,
}

impl Placeholders {
    async fn load(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, row: &Row, stage: &Stage) -> Result<Placeholders> {
        let ws = actor.ws_id();
        let mut values = vec![
            ("title".to_string(), row.get("title").as_text().unwrap_or("").to_string()),
            ("org".into(), name_of(conn, backend, ws, "organizations", row.get("organization_id").as_int()).await?),
            ("person".into(), name_of(conn, backend, ws, "persons", row.get("person_id").as_int()).await?),
            ("owner".into(), name_of(conn, backend, ws, "users", row.get("owner_id").as_int()).await?),
            ("stage".into(), stage.name.clone()),
            ("pipeline".into(), stage.pipeline_name.clone()),
            // A deal without an amount has no value to name, not "0".
            (
                "value".into(),
                row.get("value")
                    .as_int()
                    .map_or_else(String::new, |v| format!("{} {}", v / 100, row.get("currency").as_text().unwrap_or(""))),
            ),
            ("expected_close_date".into(), row.get("expected_close_date").as_text().map(local_date).unwrap_or_default()),
            ("source".into(), row.get("source").as_text().unwrap_or("").to_string()),
        ];
        let custom: Map<String, Json> = row.get("custom").as_text().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        for (k, v) in custom {
            values.push((format!("custom.{k}"), v.as_str().map_or_else(|| v.to_string(), str::to_string)));
        }
        Ok(Placeholders { values })
    }

    /// The placeholders for templates that name none of the linked records (organization,
    /// person, owner): read without a query.
    fn without_links(row: &Row, stage: &Stage) -> Placeholders {
        Placeholders {
            values: vec![
                ("title".to_string(), row.get("title").as_text().unwrap_or("").to_string()),
                ("stage".into(), stage.name.clone()),
                ("pipeline".into(), stage.pipeline_name.clone()),
            ],
        }
    }

    fn value(&self, name: &str) -> String {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    /// The template filled, or `None` when a placeholder has no value: a name made of the
    /// remaining words would replace a real title with "—  — до".
    fn render_complete(&self, template: &str) -> Option<String> {
        regulation::missing_placeholders(template, &|k| self.value(k)).is_empty().then(|| regulation::render(template, &|k| self.value(k)))
    }

    /// The template filled, a placeholder without a value left out with its linking words.
    fn render_available(&self, template: &str) -> String {
        regulation::render_without_missing(template, &|k| self.value(k))
    }
}

/// `2026-12-01` as people in the workspace's market write it: `01.12.2026`.
fn local_date(iso: &str) -> String {
    match parse_date(iso) {
        Ok(d) => {
            let p: Vec<&str> = d.split('-').collect();
            format!("{}.{}.{}", p[2], p[1], p[0])
        }
        Err(_) => iso.to_string(),
    }
}

/// The workspace's lists of reasons a deal is closed for. Lost and frozen reasons are free text
/// when the list is empty; not-a-lead reasons always come from a list, the default one when the
/// workspace has none of its own.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClosingReasons {
    pub lost: Vec<String>,
    pub frozen: Vec<String>,
    pub not_lead: Vec<String>,
}

impl ClosingReasons {
    /// The list for closing as `status`; empty for a status without reasons.
    pub fn of(&self, status: DealStatus) -> &[String] {
        match status {
            DealStatus::Lost => &self.lost,
            DealStatus::Frozen => &self.frozen,
            DealStatus::NotLead => &self.not_lead,
            DealStatus::Open | DealStatus::Won => &[],
        }
    }
}

async fn calendar(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<(BusinessHours, ClosingReasons)> {
    crate::settings_cache::cached(ws, "calendar", 0, || read_calendar(conn, backend, ws)).await
}

async fn read_calendar(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<(BusinessHours, ClosingReasons)> {
    let q = Query::select()
        .columns(["business_hours", "lost_reasons", "frozen_reasons", "not_lead_reasons", "locale"].map(col))
        .from(col("workspaces"))
        .and_where(Expr::col(col("id")).eq(ws))
        .to_owned();
    let r = one(conn, backend, &q).await?.ok_or(StoreError::NotFound)?;
    let hours = json_text(&r, "business_hours")?.and_then(|v| BusinessHours::parse(&v).ok());
    let default = BusinessHours::parse(&crate::workspace::default_business_hours()).map_err(|e| StoreError::Internal(e.message()))?;
    let list = |c: &str| -> Result<Vec<String>> {
        Ok(json_text(&r, c)?
            .and_then(|v| v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect()))
            .unwrap_or_default())
    };
    let mut not_lead = list("not_lead_reasons")?;
    if not_lead.is_empty() {
        not_lead = default_not_lead_reasons(Lang::from_locale(&r.try_get::<String>("", "locale")?));
    }
    Ok((hours.unwrap_or(default), ClosingReasons { lost: list("lost_reasons")?, frozen: list("frozen_reasons")?, not_lead }))
}

/// The workspace's working calendar (the default one if none is stored).
pub(crate) async fn workspace_calendar(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<BusinessHours> {
    Ok(calendar(conn, backend, ws).await?.0)
}

/// The instant `due` of working time after `from`.
fn due_after(cal: &BusinessHours, tz: &str, from: i64, due: regulation::WorkingTime) -> i64 {
    match due.unit {
        TimeUnit::Days => cal.add_working_days(tz, from, due.amount),
        _ => cal.add_working_minutes(tz, from, due.minutes().unwrap_or(0)),
    }
}

/// When an SLA of `sla` entered at `entered` runs out: on the owner's shift when the stage's
/// clock says so (and the owner has shifts), else in the workspace's business hours.
#[expect(clippy::too_many_arguments)]
async fn sla_deadline(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    (cal, tz): (&BusinessHours, &str),
    clock: SlaClock,
    sla: regulation::WorkingTime,
    owner: Option<i64>,
    entered: i64,
) -> Result<i64> {
    let on_shift = match clock {
        SlaClock::OwnerShift => owner_shift_due(conn, backend, ws, tz, owner, entered, sla).await?,
        SlaClock::BusinessHours => None,
    };
    Ok(on_shift.unwrap_or_else(|| due_after(cal, tz, entered, sla)))
}

/// Moves the SLA checks still waiting (of one stage, or all) to the deadlines the regulation
/// gives now: after the business hours, the time zone, a stage's SLA or its clock changed. A
/// check whose stage no longer has an SLA goes. Returns how many checks moved or went.
pub(crate) async fn reschedule_sla(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, stage: Option<i64>) -> Result<u64> {
    let q = Query::select()
        .columns(["id", "payload", "run_at"].map(col))
        .from(col("jobs"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("kind")).eq(SLA_JOB))
        .and_where(Expr::col(col("status")).eq("queued"))
        .to_owned();
    let waiting = conn.query_all(backend.build(&q)).await?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let q = Query::select().column(col("timezone")).from(col("workspaces")).and_where(Expr::col(col("id")).eq(ws)).to_owned();
    let tz: String = one(conn, backend, &q).await?.ok_or(StoreError::NotFound)?.try_get("", "timezone")?;
    let (cal, _) = calendar(conn, backend, ws).await?;
    let mut stages: std::collections::HashMap<i64, Option<StageRegulation>> = std::collections::HashMap::new();
    let mut moved = 0;
    for r in waiting {
        let (id, run_at): (i64, i64) = (r.try_get("", "id")?, r.try_get("", "run_at")?);
        let mut payload: Json = serde_json::from_str(&r.try_get::<String>("", "payload")?).unwrap_or(Json::Null);
        let num = |k: &str| payload.get(k).and_then(Json::as_i64);
        let (Some(deal), Some(stage_id), Some(entered)) = (num("deal_id"), num("stage_id"), num("entered_at")) else { continue };
        if stage.is_some_and(|s| s != stage_id) {
            continue;
        }
        let reg = match stages.entry(stage_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(load_stage(conn, backend, ws, stage_id).await?.map(|s| s.regulation)),
        };
        let job = Expr::col(col("id")).eq(id);
        let Some((sla, clock)) = reg.as_ref().and_then(|reg| reg.sla.map(|sla| (sla, reg.sla_clock))) else {
            let q = Query::delete().from_table(col("jobs")).and_where(job).and_where(Expr::col(col("status")).eq("queued")).to_owned();
            moved += conn.execute(backend.build(&q)).await?.rows_affected();
            continue;
        };
        let q = Query::select()
            .column(col("owner_id"))
            .from(col("deals"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(deal))
            .to_owned();
        let owner = match one(conn, backend, &q).await? {
            Some(r) => r.try_get::<Option<i64>>("", "owner_id")?,
            None => None,
        };
        let deadline = sla_deadline(conn, backend, ws, (&cal, &tz), clock, sla, owner, entered).await?;
        if deadline == run_at {
            continue;
        }
        payload["deadline"] = json!(deadline);
        let q = Query::update()
            .table(col("jobs"))
            .values([(col("run_at"), deadline.into()), (col("payload"), payload.to_string().into())])
            .and_where(job)
            .and_where(Expr::col(col("status")).eq("queued"))
            .to_owned();
        moved += conn.execute(backend.build(&q)).await?.rows_affected();
    }
    Ok(moved)
}

/// The instant `due` of the owner's shift time after `from`, for an SLA whose clock runs on the
/// owner's shift; `None` (business hours are used) without an owner, in a workspace that keeps
/// no schedules, or when the owner has no shift within the horizon.
async fn owner_shift_due(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    tz: &str,
    owner: Option<i64>,
    from: i64,
    due: regulation::WorkingTime,
) -> Result<Option<i64>> {
    let Some(owner) = owner else { return Ok(None) };
    let schedules = crate::team::load(conn, backend, ws, tz, crate::team::today(tz, from)).await?;
    if !schedules.used {
        return Ok(None);
    }
    Ok(poryadok_core::schedule::add_shift_time(&schedules.of(owner), &schedules.cal, tz, from, due))
}

/// Who gets a stage's task: the owner, the head of the owner's team (or any head), or a participant.
async fn assignee(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, row: &Row, who: &Assignee) -> Result<Option<i64>> {
    let owner = row.get("owner_id").as_int();
    match who {
        Assignee::Owner => Ok(owner),
        Assignee::Head => Ok(head_of(conn, backend, ws, owner).await?.or(owner)),
        Assignee::Participant(role) => {
            let q = Query::select()
                .column(col("user_id"))
                .from(col("deal_participants"))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("deal_id")).eq(row.id()))
                .and_where(Expr::col(col("role")).eq(role.as_str()))
                .order_by(col("id"), Order::Asc)
                .limit(1)
                .to_owned();
            Ok(one(conn, backend, &q).await?.map(|r| r.try_get::<i64>("", "user_id")).transpose()?.or(owner))
        }
    }
}

/// The head responsible for `user`: their team's head, else the first active head of sales.
pub(crate) async fn head_of(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, user: Option<i64>) -> Result<Option<i64>> {
    if let Some(u) = user {
        let q = Query::select()
            .expr_as(Expr::col((col("t"), col("head_id"))), col("head_id"))
            .from_as(col("users"), col("u"))
            .inner_join(aliased("teams", "t"), Expr::col((col("t"), col("id"))).equals((col("u"), col("team_id"))))
            .and_where(Expr::col((col("u"), col("workspace_id"))).eq(ws))
            .and_where(Expr::col((col("u"), col("id"))).eq(u))
            .to_owned();
        if let Some(h) = one(conn, backend, &q).await?.map(|r| r.try_get::<Option<i64>>("", "head_id")).transpose()?.flatten() {
            return Ok(Some(h));
        }
    }
    let q = Query::select()
        .column(col("id"))
        .from(col("users"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("role")).eq(Role::Head.as_str()))
        .and_where(Expr::col(col("active")).eq(true))
        .order_by(col("id"), Order::Asc)
        .limit(1)
        .to_owned();
    Ok(one(conn, backend, &q).await?.map(|r| r.try_get::<i64>("", "id")).transpose()?)
}

/// A task on the deal `row`, through the write pipeline (history, webhooks, the activity clock).
async fn insert_task(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    row: &Row,
    t: (&str, String, String, i64, Option<i64>),
    now: i64,
) -> Result<()> {
    create_system_records(conn, backend, actor, Entity::Activity, &[task_values(row, t)], now).await?;
    Ok(())
}

/// A task's values for the deal `row`: `(type, subject, description, due, owner)`.
fn task_values(row: &Row, t: (&str, String, String, i64, Option<i64>)) -> Vec<(&'static str, Val)> {
    let (kind, subject, description, due, owner) = t;
    let subject: String = subject.chars().take(255).collect();
    vec![
        ("type", Val::Text(kind.to_string())),
        ("subject", Val::Text(subject)),
        ("description", if description.is_empty() { Val::Null } else { Val::Text(description) }),
        ("due_at", Val::Int(due)),
        ("done", Val::Bool(false)),
        ("owner_id", owner.map_or(Val::Null, Val::Int)),
        ("deal_id", Val::Int(row.id())),
        ("person_id", row.get("person_id").clone()),
        ("organization_id", row.get("organization_id").clone()),
    ]
}

/// A note on the deal `row` written by the regulation (no author), through the write pipeline.
async fn insert_note(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, row: &Row, content: String, now: i64) -> Result<()> {
    let values = vec![("content", Val::Text(content)), ("author_id", Val::Null), ("deal_id", Val::Int(row.id()))];
    create_system_records(conn, backend, actor, Entity::Note, &[values], now).await?;
    Ok(())
}

/// Texts written into the workspace's records are in its language.
fn lang(actor: &Actor) -> Lang {
    actor.ws_lang()
}

/// Applies the regulation to a deal just written (`old` is `None` on create). Returns a new
/// title when the stage's naming template renamed it.
pub(crate) async fn enforce_deal(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    row: &Row,
    old: Option<&Row>,
    now: i64,
) -> Result<Option<String>> {
    let stage_changed = old.is_none_or(|o| o.get("stage_id") != row.get("stage_id"));
    let status = row.get("status").as_text().unwrap_or("open");
    // Closing rules apply when someone closes a deal; a deal created closed (an import of past
    // deals) brings whatever reason it has.
    let status_changed = old.is_some_and(|o| o.get("status") != row.get("status"));
    if !stage_changed && !status_changed {
        return Ok(None);
    }
    let ws = actor.ws_id();
    let Some(stage_id) = row.get("stage_id").as_int() else { return Ok(None) };
    let Some(stage) = load_stage(conn, backend, ws, stage_id).await? else { return Ok(None) };
    // Most writes enter a stage with no regulation: skip the calendar's query for them.
    if !status_changed && stage.regulation.is_empty() && stage.role_ranges.is_empty() {
        return Ok(None);
    }
    let (cal, reasons) = calendar(conn, backend, ws).await?;
    let tz = actor.ws.timezone.as_str();
    let mut renamed = None;

    if stage_changed {
        check_role_range(conn, backend, actor, &stage).await?;
        check_required(conn, backend, ws, row, &stage).await?;
        let reg = &stage.regulation;
        if reg.naming.is_some() || !reg.entry_tasks.is_empty() {
            let ph = Placeholders::load(conn, backend, actor, row, &stage).await?;
            // A template with a placeholder the deal has no value for keeps the current title.
            renamed = named_title(conn, backend, actor, row, &stage, &ph, now).await?;
            for t in &reg.entry_tasks {
                create_entry_task(conn, backend, actor, row, t, &ph, (&cal, tz), now).await?;
            }
        }
        if status == "open" {
            queue_sla_check(conn, backend, ws, row, (stage_id, &stage.regulation), (&cal, tz), now).await?;
        }
    }
    if status_changed {
        check_closing(conn, backend, actor, row, &stage, &reasons, (&cal, tz), now).await?;
    }
    Ok(renamed)
}

#[expect(clippy::too_many_arguments)]
async fn create_entry_task(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    row: &Row,
    t: &TaskTemplate,
    ph: &Placeholders,
    (cal, tz): (&BusinessHours, &str),
    now: i64,
) -> Result<()> {
    let values = entry_task_values(conn, backend, actor, row, t, ph, (cal, tz), now).await?;
    create_system_records(conn, backend, actor, Entity::Activity, &[values], now).await?;
    Ok(())
}

/// The values of the task entry task `t` creates for the deal `row`.
#[expect(clippy::too_many_arguments)]
async fn entry_task_values(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    row: &Row,
    t: &TaskTemplate,
    ph: &Placeholders,
    (cal, tz): (&BusinessHours, &str),
    now: i64,
) -> Result<Vec<(&'static str, Val)>> {
    let owner = assignee(conn, backend, actor.ws_id(), row, &t.assignee).await?;
    let due = due_after(cal, tz, now, t.due);
    let subject = Some(ph.render_available(&t.subject)).filter(|s| !s.is_empty()).unwrap_or_else(|| ph.value("stage"));
    Ok(task_values(row, (t.kind.as_str(), subject, ph.render_available(&t.description), due, owner)))
}

/// [`enforce_deal`] for many deals entering stage `stage_id` together with their status
/// unchanged (a regulation file moving a removed stage's deals), each `(before, after)`: the
/// stage, the calendar and the caller's role range are read and checked once; each deal's
/// required fields and files are checked and its title named from the template; the entry tasks
/// of all the deals are created in one batch of the write pipeline; each deal's SLA check is
/// queued. A refusal of any deal refuses all. Returns the renames `(deal id, title)`.
pub(crate) async fn enforce_deals_entering(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    rows: &[Row],
    stage_id: i64,
    now: i64,
) -> Result<Vec<(i64, String)>> {
    let ws = actor.ws_id();
    let Some(stage) = load_stage(conn, backend, ws, stage_id).await? else { return Ok(Vec::new()) };
    if stage.regulation.is_empty() && stage.role_ranges.is_empty() {
        return Ok(Vec::new());
    }
    let (cal, _) = calendar(conn, backend, ws).await?;
    let tz = actor.ws.timezone.as_str();
    check_role_range(conn, backend, actor, &stage).await?;
    let reg = &stage.regulation;
    // Linked names are read per deal only when a template names them.
    let links = |s: &str| {
        ["{org}", "{person}", "{owner}", "{value}", "{expected_close_date}", "{source}", "{custom."].iter().any(|p| s.contains(p))
    };
    let needs_links = reg.naming.as_ref().is_some_and(|n| links(&n.template))
        || reg.entry_tasks.iter().any(|t| links(&t.subject) || links(&t.description));
    let mut renames = Vec::new();
    let mut tasks = Vec::new();
    for row in rows {
        check_required(conn, backend, ws, row, &stage).await?;
        if reg.naming.is_some() || !reg.entry_tasks.is_empty() {
            let ph = if needs_links {
                Placeholders::load(conn, backend, actor, row, &stage).await?
            } else {
                Placeholders::without_links(row, &stage)
            };
            if let Some(title) = named_title(conn, backend, actor, row, &stage, &ph, now).await? {
                renames.push((row.id(), title));
            }
            for t in &reg.entry_tasks {
                tasks.push(entry_task_values(conn, backend, actor, row, t, &ph, (&cal, tz), now).await?);
            }
        }
        if row.get("status").as_text().unwrap_or("open") == "open" {
            queue_sla_check(conn, backend, ws, row, (stage_id, &stage.regulation), (&cal, tz), now).await?;
        }
    }
    create_system_records(conn, backend, actor, Entity::Activity, &tasks, now).await?;
    Ok(renames)
}

/// The stage's required fields and files are filled on the deal, else the refusal naming them.
async fn check_required(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, row: &Row, stage: &Stage) -> Result<()> {
    let missing = missing_fields(conn, backend, ws, row, &stage.regulation.required_fields).await?;
    if !missing.is_empty() {
        return Err(StoreError::invalid("stage_id", RegulationMsg::StageNeedsFields { stage: stage.name.clone(), fields: missing }));
    }
    let missing = missing_files(conn, backend, ws, row.id(), &stage.regulation.required_files).await?;
    if !missing.is_empty() {
        return Err(StoreError::invalid("stage_id", FileMsg::StageNeedsFiles { stage: stage.name.clone(), kinds: missing }));
    }
    Ok(())
}

/// The stage's naming template over the deal: the title to give it (`Apply`), or a note on the
/// deal saying what it should be (`Check`); nothing when the title already is, or when the
/// template names something the deal has no value for.
async fn named_title(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    row: &Row,
    stage: &Stage,
    ph: &Placeholders,
    now: i64,
) -> Result<Option<String>> {
    let Some(naming) = stage.regulation.naming.as_ref() else { return Ok(None) };
    let Some(expected) = ph.render_complete(&naming.template) else { return Ok(None) };
    let expected: String = expected.chars().take(255).collect::<String>().trim().to_string();
    if expected == row.get("title").as_text().unwrap_or("") {
        return Ok(None);
    }
    match naming.mode {
        NamingMode::Apply => Ok(Some(expected)),
        NamingMode::Check => {
            let note = RegulationMsg::TitleOffTemplate { stage: stage.name.clone(), expected }.into_msg().text(lang(actor));
            insert_note(conn, backend, actor, row, note, now).await?;
            Ok(None)
        }
    }
}

/// Queues the check of the SLA of the stage `stage_id` (regulation `reg`) for a deal that
/// entered it, when the stage has one.
async fn queue_sla_check(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    row: &Row,
    (stage_id, reg): (i64, &StageRegulation),
    (cal, tz): (&BusinessHours, &str),
    now: i64,
) -> Result<()> {
    let Some(sla) = reg.sla else { return Ok(()) };
    let entered = row.get("stage_entered_at").as_int().unwrap_or(now);
    let deadline = sla_deadline(conn, backend, ws, (cal, tz), reg.sla_clock, sla, row.get("owner_id").as_int(), entered).await?;
    let payload = json!({"deal_id": row.id(), "stage_id": stage_id, "entered_at": entered, "deadline": deadline});
    let job = NewJob::new(ws, SLA_JOB, payload, deadline).dedupe(format!("sla:{}:{stage_id}:{entered}", row.id()));
    enqueue_on(conn, backend, &job, now).await?;
    Ok(())
}

/// Managers (and other limited roles) move deals only up to their range's stage.
async fn check_role_range(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, stage: &Stage) -> Result<()> {
    if actor.user_id() == 0 || matches!(actor.caller.role, Role::Admin | Role::Head) {
        return Ok(());
    }
    let Some(range) = stage.role_ranges.iter().find(|r| r.role == actor.caller.role) else { return Ok(()) };
    let q = Query::select()
        .columns(["name", "position"].map(col))
        .from(col("stages"))
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("pipeline_id")).eq(stage.pipeline_id))
        .and_where(Expr::col(col("id")).eq(range.up_to_stage_id))
        .to_owned();
    let Some(limit) = one(conn, backend, &q).await? else { return Ok(()) };
    let (limit_name, limit_pos): (String, i64) = (limit.try_get("", "name")?, limit.try_get("", "position")?);
    if stage.position > limit_pos {
        return Err(StoreError::Forbidden {
            field: Some("stage_id".into()),
            msg: RegulationMsg::BeyondRoleRange {
                role: poryadok_core::msg::RoleName(actor.caller.role.as_str().into()),
                limit: limit_name,
                stage: stage.name.clone(),
            }
            .into(),
        });
    }
    Ok(())
}

#[expect(clippy::too_many_arguments)]
async fn check_closing(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    row: &Row,
    stage: &Stage,
    reasons: &ClosingReasons,
    (cal, tz): (&BusinessHours, &str),
    now: i64,
) -> Result<()> {
    let text = |f: &str| row.get(f).as_text().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let from_list = |field: &str, value: &str, list: &[String]| {
        if list.is_empty() || list.iter().any(|r| r == value) {
            Ok(())
        } else {
            Err(StoreError::invalid(field, Common::OneOf { list: list.to_vec() }))
        }
    };
    match row.get("status").as_text().unwrap_or("open") {
        "won" => {
            let (files, fields): (Vec<String>, Vec<String>) =
                stage.won_required.iter().cloned().partition(|f| regulation::won_file_kind(f).is_some());
            let missing = missing_fields(conn, backend, actor.ws_id(), row, &fields).await?;
            if !missing.is_empty() {
                return Err(StoreError::invalid("status", RegulationMsg::WinNeedsFields { fields: missing }));
            }
            let kinds: Vec<String> = files.iter().filter_map(|f| regulation::won_file_kind(f)).map(str::to_string).collect();
            let missing = missing_files(conn, backend, actor.ws_id(), row.id(), &kinds).await?;
            if !missing.is_empty() {
                return Err(StoreError::invalid("status", FileMsg::WinNeedsFiles { kinds: missing }));
            }
        }
        "lost" => {
            let reason = text("lost_reason").ok_or_else(|| StoreError::invalid("lost_reason", Common::Required {}))?;
            from_list("lost_reason", &reason, &reasons.lost)?;
            text("close_comment").ok_or_else(|| StoreError::invalid("close_comment", Common::Required {}))?;
        }
        "frozen" => {
            let reason = text("frozen_reason").ok_or_else(|| StoreError::invalid("frozen_reason", Common::Required {}))?;
            from_list("frozen_reason", &reason, &reasons.frozen)?;
            let day = text("return_on").ok_or_else(|| StoreError::invalid("return_on", Common::Required {}))?;
            // The return task is due when that day's work starts.
            let noon_utc = poryadok_core::types::parse_timestamp(&format!("{day}T12:00:00Z"))
                .map_err(|_| StoreError::invalid("return_on", Common::NotDate { s: day.clone() }))?;
            let (day_start, _) = poryadok_core::zone::day_bounds(tz, noon_utc);
            // One working minute from midnight, less that minute: the day's first working moment.
            let due = cal.add_working_minutes(tz, day_start, 1) - 60_000;
            if due <= now {
                return Err(StoreError::invalid("return_on", RegulationMsg::FutureDate {}));
            }
            let subject = RegulationMsg::ReturnToDeal { reason: reason.clone() }.into_msg().text(lang(actor));
            let owner = row.get("owner_id").as_int();
            insert_task(conn, backend, actor, row, ("task", subject, text("close_comment").unwrap_or_default(), due, owner), now).await?;
        }
        "not_lead" => {
            let reason = text("not_lead_reason").ok_or_else(|| StoreError::invalid("not_lead_reason", Common::Required {}))?;
            from_list("not_lead_reason", &reason, &reasons.not_lead)?;
            // What was planned for someone who is not a client is nobody's work any more.
            close_open_tasks(conn, backend, actor, row.id(), now).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Marks the deal's open tasks done, each with its history, when the deal turns out not to be
/// a lead. It is not a touch of the client, so the client's last activity does not move.
async fn close_open_tasks(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, deal: i64, now: i64) -> Result<()> {
    let open = Query::select()
        .column(col("id"))
        .from(col("activities"))
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("deal_id")).eq(deal))
        .and_where(Expr::col(col("done")).eq(false))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .to_owned();
    let ids: Vec<i64> =
        conn.query_all(backend.build(&open)).await?.iter().map(|r| r.try_get("", "id")).collect::<std::result::Result<_, _>>()?;
    if ids.is_empty() {
        return Ok(());
    }
    let upd = Query::update()
        .table(col("activities"))
        .value(col("done"), true)
        .value(col("done_at"), now)
        .value(col("updated_at"), now)
        .value(col("version"), crate::sql::bump_version())
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("id")).is_in(ids.iter().copied()))
        .to_owned();
    conn.execute(backend.build(&upd)).await?;
    for id in ids {
        let changes =
            Map::from_iter([("done".to_string(), json!({"from": false, "to": true})), ("closed_with_deal".to_string(), json!(deal))]);
        crate::records::append_history(conn, backend, actor, "activity", id, poryadok_core::domain::HistoryAction::Update, changes, now)
            .await?;
    }
    Ok(())
}

/// Checks a stage's regulation against the workspace before it is saved: custom fields it names exist.
pub(crate) async fn check_stage_regulation(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, regulation: &Json) -> Result<()> {
    let Ok(reg) = StageRegulation::parse(regulation) else { return Ok(()) };
    let keys = reg.custom_keys();
    if keys.is_empty() {
        return Ok(());
    }
    let defs = read_custom_defs(conn, backend, ws, Some(Entity::Deal)).await?;
    if let Some(k) = keys.iter().find(|k| !defs.iter().any(|(_, d)| &d.key == *k)) {
        return Err(StoreError::invalid("regulation", RegulationMsg::NoDealCustomField { key: k.to_string() }));
    }
    Ok(())
}

/// Checks a pipeline's role ranges name its own stages, and what winning requires exists.
pub(crate) async fn check_pipeline_settings(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    pipeline: Option<i64>,
    ranges: Option<&Json>,
    won: Option<&Json>,
) -> Result<()> {
    if let Some(r) = ranges {
        for (i, range) in regulation::parse_role_ranges(r).unwrap_or_default().iter().enumerate() {
            let q = Query::select()
                .column(col("id"))
                .from(col("stages"))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("id")).eq(range.up_to_stage_id))
                .and_where(Expr::col(col("pipeline_id")).eq(pipeline.unwrap_or(0)))
                .and_where(Expr::col(col("deleted_at")).is_null())
                .to_owned();
            if one(conn, backend, &q).await?.is_none() {
                return Err(StoreError::invalid(
                    format!("role_ranges.{i}.up_to_stage_id"),
                    RegulationMsg::NoStageInPipeline { id: range.up_to_stage_id },
                ));
            }
        }
    }
    if let Some(list) = won.and_then(Json::as_array) {
        let defs = read_custom_defs(conn, backend, ws, Some(Entity::Deal)).await?;
        for (i, f) in list.iter().filter_map(Json::as_str).enumerate() {
            let ok = match (f.strip_prefix("custom."), regulation::won_file_kind(f)) {
                (Some(k), _) => defs.iter().any(|(_, d)| d.key == k),
                (None, Some(kind)) => poryadok_core::files::FileKind::parse(kind).is_ok(),
                (None, None) => regulation::REQUIRABLE.contains(&f),
            };
            if !ok {
                let mut choices = poryadok_core::msg::words(poryadok_core::regulation::REQUIRABLE);
                choices.push("custom.<key>".into());
                choices.push("file.<kind>".into());
                return Err(StoreError::invalid(
                    format!("won_required_fields.{i}"),
                    RegulationMsg::NotRequirable { name: f.to_string(), choices },
                ));
            }
        }
    }
    Ok(())
}

/// What an SLA check found: the deal is still waiting in the stage past its deadline.
pub struct Breach {
    pub deal_id: i64,
    pub title: String,
    pub stage: String,
    pub owner: Option<i64>,
    pub head: Option<i64>,
}

impl crate::Db {
    /// Runs an SLA check job: a breach when the deal is still open, in the same stage, entered at
    /// the same moment as when the check was planned; `None` when it moved on in time.
    pub async fn sla_breach(&self, ws: i64, payload: &Json) -> Result<Option<Breach>> {
        let field = |k: &str| payload.get(k).and_then(Json::as_i64).ok_or_else(|| StoreError::Internal(format!("sla job without {k}")));
        let (deal, stage, entered) = (field("deal_id")?, field("stage_id")?, field("entered_at")?);
        let q = Query::select()
            .columns(["title", "stage_id", "stage_entered_at", "status", "owner_id"].map(col))
            .from(col("deals"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(deal))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .to_owned();
        let Some(r) = one(&self.read, self.backend, &q).await? else { return Ok(None) };
        let still = r.try_get::<Option<i64>>("", "stage_id")? == Some(stage)
            && r.try_get::<Option<i64>>("", "stage_entered_at")? == Some(entered)
            && r.try_get::<String>("", "status")? == "open";
        if !still {
            return Ok(None);
        }
        let owner = r.try_get::<Option<i64>>("", "owner_id")?;
        let stage_name = name_of(&self.read, self.backend, ws, "stages", Some(stage)).await?;
        Ok(Some(Breach {
            deal_id: deal,
            title: r.try_get("", "title")?,
            stage: stage_name,
            owner,
            head: head_of(&self.read, self.backend, ws, owner).await?,
        }))
    }
}

impl crate::Db {
    /// The fields a deal must have filled to enter `stage` of the caller's workspace (its stage
    /// regulation's required fields), for forms that ask for them up front. Empty for a stage
    /// that does not exist.
    pub async fn stage_required_fields(&self, actor: &Actor, stage: i64) -> Result<Vec<String>> {
        Ok(load_stage(&self.read, self.backend, actor.ws_id(), stage).await?.map(|s| s.regulation.required_fields).unwrap_or_default())
    }

    /// The stages of `pipeline` the caller's role may not move deals into (beyond its role
    /// range), so the board can show them before a drop. Heads and admins reach every stage.
    pub async fn unreachable_stages(&self, actor: &Actor, pipeline: i64) -> Result<Vec<i64>> {
        if matches!(actor.caller.role, Role::Admin | Role::Head) {
            return Ok(Vec::new());
        }
        let q = Query::select()
            .column(col("role_ranges"))
            .from(col("pipelines"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(pipeline))
            .to_owned();
        let Some(r) = one(&self.read, self.backend, &q).await? else { return Ok(Vec::new()) };
        let ranges = json_text(&r, "role_ranges")?.and_then(|v| regulation::parse_role_ranges(&v).ok()).unwrap_or_default();
        let Some(range) = ranges.iter().find(|r| r.role == actor.caller.role) else { return Ok(Vec::new()) };
        let stages = Query::select()
            .columns(["id", "position"].map(col))
            .from(col("stages"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("pipeline_id")).eq(pipeline))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .to_owned();
        let rows = self.read.query_all(self.backend.build(&stages)).await?;
        let mut all = Vec::with_capacity(rows.len());
        for r in &rows {
            all.push((r.try_get::<i64>("", "id")?, r.try_get::<i64>("", "position")?));
        }
        let Some(limit) = all.iter().find(|(id, _)| *id == range.up_to_stage_id).map(|(_, p)| *p) else { return Ok(Vec::new()) };
        Ok(all.into_iter().filter(|(_, p)| *p > limit).map(|(id, _)| id).collect())
    }

    /// The workspace's lists of reasons a deal is closed for.
    pub async fn closing_reasons(&self, actor: &Actor) -> Result<ClosingReasons> {
        Ok(calendar(&self.read, self.backend, actor.ws_id()).await?.1)
    }
}
