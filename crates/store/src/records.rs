//! Create, read, update, delete and list for every entity of the schema, with access rules,
//! reference checks and a history event in the same transaction as each change.
//! Entity-specific defaults and invariants live in [`crate::rules`].
//!
//! # The write pipeline
//!
//! Every creation, change and deletion of a record goes through these steps, in this order, in
//! the writer's transaction:
//!
//! 1. access (`may_write`) and validation of the body against the schema and custom fields;
//! 2. the rules before the write ([`rules::before_create`] / `before_update` / `before_delete`):
//!    defaults, assignment limits, invariants;
//! 3. the reference check (every linked id exists in the workspace and is visible);
//! 4. the insert, update or delete itself, the version bumped;
//! 5. the rules after the write ([`rules::after_write`]): identities, search words and the activity clock;
//! 6. the stage regulation for deals ([`crate::regulation::enforce_deal`]): role ranges,
//!    required fields, naming, entry tasks, the SLA timer, closing rules;
//! 7. history ([`append_history`]) and, in the same transaction, the outbound webhooks' deliveries.
//!
//! Producers that decide a record's values themselves — a stage's entry tasks and notes, an audit
//! round's tasks, an assistant's batched tasks — skip steps 1–3 (there is no user input) and go
//! through [`create_system_records`], which runs steps 4, 5 and 7 for a whole batch at once.
//!
//! A merge of persons or organizations ([`Db::merge`]) is a series of these writes: each live
//! record linked to the removed one is updated to point at the kept one, the removed one is
//! deleted (its event names the kept one) and the kept one is updated with the fields it lacked
//! (its event names the removed one), each through every step above.
use crate::actor::{scope_condition, Actor};
use crate::error::{Result, StoreError};
use crate::rules;
use crate::sql::{self, col, to_sea};
use crate::Db;
use poryadok_core::domain::HistoryAction;
use poryadok_core::msg::{Common, RecordMsg};
use poryadok_core::schema::{Entity, Field, Kind};
use poryadok_core::types::Val;
use poryadok_core::validate::{self, Ctx, Mode, RefCheck};
use sea_orm::{ConnectionTrait, DbBackend};
use sea_query::{Expr, Order, Query, SelectStatement};
use serde_json::{Map, Value as Json};

/// One stored record: its schema fields with their values, in schema order.
#[derive(Debug, Clone)]
pub struct Row {
    pub entity: Entity,
    pub values: Vec<(&'static Field, Val)>,
}

impl Row {
    pub fn get(&self, name: &str) -> &Val {
        self.values.iter().find(|(f, _)| f.name == name).map_or(&Val::Null, |(_, v)| v)
    }
    pub fn id(&self) -> i64 {
        self.get("id").as_int().unwrap_or_default()
    }
    pub fn to_json(&self) -> Json {
        let mut m = Map::new();
        for (f, v) in &self.values {
            if f.readable() {
                m.insert(f.name.to_string(), sql::to_json(f.kind, v));
            }
        }
        Json::Object(m)
    }
}

/// The columns read for an entity: every readable field.
fn readable(entity: Entity) -> impl Iterator<Item = &'static Field> {
    entity.fields().iter().filter(|f| f.readable())
}

/// `SELECT <fields> FROM <table> WHERE workspace AND not deleted AND visible`.
pub(crate) fn visible_select(entity: Entity, actor: &Actor, include_deleted: bool) -> SelectStatement {
    let mut q = Query::select();
    q.from(col(entity.table()))
        .columns(readable(entity).map(|f| col(f.column())))
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()));
    if entity.soft_delete() && !include_deleted {
        q.and_where(Expr::col(col("deleted_at")).is_null());
    }
    if let Some(cond) = scope_condition(entity, &actor.caller) {
        q.and_where(cond);
    }
    q
}

pub(crate) fn decode(entity: Entity, row: &sea_orm::QueryResult) -> Result<Row> {
    let mut values = Vec::with_capacity(entity.fields().len());
    for f in readable(entity) {
        values.push((f, sql::get(row, f)?));
    }
    Ok(Row { entity, values })
}

