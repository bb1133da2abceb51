//! Entity-specific defaults and invariants applied inside the write transaction:
//! a deal always sits in a stage of its own pipeline, stage changes stamp `stage_entered_at`,
//! owners default to the caller and stay within what the caller may assign, a person's contacts
//! are unique identities, settings in use cannot be deleted.
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::records::Row;
use crate::sql::col;
use poryadok_core::access::Scope;
use poryadok_core::domain::{DealStatus, IdentityKind};
use poryadok_core::msg::{Common, RecordMsg};
use poryadok_core::schema::{Entity, Field};
use poryadok_core::types::Val;
use poryadok_core::validate::Checked;
use sea_orm::{ConnectionTrait, DbBackend};
use sea_query::{Expr, Func, OnConflict, Order, Query};

fn field(entity: Entity, name: &str) -> Result<&'static Field> {
    entity.field(name).ok_or_else(|| StoreError::Internal(format!("{} has no field {name}", entity.name())))
}

fn set_default(c: &mut Checked, entity: Entity, name: &str, v: Val) -> Result<()> {
    if c.get(name).is_none() {
        c.set(field(entity, name)?, v);
    }
    Ok(())
}

pub(crate) async fn scalar_i64(conn: &impl ConnectionTrait, backend: DbBackend, q: &sea_query::SelectStatement) -> Result<Option<i64>> {
    Ok(match conn.query_one(backend.build(q)).await? {
        Some(r) => r.try_get_by_index::<Option<i64>>(0)?,
        None => None,
    })
}

/// Next free `position` among the live rows of `table` (optionally within one pipeline).
async fn next_position(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, table: &str, pipeline: Option<i64>) -> Result<i64> {
    let mut q = Query::select();
    q.expr(Func::max(Expr::col(col("position"))))
        .from(col(table))
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("deleted_at")).is_null());
    if let Some(p) = pipeline {
        q.and_where(Expr::col(col("pipeline_id")).eq(p));
    }
    Ok(scalar_i64(conn, backend, &q).await?.map_or(0, |m| m + 1))
}

/// The first stage of `pipeline`, or of the first active pipeline when none is given: (stage, pipeline).
async fn first_stage(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, pipeline: Option<i64>) -> Result<Option<(i64, i64)>> {
    let pipeline_cond = match pipeline {
        Some(p) => Expr::col(col("pipeline_id")).eq(p),
        None => Expr::col(col("pipeline_id")).in_subquery(
            Query::select()
                .column(col("id"))
                .from(col("pipelines"))
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col("deleted_at")).is_null())
                .and_where(Expr::col(col("active")).eq(true))
                .and_where(Expr::exists(
                    Query::select()
                        .expr(Expr::val(1))
                        .from_as(col("stages"), col("s2"))
                        .and_where(Expr::col((col("s2"), col("pipeline_id"))).equals((col("pipelines"), col("id"))))
                        .and_where(Expr::col((col("s2"), col("deleted_at"))).is_null())
                        .to_owned(),
                ))
                .order_by(col("position"), Order::Asc)
                .order_by(col("id"), Order::Asc)
                .limit(1)
                .to_owned(),
        ),
    };
    let q = Query::select()
        .columns([col("id"), col("pipeline_id")])
        .from(col("stages"))
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(pipeline_cond)
        .and_where(Expr::col(col("deleted_at")).is_null())
        .order_by(col("position"), Order::Asc)
        .order_by(col("id"), Order::Asc)
        .limit(1)
        .to_owned();
    // Settings: from memory when they have not changed since (crate::settings_cache).
    crate::settings_cache::cached(actor.ws_id(), "first_stage", pipeline.unwrap_or(0), || async move {
        Ok(match conn.query_one(backend.build(&q)).await? {
            Some(r) => Some((r.try_get("", "id")?, r.try_get("", "pipeline_id")?)),
            None => None,
        })
    })
    .await
}

async fn stage_pipeline(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, stage: i64) -> Result<Option<i64>> {
    let q = Query::select()
        .column(col("pipeline_id"))
        .from(col("stages"))
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("id")).eq(stage))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .to_owned();
    crate::settings_cache::cached(actor.ws_id(), "stage_pipeline", stage, || scalar_i64(conn, backend, &q)).await
}

