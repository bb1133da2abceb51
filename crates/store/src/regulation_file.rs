//! The regulation as one file (issue 23): export, plan, apply, versions and rollback.
//!
//! [`Db::regulation_export`] reads the workspace's regulation into a [`RegulationFile`]
//! (pipelines, stages and rules get a stable key the first time they are exported, derived from
//! their name and stored). [`Db::regulation_plan`] compares a file with the export — what is
//! added, changed, removed — says what the change does to today's data (deals on a removed
//! stage, open deals a new required field keeps out of a stage, records a new rule would list)
//! and runs the whole apply in a transaction that is rolled back, so every refusal the apply
//! would meet is in the plan. [`Db::regulation_apply`] writes everything in ONE transaction:
//! custom fields, pipelines and stages through the write pipeline (history events included),
//! rules and templates, the workspace's settings, and a new row of `regulation_versions` with
//! the author, the file, the typed diff and a summary. A failure anywhere leaves the database
//! as it was. [`Db::regulation_rollback`] applies an earlier version's file as a new version.
//!
//! Edits made in the settings screens are versioned too, lazily: [`Db::regulation_snapshot`]
//! records a version (author: none, "edits in the settings") when the export differs from the
//! latest version's file. It runs before every apply — so a rollback can return to what the
//! settings screens made — and whenever the versions are listed (API, settings page, CLI).
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::records::append_history;
use crate::sql::col;
use crate::Db;
use poryadok_core::domain::HistoryAction;
use poryadok_core::msg::{FieldName, RecordMsg, RegFileMsg as F};
use poryadok_core::regulation::StageRegulation;
use poryadok_core::regulation_file::{
    self as rf, AssistantSpec, Change, FieldSpec, FileError, PipelineSpec, RegulationFile, RoleRangeSpec, RuleSpec, ScorecardSpec,
    StageSpec, TemplateSpec, WorkspaceSpec,
};
use poryadok_core::schema::Entity;
use poryadok_core::Msg;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use sea_query::{Expr, Func, Order, Query};
use serde::{Serialize, Serializer};
use serde_json::{json, Value as Json};
use std::collections::BTreeMap;

const DRY_RUN: &str = "regulation dry run";

/// A message as the API carries it: code, English text, arguments.
fn ser_msg<S: Serializer>(m: &Msg, s: S) -> std::result::Result<S::Ok, S::Error> {
    json!({"code": m.code(), "message": m.english(), "args": m.args_json()}).serialize(s)
}

/// A refusal of a file, with its line when known.
#[derive(Debug, Clone, Serialize)]
pub struct PlanError {
    pub line: Option<usize>,
    pub path: String,
    #[serde(serialize_with = "ser_msg")]
    pub msg: Msg,
}

impl From<FileError> for PlanError {
    fn from(e: FileError) -> Self {
        PlanError { line: e.line, path: e.path, msg: e.msg }
    }
}

/// What a change does to today's data, or a warning about the file.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    /// The item it is about (`pipeline/stage`, a rule's key).
    pub key: String,
    #[serde(serialize_with = "ser_msg")]
    pub msg: Msg,
}

/// The plan of a file: what would change and what it would do; `errors` empty means it applies.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub impacts: Vec<Notice>,
    pub warnings: Vec<Notice>,
    pub errors: Vec<PlanError>,
    pub summary: String,
}

impl Plan {
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Choices an apply needs besides the file.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
pub struct ApplyOptions {
    /// Where the deals of a removed stage go: `"pipeline/stage"` → `"pipeline/stage"` (or just
    /// the target stage's key in the same pipeline).
    #[serde(default)]
    pub move_deals_to: BTreeMap<String, String>,
}

/// One version of the regulation.
#[derive(Debug, Clone, Serialize)]
pub struct VersionInfo {
    pub version: i64,
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    pub summary: String,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub created_at: i64,
}

/// A version with its file and its diff against the version before.
#[derive(Debug, Clone, Serialize)]
pub struct Version {
    #[serde(flatten)]
    pub info: VersionInfo,
    pub toml: String,
    pub diff: Vec<Change>,
}

/// The outcome of an apply: the new version, or the refusals (nothing was written).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Applied {
    Applied { version: i64, summary: String, changes: Vec<Change> },
    Unchanged {},
    Refused { errors: Vec<PlanError> },
}

/// Transliterates a name into a key: `Отправлено КП` → `otpravleno_kp`.
pub fn slug(name: &str) -> String {
    let key = poryadok_core::translit::joined(name, '_', 48);
    match key.chars().next() {
        Some(c) if c.is_ascii_lowercase() => key,
        Some(_) => format!("k_{key}"),
        None => "item".into(),
    }
}

/// A deal field of `file` as a message names it: a custom field by the label the file gives it,
/// a built-in one by its key (the reader's catalogue labels it).
fn field_name(file: &RegulationFile, key: &str) -> FieldName {
    key.strip_prefix("custom.")
        .and_then(|k| file.fields.iter().find(|f| f.entity == "deal" && f.key == k))
        .map(|f| FieldName::labelled(key, f.label.clone()))
        .unwrap_or_else(|| FieldName::from(key))
}

fn unique_key(base: String, taken: &[String]) -> String {
    if !taken.contains(&base) {
        return base;
    }
    (2..).map(|i| format!("{base}_{i}")).find(|k| !taken.contains(k)).unwrap_or(base)
}

fn opt_json(r: &QueryResult, c: &str) -> Result<Option<Json>> {
    Ok(r.try_get::<Option<String>>("", c)?.and_then(|s| serde_json::from_str(&s).ok()))
}

fn str_list(v: Option<Json>) -> Vec<String> {
    v.and_then(|j| serde_json::from_value(j).ok()).unwrap_or_default()
}

/// A stored item's id by its key.
struct Ids {
    pipelines: Vec<(i64, String)>,
    /// `(id, pipeline id, key)`.
    stages: Vec<(i64, i64, String)>,
    /// `(id, entity, key, type)`.
    fields: Vec<(i64, String, String, String)>,
    rules: Vec<(i64, String)>,
    /// `(id, key, channel)`.
    templates: Vec<(i64, String, String)>,
}

async fn all(conn: &impl ConnectionTrait, backend: DbBackend, q: &sea_query::SelectStatement) -> Result<Vec<QueryResult>> {
    Ok(conn.query_all(backend.build(q)).await?)
}

fn live(table: &str, ws: i64, cols: &[&str], soft: bool) -> sea_query::SelectStatement {
    let mut q = Query::select();
    q.columns(cols.iter().map(|c| col(c))).from(col(table)).and_where(Expr::col(col("workspace_id")).eq(ws));
    if soft {
        q.and_where(Expr::col(col("deleted_at")).is_null());
    }
    q
}