pub(crate) async fn fetch_one(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    entity: Entity,
    actor: &Actor,
    id: i64,
    include_deleted: bool,
) -> Result<Row> {
    let mut q = visible_select(entity, actor, include_deleted);
    q.and_where(Expr::col(col("id")).eq(id));
    let row = conn.query_one(backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
    decode(entity, &row)
}

/// [`fetch_one`] of a row about to be changed, locked until the transaction ends on PostgreSQL.
async fn fetch_for_update(conn: &impl ConnectionTrait, backend: DbBackend, entity: Entity, actor: &Actor, id: i64) -> Result<Row> {
    let mut q = visible_select(entity, actor, false);
    q.and_where(Expr::col(col("id")).eq(id));
    if backend == DbBackend::Postgres {
        q.lock(sea_query::LockType::Update);
    }
    let row = conn.query_one(backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
    decode(entity, &row)
}

/// Refuses a write made against another version of the row than the stored one.
fn check_version(row: &Row, if_match: Option<i64>) -> Result<()> {
    match (if_match, row.get("version").as_int()) {
        (Some(expected), Some(current)) if expected != current => Err(StoreError::Stale { current }),
        _ => Ok(()),
    }
}

/// A record's stored custom values (JSON text, or none) with a patch applied: a null removes the
/// key, anything else sets it. The text the record stores.
pub(crate) fn merged_custom(stored: Option<&str>, patch: Map<String, Json>) -> String {
    let mut merged = stored.and_then(|s| serde_json::from_str::<Map<String, Json>>(s).ok()).unwrap_or_default();
    for (k, v) in patch {
        if v.is_null() {
            merged.remove(&k);
        } else {
            merged.insert(k, v);
        }
    }
    Json::Object(merged).to_string()
}

impl Db {
    pub async fn get(&self, actor: &Actor, entity: Entity, id: i64) -> Result<Row> {
        fetch_one(&self.read, self.backend, entity, actor, id, false).await
    }

    /// [`Db::get`] inside the caller's transaction.
    pub(crate) async fn get_in(&self, conn: &impl ConnectionTrait, actor: &Actor, entity: Entity, id: i64) -> Result<Row> {
        fetch_one(conn, self.backend, entity, actor, id, false).await
    }

    pub async fn create(&self, actor: &Actor, entity: Entity, body: &Json) -> Result<Row> {
        let (db, actor, body) = (self.clone(), actor.clone(), body.clone());
        self.write_tx(move |tx| Box::pin(async move { db.create_in(tx, &actor, entity, &body).await })).await
    }

    /// [`Db::create`] inside the caller's transaction, so several writes commit or fail together.
    pub(crate) async fn create_in(&self, tx: &impl ConnectionTrait, actor: &Actor, entity: Entity, body: &Json) -> Result<Row> {
        // The settings a create reads (where a deal lands, its stage's regulation, the calendar,
        // client notifications, outbound webhooks) come from memory while their version, read
        // here in the write's transaction, is unchanged (crate::settings_cache). Only for records
        // whose writes change no settings.
        if matches!(entity, Entity::Deal | Entity::Person | Entity::Organization | Entity::Activity | Entity::Note) {
            return crate::settings_cache::with_version(tx, self.backend, self.create_now(tx, actor, entity, body)).await;
        }
        self.create_now(tx, actor, entity, body).await
    }

    async fn create_now(&self, tx: &impl ConnectionTrait, actor: &Actor, entity: Entity, body: &Json) -> Result<Row> {
        actor.caller.may_write(entity).map_err(StoreError::forbidden)?;
        let defs = if body.get("custom").is_some() { custom_defs_in(tx, self.backend, actor.ws_id(), entity).await? } else { Vec::new() };
        let ctx = Ctx { region: &actor.ws.region, custom_defs: &defs };
        let mut checked = validate::check(entity, body, Mode::Create, &ctx)?;
        let now = self.clock.now_ms();
        rules::before_create(tx, self.backend, actor, entity, &mut checked, now).await?;
        check_refs(tx, self.backend, actor, &checked.refs).await?;
        let custom = checked.custom.take().map(|m| strip_nulls(&m));
        let mut values = checked.values;
        if let Some(c) = &custom {
            values.push((custom_field(entity)?, Val::Text(Json::Object(c.clone()).to_string())));
        }
        hash_passwords(&mut values)?;
        let mentioned = mentions_in(tx, self.backend, actor, entity, &values).await?;
        let mut insert = Query::insert();
        insert.into_table(col(entity.table()));
        let mut cols = vec![col("workspace_id"), col("created_at"), col("updated_at")];
        let mut vals = vec![actor.ws_id().into(), now.into(), now.into()];
        for (f, v) in &values {
            cols.push(col(f.column()));
            vals.push(to_sea(f.kind, v).into());
        }
        insert.columns(cols).values(vals).map_err(|e| StoreError::Internal(e.to_string()))?.returning_col(col("id"));
        let inserted = tx.query_one(self.backend.build(&insert)).await.map_err(|e| unique_to_conflict(e, entity))?;
        let id: i64 = inserted.ok_or_else(|| StoreError::Internal("insert returned no id".into()))?.try_get("", "id")?;
        let mut row = inserted_row(entity, id, now, &values);
        crate::mentions::record(tx, self.backend, actor.ws_id(), id, &mentioned, now).await?;
        rules::after_write(tx, self.backend, actor, &row, None).await?;
        if entity == Entity::User {
            // A new user's first day: the quizzes meant for new users are due.
            crate::quiz::assign_new_user(tx, actor.ws_id(), id, now).await?;
        }
        if entity == Entity::Deal {
            if let Some(title) = crate::regulation::enforce_deal(tx, self.backend, actor, &row, None, now).await? {
                row = rename_deal(tx, self.backend, actor, id, &title).await?;
            }
        }
        let changes = diff(None, &row);
        append_history(tx, self.backend, actor, entity.name(), id, HistoryAction::Create, changes, now).await?;
        Ok(row)
    }

    pub async fn update(&self, actor: &Actor, entity: Entity, id: i64, body: &Json) -> Result<Row> {
        self.update_if(actor, entity, id, body, None).await
    }

    /// [`Db::update`] that applies only while the record is still at version `if_match`
    /// (the `ETag` the caller read), refusing with [`StoreError::Stale`] otherwise.
    pub async fn update_if(&self, actor: &Actor, entity: Entity, id: i64, body: &Json, if_match: Option<i64>) -> Result<Row> {
        let (db, actor, body) = (self.clone(), actor.clone(), body.clone());
        self.write_tx(move |tx| Box::pin(async move { db.update_checked(tx, &actor, entity, id, &body, if_match).await })).await
    }

    /// [`Db::update`] inside the caller's transaction.
    pub(crate) async fn update_in(&self, tx: &impl ConnectionTrait, actor: &Actor, entity: Entity, id: i64, body: &Json) -> Result<Row> {
        self.update_checked(tx, actor, entity, id, body, None).await
    }

    pub(crate) async fn update_checked(
        &self,
        tx: &impl ConnectionTrait,
        actor: &Actor,
        entity: Entity,
        id: i64,
        body: &Json,
        if_match: Option<i64>,
    ) -> Result<Row> {
        self.update_full(tx, actor, entity, id, body, if_match, Map::new()).await
    }

    /// [`Db::update_in`] whose history event also carries `noted` (a merge names the record it
    /// took in); the event is written, and the version bumped, even when no field changes.
    pub(crate) async fn update_noted(
        &self,
        tx: &impl ConnectionTrait,
        actor: &Actor,
        entity: Entity,
        id: i64,
        body: &Json,
        noted: Map<String, Json>,
    ) -> Result<Row> {
        self.update_full(tx, actor, entity, id, body, None, noted).await
    }

    #[expect(clippy::too_many_arguments)]
    async fn update_full(
        &self,
        tx: &impl ConnectionTrait,
        actor: &Actor,
        entity: Entity,
        id: i64,
        body: &Json,
        if_match: Option<i64>,
        noted: Map<String, Json>,
    ) -> Result<Row> {
        actor.caller.may_write(entity).map_err(StoreError::forbidden)?;
        let defs = if body.get("custom").is_some() { custom_defs_in(tx, self.backend, actor.ws_id(), entity).await? } else { Vec::new() };
        let ctx = Ctx { region: &actor.ws.region, custom_defs: &defs };
        let mut checked = validate::check(entity, body, Mode::Update, &ctx)?;
        let now = self.clock.now_ms();
        // The row is read locked (PostgreSQL; SQLite's one writer serialises writes anyway), so
        // concurrent read–merge–writes of the custom object queue instead of losing keys.
        let old = fetch_for_update(tx, self.backend, entity, actor, id).await?;
        check_version(&old, if_match)?;
        rules::before_update(tx, self.backend, actor, &old, &mut checked, now).await?;
        // Only references that change are checked: keeping a link to a since-deactivated user is fine.
        checked.refs.retain(|r| r.field.starts_with("custom.") || old.get(&r.field).as_int() != Some(r.id));
        check_refs(tx, self.backend, actor, &checked.refs).await?;
        let mut values: Vec<_> = checked.values.into_iter().filter(|(f, v)| old.get(f.name) != v || f.kind == Kind::Password).collect();
        if let Some(patch) = checked.custom.take() {
            let text = merged_custom(old.get("custom").as_text(), patch);
            if old.get("custom").as_text() != Some(text.as_str()) {
                values.push((custom_field(entity)?, Val::Text(text)));
            }
        }
        if values.is_empty() && noted.is_empty() {
            return Ok(old);
        }
        let password_changes = entity == Entity::User && values.iter().any(|(f, _)| f.kind == Kind::Password);
        if entity == Entity::User {
            // The attestation: a role is taken only with the quizzes required for it passed.
            if let Some((_, Val::Text(role))) = values.iter().find(|(f, _)| f.name == "role") {
                crate::quiz::check_role_change(tx, actor.ws_id(), id, role).await?;
            }
        }
        if password_changes {
            let email = values.iter().find(|(f, _)| f.name == "email").map(|(_, v)| v).unwrap_or(old.get("email"));
            crate::auth::check_password_email(&values, email.as_text())?;
        }
        hash_passwords(&mut values)?;
        let mentioned = mentions_in(tx, self.backend, actor, entity, &values).await?;
        let mut upd = Query::update();
        upd.table(col(entity.table()))
            .value(col("updated_at"), now)
            .value(col("version"), crate::sql::bump_version())
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id));
        for (f, v) in &values {
            upd.value(col(f.column()), to_sea(f.kind, v));
        }
        tx.execute(self.backend.build(&upd)).await.map_err(|e| unique_to_conflict(e, entity))?;
        if password_changes {
            crate::auth::end_sessions_on(tx, self.backend, actor.ws_id(), id).await?;
        }
        let mut row = fetch_one(tx, self.backend, entity, &system_view(actor), id, false).await?;
        crate::mentions::record(tx, self.backend, actor.ws_id(), id, &mentioned, now).await?;
        rules::after_write(tx, self.backend, actor, &row, Some(&old)).await?;
        if entity == Entity::Deal {
            if let Some(title) = crate::regulation::enforce_deal(tx, self.backend, actor, &row, Some(&old), now).await? {
                row = rename_deal(tx, self.backend, actor, id, &title).await?;
            }
        }
        let mut changes = diff(Some(&old), &row);
        if values.iter().any(|(f, _)| f.kind == Kind::Password) {
            changes.insert("password".into(), Json::String("changed".into()));
        }
        changes.extend(noted);
        append_history(tx, self.backend, actor, entity.name(), id, HistoryAction::Update, changes, now).await?;
        Ok(row)
    }

    /// Soft delete (the row and its history stay); users are deactivated instead.
    pub async fn delete(&self, actor: &Actor, entity: Entity, id: i64) -> Result<()> {
        self.delete_if(actor, entity, id, None).await
    }

    /// [`Db::delete`] that applies only while the record is still at version `if_match`.
    pub async fn delete_if(&self, actor: &Actor, entity: Entity, id: i64, if_match: Option<i64>) -> Result<()> {
        actor.caller.may_write(entity).map_err(StoreError::forbidden)?;
        if entity == Entity::User {
            self.update_if(actor, entity, id, &serde_json::json!({"active": false}), if_match).await?;
            return Ok(());
        }
        let (db, actor) = (self.clone(), actor.clone());
        self.write_tx(move |tx| Box::pin(async move { db.delete_in(tx, &actor, entity, id, if_match).await })).await
    }

    /// [`Db::delete_if`] of a soft-deleted entity inside the caller's transaction.
    pub(crate) async fn delete_in(
        &self,
        tx: &impl ConnectionTrait,
        actor: &Actor,
        entity: Entity,
        id: i64,
        if_match: Option<i64>,
    ) -> Result<()> {
        self.delete_full(tx, actor, entity, id, if_match, Map::new()).await
    }

    /// [`Db::delete_in`] whose history event carries `noted` (a merged record names its new home).
    pub(crate) async fn delete_noted(
        &self,
        tx: &impl ConnectionTrait,
        actor: &Actor,
        entity: Entity,
        id: i64,
        noted: Map<String, Json>,
    ) -> Result<()> {
        self.delete_full(tx, actor, entity, id, None, noted).await
    }

    async fn delete_full(
        &self,
        tx: &impl ConnectionTrait,
        actor: &Actor,
        entity: Entity,
        id: i64,
        if_match: Option<i64>,
        noted: Map<String, Json>,
    ) -> Result<()> {
        actor.caller.may_write(entity).map_err(StoreError::forbidden)?;
        let now = self.clock.now_ms();
        let old = fetch_for_update(tx, self.backend, entity, actor, id).await?;
        check_version(&old, if_match)?;
        rules::before_delete(tx, self.backend, actor, &old, now).await?;
        crate::deal_stats::removed(tx, self.backend, actor, &old).await?;
        let upd = Query::update()
            .table(col(entity.table()))
            .value(col("deleted_at"), now)
            .value(col("updated_at"), now)
            .value(col("version"), crate::sql::bump_version())
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        tx.execute(self.backend.build(&upd)).await?;
        crate::search::after_delete(tx, self.backend, actor.ws_id(), entity, id).await?;
        append_history(tx, self.backend, actor, entity.name(), id, HistoryAction::Delete, noted, now).await
    }

    /// The live custom field definitions of one entity, in their display order.
    pub(crate) async fn custom_defs(&self, ws: i64, entity: Entity) -> Result<Vec<validate::CustomDef>> {
        if !entity.has_custom_fields() {
            return Ok(Vec::new());
        }
        Ok(read_custom_defs(&self.read, self.backend, ws, Some(entity)).await?.into_iter().map(|(_, d)| d).collect())
    }
}

