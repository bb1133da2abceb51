//! Workspaces (tenants): creation with the default custom fields of the seeds, settings, and
//! resolving a user into an [`Actor`].
use crate::actor::{Actor, WorkspaceInfo};
use crate::error::{Result, StoreError};
use crate::sql::col;
use crate::Db;
use poryadok_core::access::Caller;
use poryadok_core::domain::{Channel, HistoryAction, Role, Visibility};
use poryadok_core::msg::{words, Common, RecordMsg};
use poryadok_core::types::{self, Val};
use sea_orm::{ConnectionTrait, TransactionTrait};
use sea_query::{Expr, JoinType, Order, Query, SelectStatement};
use serde_json::{json, Value as Json};

#[derive(Debug, Clone)]
pub struct NewWorkspace {
    pub name: String,
    pub currency: String,
    pub timezone: String,
    pub locale: String,
    pub region: String,
    pub visibility: Visibility,
}

impl Default for NewWorkspace {
    fn default() -> Self {
        NewWorkspace {
            name: "Poryadok".into(),
            currency: "RUB".into(),
            timezone: "Europe/Moscow".into(),
            locale: "ru".into(),
            region: "RU".into(),
            visibility: Visibility::Own,
        }
    }
}

/// Custom fields every new workspace starts with: the ones the sales regulation of the seeds relies on.
pub const DEFAULT_CUSTOM_FIELDS: &[(&str, &str, &str, &str)] = &[
    ("organization", "city", "Город", "text"),
    ("organization", "country", "Страна", "text"),
    ("organization", "partner_org", "Организация-партнёр", "organization"),
    ("organization", "is_agency", "Агентство", "bool"),
    ("deal", "city", "Город", "text"),
    ("deal", "budget", "Бюджет", "money"),
    ("deal", "traffic", "Трафик сайта", "number"),
    ("deal", "proposal_link", "Ссылка на КП", "url"),
    ("deal", "demo_link", "Запись демо", "url"),
    ("deal", "product", "Продукт", "text"),
];

pub fn default_business_hours() -> Json {
    json!({"days": [1, 2, 3, 4, 5], "start": "09:00", "end": "18:00", "holidays": []})
}

impl Db {
    pub async fn create_workspace(&self, ws: &NewWorkspace) -> Result<WorkspaceInfo> {
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let q = Query::insert()
            .into_table(col("workspaces"))
            .columns(["name", "currency", "timezone", "locale", "region", "visibility", "business_hours", "created_at"].map(col))
            .values([
                ws.name.clone().into(),
                ws.currency.clone().into(),
                ws.timezone.clone().into(),
                ws.locale.clone().into(),
                ws.region.clone().into(),
                ws.visibility.as_str().into(),
                default_business_hours().to_string().into(),
                now.into(),
            ])
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .returning_col(col("id"))
            .to_owned();
        let id: i64 =
            tx.query_one(self.backend.build(&q)).await?.ok_or_else(|| StoreError::Internal("no workspace id".into()))?.try_get("", "id")?;
        for (pos, (entity, key, label, ft)) in DEFAULT_CUSTOM_FIELDS.iter().enumerate() {
            let q = Query::insert()
                .into_table(col("custom_field_defs"))
                .columns(["workspace_id", "entity", "key", "label", "field_type", "position", "created_at", "updated_at"].map(col))
                .values([
                    id.into(),
                    (*entity).into(),
                    (*key).into(),
                    (*label).into(),
                    (*ft).into(),
                    (pos as i64).into(),
                    now.into(),
                    now.into(),
                ])
                .map_err(|e| StoreError::Internal(e.to_string()))?
                .to_owned();
            tx.execute(self.backend.build(&q)).await?;
        }
        crate::marketing::seed_default_aliases(&tx, self.backend, id, now).await?;
        tx.commit().await?;
        self.workspace_info(id).await
    }