/// A manager who sees only their own records may assign records only to themselves;
/// under team visibility, only to members of their team.
async fn check_owner(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, entity: Entity, c: &Checked) -> Result<()> {
    let Some(owner_field) = entity.owner_field() else { return Ok(()) };
    // An explicit `null` owner is checked too: leaving a record without an owner hides it from its manager.
    let Some(owner) = c.get(owner_field).map(Val::as_int) else { return Ok(()) };
    check_assignee(conn, backend, actor, owner_field, owner).await
}

/// Whether the caller may make `owner` the owner of a record (`owner_field` names it in errors).
pub(crate) async fn check_assignee(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    owner_field: &str,
    owner: Option<i64>,
) -> Result<()> {
    match actor.caller.scope() {
        Scope::All => Ok(()),
        Scope::OwnedBy(me) if owner == Some(me) => Ok(()),
        Scope::OwnedBy(_) => Err(StoreError::Forbidden { field: Some(owner_field.into()), msg: Common::AssignSelf {}.into() }),
        Scope::Team { team_id, .. } => {
            let q = Query::select()
                .column(col("team_id"))
                .from(col("users"))
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col("id")).eq(owner))
                .to_owned();
            if owner.is_some() && scalar_i64(conn, backend, &q).await? == Some(team_id) {
                Ok(())
            } else {
                Err(StoreError::Forbidden { field: Some(owner_field.into()), msg: Common::AssignTeam {}.into() })
            }
        }
    }
}

pub(crate) async fn before_create(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    entity: Entity,
    c: &mut Checked,
    now: i64,
) -> Result<()> {
    if let Some(owner) = entity.owner_field().filter(|_| actor.user_id() != 0) {
        if owner == "author_id" {
            c.set(field(entity, owner)?, Val::Int(actor.user_id()));
        } else {
            set_default(c, entity, owner, Val::Int(actor.user_id()))?;
        }
    }
    check_owner(conn, backend, actor, entity, c).await?;
    match entity {
        Entity::Deal => {
            set_default(c, entity, "status", Val::Text(DealStatus::Open.as_str().into()))?;
            set_default(c, entity, "value", Val::Int(0))?;
            set_default(c, entity, "currency", Val::Text(actor.ws.currency.clone()))?;
            place_deal(conn, backend, actor, c, None).await?;
            c.set(field(entity, "stage_entered_at")?, Val::Int(now));
            stamp_closed(c, None, now)?;
        }
        Entity::Activity => {
            set_default(c, entity, "done", Val::Bool(false))?;
            stamp_done(c, None, now)?;
        }
        Entity::Pipeline => {
            check_pipeline(conn, backend, actor, None, c).await?;
            set_default(c, entity, "active", Val::Bool(true))?;
            let pos = next_position(conn, backend, actor, "pipelines", None).await?;
            set_default(c, entity, "position", Val::Int(pos))?;
        }
        Entity::Stage => {
            check_regulation(conn, backend, actor, c).await?;
            let pipeline = c.get("pipeline_id").and_then(Val::as_int);
            let pos = next_position(conn, backend, actor, "stages", pipeline).await?;
            set_default(c, entity, "position", Val::Int(pos))?;
            set_default(c, entity, "probability", Val::Int(0))?;
        }
        Entity::User => {
            set_default(c, entity, "active", Val::Bool(true))?;
            set_default(c, entity, "locale", Val::Text(actor.ws.locale.clone()))?;
        }
        Entity::SavedFilter => {
            c.set(field(entity, "owner_id")?, Val::Int(actor.user_id()));
            set_default(c, entity, "shared", Val::Bool(false))?;
            let (Some(Val::Text(target)), Some(Val::Text(src))) = (c.get("entity").cloned(), c.get("expression").cloned()) else {
                return Err(StoreError::invalid("expression", Common::Required {}));
            };
            let target = Entity::from_name(&target).ok_or_else(|| StoreError::invalid("entity", RecordMsg::UnknownEntity {}))?;
            crate::filters::check_on(conn, backend, actor, target, &src, "expression").await?;
        }
        Entity::CustomField => {
            check_options(c, None)?;
            let pos = next_position(conn, backend, actor, "custom_field_defs", None).await?;
            set_default(c, entity, "position", Val::Int(pos))?;
        }
        _ => {}
    }
    Ok(())
}

async fn check_regulation(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, c: &Checked) -> Result<()> {
    if let Some(Val::Text(s)) = c.get("regulation") {
        let v: serde_json::Value = serde_json::from_str(s).map_err(|e| StoreError::Internal(e.to_string()))?;
        crate::regulation::check_stage_regulation(conn, backend, actor.ws_id(), &v).await?;
    }
    Ok(())
}

