//! Requisites, typed: the workspace's own (table `workspace_requisites`, one row per workspace,
//! with a version for `If-Match`) and an organization's (its `requisites` field, written through
//! the records' write path like any other field). Both read back as
//! [`poryadok_core::requisites::Requisites`], whose numbers are checked values.
//!
//! [`workspace`] and [`organization`] are the typed reads documents fill templates from.
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::records::append_history;
use crate::sql::col;
use crate::Db;
use poryadok_core::domain::HistoryAction;
use poryadok_core::msg::RequisiteMsg;
use poryadok_core::requisites::{Requisites, KEYS};
use sea_orm::{ConnectionTrait, QueryResult};
use sea_query::{Expr, Query};
use serde_json::{json, Map, Value as Json};

/// The workspace's requisites and their version (0 before they were first saved).
#[derive(Debug, Clone, Default)]
pub struct WorkspaceRequisites {
    pub requisites: Requisites,
    pub version: i64,
    pub updated_at: Option<i64>,
}

impl WorkspaceRequisites {
    pub fn to_json(&self) -> Json {
        let mut v = self.requisites.to_json();
        if let Some(m) = v.as_object_mut() {
            m.insert("version".into(), json!(self.version));
            m.insert("updated_at".into(), json!(self.updated_at.map(poryadok_core::types::format_ms)));
        }
        v
    }
}

fn from_row(r: &QueryResult) -> Result<WorkspaceRequisites> {
    let mut m = Map::new();
    for k in KEYS {
        m.insert(k.to_string(), r.try_get::<Option<String>>("", k)?.map_or(Json::Null, Json::String));
    }
    // Stored values were checked when saved; a row that no longer parses (a rule tightened
    // since) reads as what still does, rather than failing every document.
    let requisites = Requisites::parse(&Json::Object(m.clone()), "").unwrap_or_else(|_| {
        let typed = |k: &str| m.get(k).and_then(Json::as_str).map(str::to_string);
        Requisites {
            legal_name: typed("legal_name"),
            legal_address: typed("legal_address"),
            bank_name: typed("bank_name"),
            signatory_name: typed("signatory_name"),
            signatory_title: typed("signatory_title"),
            ..Requisites::default()
        }
    });
    Ok(WorkspaceRequisites { requisites, version: r.try_get("", "version")?, updated_at: Some(r.try_get("", "updated_at")?) })
}

async fn read_workspace(conn: &impl ConnectionTrait, backend: sea_orm::DbBackend, ws: i64) -> Result<WorkspaceRequisites> {
    let q = Query::select()
        .columns(KEYS.iter().map(|k| col(k)))
        .columns(["version", "updated_at"].map(col))
        .from(col("workspace_requisites"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .to_owned();
    match conn.query_one(backend.build(&q)).await? {
        Some(r) => from_row(&r),
        None => Ok(WorkspaceRequisites::default()),
    }
}

/// The workspace's own requisites (empty before an administrator saved them).
pub async fn workspace(db: &Db, ws: i64) -> Result<Requisites> {
    Ok(read_workspace(&db.read, db.backend, ws).await?.requisites)
}

/// An organization's requisites (empty when it has none). Reads by id within the workspace: a
/// caller working for a user checks first that the user may see the record it came from.
pub async fn organization(db: &Db, ws: i64, org_id: i64) -> Result<Requisites> {
    let q = Query::select()
        .column(col("requisites"))
        .from(col("organizations"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("id")).eq(org_id))
        .to_owned();
    let r = db.read.query_one(db.backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
    let raw: Option<String> = r.try_get("", "requisites")?;
    let v: Json = raw.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or(Json::Null);
    Ok(Requisites::parse(&v, "requisites").unwrap_or_default())
}

impl Db {
    /// The workspace's requisites with their version, for the API and the settings page.
    pub async fn workspace_requisites(&self, actor: &Actor) -> Result<WorkspaceRequisites> {
        read_workspace(&self.read, self.backend, actor.ws_id()).await
    }

    /// Replaces the workspace's requisites (administrators only). `body` is a requisites object;
    /// a bad part is a validation error naming it. `if_match`, when given, must be the current
    /// version ([`StoreError::Stale`] otherwise). A history event records what changed.
    pub async fn put_workspace_requisites(&self, actor: &Actor, body: &Json, if_match: Option<i64>) -> Result<WorkspaceRequisites> {
        if !actor.caller.role.can_manage_settings() {
            return Err(StoreError::forbidden(RequisiteMsg::AdminsOnly {}));
        }
        let mut body = body.clone();
        if let Some(m) = body.as_object_mut() {
            m.remove("version");
            m.remove("updated_at");
        }
        let new = Requisites::parse(&body, "")?;
        let now = self.clock.now_ms();
        let (db, actor) = (self.clone(), actor.clone());
        self.write_tx(move |tx| {
            Box::pin(async move {
                let backend = db.backend;
                let ws = actor.ws_id();
                let old = read_workspace(tx, backend, ws).await?;
                if let Some(expected) = if_match {
                    if expected != old.version {
                        return Err(StoreError::Stale { current: old.version });
                    }
                }
                let values: Vec<(&str, Option<String>)> = KEYS.iter().map(|k| (*k, new.get(k).map(str::to_string))).collect();
                let version = old.version + 1;
                if old.version == 0 {
                    let mut cols: Vec<&str> = vec!["workspace_id", "version", "updated_at", "updated_by"];
                    cols.extend(KEYS.iter());
                    let mut vals: Vec<sea_query::SimpleExpr> =
                        vec![ws.into(), version.into(), now.into(), (actor.user_id() != 0).then_some(actor.user_id()).into()];
                    vals.extend(values.iter().map(|(_, v)| v.clone().into()));
                    let q = Query::insert()
                        .into_table(col("workspace_requisites"))
                        .columns(cols.into_iter().map(col))
                        .values(vals)
                        .map_err(|e| StoreError::Internal(e.to_string()))?
                        .to_owned();
                    tx.execute(backend.build(&q)).await?;
                } else {
                    let mut q = Query::update();
                    q.table(col("workspace_requisites"))
                        .value(col("version"), version)
                        .value(col("updated_at"), now)
                        .value(col("updated_by"), (actor.user_id() != 0).then_some(actor.user_id()))
                        .and_where(Expr::col(col("workspace_id")).eq(ws));
                    for (k, v) in &values {
                        q.value(col(k), v.clone());
                    }
                    tx.execute(backend.build(&q)).await?;
                }
                let mut changes = Map::new();
                for k in KEYS {
                    let (from, to) = (old.requisites.get(k), new.get(k));
                    if from != to {
                        changes.insert(format!("requisites.{k}"), json!({"from": from, "to": to}));
                    }
                }
                if !changes.is_empty() {
                    append_history(tx, backend, &actor, "workspace", ws, HistoryAction::Update, changes, now).await?;
                }
                Ok(WorkspaceRequisites { requisites: new, version, updated_at: Some(now) })
            })
        })
        .await
    }
}