    pub async fn workspace_info(&self, id: i64) -> Result<WorkspaceInfo> {
        let q = Query::select()
            .columns(["id", "name", "currency", "region", "locale", "timezone"].map(col))
            .from(col("workspaces"))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        let r = self.read.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
        Ok(WorkspaceInfo {
            id: r.try_get("", "id")?,
            name: r.try_get("", "name")?,
            currency: r.try_get("", "currency")?,
            region: r.try_get("", "region")?,
            locale: r.try_get("", "locale")?,
            timezone: r.try_get("", "timezone")?,
        })
    }

    /// Ids of all workspaces, oldest first.
    pub async fn workspace_ids(&self) -> Result<Vec<i64>> {
        let q = Query::select().column(col("id")).from(col("workspaces")).order_by(col("id"), Order::Asc).to_owned();
        let rows = self.read.query_all(self.backend.build(&q)).await?;
        rows.iter().map(|r| r.try_get::<i64>("", "id").map_err(StoreError::from)).collect()
    }

    /// The workspace settings as the API shows them.
    pub async fn workspace_json(&self, actor: &Actor) -> Result<Json> {
        let q = Query::select()
            .columns(
                [
                    "id",
                    "name",
                    "currency",
                    "timezone",
                    "locale",
                    "region",
                    "visibility",
                    "business_hours",
                    "lost_reasons",
                    "frozen_reasons",
                    "not_lead_reasons",
                ]
                .map(col),
            )
            .from(col("workspaces"))
            .and_where(Expr::col(col("id")).eq(actor.ws_id()))
            .to_owned();
        let r = self.read.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?;
        let hours: String = r.try_get("", "business_hours")?;
        let list = |c: &str| -> Result<Json> {
            Ok(r.try_get::<Option<String>>("", c)?.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_else(|| json!([])))
        };
        Ok(json!({
            "id": r.try_get::<i64>("", "id")?,
            "name": r.try_get::<String>("", "name")?,
            "currency": r.try_get::<String>("", "currency")?,
            "timezone": r.try_get::<String>("", "timezone")?,
            "locale": r.try_get::<String>("", "locale")?,
            "region": r.try_get::<String>("", "region")?,
            "visibility": r.try_get::<String>("", "visibility")?,
            "business_hours": serde_json::from_str::<Json>(&hours).unwrap_or(Json::Null),
            "lost_reasons": list("lost_reasons")?,
            "frozen_reasons": list("frozen_reasons")?,
            "not_lead_reasons": match list("not_lead_reasons")? {
                Json::Array(a) if a.is_empty() => json!(poryadok_core::regulation::default_not_lead_reasons(
                    poryadok_core::msg::Lang::from_locale(&r.try_get::<String>("", "locale")?)
                )),
                l => l,
            },
        }))
    }