/// The live custom field definitions of one entity as the caller's transaction sees them (one
/// created earlier in it included).
async fn custom_defs_in(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, entity: Entity) -> Result<Vec<validate::CustomDef>> {
    if !entity.has_custom_fields() {
        return Ok(Vec::new());
    }
    Ok(read_custom_defs(conn, backend, ws, Some(entity)).await?.into_iter().map(|(_, d)| d).collect())
}

/// The row as stored by an insert of `values`: every column not written is NULL, except the
/// `custom` object, which defaults to `{}`. Saves reading back what was just written.
pub(crate) fn inserted_row(entity: Entity, id: i64, now: i64, values: &[(&'static Field, Val)]) -> Row {
    let values = readable(entity)
        .map(|f| {
            let v = match f.name {
                "id" => Val::Int(id),
                "version" => Val::Int(1),
                "created_at" | "updated_at" => Val::Int(now),
                _ => match values.iter().find(|(g, _)| g.name == f.name) {
                    Some((_, v)) => v.clone(),
                    None if f.kind == Kind::Custom => Val::Text("{}".into()),
                    None => Val::Null,
                },
            };
            (f, v)
        })
        .collect();
    Row { entity, values }
}

/// Gives a deal the title its stage's naming template produced, inside the write's transaction.
async fn rename_deal(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, id: i64, title: &str) -> Result<Row> {
    let q = Query::update()
        .table(col("deals"))
        .value(col("title"), title)
        .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
        .and_where(Expr::col(col("id")).eq(id))
        .to_owned();
    conn.execute(backend.build(&q)).await?;
    fetch_one(conn, backend, Entity::Deal, &system_view(actor), id, false).await
}

/// Reading back a row the caller just wrote must not fail because they assigned it to someone
/// else they cannot see; the write itself was authorised.
/// A record of workspace `ws` by id as stored, deleted or not, whoever may see it (what a webhook
/// delivery describes).
pub(crate) async fn stored_row(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, entity: Entity, id: i64) -> Result<Option<Row>> {
    let q = Query::select()
        .from(col(entity.table()))
        .columns(readable(entity).map(|f| col(f.column())))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("id")).eq(id))
        .to_owned();
    conn.query_one(backend.build(&q)).await?.map(|r| decode(entity, &r)).transpose()
}