async fn check_pipeline(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, id: Option<i64>, c: &Checked) -> Result<()> {
    let parse = |name: &str| match c.get(name) {
        Some(Val::Text(s)) => serde_json::from_str::<serde_json::Value>(s).ok(),
        _ => None,
    };
    crate::regulation::check_pipeline_settings(
        conn,
        backend,
        actor.ws_id(),
        id,
        parse("role_ranges").as_ref(),
        parse("won_required_fields").as_ref(),
    )
    .await
}

pub(crate) async fn before_update(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    old: &Row,
    c: &mut Checked,
    now: i64,
) -> Result<()> {
    let entity = old.entity;
    check_owner(conn, backend, actor, entity, c).await?;
    match entity {
        Entity::Deal => {
            // Restating the current pipeline is not a move; only a new pipeline resets the stage.
            if c.get("stage_id").is_none() && c.get("pipeline_id").is_some_and(|p| p == old.get("pipeline_id")) {
                c.values.retain(|(f, _)| f.name != "pipeline_id");
            }
            if c.get("stage_id").is_some() || c.get("pipeline_id").is_some() {
                place_deal(conn, backend, actor, c, Some(old)).await?;
                if c.get("stage_id").is_some_and(|s| s != old.get("stage_id")) {
                    c.set(field(entity, "stage_entered_at")?, Val::Int(now));
                }
            }
            stamp_closed(c, Some(old), now)?;
        }
        Entity::Activity => stamp_done(c, Some(old), now)?,
        Entity::CustomField => check_options(c, Some(old))?,
        Entity::Stage => check_regulation(conn, backend, actor, c).await?,
        Entity::Pipeline => check_pipeline(conn, backend, actor, Some(old.id()), c).await?,
        Entity::SavedFilter => {
            own_filter(actor, old)?;
            if let Some(Val::Text(src)) = c.get("expression").cloned() {
                let target = old.get("entity").as_text().and_then(Entity::from_name).unwrap_or(Entity::Deal);
                crate::filters::check_on(conn, backend, actor, target, &src, "expression").await?;
            }
        }
        Entity::User if c.get("active") == Some(&Val::Bool(false)) && old.id() == actor.user_id() => {
            return Err(StoreError::invalid("active", RecordMsg::DeactivateSelf {}));
        }
        _ => {}
    }
    Ok(())
}

/// Resolves pipeline and stage so that the stage belongs to the pipeline.
async fn place_deal(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, c: &mut Checked, old: Option<&Row>) -> Result<()> {
    let entity = Entity::Deal;
    let given_pipeline = c.get("pipeline_id").and_then(Val::as_int);
    let given_stage = c.get("stage_id").and_then(Val::as_int);
    if c.get("pipeline_id").is_some_and(Val::is_null) {
        return Err(StoreError::invalid("pipeline_id", RecordMsg::DealNeedsPipeline {}));
    }
    if c.get("stage_id").is_some_and(Val::is_null) {
        return Err(StoreError::invalid("stage_id", RecordMsg::DealNeedsStage {}));
    }
    match given_stage {
        Some(stage) => {
            let Some(stage_pipe) = stage_pipeline(conn, backend, actor, stage).await? else {
                return Err(StoreError::invalid("stage_id", RecordMsg::NoRecord { what: "stage".into(), id: stage }));
            };
            let pipeline = given_pipeline.or_else(|| old.and_then(|o| o.get("pipeline_id").as_int())).unwrap_or(stage_pipe);
            if pipeline != stage_pipe {
                return Err(StoreError::invalid("stage_id", RecordMsg::StageNotInPipeline { stage, pipeline }));
            }
            c.set(field(entity, "pipeline_id")?, Val::Int(pipeline));
        }
        None => {
            let Some((stage, pipeline)) = first_stage(conn, backend, actor, given_pipeline).await? else {
                return Err(match given_pipeline {
                    Some(p) => StoreError::invalid("pipeline_id", RecordMsg::PipelineNoStages { pipeline: p }),
                    None => StoreError::invalid("pipeline_id", RecordMsg::NoActivePipeline {}),
                });
            };
            c.set(field(entity, "pipeline_id")?, Val::Int(pipeline));
            c.set(field(entity, "stage_id")?, Val::Int(stage));
        }
    }
    Ok(())
}