    /// Changes workspace settings (administrators only).
    pub async fn update_workspace(&self, actor: &Actor, body: &Json) -> Result<Json> {
        if !actor.caller.role.can_manage_settings() {
            return Err(StoreError::forbidden(RecordMsg::WorkspaceAdminOnly {}));
        }
        let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        let mut upd = Query::update();
        upd.table(col("workspaces")).and_where(Expr::col(col("id")).eq(actor.ws_id()));
        let before = self.workspace_json(actor).await?;
        for (k, v) in obj {
            let s = || v.as_str().ok_or_else(|| StoreError::invalid(k, Common::NotString {}));
            let value: sea_query::Value = match k.as_str() {
                "name" => {
                    let n = s()?.trim();
                    if n.is_empty() || n.chars().count() > 255 {
                        return Err(StoreError::invalid(k, Common::Length { min: 1, max: 255 }));
                    }
                    n.into()
                }
                "currency" => types::parse_currency(s()?).map_err(|m| StoreError::invalid(k, m))?.into(),
                "timezone" => types::parse_timezone(s()?).map_err(|m| StoreError::invalid(k, m))?.into(),
                "locale" if ["ru", "en"].contains(&s()?) => s()?.into(),
                "locale" => return Err(StoreError::invalid(k, Common::OneOf { list: words(["ru", "en"]) })),
                "region" if s()?.len() == 2 && s()?.chars().all(|c| c.is_ascii_uppercase()) => s()?.into(),
                "region" => return Err(StoreError::invalid(k, RecordMsg::Region {})),
                "visibility" => Visibility::parse(s()?)
                    .ok_or_else(|| StoreError::invalid(k, Common::OneOf { list: words(Visibility::ALL) }))?
                    .as_str()
                    .into(),
                "business_hours" => poryadok_core::calendar::BusinessHours::parse(v)?.to_json().to_string().into(),
                "lost_reasons" | "frozen_reasons" | "not_lead_reasons" => {
                    let f = poryadok_core::schema::Field::new("reasons", poryadok_core::schema::Kind::StringList);
                    match poryadok_core::validate::field_value(&f, v, &actor.ws.region).map_err(|m| StoreError::invalid(k, m))? {
                        Val::Text(list) => list.into(),
                        _ => "[]".into(),
                    }
                }
                _ => return Err(StoreError::invalid(k, RecordMsg::UnknownSetting {})),
            };
            upd.value(col(k), value);
        }
        if !obj.is_empty() {
            let tx = self.write.begin().await?;
            tx.execute(self.backend.build(&upd)).await?;
            if obj.contains_key("business_hours") || obj.contains_key("timezone") {
                crate::regulation::reschedule_sla(&tx, self.backend, actor.ws_id(), None).await?;
            }
            let mut changes = serde_json::Map::new();
            for (k, v) in obj {
                changes.insert(k.clone(), json!({"from": before.get(k), "to": v}));
            }
            let now = self.clock.now_ms();
            // The dashboard's aggregate counts days in the workspace's zone: a new zone queues
            // its recount (the reports read the deals meanwhile).
            if obj.get("timezone").is_some_and(|tz| before.get("timezone") != Some(tz)) {
                let job = crate::jobs::NewJob::new(actor.ws_id(), crate::deal_stats::REBUILD_JOB, json!({}), now);
                crate::jobs::enqueue_on(&tx, self.backend, &job, now).await?;
            }
            crate::records::append_history(&tx, self.backend, actor, "workspace", actor.ws_id(), HistoryAction::Update, changes, now)
                .await?;
            tx.commit().await?;
        }
        self.workspace_json(actor).await
    }

    /// Resolves an active user into an actor (role, team, the workspace's settings).
    pub async fn actor_for_user(&self, user_id: i64, channel: Channel) -> Result<Actor> {
        let mut q = actor_select();
        q.and_where(Expr::col((col("u"), col("id"))).eq(user_id));
        Ok(self.resolve_actor(q, channel).await?.0)
    }

    /// Runs an [`actor_select`] narrowed to one user; the second value is the `extra` column, if selected.
    pub(crate) async fn resolve_actor(&self, q: SelectStatement, channel: Channel) -> Result<(Actor, Option<String>)> {
        let r = self.read.query_one(self.backend.build(&q)).await?.ok_or(StoreError::Unauthorized)?;
        if !r.try_get::<bool>("", "active")? {
            return Err(StoreError::Unauthorized);
        }
        let role: String = r.try_get("", "role")?;
        let vis: String = r.try_get("", "visibility")?;
        let ws_id: i64 = r.try_get("", "workspace_id")?;
        let caller = Caller {
            workspace_id: ws_id,
            user_id: r.try_get("", "user_id")?,
            role: Role::parse(&role).ok_or_else(|| StoreError::Internal(format!("stored role {role}")))?,
            team_id: r.try_get("", "team_id")?,
            visibility: Visibility::parse(&vis).unwrap_or(Visibility::Own),
        };
        let ws = WorkspaceInfo {
            id: ws_id,
            name: r.try_get("", "ws_name")?,
            currency: r.try_get("", "currency")?,
            region: r.try_get("", "region")?,
            locale: r.try_get("", "ws_locale")?,
            timezone: r.try_get("", "timezone")?,
        };
        let extra = r.try_get::<Option<String>>("", "extra").ok().flatten();
        let user_name = r.try_get("", "user_name")?;
        let user_locale = r.try_get("", "user_locale")?;
        let user_timezone = r.try_get::<Option<String>>("", "user_timezone")?.filter(|tz| poryadok_core::zone::is_known(tz));
        Ok((Actor { caller, ws, channel, user_name, user_locale, user_timezone }, extra))
    }