/// Gives every pipeline, stage and rule without a key one derived from its name (unique in
/// its scope), once; later exports read the stored key.
pub(crate) async fn ensure_keys(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<()> {
    for (table, scope) in [("pipelines", None), ("stages", Some("pipeline_id")), ("rules", None)] {
        let mut cols = vec!["id", "key", "name"];
        if table == "rules" {
            cols.push("catalogue_key");
        }
        if let Some(s) = scope {
            cols.push(s);
        }
        let mut q = live(table, ws, &cols, true);
        q.order_by(col("id"), Order::Asc);
        let rows = all(conn, backend, &q).await?;
        let scope_of = |r: &QueryResult| -> Result<i64> { Ok(scope.map(|s| r.try_get::<i64>("", s)).transpose()?.unwrap_or(0)) };
        let mut taken: Vec<(i64, String)> = Vec::new();
        for r in &rows {
            if let Some(k) = r.try_get::<Option<String>>("", "key")? {
                taken.push((scope_of(r)?, k));
            }
        }
        for r in &rows {
            if r.try_get::<Option<String>>("", "key")?.is_some() {
                continue;
            }
            let sc = scope_of(r)?;
            let base = match table {
                "rules" => r.try_get::<Option<String>>("", "catalogue_key")?.unwrap_or_else(String::new),
                _ => String::new(),
            };
            let base = if base.is_empty() { slug(&r.try_get::<String>("", "name")?) } else { base };
            let in_scope: Vec<String> = taken.iter().filter(|(s, _)| *s == sc).map(|(_, k)| k.clone()).collect();
            let key = unique_key(base, &in_scope);
            let id: i64 = r.try_get("", "id")?;
            let upd = Query::update()
                .table(col(table))
                .value(col("key"), key.clone())
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("id")).eq(id))
                .to_owned();
            conn.execute(backend.build(&upd)).await?;
            taken.push((sc, key));
        }
    }
    Ok(())
}