fn stamp_closed(c: &mut Checked, old: Option<&Row>, now: i64) -> Result<()> {
    let Some(Val::Text(status)) = c.get("status").cloned() else { return Ok(()) };
    if old.is_some_and(|o| o.get("status").as_text() == Some(status.as_str())) {
        return Ok(());
    }
    let closed = matches!(DealStatus::parse(&status), Some(DealStatus::Won | DealStatus::Lost | DealStatus::NotLead));
    c.set(field(Entity::Deal, "closed_at")?, if closed { Val::Int(now) } else { Val::Null });
    Ok(())
}

fn stamp_done(c: &mut Checked, old: Option<&Row>, now: i64) -> Result<()> {
    let Some(Val::Bool(done)) = c.get("done").cloned() else { return Ok(()) };
    if old.is_some_and(|o| o.get("done") == &Val::Bool(done)) {
        return Ok(());
    }
    c.set(field(Entity::Activity, "done_at")?, if done { Val::Int(now) } else { Val::Null });
    Ok(())
}

fn check_options(c: &Checked, old: Option<&Row>) -> Result<()> {
    let ft = c.get("field_type").or_else(|| old.map(|o| o.get("field_type"))).and_then(Val::as_text).unwrap_or("");
    let options = c.get("options").or_else(|| old.map(|o| o.get("options")));
    let has_options = options.and_then(Val::as_text).is_some_and(|s| s != "[]");
    match (ft == "enum", has_options) {
        (true, false) => Err(StoreError::invalid("options", RecordMsg::EnumOptions {})),
        (false, true) if c.get("options").is_some() => Err(StoreError::invalid("options", RecordMsg::OptionsEnumOnly {})),
        _ => Ok(()),
    }
}

/// Rows of `entity` (live ones, where it soft-deletes) whose `column` points at `id`.
async fn count_live(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, entity: Entity, column: &str, id: i64) -> Result<i64> {
    let mut q = Query::select();
    q.expr(Func::count(Expr::col(col("id"))))
        .from(col(entity.table()))
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col(column)).eq(id));
    if entity.soft_delete() {
        q.and_where(Expr::col(col("deleted_at")).is_null());
    }
    Ok(scalar_i64(conn, backend, &q).await?.unwrap_or(0))
}

/// Shared filters are visible to everyone but changed only by their owner (or a head or admin).
fn own_filter(actor: &Actor, old: &Row) -> Result<()> {
    if old.get("owner_id").as_int() == Some(actor.user_id()) || actor.caller.role.sees_all() {
        Ok(())
    } else {
        Err(StoreError::forbidden(RecordMsg::FilterOwner {}))
    }
}

pub(crate) async fn before_delete(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, old: &Row, now: i64) -> Result<()> {
    let id = old.id();
    if old.entity == Entity::SavedFilter {
        own_filter(actor, old)?;
    }
    if old.entity == Entity::Activity && !old.get("call_direction").is_null() {
        // A call that happened is the client's record: it is never deleted (a planned callback may be).
        return Err(StoreError::Conflict { field: None, msg: RecordMsg::CallKept {}.into() });
    }
    let in_use = match old.entity {
        Entity::Stage => Some((Entity::Deal, "stage_id", RecordMsg::InUseStage { n: 0 })),
        Entity::Pipeline => Some((Entity::Deal, "pipeline_id", RecordMsg::InUsePipeline { n: 0 })),
        Entity::Team => Some((Entity::User, "team_id", RecordMsg::InUseTeam { n: 0 })),
        _ => None,
    };
    if let Some((table, column, why)) = in_use {
        let n = count_live(conn, backend, actor, table, column, id).await?;
        if n > 0 {
            let msg = match why {
                RecordMsg::InUseStage { .. } => RecordMsg::InUseStage { n },
                RecordMsg::InUsePipeline { .. } => RecordMsg::InUsePipeline { n },
                _ => RecordMsg::InUseTeam { n },
            };
            return Err(StoreError::Conflict { field: None, msg: msg.into() });
        }
    }
    if old.entity == Entity::Pipeline {
        // A deleted pipeline takes its (empty) stages with it.
        let q = Query::update()
            .table(col("stages"))
            .value(col("deleted_at"), now)
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("pipeline_id")).eq(id))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .to_owned();
        conn.execute(backend.build(&q)).await?;
    }
    if old.entity == Entity::Person {
        // A deleted person's phone and e-mail are free for a new card.
        let q = Query::delete()
            .from_table(col("identities"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("person_id")).eq(id))
            .to_owned();
        conn.execute(backend.build(&q)).await?;
    }
    Ok(())
}