pub(crate) fn system_view(actor: &Actor) -> Actor {
    let mut a = actor.clone();
    a.caller.role = poryadok_core::domain::Role::Admin;
    a
}

fn custom_field(entity: Entity) -> Result<&'static Field> {
    entity.field("custom").ok_or_else(|| StoreError::invalid("custom", Common::NoCustomFields {}))
}

fn strip_nulls(m: &Map<String, Json>) -> Map<String, Json> {
    m.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn hash_passwords(values: &mut [(&'static Field, Val)]) -> Result<()> {
    for (f, v) in values.iter_mut() {
        if let (Kind::Password, Val::Text(plain)) = (f.kind, &*v) {
            *v = Val::Text(crate::auth::hash_password(plain)?);
        }
    }
    Ok(())
}

fn unique_to_conflict(e: sea_orm::DbErr, entity: Entity) -> StoreError {
    let err = StoreError::Db(e);
    if !err.is_unique_violation() {
        return err;
    }
    match entity {
        // E-mails are unique across workspaces; the answer must not tell whether the address is
        // taken here or in someone else's workspace.
        Entity::User => StoreError::conflict("email", RecordMsg::EmailTaken {}),
        Entity::CustomField => StoreError::conflict("key", RecordMsg::KeyTaken {}),
        _ => StoreError::Conflict { field: None, msg: RecordMsg::Clash {}.into() },
    }
}

/// Every referenced record must exist in the caller's workspace, not be deleted, and be visible to
/// the caller; a referenced user must be active. Failures name the field.
pub(crate) async fn check_refs(conn: &impl ConnectionTrait, backend: DbBackend, actor: &Actor, refs: &[RefCheck]) -> Result<()> {
    for r in refs {
        // The caller was found active in their workspace a moment ago, when they authenticated.
        if r.entity == Entity::User && r.id == actor.user_id() {
            continue;
        }
        let mut q = Query::select();
        q.column(col("id"))
            .from(col(r.entity.table()))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(r.id));
        if r.entity.soft_delete() {
            q.and_where(Expr::col(col("deleted_at")).is_null());
        }
        if r.entity == Entity::User {
            q.and_where(Expr::col(col("active")).eq(true));
        }
        if let Some(cond) = scope_condition(r.entity, &actor.caller) {
            q.and_where(cond);
        }
        if conn.query_one(backend.build(&q)).await?.is_none() {
            let what = if r.entity == Entity::User { "active user" } else { r.entity.name() };
            return Err(StoreError::invalid(&r.field, RecordMsg::NoRecord { what: what.to_string(), id: r.id }));
        }
    }
    Ok(())
}

/// Field changes as `{"field": {"from": old, "to": new}}`, custom fields as `custom.key`.
fn diff(old: Option<&Row>, new: &Row) -> Map<String, Json> {
    let mut out = Map::new();
    for (f, v) in &new.values {
        if matches!(f.name, "id" | "created_at" | "updated_at" | "version") || !f.readable() {
            continue;
        }
        let before = old.map_or(&Val::Null, |o| o.get(f.name));
        if before == v {
            continue;
        }
        if f.kind == Kind::Custom {
            let (a, b) = (sql::to_json(f.kind, before), sql::to_json(f.kind, v));
            let (a, b) = (a.as_object().cloned().unwrap_or_default(), b.as_object().cloned().unwrap_or_default());
            for key in a.keys().chain(b.keys()) {
                let (x, y) = (a.get(key).cloned().unwrap_or(Json::Null), b.get(key).cloned().unwrap_or(Json::Null));
                if x != y {
                    out.insert(format!("custom.{key}"), serde_json::json!({"from": x, "to": y}));
                }
            }
            continue;
        }
        out.insert(f.name.to_string(), serde_json::json!({"from": sql::to_json(f.kind, before), "to": sql::to_json(f.kind, v)}));
    }
    out
}

/// Creates records a system producer decided (entry tasks, regulation notes, audit and assistant
/// tasks) in one batch: one insert, then for each record the rules after a write (the activity
/// clock), its history event and its outbound webhooks. Values are `(field name, value)`; every
/// row of a batch names the same fields in the same order. Returns the new ids in row order.
pub(crate) async fn create_system_records(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    entity: Entity,
    rows: &[Vec<(&'static str, Val)>],
    now: i64,
) -> Result<Vec<i64>> {
    let Some(first) = rows.first() else { return Ok(Vec::new()) };
    let fields: Vec<&'static Field> = first
        .iter()
        .map(|(name, _)| entity.field(name).ok_or_else(|| StoreError::Internal(format!("{} has no field {name}", entity.name()))))
        .collect::<Result<_>>()?;
    let mut insert = Query::insert();
    insert.into_table(col(entity.table()));
    let mut cols = vec![col("workspace_id"), col("created_at"), col("updated_at")];
    cols.extend(fields.iter().map(|f| col(f.column())));
    insert.columns(cols);
    for row in rows {
        let mut vals = vec![actor.ws_id().into(), now.into(), now.into()];
        vals.extend(fields.iter().zip(row).map(|(f, (_, v))| to_sea(f.kind, v).into()));
        insert.values(vals).map_err(|e| StoreError::Internal(e.to_string()))?;
    }
    insert.returning_col(col("id"));
    let mut ids: Vec<i64> =
        conn.query_all(backend.build(&insert)).await?.iter().map(|r| r.try_get::<i64>("", "id")).collect::<std::result::Result<_, _>>()?;
    // Ids grow in insertion order; the sort makes that explicit whatever order RETURNING gives.
    ids.sort_unstable();
    let mut events = Vec::with_capacity(ids.len());
    for (id, values) in ids.iter().zip(rows) {
        let typed: Vec<(&'static Field, Val)> = fields.iter().copied().zip(values.iter().map(|(_, v)| v.clone())).collect();
        let row = inserted_row(entity, *id, now, &typed);
        rules::after_write(conn, backend, actor, &row, None).await?;
        events.push((*id, diff(None, &row)));
    }
    append_history_many(conn, backend, actor, entity.name(), HistoryAction::Create, events, now).await?;
    Ok(ids)
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn append_history(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    entity: &str,
    record_id: i64,
    action: HistoryAction,
    changes: Map<String, Json>,
    now: i64,
) -> Result<()> {
    let changes = Json::Object(changes);
    let q = Query::insert()
        .into_table(col("history"))
        .columns(["workspace_id", "entity", "record_id", "action", "actor_id", "channel", "changes", "created_at"].map(col))
        .values([
            actor.ws_id().into(),
            entity.into(),
            record_id.into(),
            action.as_str().into(),
            (actor.user_id() != 0).then_some(actor.user_id()).into(),
            actor.channel.as_str().into(),
            changes.to_string().into(),
            now.into(),
        ])
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .to_owned();
    conn.execute(backend.build(&q)).await?;
    // Outbound webhooks hear of the change in the same transaction, so only committed changes are announced.
    crate::channels::webhooks::emit_on(conn, backend, actor.ws_id(), entity, record_id, action, &changes, now).await
}

/// History events of one action on several records of `entity`, in one statement, and their
/// outbound webhooks.
pub(crate) async fn append_history_many(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    entity: &str,
    action: HistoryAction,
    events: Vec<(i64, Map<String, Json>)>,
    now: i64,
) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let events: Vec<(i64, Json)> = events.into_iter().map(|(id, c)| (id, Json::Object(c))).collect();
    let mut q = Query::insert();
    q.into_table(col("history"))
        .columns(["workspace_id", "entity", "record_id", "action", "actor_id", "channel", "changes", "created_at"].map(col));
    for (id, changes) in &events {
        q.values([
            actor.ws_id().into(),
            entity.into(),
            (*id).into(),
            action.as_str().into(),
            (actor.user_id() != 0).then_some(actor.user_id()).into(),
            actor.channel.as_str().into(),
            changes.to_string().into(),
            now.into(),
        ])
        .map_err(|e| StoreError::Internal(e.to_string()))?;
    }
    conn.execute(backend.build(&q)).await?;
    let events: Vec<(i64, &Json)> = events.iter().map(|(id, changes)| (*id, changes)).collect();
    crate::channels::webhooks::emit_many(conn, backend, actor.ws_id(), entity, action, &events, now).await
}

/// Live custom field definitions of a workspace (of one entity, if given), in display order.
pub(crate) async fn read_custom_defs(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    entity: Option<Entity>,
) -> Result<Vec<(Entity, validate::CustomDef)>> {
    Ok(read_custom_defs_with_ids(conn, backend, ws, entity).await?.into_iter().map(|(_, e, d)| (e, d)).collect())
}

/// [`read_custom_defs`] with each definition's id.
pub(crate) async fn read_custom_defs_with_ids(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    entity: Option<Entity>,
) -> Result<Vec<(i64, Entity, validate::CustomDef)>> {
    let mut q = Query::select();
    q.columns(["id", "entity", "key", "label", "field_type", "options"].map(col))
        .from(col("custom_field_defs"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .order_by(col("position"), Order::Asc)
        .order_by(col("id"), Order::Asc);
    if let Some(e) = entity {
        q.and_where(Expr::col(col("entity")).eq(e.name()));
    }
    let mut defs = Vec::new();
    for r in conn.query_all(backend.build(&q)).await? {
        let (e, ft): (String, String) = (r.try_get("", "entity")?, r.try_get("", "field_type")?);
        let bad = || StoreError::Internal(format!("stored custom field {e}/{ft}"));
        let options: Option<String> = r.try_get("", "options")?;
        defs.push((
            r.try_get("", "id")?,
            Entity::from_name(&e).ok_or_else(bad)?,
            validate::CustomDef {
                key: r.try_get("", "key")?,
                label: r.try_get("", "label")?,
                field_type: poryadok_core::domain::CustomFieldType::parse(&ft).ok_or_else(bad)?,
                options: options.and_then(|o| serde_json::from_str(&o).ok()).unwrap_or_default(),
            },
        ));
    }
    Ok(defs)
}

/// The users a note's new text mentions (see [`crate::mentions`]); nothing for other records,
/// when the text is not being written, or when no person is writing it (a web form's or an
/// imported text may hold a client's `@telegram` name, which mentions nobody).
async fn mentions_in(
    tx: &impl ConnectionTrait,
    backend: DbBackend,
    actor: &Actor,
    entity: Entity,
    values: &[(&'static Field, Val)],
) -> Result<Vec<i64>> {
    if !matches!(actor.channel, poryadok_core::domain::Channel::Api | poryadok_core::domain::Channel::Ui) {
        return Ok(Vec::new());
    }
    match values.iter().find(|(f, _)| entity == Entity::Note && f.name == "content") {
        Some((_, Val::Text(text))) => crate::mentions::resolve(tx, backend, actor.ws_id(), text).await,
        _ => Ok(Vec::new()),
    }
}