pub(crate) async fn needs_keys(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<bool> {
    for table in ["pipelines", "stages", "rules"] {
        let mut q = live(table, ws, &[], true);
        q.expr(Func::count(Expr::col(col("id")))).and_where(Expr::col(col("key")).is_null());
        let n: i64 = conn.query_one(backend.build(&q)).await?.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0);
        if n > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Reads the regulation of workspace `ws` (keys already ensured).
pub(crate) async fn export_on(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<RegulationFile> {
    let mut file = RegulationFile::default();
    let q = Query::select()
        .columns(["timezone", "business_hours", "lost_reasons", "frozen_reasons", "not_lead_reasons"].map(col))
        .from(col("workspaces"))
        .and_where(Expr::col(col("id")).eq(ws))
        .to_owned();
    let w = conn.query_one(backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
    let hours = opt_json(&w, "business_hours")?.and_then(|h| poryadok_core::calendar::BusinessHours::parse(&h).ok());
    file.workspace = WorkspaceSpec {
        timezone: Some(w.try_get("", "timezone")?),
        business_hours: hours.as_ref().map(rf::hours_spec),
        lost_reasons: str_list(opt_json(&w, "lost_reasons")?),
        frozen_reasons: str_list(opt_json(&w, "frozen_reasons")?),
        not_lead_reasons: str_list(opt_json(&w, "not_lead_reasons")?),
    };
    let mut q = live("custom_field_defs", ws, &["entity", "key", "label", "field_type", "options"], true);
    q.order_by(col("entity"), Order::Asc).order_by(col("position"), Order::Asc).order_by(col("id"), Order::Asc);
    for r in all(conn, backend, &q).await? {
        file.fields.push(FieldSpec {
            entity: r.try_get("", "entity")?,
            key: r.try_get("", "key")?,
            label: r.try_get("", "label")?,
            field_type: r.try_get("", "field_type")?,
            options: str_list(opt_json(&r, "options")?),
        });
    }
    let mut q = live("stages", ws, &["id", "pipeline_id", "key", "name", "goal", "probability", "rotting_days", "regulation"], true);
    q.order_by(col("position"), Order::Asc).order_by(col("id"), Order::Asc);
    let stage_rows = all(conn, backend, &q).await?;
    let stage_key: BTreeMap<i64, String> = stage_rows
        .iter()
        .map(|r| Ok((r.try_get::<i64>("", "id")?, r.try_get::<Option<String>>("", "key")?.unwrap_or_default())))
        .collect::<Result<_>>()?;
    let splits = crate::bonus::splits_on(conn, backend, ws).await?;
    let mut q = live("pipelines", ws, &["id", "key", "name", "active", "won_required_fields", "role_ranges"], true);
    q.order_by(col("position"), Order::Asc).order_by(col("id"), Order::Asc);
    for r in all(conn, backend, &q).await? {
        let id: i64 = r.try_get("", "id")?;
        let mut stages = Vec::new();
        for s in &stage_rows {
            if s.try_get::<i64>("", "pipeline_id")? != id {
                continue;
            }
            let mut spec = StageSpec {
                key: s.try_get::<Option<String>>("", "key")?.unwrap_or_default(),
                name: s.try_get("", "name")?,
                goal: s.try_get::<Option<String>>("", "goal")?.filter(|g| !g.trim().is_empty()),
                probability: s.try_get("", "probability")?,
                rotting_days: s.try_get("", "rotting_days")?,
                sla: None,
                sla_clock: None,
                required_fields: Vec::new(),
                required_files: Vec::new(),
                naming: None,
                entry_tasks: Vec::new(),
            };
            if let Some(reg) = opt_json(s, "regulation")?.and_then(|v| StageRegulation::parse(&v).ok()) {
                rf::stage_regulation_spec(&reg, &mut spec);
            }
            stages.push(spec);
        }
        let role_ranges = opt_json(&r, "role_ranges")?
            .and_then(|v| poryadok_core::regulation::parse_role_ranges(&v).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|rr| RoleRangeSpec {
                role: rr.role.as_str().to_string(),
                up_to_stage: stage_key.get(&rr.up_to_stage_id).cloned().unwrap_or_default(),
            })
            .collect();
        file.pipelines.push(PipelineSpec {
            key: r.try_get::<Option<String>>("", "key")?.unwrap_or_default(),
            name: r.try_get("", "name")?,
            active: r.try_get("", "active")?,
            won_required_fields: str_list(opt_json(&r, "won_required_fields")?),
            role_ranges,
            stages,
            bonus: splits.get(&id).map(rf::BonusSpec::of),
        });
    }
    let mut q = live("rules", ws, &["key", "name", "entity", "expression", "criticality", "why", "fix", "responsible", "enabled"], true);
    q.order_by(col("position"), Order::Asc).order_by(col("id"), Order::Asc);
    for r in all(conn, backend, &q).await? {
        file.rules.push(RuleSpec {
            key: r.try_get::<Option<String>>("", "key")?.unwrap_or_default(),
            name: r.try_get("", "name")?,
            entity: r.try_get("", "entity")?,
            expression: r.try_get("", "expression")?,
            criticality: r.try_get("", "criticality")?,
            why: r.try_get("", "why")?,
            fix: r.try_get("", "fix")?,
            responsible: r.try_get("", "responsible")?,
            enabled: r.try_get("", "enabled")?,
        });
    }
    let mut q = live("message_templates", ws, &["key", "channel", "subject", "body"], false);
    q.order_by(col("key"), Order::Asc).order_by(col("channel"), Order::Asc);
    for r in all(conn, backend, &q).await? {
        file.templates.push(TemplateSpec {
            key: r.try_get("", "key")?,
            channel: r.try_get("", "channel")?,
            subject: r.try_get("", "subject")?,
            body: r.try_get("", "body")?,
        });
    }
    file.articles = crate::kb::export_articles(conn, ws).await?;
    file.quizzes = crate::quiz::export_quizzes(conn, ws).await?;
    // The assistants once saved (the others are off, with their defaults), in their fixed order.
    let q = live("assistants", ws, &["name", "enabled", "settings"], false);
    let rows = all(conn, backend, &q).await?;
    for name in poryadok_core::assistants::NAMES {
        let Some(r) = rows.iter().find(|r| r.try_get::<String>("", "name").is_ok_and(|n| n == *name)) else { continue };
        let stored: Json = serde_json::from_str(&r.try_get::<String>("", "settings")?).unwrap_or_else(|_| json!({}));
        let mut settings = poryadok_core::assistants::check_settings(name, &stored).unwrap_or(stored);
        crate::assistants::pool_emails(conn, backend, ws, &mut settings).await?;
        file.assistants.push(AssistantSpec { name: name.to_string(), enabled: r.try_get("", "enabled")?, settings });
    }
    file.review_sampling = crate::reviews::sampling_on(conn, backend, ws).await?.map(|s| rf::ReviewSamplingSpec {
        inbound_pct: s.inbound_pct,
        outbound_pct: s.outbound_pct,
        min_seconds: s.min_seconds,
        seed: s.seed,
        lost_deals: s.lost_deals,
    });
    if let Some(card) = crate::reviews::latest_scorecard_on(conn, backend, ws).await? {
        if let Ok(c) = poryadok_core::review::parse_criteria(&card.criteria) {
            file.scorecard = Some(ScorecardSpec::from_criteria(&card.name, &c));
        }
    }
    Ok(file)
}

/// The file of the latest version of workspace `ws`'s regulation.
async fn latest_file_on(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<Option<RegulationFile>> {
    let q = Query::select()
        .column(col("toml"))
        .from(col("regulation_versions"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .order_by(col("version"), Order::Desc)
        .limit(1)
        .to_owned();
    Ok(match conn.query_one(backend.build(&q)).await? {
        Some(r) => rf::parse(&r.try_get::<String>("", "toml")?).ok(),
        None => None,
    })
}

async fn load_ids(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64) -> Result<Ids> {
    let mut ids = Ids { pipelines: vec![], stages: vec![], fields: vec![], rules: vec![], templates: vec![] };
    for r in all(conn, backend, &live("pipelines", ws, &["id", "key"], true)).await? {
        ids.pipelines.push((r.try_get("", "id")?, r.try_get::<Option<String>>("", "key")?.unwrap_or_default()));
    }
    for r in all(conn, backend, &live("stages", ws, &["id", "pipeline_id", "key"], true)).await? {
        ids.stages.push((r.try_get("", "id")?, r.try_get("", "pipeline_id")?, r.try_get::<Option<String>>("", "key")?.unwrap_or_default()));
    }
    for r in all(conn, backend, &live("custom_field_defs", ws, &["id", "entity", "key", "field_type"], true)).await? {
        ids.fields.push((r.try_get("", "id")?, r.try_get("", "entity")?, r.try_get("", "key")?, r.try_get("", "field_type")?));
    }
    for r in all(conn, backend, &live("rules", ws, &["id", "key"], true)).await? {
        ids.rules.push((r.try_get("", "id")?, r.try_get::<Option<String>>("", "key")?.unwrap_or_default()));
    }
    for r in all(conn, backend, &live("message_templates", ws, &["id", "key", "channel"], false)).await? {
        ids.templates.push((r.try_get("", "id")?, r.try_get("", "key")?, r.try_get("", "channel")?));
    }
    Ok(ids)
}

/// A validation error of one item, its field path prefixed with the item's path (`pipeline.sales.stage.kp.`).
fn at(path: &str, e: StoreError) -> StoreError {
    match e {
        StoreError::Validation(mut f) => {
            f.field = format!("{path}.{}", f.field);
            StoreError::Validation(f)
        }
        StoreError::Filter { field, error, text } => StoreError::Filter { field: format!("{path}.{field}"), error, text },
        StoreError::Conflict { field, msg } => {
            StoreError::Conflict { field: Some(field.map_or(path.to_string(), |f| format!("{path}.{f}"))), msg }
        }
        other => other,
    }
}

async fn count_deals(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, column: &str, id: i64) -> Result<i64> {
    let q = Query::select()
        .expr(Func::count(Expr::col(col("id"))))
        .from(col("deals"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col(column)).eq(id))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .to_owned();
    Ok(conn.query_one(backend.build(&q)).await?.map(|r| r.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0))
}

async fn deal_ids_on(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, stage: i64) -> Result<Vec<i64>> {
    let q = Query::select()
        .column(col("id"))
        .from(col("deals"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("stage_id")).eq(stage))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .order_by(col("id"), Order::Asc)
        .to_owned();
    all(conn, backend, &q).await?.iter().map(|r| Ok(r.try_get::<i64>("", "id")?)).collect()
}

/// Deals moved at once by [`move_deals`].
const MOVE_BATCH: usize = 200;

/// Moves the deals `ids` to `stage` of `pipeline` (the apply checked that the stage belongs to
/// it) through the write pipeline's batched path, [`MOVE_BATCH`] deals at a time: the rows are
/// read locked in one statement and written in one update (stage, pipeline, the moment the
/// stage was entered, the version); each deal then goes through the rules after a write
/// (activity clock, search words, stage stays, client notifications); the target stage's
/// regulation runs for the batch ([`crate::regulation::enforce_deals_entering`]: role range,
/// required fields and files, naming, the entry tasks in one insert, the SLA checks); the
/// history events of the batch are one insert, each `stage_id: from → to` (and the title when
/// the stage's template renamed the deal). A refusal of any deal fails the apply.
async fn move_deals(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    ids: &[i64],
    (pipeline, stage): (i64, i64),
    now: i64,
) -> Result<()> {
    use poryadok_core::types::Val;
    let entity = Entity::Deal;
    for chunk in ids.chunks(MOVE_BATCH) {
        let mut q = crate::records::visible_select(entity, actor, false);
        q.and_where(Expr::col(col("id")).is_in(chunk.iter().copied()))
            .and_where(Expr::col(col("stage_id")).ne(stage))
            .order_by(col("id"), Order::Asc);
        if backend == DbBackend::Postgres {
            q.lock(sea_query::LockType::Update);
        }
        let old: Vec<crate::records::Row> =
            all(conn, backend, &q).await?.iter().map(|r| crate::records::decode(entity, r)).collect::<Result<_>>()?;
        if old.is_empty() {
            continue;
        }
        let upd = Query::update()
            .table(col(entity.table()))
            .value(col("stage_id"), stage)
            .value(col("pipeline_id"), pipeline)
            .value(col("stage_entered_at"), now)
            .value(col("updated_at"), now)
            .value(col("version"), crate::sql::bump_version())
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).is_in(old.iter().map(|r| r.id())))
            .to_owned();
        conn.execute(backend.build(&upd)).await?;
        let mut rows = Vec::with_capacity(old.len());
        for o in &old {
            let mut row = o.clone();
            for (f, v) in row.values.iter_mut() {
                *v = match f.name {
                    "stage_id" => Val::Int(stage),
                    "pipeline_id" => Val::Int(pipeline),
                    "stage_entered_at" | "updated_at" => Val::Int(now),
                    "version" => Val::Int(o.get("version").as_int().unwrap_or(0) + 1),
                    _ => continue,
                };
            }
            crate::rules::after_write(conn, backend, actor, &row, Some(o)).await?;
            rows.push(row);
        }
        for (id, title) in crate::regulation::enforce_deals_entering(conn, backend, actor, &rows, stage, now).await? {
            let q = Query::update()
                .table(col(entity.table()))
                .value(col("title"), title.clone())
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col("id")).eq(id))
                .to_owned();
            conn.execute(backend.build(&q)).await?;
            if let Some(v) = rows.iter_mut().find(|r| r.id() == id).and_then(|r| r.values.iter_mut().find(|(f, _)| f.name == "title")) {
                v.1 = Val::Text(title);
            }
        }
        let events = old
            .iter()
            .zip(&rows)
            .map(|(o, n)| {
                let mut changes = serde_json::Map::new();
                for name in ["pipeline_id", "stage_id", "stage_entered_at", "title"] {
                    if let Some(kind) = entity.field(name).map(|f| f.kind).filter(|_| o.get(name) != n.get(name)) {
                        changes.insert(
                            name.into(),
                            json!({"from": crate::sql::to_json(kind, o.get(name)), "to": crate::sql::to_json(kind, n.get(name))}),
                        );
                    }
                }
                (n.id(), changes)
            })
            .collect();
        crate::records::append_history_many(conn, backend, actor, entity.name(), HistoryAction::Update, events, now).await?;
    }
    Ok(())
}

/// The target of a removed stage's deals named in the options: `(pipeline key, stage key)`.
fn move_target(opts: &ApplyOptions, pipeline: &str, stage: &str) -> Option<(String, String)> {
    let t = opts.move_deals_to.get(&format!("{pipeline}/{stage}"))?;
    Some(match t.split_once('/') {
        Some((p, s)) => (p.to_string(), s.to_string()),
        None => (pipeline.to_string(), t.clone()),
    })
}

impl Db {
    fn must_admin(&self, actor: &Actor) -> Result<()> {
        if actor.caller.role.can_manage_settings() {
            Ok(())
        } else {
            Err(StoreError::forbidden(RecordMsg::WorkspaceAdminOnly {}))
        }
    }

    /// The workspace's regulation as a file.
    pub async fn regulation_export(&self, actor: &Actor) -> Result<RegulationFile> {
        self.must_admin(actor)?;
        self.export_ws(actor.ws_id()).await
    }

    async fn export_ws(&self, ws: i64) -> Result<RegulationFile> {
        self.ensure_regulation_keys(ws).await?;
        export_on(&self.read, self.backend, ws).await
    }

    /// Gives pipelines, stages and rules their stable keys the first time anything reads the
    /// regulation by keys (the file, the document); a no-op read afterwards.
    pub(crate) async fn ensure_regulation_keys(&self, ws: i64) -> Result<()> {
        if needs_keys(&self.read, self.backend, ws).await? {
            self.write_tx(move |tx| Box::pin(async move { ensure_keys(tx, tx.get_database_backend(), ws).await })).await?;
        }
        Ok(())
    }

    /// What applying `src` would change and do; refusals are in `errors` (nothing is written).
    pub async fn regulation_plan(&self, actor: &Actor, src: &str, opts: &ApplyOptions) -> Result<Plan> {
        self.must_admin(actor)?;
        let current = self.export_ws(actor.ws_id()).await?;
        let file = match rf::parse(src) {
            Ok(f) => f,
            Err(errs) => {
                return Ok(Plan {
                    changes: vec![],
                    impacts: vec![],
                    warnings: vec![],
                    errors: errs.into_iter().map(PlanError::from).collect(),
                    summary: String::new(),
                })
            }
        };
        let changes = rf::diff(&current, &file);
        let mut plan = Plan { summary: rf::summary(&changes), changes, impacts: vec![], warnings: vec![], errors: vec![] };
        self.impacts(actor, &current, &file, opts, &mut plan).await?;
        // The stage linter: vague names («Думает», «В работе»…) and stages without a goal.
        for f in poryadok_core::regulation_doc::lint_file(&file) {
            plan.warnings.push(Notice { key: format!("{}/{}", f.pipeline_key, f.stage_key), msg: f.msg });
        }
        for e in plan.errors.iter_mut().filter(|e| e.line.is_none()) {
            e.line = rf::line_of_path(src, &e.path);
        }
        if plan.errors.is_empty() {
            // The apply itself, rolled back: every refusal it would meet (a rule expression that
            // does not check against the new fields and stages, …) is the plan's.
            if let Err(e) = self.apply_tx(actor, &file, opts, Some(current), true).await {
                plan.errors.push(self.plan_error(src, e)?);
            }
        }
        Ok(plan)
    }

    fn plan_error(&self, src: &str, e: StoreError) -> Result<PlanError> {
        let (path, msg) = match e {
            StoreError::Validation(f) => (f.field, *f.msg),
            StoreError::Conflict { field, msg } => (field.unwrap_or_default(), msg),
            StoreError::Filter { field, error, .. } => (field, F::Expression { detail: error.mistake() }.into()),
            StoreError::Forbidden { field, msg } => (field.unwrap_or_default(), msg),
            other => return Err(other),
        };
        Ok(PlanError { line: rf::line_of_path(src, &path), path, msg })
    }

    async fn impacts(
        &self,
        actor: &Actor,
        current: &RegulationFile,
        file: &RegulationFile,
        opts: &ApplyOptions,
        plan: &mut Plan,
    ) -> Result<()> {
        let ws = actor.ws_id();
        let ids = load_ids(&self.read, self.backend, ws).await?;
        let pid = |k: &str| ids.pipelines.iter().find(|(_, pk)| pk == k).map(|(id, _)| *id);
        let sid = |p: i64, k: &str| ids.stages.iter().find(|(_, sp, sk)| *sp == p && sk == k).map(|(id, _, _)| *id);
        for old in &current.pipelines {
            let Some(p) = pid(&old.key) else { continue };
            let new = file.pipelines.iter().find(|n| n.key == old.key);
            if new.is_none() {
                let n = count_deals(&self.read, self.backend, ws, "pipeline_id", p).await?;
                if n > 0 {
                    plan.errors.push(PlanError {
                        line: None,
                        path: format!("pipeline.{}", old.key),
                        msg: F::PipelineHoldsDeals { pipeline: old.name.clone(), n }.into(),
                    });
                }
                continue;
            }
            for s in &old.stages {
                if new.is_some_and(|n| n.stages.iter().any(|x| x.key == s.key)) {
                    continue;
                }
                let Some(id) = sid(p, &s.key) else { continue };
                let n = count_deals(&self.read, self.backend, ws, "stage_id", id).await?;
                if n == 0 {
                    continue;
                }
                let key = format!("{}/{}", old.key, s.key);
                match move_target(opts, &old.key, &s.key) {
                    Some((tp, ts)) => {
                        let target = file
                            .pipelines
                            .iter()
                            .find(|x| x.key == tp)
                            .and_then(|x| x.stages.iter().find(|y| y.key == ts))
                            .map(|y| y.name.clone())
                            .unwrap_or(ts.clone());
                        plan.impacts.push(Notice { key, msg: F::ImpactMoveDeals { stage: s.name.clone(), n, target }.into() });
                    }
                    None => plan.errors.push(PlanError {
                        line: None,
                        path: format!("pipeline.{}.stage.{}", old.key, s.key),
                        msg: F::StageHoldsDeals { stage: s.name.clone(), n }.into(),
                    }),
                }
            }
        }
        // New required fields: open deals in the stages before the one that now requires them,
        // with the field empty, can no longer enter it.
        for np in &file.pipelines {
            let op = current.pipelines.iter().find(|o| o.key == np.key);
            for (i, ns) in np.stages.iter().enumerate() {
                let before: Vec<&StageSpec> =
                    np.stages[..i].iter().filter(|s| op.is_some_and(|o| o.stages.iter().any(|x| x.key == s.key))).collect();
                if before.is_empty() {
                    continue;
                }
                let old_req: Vec<String> =
                    op.and_then(|o| o.stages.iter().find(|x| x.key == ns.key)).map(|x| x.required_fields.clone()).unwrap_or_default();
                for f in ns.required_fields.iter().filter(|f| !old_req.contains(f)) {
                    let name = f.strip_prefix("custom.").unwrap_or(f);
                    let empty = if name == "value" { "(value is empty or value = 0)".to_string() } else { format!("{name} is empty") };
                    // The stages as they are named today (the file may rename them).
                    let stages = before
                        .iter()
                        .filter_map(|s| op.and_then(|o| o.stages.iter().find(|x| x.key == s.key)))
                        .map(|s| quote(&s.name))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let Some(p) = op.map(|o| o.name.clone()) else { continue };
                    let expr = format!("status = open and pipeline = {} and stage in ({stages}) and {empty}", quote(&p));
                    if let Ok((n, _)) = self.count_with_owners(actor, Entity::Deal, &expr).await {
                        if n > 0 {
                            plan.impacts.push(Notice {
                                key: format!("{}/{}", np.key, ns.key),
                                msg: F::ImpactRequired { field: field_name(file, f), stage: ns.name.clone(), n }.into(),
                            });
                        }
                    }
                }
            }
        }
        // New or changed rules: what they would list today (those whose expression names a
        // field or stage the file adds are checked by the dry run instead).
        for r in &file.rules {
            let old = current.rules.iter().find(|o| o.key == r.key);
            if !r.enabled || old.is_some_and(|o| o.expression == r.expression && o.entity == r.entity && o.enabled) {
                continue;
            }
            let Some(entity) = Entity::from_name(&r.entity) else { continue };
            if let Ok((n, managers)) = self.count_with_owners(actor, entity, &r.expression).await {
                plan.impacts.push(Notice { key: r.key.clone(), msg: F::ImpactRule { rule: r.name.clone(), n, managers }.into() });
            }
        }
        // Removed custom fields: how many records hold a value.
        for f in &current.fields {
            if file.fields.iter().any(|n| n.entity == f.entity && n.key == f.key) {
                continue;
            }
            let Some(entity) = Entity::from_name(&f.entity).filter(|e| [Entity::Deal, Entity::Person, Entity::Organization].contains(e))
            else {
                continue;
            };
            if let Ok((n, _)) = self.count_with_owners(actor, entity, &format!("{} is not empty", f.key)).await {
                if n > 0 {
                    plan.impacts.push(Notice {
                        key: format!("{}.{}", f.entity, f.key),
                        msg: F::ImpactFieldValues { key: f.key.clone(), n }.into(),
                    });
                }
            }
        }
        Ok(())
    }

    /// How many records of `entity` the caller sees match `expr` now, and how many distinct owners they have.
    async fn count_with_owners(&self, actor: &Actor, entity: Entity, expr: &str) -> Result<(i64, i64)> {
        let checked = self.check_filter(actor, entity, expr, "expression").await?;
        let now = self.clock.now_ms();
        let mut q = Query::select();
        q.expr(Expr::cust("COUNT(*)"))
            .expr(Expr::cust("COUNT(DISTINCT owner_id)"))
            .from(col(entity.table()))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deleted_at")).is_null());
        if let Some(c) = crate::actor::scope_condition(entity, &actor.caller) {
            q.and_where(c);
        }
        q.and_where(self.filter_condition(actor, &checked, now));
        let r = self.read.query_one(self.backend.build(&q)).await?;
        Ok(match r {
            Some(r) => (r.try_get_by_index::<i64>(0)?, r.try_get_by_index::<i64>(1)?),
            None => (0, 0),
        })
    }

    /// Applies `src` all or nothing; records a new version. Refusals come back as
    /// [`Applied::Refused`] with their lines.
    pub async fn regulation_apply(&self, actor: &Actor, src: &str, opts: &ApplyOptions) -> Result<Applied> {
        self.must_admin(actor)?;
        let file = match rf::parse(src) {
            Ok(f) => f,
            Err(errs) => return Ok(Applied::Refused { errors: errs.into_iter().map(PlanError::from).collect() }),
        };
        match self.apply_tx(actor, &file, opts, None, false).await {
            Ok(None) => Ok(Applied::Unchanged {}),
            Ok(Some((version, changes, current))) => {
                // An assistant turned on runs daily, as when it is turned on in its settings.
                for a in file.assistants.iter().filter(|a| a.enabled && !current.assistants.contains(a)) {
                    crate::assistants::schedule_daily(self, actor.ws_id(), &a.name).await?;
                }
                Ok(Applied::Applied { version, summary: rf::summary(&changes), changes })
            }
            Err(e) => Ok(Applied::Refused { errors: vec![self.plan_error(src, e)?] }),
        }
    }

    /// The apply's one transaction, which reads the regulation once: `current` when the caller
    /// has read it (the plan), else inside the transaction — where what the settings screens
    /// changed since the latest version is first recorded as a version of its own, so a rollback
    /// can return to it. `dry_run` rolls everything back. Returns the new version, the changes
    /// and the regulation it replaced; `None` when the file changes nothing (or on a dry run).
    async fn apply_tx(
        &self,
        actor: &Actor,
        file: &RegulationFile,
        opts: &ApplyOptions,
        current: Option<RegulationFile>,
        dry_run: bool,
    ) -> Result<Option<(i64, Vec<Change>, RegulationFile)>> {
        let (db, actor, file, opts) = (self.clone(), actor.clone(), file.clone(), opts.clone());
        let out = self
            .write_tx(move |tx| {
                Box::pin(async move {
                    let (ws, backend) = (actor.ws_id(), db.backend);
                    let current = match current {
                        Some(c) => c,
                        None => {
                            ensure_keys(tx, backend, ws).await?;
                            let c = export_on(tx, backend, ws).await?;
                            let latest = latest_file_on(tx, backend, ws).await?;
                            if latest.as_ref() != Some(&c) {
                                db.record_version(tx, ws, None, &latest.unwrap_or_default(), &c).await?;
                            }
                            c
                        }
                    };
                    let changes = rf::diff(&current, &file);
                    if changes.is_empty() {
                        return Ok(None);
                    }
                    db.apply_in(tx, &actor, &file, &opts, &current).await?;
                    let v = db.record_version(tx, ws, Some(actor.user_id()), &current, &file).await?;
                    if dry_run {
                        return Err(StoreError::Internal(DRY_RUN.into()));
                    }
                    Ok(Some((v, changes, current)))
                })
            })
            .await;
        match out {
            Err(StoreError::Internal(m)) if m == DRY_RUN => Ok(None),
            other => other,
        }
    }

    /// Writes the file's regulation over the workspace's (`current`, read in the same
    /// transaction or just before a dry run), inside `tx`.
    async fn apply_in(
        &self,
        tx: &impl ConnectionTrait,
        actor: &Actor,
        file: &RegulationFile,
        opts: &ApplyOptions,
        current: &RegulationFile,
    ) -> Result<()> {
        let ws = actor.ws_id();
        let backend = self.backend;
        let ids = load_ids(tx, backend, ws).await?;
        let now = self.clock.now_ms();
        // The workspace's settings.
        if file.workspace != current.workspace {
            let w = &file.workspace;
            let mut upd = Query::update();
            upd.table(col("workspaces")).and_where(Expr::col(col("id")).eq(ws));
            if let Some(tz) = &w.timezone {
                upd.value(col("timezone"), tz.clone());
            }
            if let Some(h) = &w.business_hours {
                let hours = h.business_hours().map_err(|e| at("workspace", StoreError::Validation(e)))?;
                upd.value(col("business_hours"), hours.to_json().to_string());
            }
            upd.value(col("lost_reasons"), json!(w.lost_reasons).to_string())
                .value(col("frozen_reasons"), json!(w.frozen_reasons).to_string())
                .value(col("not_lead_reasons"), json!(w.not_lead_reasons).to_string());
            tx.execute(backend.build(&upd)).await?;
            let mut changes = serde_json::Map::new();
            changes.insert("regulation".into(), json!({"from": current.workspace, "to": w}));
            append_history(tx, backend, actor, "workspace", ws, HistoryAction::Update, changes, now).await?;
            // New hours or time zone: the SLA checks already waiting move (stages' own changes
            // move theirs as the stages are written).
            crate::regulation::reschedule_sla(tx, backend, ws, None).await?;
        }
        // Custom fields first: stages and rules name them.
        let mut positions: BTreeMap<&str, i64> = BTreeMap::new();
        for f in &file.fields {
            let pos = positions.entry(f.entity.as_str()).or_insert(0);
            *pos += 1;
            let path = format!("field.{}", f.key);
            let body =
                json!({"label": f.label, "options": if f.options.is_empty() { Json::Null } else { json!(f.options) }, "position": *pos});
            match ids.fields.iter().find(|(_, e, k, _)| *e == f.entity && *k == f.key) {
                Some((_, _, _, t)) if *t != f.field_type => {
                    return Err(StoreError::invalid(format!("{path}.type"), F::FieldChangesType { key: f.key.clone() }))
                }
                Some((id, ..)) => {
                    let same_place =
                        current.fields.iter().filter(|o| o.entity == f.entity).position(|o| o.key == f.key).map(|i| i as i64 + 1);
                    if same_place != Some(*pos) || !current.fields.contains(f) {
                        self.update_in(tx, actor, Entity::CustomField, *id, &body).await.map_err(|e| at(&path, e))?;
                    }
                }
                None => {
                    let mut b = body;
                    b["entity"] = json!(f.entity);
                    b["key"] = json!(f.key);
                    b["field_type"] = json!(f.field_type);
                    self.create_in(tx, actor, Entity::CustomField, &b).await.map_err(|e| at(&path, e))?;
                }
            }
        }
        // Pipelines and their stages.
        let mut pipeline_ids: Vec<(String, i64)> = Vec::new();
        let mut stage_ids: Vec<(String, String, i64)> = Vec::new();
        for (i, p) in file.pipelines.iter().enumerate() {
            let path = format!("pipeline.{}", p.key);
            let body = json!({"name": p.name, "active": p.active, "position": i as i64 + 1, "won_required_fields": p.won_required_fields});
            let old = current.pipelines.iter().find(|o| o.key == p.key);
            let pid = match ids.pipelines.iter().find(|(_, k)| *k == p.key) {
                Some((id, _)) => {
                    let same = old
                        .is_some_and(|o| o.name == p.name && o.active == p.active && o.won_required_fields == p.won_required_fields)
                        && current.pipelines.iter().position(|o| o.key == p.key) == Some(i);
                    if !same {
                        self.update_in(tx, actor, Entity::Pipeline, *id, &body).await.map_err(|e| at(&path, e))?;
                    }
                    *id
                }
                None => {
                    let mut b = body;
                    b["key"] = json!(p.key);
                    self.create_in(tx, actor, Entity::Pipeline, &b).await.map_err(|e| at(&path, e))?.id()
                }
            };
            if p.bonus != old.and_then(|o| o.bonus.clone()) {
                let split = p.bonus.as_ref().map(rf::BonusSpec::split).transpose().map_err(|e| at(&path, StoreError::Validation(e)))?;
                crate::bonus::put_split_on(tx, backend, actor, pid, split, None, now).await.map_err(|e| at(&format!("{path}.bonus"), e))?;
            }
            pipeline_ids.push((p.key.clone(), pid));
            for (j, s) in p.stages.iter().enumerate() {
                let spath = format!("{path}.stage.{}", s.key);
                let body = json!({
                    "name": s.name,
                    "goal": s.goal,
                    "position": j as i64 + 1,
                    "probability": s.probability,
                    "rotting_days": s.rotting_days,
                    "regulation": s.regulation().map_err(|e| at(&spath, StoreError::Validation(e)))?.to_json(),
                });
                let sid = match ids.stages.iter().find(|(_, sp, k)| *sp == pid && *k == s.key) {
                    Some((id, ..)) => {
                        if old.and_then(|o| o.stages.iter().find(|x| x.key == s.key)) != Some(s)
                            || old.and_then(|o| o.stages.iter().position(|x| x.key == s.key)) != Some(j)
                        {
                            self.update_in(tx, actor, Entity::Stage, *id, &body).await.map_err(|e| at(&spath, e))?;
                        }
                        *id
                    }
                    None => {
                        let mut b = body;
                        b["key"] = json!(s.key);
                        b["pipeline_id"] = json!(pid);
                        self.create_in(tx, actor, Entity::Stage, &b).await.map_err(|e| at(&spath, e))?.id()
                    }
                };
                stage_ids.push((p.key.clone(), s.key.clone(), sid));
            }
        }
        // Stages and pipelines the file no longer has: deals move first, as the options say.
        for (sid, spid, skey) in &ids.stages {
            let Some((pkey, _)) = pipeline_ids.iter().find(|(_, id)| id == spid) else { continue };
            if stage_ids.iter().any(|(_, _, id)| id == sid) {
                continue;
            }
            let path = format!("pipeline.{pkey}.stage.{skey}");
            let deals = deal_ids_on(tx, backend, ws, *sid).await?;
            if !deals.is_empty() {
                let name = current
                    .pipelines
                    .iter()
                    .find(|p| &p.key == pkey)
                    .and_then(|p| p.stages.iter().find(|s| &s.key == skey))
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                let (tp, ts) = move_target(opts, pkey, skey)
                    .ok_or_else(|| StoreError::conflict(path.clone(), F::StageHoldsDeals { stage: name, n: deals.len() as i64 }))?;
                let target = stage_ids
                    .iter()
                    .find(|(p, s, _)| *p == tp && *s == ts)
                    .map(|(_, _, id)| *id)
                    .ok_or_else(|| StoreError::invalid(format!("{path}.move_deals_to"), F::NoStage { key: format!("{tp}/{ts}") }))?;
                let target_pipeline = pipeline_ids.iter().find(|(k, _)| *k == tp).map(|(_, id)| *id).unwrap_or(*spid);
                // In batches through the write pipeline: history, the target stage's regulation.
                move_deals(tx, backend, actor, &deals, (target_pipeline, target), now).await.map_err(|e| at(&path, e))?;
            }
            self.delete_in(tx, actor, Entity::Stage, *sid, None).await.map_err(|e| at(&path, e))?;
        }
        for (pid, pkey) in &ids.pipelines {
            if pipeline_ids.iter().any(|(_, id)| id == pid) {
                continue;
            }
            let path = format!("pipeline.{pkey}");
            let n = count_deals(tx, backend, ws, "pipeline_id", *pid).await?;
            if n > 0 {
                let name = current.pipelines.iter().find(|p| &p.key == pkey).map(|p| p.name.clone()).unwrap_or_default();
                return Err(StoreError::conflict(path, F::PipelineHoldsDeals { pipeline: name, n }));
            }
            self.delete_in(tx, actor, Entity::Pipeline, *pid, None).await.map_err(|e| at(&path, e))?;
        }
        // Role ranges name stages, which exist now.
        for p in &file.pipelines {
            let old = current.pipelines.iter().find(|o| o.key == p.key).map(|o| &o.role_ranges);
            let Some((_, pid)) = pipeline_ids.iter().find(|(k, _)| *k == p.key) else { continue };
            if old == Some(&p.role_ranges) || (old.is_none() && p.role_ranges.is_empty()) {
                continue;
            }
            let ranges: Vec<Json> = p
                .role_ranges
                .iter()
                .map(|r| {
                    let sid = stage_ids.iter().find(|(pk, sk, _)| *pk == p.key && *sk == r.up_to_stage).map(|(_, _, id)| *id).unwrap_or(0);
                    json!({"role": r.role, "up_to_stage_id": sid})
                })
                .collect();
            let path = format!("pipeline.{}", p.key);
            self.update_in(tx, actor, Entity::Pipeline, *pid, &json!({"role_ranges": ranges})).await.map_err(|e| at(&path, e))?;
        }
        // Custom fields the file no longer has.
        for (id, entity, key, _) in &ids.fields {
            if !file.fields.iter().any(|f| &f.entity == entity && &f.key == key) {
                self.delete_in(tx, actor, Entity::CustomField, *id, None).await.map_err(|e| at(&format!("field.{key}"), e))?;
            }
        }
        self.apply_rules(tx, actor, file, current, &ids, now).await?;
        self.apply_templates(tx, actor, file, current, &ids, now).await?;
        if file.articles != current.articles {
            crate::kb::apply_articles(tx, actor, &file.articles, now).await?;
        }
        if file.quizzes != current.quizzes {
            crate::quiz::apply_quizzes(tx, actor, &file.quizzes, now).await?;
        }
        self.apply_assistants(tx, actor, file, current, now).await?;
        // The sampling settings, when the file has them (left as they are otherwise).
        if let Some(r) = file.review_sampling.as_ref().filter(|r| current.review_sampling.as_ref() != Some(*r)) {
            r.check().map_err(|e| at("review_sampling", StoreError::Validation(e)))?;
            let s = crate::reviews::ReviewSettings {
                inbound_pct: r.inbound_pct,
                outbound_pct: r.outbound_pct,
                min_seconds: r.min_seconds,
                seed: r.seed,
                lost_deals: r.lost_deals,
            };
            crate::reviews::put_sampling_on(tx, backend, actor, &s, now).await?;
        }
        Ok(())
    }

    /// The assistants' switches and settings; one the file no longer lists is off, with its
    /// defaults (its row goes). The scorecard gets a new version only when it changed.
    async fn apply_assistants(
        &self,
        tx: &impl ConnectionTrait,
        actor: &Actor,
        file: &RegulationFile,
        current: &RegulationFile,
        now: i64,
    ) -> Result<()> {
        let backend = self.backend;
        for a in &file.assistants {
            if current.assistants.contains(a) {
                continue;
            }
            let path = format!("assistant.{}", a.name);
            crate::assistants::put_assistant_on(tx, backend, actor, &a.name, a.enabled, &a.settings, now)
                .await
                .map_err(|e| at(&path, e))?;
        }
        for a in current.assistants.iter().filter(|a| !file.assistants.iter().any(|f| f.name == a.name)) {
            crate::assistants::remove_assistant_on(tx, backend, actor, &a.name, now).await?;
        }
        if let Some(card) = file.scorecard.as_ref().filter(|c| current.scorecard.as_ref() != Some(*c)) {
            let criteria =
                poryadok_core::review::parse_criteria(&card.criteria_json()).map_err(|e| at("scorecard", StoreError::Validation(e)))?;
            crate::reviews::put_scorecard_on(tx, backend, actor, &card.name, &criteria, now).await?;
        }
        Ok(())
    }

    async fn apply_rules(
        &self,
        tx: &impl ConnectionTrait,
        actor: &Actor,
        file: &RegulationFile,
        current: &RegulationFile,
        ids: &Ids,
        now: i64,
    ) -> Result<()> {
        let (ws, backend) = (actor.ws_id(), self.backend);
        // Each entity's filter schema (with the fields and stages just written) is loaded once.
        let mut schemas: Vec<(Entity, poryadok_core::filter::FilterSchema)> = Vec::new();
        for (i, r) in file.rules.iter().enumerate() {
            let path = format!("rule.{}", r.key);
            let entity = Entity::from_name(&r.entity)
                .ok_or_else(|| StoreError::invalid(format!("{path}.entity"), poryadok_core::msg::Common::Required {}))?;
            if !schemas.iter().any(|(e, _)| *e == entity) {
                schemas.push((entity, crate::filters::load_schema(tx, backend, actor, entity).await?));
            }
            let schema = schemas.iter().find(|(e, _)| *e == entity).map(|(_, s)| s).ok_or_else(|| StoreError::Internal("schema".into()))?;
            crate::filters::check_source(&r.expression, schema, "expression").map_err(|e| at(&path, e))?;
            let old_pos = current.rules.iter().position(|o| o.key == r.key);
            let unchanged = old_pos.is_some_and(|p| current.rules[p] == *r && p == i);
            let values: Vec<(&str, sea_query::Value)> = vec![
                ("name", r.name.clone().into()),
                ("entity", r.entity.clone().into()),
                ("expression", r.expression.clone().into()),
                ("criticality", r.criticality.into()),
                ("why", r.why.clone().into()),
                ("fix", r.fix.clone().into()),
                ("responsible", r.responsible.clone().into()),
                ("enabled", r.enabled.into()),
                ("position", (i as i64 + 1).into()),
            ];
            let id = match ids.rules.iter().find(|(_, k)| *k == r.key) {
                Some(_) if unchanged => continue,
                Some((id, _)) => {
                    let mut q = Query::update();
                    q.table(col("rules"))
                        .value(col("updated_at"), now)
                        .and_where(Expr::col(col("workspace_id")).eq(ws))
                        .and_where(Expr::col(col("id")).eq(*id));
                    for (k, v) in &values {
                        q.value(col(k), v.clone());
                    }
                    tx.execute(backend.build(&q)).await?;
                    *id
                }
                None => {
                    let mut cols = vec![col("workspace_id"), col("key"), col("created_at"), col("updated_at")];
                    let mut vals: Vec<sea_query::SimpleExpr> = vec![ws.into(), r.key.clone().into(), now.into(), now.into()];
                    for (k, v) in &values {
                        cols.push(col(k));
                        vals.push(Expr::val(v.clone()).into());
                    }
                    let q = Query::insert()
                        .into_table(col("rules"))
                        .columns(cols)
                        .values(vals)
                        .map_err(|e| StoreError::Internal(e.to_string()))?
                        .returning_col(col("id"))
                        .to_owned();
                    tx.query_one(backend.build(&q)).await?.ok_or_else(|| StoreError::Internal("no id".into()))?.try_get("", "id")?
                }
            };
            let mut changes = serde_json::Map::new();
            changes.insert("regulation".into(), json!({"from": old_pos.map(|p| &current.rules[p]), "to": r}));
            let action = if old_pos.is_some() { HistoryAction::Update } else { HistoryAction::Create };
            append_history(tx, backend, actor, "rule", id, action, changes, now).await?;
        }
        for (id, key) in &ids.rules {
            if !file.rules.iter().any(|r| &r.key == key) {
                crate::sql::soft_delete(tx, backend, "rules", ws, *id, now).await?;
                append_history(tx, backend, actor, "rule", *id, HistoryAction::Delete, serde_json::Map::new(), now).await?;
            }
        }
        Ok(())
    }

    async fn apply_templates(
        &self,
        tx: &impl ConnectionTrait,
        actor: &Actor,
        file: &RegulationFile,
        current: &RegulationFile,
        ids: &Ids,
        now: i64,
    ) -> Result<()> {
        let (ws, backend) = (actor.ws_id(), self.backend);
        for t in &file.templates {
            if current.templates.contains(t) {
                continue;
            }
            let path = format!("template.{}", t.key);
            let (subject, body) =
                crate::channels::check_template_parts(&t.channel, t.subject.as_deref(), &t.body).map_err(|e| at(&path, e))?;
            match ids.templates.iter().find(|(_, k, c)| *k == t.key && *c == t.channel) {
                Some((id, ..)) => {
                    let q = Query::update()
                        .table(col("message_templates"))
                        .values([(col("subject"), subject.into()), (col("body"), body.into()), (col("updated_at"), now.into())])
                        .and_where(Expr::col(col("workspace_id")).eq(ws))
                        .and_where(Expr::col(col("id")).eq(*id))
                        .to_owned();
                    tx.execute(backend.build(&q)).await?;
                }
                None => {
                    let q = Query::insert()
                        .into_table(col("message_templates"))
                        .columns(["workspace_id", "key", "channel", "subject", "body", "created_at", "updated_at"].map(col))
                        .values([
                            ws.into(),
                            t.key.clone().into(),
                            t.channel.clone().into(),
                            subject.into(),
                            body.into(),
                            now.into(),
                            now.into(),
                        ])
                        .map_err(|e| StoreError::Internal(e.to_string()))?
                        .to_owned();
                    tx.execute(backend.build(&q)).await?;
                }
            }
        }
        for (id, key, channel) in &ids.templates {
            if !file.templates.iter().any(|t| &t.key == key && &t.channel == channel) {
                let q = Query::delete()
                    .from_table(col("message_templates"))
                    .and_where(Expr::col(col("workspace_id")).eq(ws))
                    .and_where(Expr::col(col("id")).eq(*id))
                    .to_owned();
                tx.execute(backend.build(&q)).await?;
            }
        }
        Ok(())
    }

    /// Records `file` as the next version, with its diff against `before`.
    async fn record_version(
        &self,
        tx: &impl ConnectionTrait,
        ws: i64,
        author: Option<i64>,
        before: &RegulationFile,
        file: &RegulationFile,
    ) -> Result<i64> {
        let backend = self.backend;
        let q = Query::select()
            .expr(Func::max(Expr::col(col("version"))))
            .from(col("regulation_versions"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .to_owned();
        let last: Option<i64> = tx.query_one(backend.build(&q)).await?.map(|r| r.try_get_by_index::<Option<i64>>(0)).transpose()?.flatten();
        let version = last.unwrap_or(0) + 1;
        let changes = rf::diff(before, file);
        let q = Query::insert()
            .into_table(col("regulation_versions"))
            .columns(["workspace_id", "version", "author_id", "toml", "diff", "summary", "created_at"].map(col))
            .values([
                ws.into(),
                version.into(),
                author.filter(|a| *a != 0).into(),
                file.to_toml().into(),
                serde_json::to_string(&changes).map_err(|e| StoreError::Internal(e.to_string()))?.into(),
                rf::summary(&changes).into(),
                self.clock.now_ms().into(),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .to_owned();
        tx.execute(backend.build(&q)).await?;
        Ok(version)
    }

    /// Records a version when the regulation was changed outside an apply (the settings
    /// screens): the export differs from the latest version's file. Returns the new version.
    pub async fn regulation_snapshot(&self, ws: i64, author: Option<i64>) -> Result<Option<i64>> {
        let now_file = self.export_ws(ws).await?;
        let latest = self.latest_file(ws).await?;
        if latest.as_ref() == Some(&now_file) {
            return Ok(None);
        }
        let before = latest.unwrap_or_default();
        let db = self.clone();
        let v = self.write_tx(move |tx| Box::pin(async move { db.record_version(tx, ws, author, &before, &now_file).await })).await?;
        Ok(Some(v))
    }

    /// [`Db::regulation_snapshot`] for an administrator (before listing versions).
    pub async fn regulation_snapshot_by(&self, actor: &Actor) -> Result<Option<i64>> {
        self.must_admin(actor)?;
        self.regulation_snapshot(actor.ws_id(), None).await
    }

    async fn latest_file(&self, ws: i64) -> Result<Option<RegulationFile>> {
        latest_file_on(&self.read, self.backend, ws).await
    }

    fn version_select(ws: i64) -> sea_query::SelectStatement {
        Query::select()
            .columns(
                [("v", "version"), ("v", "author_id"), ("v", "summary"), ("v", "created_at"), ("v", "toml"), ("v", "diff")]
                    .map(|(t, c)| (col(t), col(c))),
            )
            .expr_as(Expr::col((col("u"), col("name"))), col("author_name"))
            .from_as(col("regulation_versions"), col("v"))
            .left_join(crate::sql::aliased("users", "u"), Expr::col((col("u"), col("id"))).equals((col("v"), col("author_id"))))
            .and_where(Expr::col((col("v"), col("workspace_id"))).eq(ws))
            .to_owned()
    }

    fn decode_version(r: &QueryResult) -> Result<Version> {
        Ok(Version {
            info: VersionInfo {
                version: r.try_get("", "version")?,
                author_id: r.try_get("", "author_id")?,
                author_name: r.try_get("", "author_name")?,
                summary: r.try_get("", "summary")?,
                created_at: r.try_get("", "created_at")?,
            },
            toml: r.try_get("", "toml")?,
            diff: serde_json::from_str(&r.try_get::<String>("", "diff")?).unwrap_or_default(),
        })
    }

    /// Every version, newest first.
    pub async fn regulation_versions(&self, actor: &Actor) -> Result<Vec<VersionInfo>> {
        self.must_admin(actor)?;
        let mut q = Self::version_select(actor.ws_id());
        q.order_by((col("v"), col("version")), Order::Desc);
        all(&self.read, self.backend, &q).await?.iter().map(|r| Ok(Self::decode_version(r)?.info)).collect()
    }

    pub async fn regulation_version(&self, actor: &Actor, n: i64) -> Result<Version> {
        self.must_admin(actor)?;
        let mut q = Self::version_select(actor.ws_id());
        q.and_where(Expr::col((col("v"), col("version"))).eq(n));
        match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => Self::decode_version(&r),
            None => Err(StoreError::NotFound),
        }
    }

    /// The regulation as it was at `at_ms`: the file of the latest version recorded by then.
    pub async fn regulation_version_at(&self, ws: i64, at_ms: i64) -> Result<Option<RegulationFile>> {
        let mut q = Self::version_select(ws);
        q.and_where(Expr::col((col("v"), col("created_at"))).lte(at_ms)).order_by((col("v"), col("version")), Order::Desc).limit(1);
        Ok(match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => rf::parse(&Self::decode_version(&r)?.toml).ok(),
            None => None,
        })
    }

    /// Applies version `n`'s file again, recorded as a new version.
    pub async fn regulation_rollback(&self, actor: &Actor, n: i64, opts: &ApplyOptions) -> Result<Applied> {
        let v = self.regulation_version(actor, n).await.map_err(|e| match e {
            StoreError::NotFound => StoreError::Conflict { field: Some("version".into()), msg: F::NoVersion { n }.into() },
            other => other,
        })?;
        self.regulation_apply(actor, &v.toml, opts).await
    }
}

/// A filter string literal.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