/// The contact fields that are identities, and the kind of each: a list field holds several.
const IDENTITY_FIELDS: [(&str, IdentityKind); 6] = [
    ("phone", IdentityKind::Phone),
    ("other_phones", IdentityKind::Phone),
    ("email", IdentityKind::Email),
    ("other_emails", IdentityKind::Email),
    ("telegram", IdentityKind::Telegram),
    ("whatsapp", IdentityKind::Whatsapp),
];

/// The identity values one contact field of `row` holds, normalised as `identities` keeps them.
fn field_values(row: &Row, name: &str, kind: IdentityKind) -> Vec<String> {
    match row.get(name) {
        Val::Text(v) if name.starts_with("other_") => serde_json::from_str(v).unwrap_or_default(),
        Val::Text(v) if kind == IdentityKind::Telegram => vec![v.trim_start_matches('@').to_lowercase()],
        Val::Text(v) => vec![v.clone()],
        _ => Vec::new(),
    }
}

/// The identity values of `kind` a person's row holds: the main field's and the list field's.
fn identity_values(row: Option<&Row>, kind: IdentityKind) -> std::collections::BTreeSet<String> {
    let fields = IDENTITY_FIELDS.iter().filter(|(_, k)| *k == kind);
    row.map(|r| fields.flat_map(|(name, _)| field_values(r, name, kind)).collect()).unwrap_or_default()
}

/// [`after_write`] for records just created, many at once (an import's batches): the same rules,
/// each in a few set-based statements for the whole batch instead of a few for every record. A
/// phone or e-mail that is already another person's — in the table or earlier in the batch — is
/// refused as a single write refuses it.
pub(crate) async fn after_create_many(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, rows: &[Row]) -> Result<()> {
    /// Identity rows per insert: five bound values each, under SQLite's limit of bound values.
    const PER_STATEMENT: usize = 4_000;
    let ws = actor.ws_id();
    crate::activity_clock::after_create_many(conn, backend, ws, rows).await?;
    crate::search::after_create_many(conn, backend, ws, rows).await?;
    crate::stage_history::after_create_many(conn, backend, ws, rows).await?;
    crate::deal_stats::created_many(conn, backend, actor, rows).await?;
    for kind in [IdentityKind::Phone, IdentityKind::Email, IdentityKind::Telegram, IdentityKind::Whatsapp] {
        // value → (person, field it is reported on, when), the first person of the batch to hold it.
        let mut wanted: std::collections::BTreeMap<String, (i64, &'static str, Option<i64>)> = std::collections::BTreeMap::new();
        for row in rows.iter().filter(|r| r.entity == Entity::Person) {
            for (name, _) in IDENTITY_FIELDS.iter().filter(|(_, k)| *k == kind) {
                for value in field_values(row, name, kind) {
                    match wanted.get(&value) {
                        Some((other, _, _)) if *other != row.id() => {
                            return Err(StoreError::conflict(
                                *name,
                                RecordMsg::IdentityTaken { id: *other, what: kind.as_str().to_string() },
                            ))
                        }
                        Some(_) => {}
                        None => {
                            wanted.insert(value, (row.id(), *name, row.get("updated_at").as_int()));
                        }
                    }
                }
            }
        }
        if wanted.is_empty() {
            continue;
        }
        // Inserted where free; a value the table already holds is not inserted, and is refused
        // below. No look-up first: the unique index is the check, so the statement's cost does
        // not depend on how many identities the transaction has written already (PostgreSQL
        // plans a look-up by a list of values on a table grown in the same transaction as if it
        // were empty, and scans it).
        let rows: Vec<_> = wanted.iter().collect();
        let mut inserted = std::collections::BTreeSet::new();
        for chunk in rows.chunks(PER_STATEMENT) {
            let mut ins = Query::insert();
            ins.into_table(col("identities")).columns(["workspace_id", "person_id", "kind", "value", "created_at"].map(col));
            for (value, (person, _, at)) in chunk {
                ins.values([ws.into(), (*person).into(), kind.as_str().into(), value.as_str().into(), (*at).into()])
                    .map_err(|e| StoreError::Internal(e.to_string()))?;
            }
            ins.on_conflict(OnConflict::columns(["workspace_id", "kind", "value"].map(col)).do_nothing().to_owned());
            ins.returning_col(col("value"));
            for r in conn.query_all(backend.build(&ins)).await? {
                inserted.insert(r.try_get::<String>("", "value")?);
            }
        }
        if let Some((value, (_, name, _))) = wanted.iter().find(|(v, _)| !inserted.contains(*v)) {
            let q = Query::select()
                .column(col("person_id"))
                .from(col("identities"))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("kind")).eq(kind.as_str()))
                .and_where(Expr::col(col("value")).eq(value.as_str()))
                .to_owned();
            let other = scalar_i64(conn, backend, &q).await?.unwrap_or(0);
            return Err(StoreError::conflict(*name, RecordMsg::IdentityTaken { id: other, what: kind.as_str().to_string() }));
        }
    }
    Ok(())
}