    /// An actor for work done by the system itself (CLI, demo data): an administrator with no user.
    pub async fn system_actor(&self, workspace_id: i64, channel: Channel) -> Result<Actor> {
        Ok(Actor {
            caller: Caller { workspace_id, user_id: 0, role: Role::Admin, team_id: None, visibility: Visibility::All },
            ws: self.workspace_info(workspace_id).await?,
            channel,
            user_name: String::new(),
            user_locale: None,
            user_timezone: None,
        })
    }

    /// Remembers the caller's interface language (any user may set their own).
    pub async fn set_own_locale(&self, actor: &Actor, locale: &str) -> Result<()> {
        if !matches!(locale, "ru" | "en") {
            return Err(StoreError::invalid("locale", Common::OneOf { list: words(["ru", "en"]) }));
        }
        let q = Query::update()
            .table(col("users"))
            .value(col("locale"), locale)
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(actor.user_id()))
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        Ok(())
    }

    /// Sets the caller's own time zone (`None` follows the workspace's), with a history event.
    pub async fn set_own_timezone(&self, actor: &Actor, tz: Option<&str>) -> Result<()> {
        if actor.user_id() <= 0 {
            return Err(StoreError::NotFound);
        }
        let tz = match tz.map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Some(types::parse_timezone(t).map_err(|m| StoreError::invalid("timezone", m))?),
            None => None,
        };
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let q = Query::update()
            .table(col("users"))
            .value(col("timezone"), tz.clone())
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(actor.user_id()))
            .to_owned();
        tx.execute(self.backend.build(&q)).await?;
        let mut changes = serde_json::Map::new();
        changes.insert("timezone".into(), serde_json::json!([actor.user_timezone, tz]));
        crate::records::append_history(
            &tx,
            self.backend,
            actor,
            "user",
            actor.user_id(),
            poryadok_core::domain::HistoryAction::Update,
            changes,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Each user's own time zone in a workspace (those who set one).
    pub async fn user_timezones(&self, ws: i64) -> Result<std::collections::HashMap<i64, String>> {
        crate::team::user_zones(&self.read, self.backend, ws).await
    }

    /// Finds a user by e-mail across workspaces: (workspace id, user id).
    pub async fn user_by_email(&self, email: &str) -> Result<Option<(i64, i64)>> {
        let q = Query::select()
            .columns(["workspace_id", "id"].map(col))
            .from(col("users"))
            .and_where(Expr::col(col("email")).eq(email.trim().to_lowercase()))
            .to_owned();
        Ok(match self.read.query_one(self.backend.build(&q)).await? {
            Some(r) => Some((r.try_get("", "workspace_id")?, r.try_get("", "id")?)),
            None => None,
        })
    }
}

/// One query that yields everything an [`Actor`] needs: the user (`u`) joined with their workspace (`w`).
/// Callers add the condition that picks the user (by id, by token, by session).
pub(crate) fn actor_select() -> SelectStatement {
    let uw = |t: &str, c: &str, alias: &str| (Expr::col((col(t), col(c))), col(alias));
    let mut q = Query::select();
    for (e, a) in [
        uw("u", "id", "user_id"),
        uw("u", "workspace_id", "workspace_id"),
        uw("u", "role", "role"),
        uw("u", "team_id", "team_id"),
        uw("u", "active", "active"),
        uw("u", "name", "user_name"),
        uw("u", "locale", "user_locale"),
        uw("u", "timezone", "user_timezone"),
        uw("w", "visibility", "visibility"),
        uw("w", "name", "ws_name"),
        uw("w", "currency", "currency"),
        uw("w", "region", "region"),
        uw("w", "locale", "ws_locale"),
        uw("w", "timezone", "timezone"),
    ] {
        q.expr_as(e, a);
    }
    q.from_as(col("users"), col("u")).join_as(
        JoinType::InnerJoin,
        col("workspaces"),
        col("w"),
        Expr::col((col("w"), col("id"))).equals((col("u"), col("workspace_id"))),
    );
    q
}