/// Keeps the identities table in step with a person's contact fields, the search words in step
/// with names and titles, and the client's last activity with notes and finished activities.
pub(crate) async fn after_write(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    row: &Row,
    old: Option<&Row>,
) -> Result<()> {
    crate::activity_clock::after_record_write(conn, backend, actor.ws_id(), row, old).await?;
    crate::search::after_write(conn, backend, actor.ws_id(), row, old).await?;
    let stats = crate::deal_stats::before_write(conn, backend, actor.ws_id(), row, old).await?;
    crate::stage_history::after_write(conn, backend, actor.ws_id(), row, old).await?;
    crate::deal_stats::after_write(conn, backend, actor, stats, row.id()).await?;
    crate::deal_stats::stage_moved(conn, backend, actor, row, old).await?;
    crate::client_notify::after_write(conn, backend, actor.ws_id(), row, old).await?;
    // A stage's SLA or its clock changed: the checks already waiting there move.
    if row.entity == Entity::Stage && old.is_some_and(|o| o.get("regulation") != row.get("regulation")) {
        crate::regulation::reschedule_sla(conn, backend, actor.ws_id(), Some(row.id())).await?;
    }
    if row.entity != Entity::Person {
        return Ok(());
    }
    let person = row.id();
    for kind in [IdentityKind::Phone, IdentityKind::Email, IdentityKind::Telegram, IdentityKind::Whatsapp] {
        let (new, before) = (identity_values(Some(row), kind), identity_values(old, kind));
        if new == before {
            continue;
        }
        // The field a taken value is reported on: the main one when it holds the value.
        let field_of = |v: &str| {
            IDENTITY_FIELDS
                .iter()
                .filter(|(_, k)| *k == kind)
                .find(|(name, _)| field_values(row, name, kind).iter().any(|x| x == v))
                .map_or("phone", |(name, _)| *name)
        };
        for gone in before.difference(&new) {
            let q = Query::delete()
                .from_table(col("identities"))
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col("person_id")).eq(person))
                .and_where(Expr::col(col("kind")).eq(kind.as_str()))
                .and_where(Expr::col(col("value")).eq(gone.as_str()))
                .to_owned();
            conn.execute(backend.build(&q)).await?;
        }
        for value in new.difference(&before) {
            let q = Query::select()
                .column(col("person_id"))
                .from(col("identities"))
                .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
                .and_where(Expr::col(col("kind")).eq(kind.as_str()))
                .and_where(Expr::col(col("value")).eq(value.as_str()))
                .to_owned();
            match scalar_i64(conn, backend, &q).await? {
                // Already this person's (an identity intake attached before the field was set).
                Some(other) if other == person => continue,
                Some(other) => {
                    return Err(StoreError::conflict(
                        field_of(value),
                        RecordMsg::IdentityTaken { id: other, what: kind.as_str().to_string() },
                    ))
                }
                None => {}
            }
            let ins = Query::insert()
                .into_table(col("identities"))
                .columns(["workspace_id", "person_id", "kind", "value", "created_at"].map(col))
                .values([
                    actor.ws_id().into(),
                    person.into(),
                    kind.as_str().into(),
                    value.as_str().into(),
                    row.get("updated_at").as_int().into(),
                ])
                .map_err(|e| StoreError::Internal(e.to_string()))?
                .to_owned();
            conn.execute(backend.build(&ins)).await?;
        }
    }
    Ok(())
}
