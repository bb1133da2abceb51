//! Order in the CRM: hygiene rules, audit rounds, violations, answers, reviews and standings.
//!
//! A rule is a filter expression over deals, persons or organizations with a criticality and an
//! explanation. A round evaluates every enabled rule over the whole workspace — one
//! `INSERT … SELECT` per rule, so a round over a million deals is as fast as the rules' SQL — and
//! records each hit as a violation for the record's owner (or the rule's responsible role), with
//! a deadline in working days. The responsible user answers (fixed / not fixed with a comment);
//! at the deadline a re-check closes the "fixed" claims that hold and flags those that do not;
//! a head reviews and accepts or warns.
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::sql::{aliased, col};
use crate::Db;
use poryadok_core::domain::Role;
use poryadok_core::msg::{words, AuditMsg, Common};
use poryadok_core::schema::Entity;
use poryadok_core::types::Val;
use poryadok_core::{Lang, Msg};
use sea_orm::{ConnectionTrait, QueryResult, TransactionTrait};
use sea_query::{Expr, Func, Order, Query};
use serde_json::{json, Map, Value as Json};

pub const ROUND_JOB: &str = "audit_round";
pub const RECHECK_JOB: &str = "audit_recheck";
/// The recurring round (every two weeks by default, as in the seed).
pub const SCHEDULED_JOB: &str = "audit_scheduled";
pub const DEFAULT_EVERY_MS: i64 = 14 * 86_400_000;
/// Working days a user has to answer a round's violations.
pub const ANSWER_DAYS: i64 = 3;
pub const ANSWERS: &[&str] = &["not_processed", "fixed", "not_fixed"];
const RULE_ENTITIES: &[Entity] = &[Entity::Deal, Entity::Person, Entity::Organization];

fn may_manage(actor: &Actor) -> Result<()> {
    match actor.caller.role {
        Role::Admin | Role::Head => Ok(()),
        _ => Err(StoreError::forbidden(AuditMsg::ManageForbidden {})),
    }
}

fn text(obj: &Map<String, Json>, key: &str, max: usize, required: bool) -> Result<Option<String>> {
    match obj.get(key) {
        None | Some(Json::Null) if !required => Ok(None),
        Some(Json::String(s)) if !s.trim().is_empty() => {
            if s.chars().count() > max {
                return Err(StoreError::invalid(key, Common::TooLongCount { n: s.chars().count() as i64, max: max as i64 }));
            }
            Ok(Some(s.trim().to_string()))
        }
        Some(Json::String(_)) if !required => Ok(None),
        Some(Json::String(_)) | None | Some(Json::Null) => Err(StoreError::invalid(key, Common::Required {})),
        Some(_) => Err(StoreError::invalid(key, Common::NotString {})),
    }
}

/// An entity as the API writes it: by name.
fn entity_name<S: serde::Serializer>(e: &Entity, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(e.name())
}

/// A stored entity name read back (only rule entities are ever written).
fn stored_entity(name: &str) -> Result<Entity> {
    Entity::from_name(name).ok_or_else(|| StoreError::Internal(format!("stored entity {name:?}")))
}

/// A hygiene rule.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Rule {
    pub id: i64,
    /// The built-in catalogue's key of a rule installed from it.
    pub catalogue_key: Option<String>,
    pub name: String,
    #[serde(serialize_with = "entity_name")]
    pub entity: Entity,
    pub expression: String,
    /// 1 critical, 2 important.
    pub criticality: i64,
    pub why: Option<String>,
    pub fix: Option<String>,
    /// `owner` (the record's owner) or a role name.
    pub responsible: String,
    pub enabled: bool,
}

impl Rule {
    fn from_row(r: &QueryResult) -> Result<Rule> {
        Ok(Rule {
            id: r.try_get("", "id")?,
            catalogue_key: r.try_get("", "catalogue_key")?,
            name: r.try_get("", "name")?,
            entity: stored_entity(&r.try_get::<String>("", "entity")?)?,
            expression: r.try_get("", "expression")?,
            criticality: r.try_get("", "criticality")?,
            why: r.try_get("", "why")?,
            fix: r.try_get("", "fix")?,
            responsible: r.try_get("", "responsible")?,
            enabled: r.try_get("", "enabled")?,
        })
    }

    pub fn critical(&self) -> bool {
        self.criticality == 1
    }
}

/// One hit of a rule in a round, with the responsible user's answer and the head's review.
/// Instants are milliseconds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Violation {
    pub id: i64,
    pub round_id: i64,
    pub rule_id: i64,
    pub rule_name: String,
    pub criticality: i64,
    #[serde(serialize_with = "entity_name")]
    pub entity: Entity,
    pub record_id: i64,
    pub user_id: Option<i64>,
    /// One of [`ANSWERS`].
    pub status: String,
    pub comment: Option<String>,
    #[serde(serialize_with = "crate::serde_time::opt_ms")]
    pub answered_at: Option<i64>,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub deadline_at: i64,
    /// `resolved` or `still_matches` once re-checked.
    pub recheck: Option<String>,
    /// `accepted`, `warned` or `closed` once closed.
    pub review: Option<String>,
    pub review_comment: Option<String>,
    #[serde(serialize_with = "crate::serde_time::opt_ms")]
    pub reviewed_at: Option<i64>,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub created_at: i64,
}

impl Violation {
    /// Reviewed (accepted or warned) or closed by the re-check.
    pub fn closed(&self) -> bool {
        self.review.is_some()
    }
}

/// An audit round. Instants are milliseconds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Round {
    pub id: i64,
    /// `running`, `open`, `closed` or `failed`.
    pub status: String,
    #[serde(serialize_with = "crate::serde_time::ms")]
    pub started_at: i64,
    #[serde(serialize_with = "crate::serde_time::opt_ms")]
    pub finished_at: Option<i64>,
    #[serde(serialize_with = "crate::serde_time::opt_ms")]
    pub deadline_at: Option<i64>,
    pub violations: i64,
    pub error: Option<String>,
}

/// One user's line in one round.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Standing {
    pub round_id: i64,
    pub user_id: Option<i64>,
    pub violations: i64,
    pub fixed_on_time: i64,
    pub warnings: i64,
}

/// An active user no round has listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NeverListed {
    pub user_id: i64,
    pub name: String,
}

/// Per user per round, and the users never listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Standings {
    pub rows: Vec<Standing>,
    pub never_listed: Vec<NeverListed>,
}

const RULE_COLUMNS: [&str; 10] =
    ["id", "catalogue_key", "name", "entity", "expression", "criticality", "why", "fix", "responsible", "enabled"];

impl Db {
    async fn rule_row(&self, actor: &Actor, id: i64) -> Result<Rule> {
        let q = Query::select()
            .columns(RULE_COLUMNS.map(col))
            .from(col("rules"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .to_owned();
        Rule::from_row(&self.read.query_one(self.backend.build(&q)).await?.ok_or(StoreError::NotFound)?)
    }

    /// Checks a rule's body: the expression must check against the workspace's schema.
    async fn checked_rule(
        &self,
        actor: &Actor,
        obj: &Map<String, Json>,
        old: Option<&Rule>,
    ) -> Result<Vec<(&'static str, sea_query::Value)>> {
        let mut out: Vec<(&'static str, sea_query::Value)> = Vec::new();
        let pick = |k: &str| obj.contains_key(k) || old.is_none();
        const FIELDS: [&str; 8] = ["name", "entity", "expression", "criticality", "why", "fix", "responsible", "enabled"];
        if let Some(k) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(StoreError::invalid(k, Common::UnknownField { expected: words(FIELDS) }));
        }
        if pick("name") {
            out.push(("name", text(obj, "name", 255, true)?.into()));
        }
        let entity = match (obj.get("entity"), old) {
            (Some(v), _) => {
                let name = v.as_str().ok_or_else(|| StoreError::invalid("entity", Common::NotString {}))?;
                Entity::from_name(name)
                    .filter(|e| RULE_ENTITIES.contains(e))
                    .ok_or_else(|| StoreError::invalid("entity", Common::OneOf { list: words(RULE_ENTITIES.iter().map(|e| e.name())) }))?
            }
            (None, Some(o)) => o.entity,
            (None, None) => Entity::Deal,
        };
        if pick("entity") {
            out.push(("entity", entity.name().into()));
        }
        if pick("expression") || obj.contains_key("entity") {
            let src = match obj.get("expression") {
                Some(_) => text(obj, "expression", poryadok_core::filter::MAX_LEN, true)?.unwrap_or_default(),
                None => old.map(|o| o.expression.clone()).unwrap_or_default(),
            };
            self.check_filter(actor, entity, &src, "expression").await?;
            out.push(("expression", src.into()));
        }
        if pick("criticality") {
            let c = obj.get("criticality").map_or(Some(1), Json::as_i64).filter(|c| [1, 2].contains(c));
            out.push(("criticality", c.ok_or_else(|| StoreError::invalid("criticality", AuditMsg::Criticality {}))?.into()));
        }
        for k in ["why", "fix"] {
            if pick(k) {
                out.push((k, text(obj, k, 10_000, false)?.into()));
            }
        }
        if pick("responsible") {
            let r = obj.get("responsible").map_or(Some("owner"), Json::as_str).unwrap_or("");
            if r != "owner" && Role::parse(r).is_none() {
                return Err(StoreError::invalid("responsible", AuditMsg::Responsible { roles: words(Role::ALL) }));
            }
            out.push(("responsible", r.into()));
        }
        if pick("enabled") {
            let e = obj.get("enabled").map_or(Some(true), Json::as_bool);
            out.push(("enabled", e.ok_or_else(|| StoreError::invalid("enabled", Common::NotBool {}))?.into()));
        }
        Ok(out)
    }

    pub async fn list_rules(&self, actor: &Actor) -> Result<Vec<Rule>> {
        let q = Query::select()
            .columns(RULE_COLUMNS.map(col))
            .from(col("rules"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .order_by(col("criticality"), Order::Asc)
            .order_by(col("position"), Order::Asc)
            .order_by(col("id"), Order::Asc)
            .to_owned();
        self.read.query_all(self.backend.build(&q)).await?.iter().map(Rule::from_row).collect()
    }

    pub async fn get_rule(&self, actor: &Actor, id: i64) -> Result<Rule> {
        self.rule_row(actor, id).await
    }

    pub async fn create_rule(&self, actor: &Actor, body: &Json) -> Result<Rule> {
        self.insert_rule(actor, body, None).await
    }

    /// Creates a rule; `catalogue_key` marks one installed from the built-in catalogue (once per workspace).
    pub async fn insert_rule(&self, actor: &Actor, body: &Json, catalogue_key: Option<&str>) -> Result<Rule> {
        may_manage(actor)?;
        let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        let values = self.checked_rule(actor, obj, None).await?;
        let now = self.clock.now_ms();
        let mut cols = vec![col("workspace_id"), col("catalogue_key"), col("position"), col("created_at"), col("updated_at")];
        let mut vals: Vec<sea_query::SimpleExpr> = vec![actor.ws_id().into(), catalogue_key.into(), now.into(), now.into(), now.into()];
        for (k, v) in values {
            cols.push(col(k));
            vals.push(Expr::val(v).into());
        }
        let q = Query::insert()
            .into_table(col("rules"))
            .columns(cols)
            .values(vals)
            .map_err(|e| StoreError::Internal(e.to_string()))?
            .returning_col(col("id"))
            .to_owned();
        let id: i64 =
            self.write.query_one(self.backend.build(&q)).await?.ok_or_else(|| StoreError::Internal("no id".into()))?.try_get("", "id")?;
        // A workspace with rules is audited every two weeks; an existing schedule keeps its time.
        self.upsert_schedule(actor.ws_id(), "audit", SCHEDULED_JOB, &json!({}), DEFAULT_EVERY_MS, now + DEFAULT_EVERY_MS).await?;
        self.rule_row(actor, id).await
    }

    /// The scheduled round: started and run by the system; skipped while another round runs.
    pub async fn scheduled_round(&self, ws: i64) -> Result<Option<i64>> {
        let sys = self.system_actor(ws, poryadok_core::domain::Channel::System).await?;
        match self.start_round(&sys).await {
            Ok(round) => Ok(Some(self.run_round(ws, round).await.map(|_| round)?)),
            Err(StoreError::Conflict { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn update_rule(&self, actor: &Actor, id: i64, body: &Json) -> Result<Rule> {
        may_manage(actor)?;
        let old = self.rule_row(actor, id).await?;
        let obj = body.as_object().ok_or_else(|| StoreError::invalid("body", Common::BodyNotObject {}))?;
        let values = self.checked_rule(actor, obj, Some(&old)).await?;
        let mut q = Query::update();
        q.table(col("rules"))
            .value(col("updated_at"), self.clock.now_ms())
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id));
        for (k, v) in values {
            q.value(col(k), v);
        }
        self.write.execute(self.backend.build(&q)).await?;
        self.rule_row(actor, id).await
    }

    pub async fn delete_rule(&self, actor: &Actor, id: i64) -> Result<()> {
        may_manage(actor)?;
        self.rule_row(actor, id).await?;
        crate::sql::soft_delete(&self.write, self.backend, "rules", actor.ws_id(), id, self.clock.now_ms()).await
    }

    /// Installs the built-in rule catalogue bound to this workspace's stages, pipelines and fields
    /// (`params` overrides the defaults, which match the demo workspace). Rules already installed
    /// are left as they are, so installing twice adds nothing. Returns the rules added.
    pub async fn install_catalogue(&self, actor: &Actor, params: &std::collections::HashMap<String, String>) -> Result<Vec<Rule>> {
        may_manage(actor)?;
        let mut bound = poryadok_core::hygiene::default_params();
        bound.extend(params.iter().map(|(k, v)| (k.clone(), v.clone())));
        let have: Vec<String> = self.list_rules(actor).await?.into_iter().filter_map(|r| r.catalogue_key).collect();
        // Rules are written in the workspace's language, like everything it stores.
        let lang = Lang::from_locale(&actor.ws.locale);
        // Every rule is bound and checked before any is saved: a mapping that does not fit
        // installs nothing.
        let mut bodies = Vec::new();
        for rule in poryadok_core::hygiene::catalogue().iter().filter(|r| !have.iter().any(|k| k == r.key)) {
            let expression = poryadok_core::hygiene::bind(rule, &bound)?;
            self.check_filter(actor, rule.entity, &expression, "expression").await.map_err(|e| match e {
                StoreError::Filter { error, .. } => {
                    StoreError::invalid(format!("rules.{}", rule.key), AuditMsg::RuleDoesNotFit { error: error.to_string() })
                }
                other => other,
            })?;
            let body = json!({
                "name": rule.name(lang), "entity": rule.entity.name(), "expression": expression,
                "criticality": rule.criticality, "why": rule.why(lang),
                "fix": rule.fix(lang), "responsible": "owner", "enabled": true,
            });
            bodies.push((rule.key, body));
        }
        let mut added = Vec::new();
        for (key, body) in bodies {
            added.push(self.insert_rule(actor, &body, Some(key)).await?);
        }
        Ok(added)
    }

    /// Opens a round (refused while another is running); the caller then runs it (a job or the CLI).
    pub async fn start_round(&self, actor: &Actor) -> Result<i64> {
        self.start_round_at(actor, None).await
    }

    /// [`Self::start_round`] as of `now` (milliseconds; the clock's time when `None`).
    pub async fn start_round_at(&self, actor: &Actor, now: Option<i64>) -> Result<i64> {
        may_manage(actor)?;
        let q = Query::insert()
            .into_table(col("audit_rounds"))
            .columns(["workspace_id", "status", "started_by", "started_at", "violations"].map(col))
            .values_panic([
                actor.ws_id().into(),
                "running".into(),
                (actor.user_id() != 0).then_some(actor.user_id()).into(),
                now.unwrap_or_else(|| self.clock.now_ms()).into(),
                0i64.into(),
            ])
            .returning_col(col("id"))
            .to_owned();
        match self.write.query_one(self.backend.build(&q)).await.map_err(StoreError::Db) {
            Ok(Some(r)) => Ok(r.try_get("", "id")?),
            Ok(None) => Err(StoreError::Internal("no id".into())),
            Err(e) if e.is_unique_violation() => Err(StoreError::Conflict { field: None, msg: AuditMsg::RoundRunning {}.into() }),
            Err(e) => Err(e),
        }
    }

    /// Evaluates every enabled rule and records the hits; returns how many violations were recorded.
    /// A round that fails is marked failed with its error, so a new one can start.
    pub async fn run_round(&self, ws: i64, round: i64) -> Result<i64> {
        self.run_round_at(ws, round, None).await
    }

    /// [`Self::run_round`] as of `now` (milliseconds; the clock's time when `None`): time rules,
    /// deadlines and the round's timestamps all read this moment.
    pub async fn run_round_at(&self, ws: i64, round: i64, now: Option<i64>) -> Result<i64> {
        match self.evaluate_round(ws, round, now).await {
            Ok(n) => Ok(n),
            Err(e) => {
                let q = Query::update()
                    .table(col("audit_rounds"))
                    .values([
                        (col("status"), "failed".into()),
                        (col("error"), e.to_string().into()),
                        (col("finished_at"), self.clock.now_ms().into()),
                    ])
                    .and_where(Expr::col(col("id")).eq(round))
                    .and_where(Expr::col(col("workspace_id")).eq(ws))
                    .to_owned();
                self.write.execute(self.backend.build(&q)).await?;
                Err(e)
            }
        }
    }

    async fn evaluate_round(&self, ws: i64, round: i64, now: Option<i64>) -> Result<i64> {
        let sys = self.system_actor(ws, poryadok_core::domain::Channel::System).await?;
        let now = now.unwrap_or_else(|| self.clock.now_ms());
        let cal = crate::regulation::workspace_calendar(&self.read, self.backend, ws).await?;
        let deadline = cal.add_working_days(&sys.ws.timezone, now, ANSWER_DAYS);
        let rules: Vec<Rule> = self.list_rules(&sys).await?.into_iter().filter(|r| r.enabled).collect();
        let head = self.first_user_with_role(ws, Role::Head.as_str()).await?;
        let tx = self.write.begin().await?;
        let mut total = 0;
        for rule in &rules {
            let entity = rule.entity;
            let checked = crate::filters::check_on(&tx, self.backend, &sys, entity, &rule.expression, "expression").await?;
            let responsible: sea_query::SimpleExpr = match rule.responsible.as_str() {
                // A record of a deactivated (or missing) owner is the head's to answer for.
                "owner" => {
                    let active_owner = Query::select()
                        .column((col("u"), col("id")))
                        .from_as(col("users"), col("u"))
                        .and_where(
                            Expr::col((col("u"), col("id"))).equals((col(entity.table()), col(entity.owner_field().unwrap_or("owner_id")))),
                        )
                        .and_where(Expr::col((col("u"), col("active"))).eq(true))
                        .to_owned();
                    Func::coalesce([
                        sea_query::SimpleExpr::SubQuery(None, Box::new(active_owner.into_sub_query_statement())),
                        Expr::val(head).into(),
                    ])
                    .into()
                }
                role => Expr::val(self.first_user_with_role(ws, role).await?).into(),
            };
            let mut sel = Query::select();
            sel.expr(Expr::val(ws))
                .expr(Expr::val(round))
                .expr(Expr::val(rule.id))
                .expr(Expr::val(entity.name()))
                .column(col("id"))
                .expr(responsible)
                .expr(Expr::val("not_processed"))
                .expr(Expr::val(deadline))
                .expr(Expr::val(now))
                .from(col(entity.table()))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("deleted_at")).is_null())
                .and_where(self.filter_condition(&sys, &checked, now));
            let ins = Query::insert()
                .into_table(col("violations"))
                .columns(
                    ["workspace_id", "round_id", "rule_id", "entity", "record_id", "user_id", "status", "deadline_at", "created_at"]
                        .map(col),
                )
                .select_from(sel)
                .map_err(|e| StoreError::Internal(e.to_string()))?
                .to_owned();
            total += tx.execute(self.backend.build(&ins)).await?.rows_affected() as i64;
        }
        self.assign_round_tasks(&tx, &sys, round, deadline, now).await?;
        let done = Query::update()
            .table(col("audit_rounds"))
            .values([
                (col("status"), "open".into()),
                (col("violations"), total.into()),
                (col("finished_at"), now.into()),
                (col("deadline_at"), deadline.into()),
            ])
            .and_where(Expr::col(col("id")).eq(round))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .to_owned();
        tx.execute(self.backend.build(&done)).await?;
        let recheck =
            crate::jobs::NewJob::new(ws, RECHECK_JOB, json!({"round_id": round}), deadline).dedupe(format!("audit-recheck:{round}"));
        crate::jobs::enqueue_on(&tx, self.backend, &recheck, now).await?;
        tx.commit().await?;
        Ok(total)
    }

    async fn first_user_with_role(&self, ws: i64, role: &str) -> Result<Option<i64>> {
        let q = Query::select()
            .column(col("id"))
            .from(col("users"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("role")).eq(role))
            .and_where(Expr::col(col("active")).eq(true))
            .order_by(col("id"), Order::Asc)
            .limit(1)
            .to_owned();
        Ok(self.read.query_one(self.backend.build(&q)).await?.map(|r| r.try_get::<i64>("", "id")).transpose()?)
    }

    /// One task per listed user: "answer your violations by …".
    async fn assign_round_tasks(&self, conn: &impl ConnectionTrait, sys: &Actor, round: i64, deadline: i64, now: i64) -> Result<()> {
        let users = Query::select()
            .column(col("user_id"))
            .expr_as(Func::count(Expr::col(col("id"))), col("n"))
            .from(col("violations"))
            .and_where(Expr::col(col("workspace_id")).eq(sys.ws_id()))
            .and_where(Expr::col(col("round_id")).eq(round))
            .and_where(Expr::col(col("user_id")).is_not_null())
            .group_by_col(col("user_id"))
            .to_owned();
        let lang = Lang::from_locale(&sys.ws.locale);
        let when = poryadok_core::zone::local(&sys.ws.timezone, deadline);
        let when = format!("{:02}.{:02}.{}", when.day(), when.month() as u8, when.year());
        let mut tasks = Vec::new();
        for r in conn.query_all(self.backend.build(&users)).await? {
            let (user, n): (i64, i64) = (r.try_get("", "user_id")?, r.try_get("", "n")?);
            let subject = Msg::from(AuditMsg::RoundTask { round, n, when: when.clone() }).text(lang);
            tasks.push(vec![
                ("type", Val::Text("task".into())),
                ("subject", Val::Text(subject)),
                ("description", Val::Text(format!("/violations?round={round}"))),
                ("due_at", Val::Int(deadline)),
                ("done", Val::Bool(false)),
                ("owner_id", Val::Int(user)),
            ]);
        }
        // Through the write pipeline: each task has its history event and its webhooks.
        crate::records::create_system_records(conn, self.backend, sys, Entity::Activity, &tasks, now).await?;
        Ok(())
    }

    /// At a round's deadline: a "fixed" claim whose record no longer matches is closed as fixed;
    /// one that still matches is flagged for the head.
    pub async fn recheck_round(&self, ws: i64, round: i64) -> Result<(i64, i64)> {
        let sys = self.system_actor(ws, poryadok_core::domain::Channel::System).await?;
        let now = self.clock.now_ms();
        // The rules with "fixed" claims still to check: each is checked once, and its claims
        // are settled by two statements, whatever their number.
        let q = Query::select()
            .distinct()
            .expr_as(Expr::col((col("r"), col("id"))), col("id"))
            .expr_as(Expr::col((col("r"), col("entity"))), col("entity"))
            .expr_as(Expr::col((col("r"), col("expression"))), col("expression"))
            .from_as(col("violations"), col("v"))
            .inner_join(aliased("rules", "r"), Expr::col((col("r"), col("id"))).equals((col("v"), col("rule_id"))))
            .and_where(Expr::col((col("v"), col("workspace_id"))).eq(ws))
            .and_where(Expr::col((col("v"), col("round_id"))).eq(round))
            .and_where(Expr::col((col("v"), col("status"))).eq("fixed"))
            .and_where(Expr::col((col("v"), col("recheck"))).is_null())
            .to_owned();
        let (mut resolved, mut still) = (0, 0);
        let tx = self.write.begin().await?;
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let entity = Entity::from_name(&r.try_get::<String>("", "entity")?).unwrap_or(Entity::Deal);
            let checked =
                crate::filters::check_on(&tx, self.backend, &sys, entity, &r.try_get::<String>("", "expression")?, "expression").await?;
            let matching = Query::select()
                .column(col("id"))
                .from(col(entity.table()))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("deleted_at")).is_null())
                .and_where(self.filter_condition(&sys, &checked, now))
                .to_owned();
            let rule_id: i64 = r.try_get("", "id")?;
            let claims = |values: Vec<(sea_query::Alias, sea_query::SimpleExpr)>| {
                Query::update()
                    .table(col("violations"))
                    .values(values)
                    .and_where(Expr::col(col("workspace_id")).eq(ws))
                    .and_where(Expr::col(col("round_id")).eq(round))
                    .and_where(Expr::col(col("rule_id")).eq(rule_id))
                    .and_where(Expr::col(col("status")).eq("fixed"))
                    .and_where(Expr::col(col("recheck")).is_null())
                    .to_owned()
            };
            let flagged = claims(vec![(col("recheck"), "still_matches".into())])
                .and_where(Expr::col(col("record_id")).in_subquery(matching))
                .to_owned();
            still += tx.execute(self.backend.build(&flagged)).await?.rows_affected() as i64;
            // What the first statement left unflagged no longer matches: closed as fixed.
            let closed =
                claims(vec![(col("recheck"), "resolved".into()), (col("review"), "closed".into()), (col("reviewed_at"), now.into())]);
            resolved += tx.execute(self.backend.build(&closed)).await?.rows_affected() as i64;
        }
        tx.commit().await?;
        Ok((resolved, still))
    }

    /// The responsible user's answer to a violation.
    pub async fn answer_violation(&self, actor: &Actor, id: i64, body: &Json) -> Result<Violation> {
        let v = self.violation(actor, id).await?;
        if v.user_id != Some(actor.user_id()) && !matches!(actor.caller.role, Role::Admin | Role::Head) {
            return Err(StoreError::forbidden(AuditMsg::AnswerForbidden {}));
        }
        if v.closed() {
            return Err(StoreError::conflict("status", AuditMsg::ViolationClosed {}));
        }
        let status = body.get("status").and_then(Json::as_str).filter(|s| ANSWERS.contains(s));
        let status = status.ok_or_else(|| StoreError::invalid("status", Common::OneOf { list: words(ANSWERS) }))?;
        let comment = body.get("comment").and_then(Json::as_str).map(str::trim).filter(|c| !c.is_empty());
        if status == "not_fixed" && comment.is_none() {
            return Err(StoreError::invalid("comment", AuditMsg::CommentNotFixed {}));
        }
        if comment.is_some_and(|c| c.chars().count() > 10_000) {
            return Err(StoreError::invalid("comment", Common::TooLong { max: 10_000 }));
        }
        let q = Query::update()
            .table(col("violations"))
            .values([(col("status"), status.into()), (col("comment"), comment.into()), (col("answered_at"), self.clock.now_ms().into())])
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        self.write.execute(self.backend.build(&q)).await?;
        self.violation(actor, id).await
    }

    /// A head's review: accept (closed) or warn the user (recorded with a comment).
    pub async fn review_violation(&self, actor: &Actor, id: i64, body: &Json) -> Result<Violation> {
        if !matches!(actor.caller.role, Role::Admin | Role::Head) {
            return Err(StoreError::forbidden(AuditMsg::ReviewForbidden {}));
        }
        let v = self.violation(actor, id).await?;
        if v.closed() {
            return Err(StoreError::conflict("decision", AuditMsg::ViolationAlreadyClosed {}));
        }
        let decision = body.get("decision").and_then(Json::as_str).filter(|d| ["accept", "warn"].contains(d));
        let decision = decision.ok_or_else(|| StoreError::invalid("decision", Common::OneOf { list: words(["accept", "warn"]) }))?;
        let comment = body.get("comment").and_then(Json::as_str).map(str::trim).filter(|c| !c.is_empty());
        if decision == "warn" && comment.is_none() {
            return Err(StoreError::invalid("comment", AuditMsg::CommentWarning {}));
        }
        let now = self.clock.now_ms();
        let tx = self.write.begin().await?;
        let review = if decision == "warn" { "warned" } else { "accepted" };
        let q = Query::update()
            .table(col("violations"))
            .values([
                (col("review"), review.into()),
                (col("review_comment"), comment.into()),
                (col("reviewed_by"), actor.user_id().into()),
                (col("reviewed_at"), now.into()),
            ])
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .and_where(Expr::col(col("id")).eq(id))
            .to_owned();
        tx.execute(self.backend.build(&q)).await?;
        if let (true, Some(user)) = (decision == "warn", v.user_id) {
            let w = Query::insert()
                .into_table(col("warnings"))
                .columns(["workspace_id", "user_id", "violation_id", "comment", "issued_by", "created_at"].map(col))
                .values_panic([
                    actor.ws_id().into(),
                    user.into(),
                    id.into(),
                    comment.unwrap_or("").into(),
                    actor.user_id().into(),
                    now.into(),
                ])
                .to_owned();
            tx.execute(self.backend.build(&w)).await?;
        }
        tx.commit().await?;
        self.violation(actor, id).await
    }

    pub async fn violation(&self, actor: &Actor, id: i64) -> Result<Violation> {
        let list = self.violations(actor, &ViolationQuery { id: Some(id), ..Default::default() }).await?;
        list.into_iter().next().ok_or(StoreError::NotFound)
    }

    /// Violations the caller may see: their own, or everyone's for heads, admins and analysts.
    pub async fn violations(&self, actor: &Actor, f: &ViolationQuery) -> Result<Vec<Violation>> {
        let mut q = Query::select();
        for c in [
            "id",
            "round_id",
            "rule_id",
            "entity",
            "record_id",
            "user_id",
            "status",
            "comment",
            "answered_at",
            "deadline_at",
            "recheck",
            "review",
            "review_comment",
            "reviewed_at",
            "created_at",
        ] {
            q.expr_as(Expr::col((col("v"), col(c))), col(c));
        }
        q.expr_as(Expr::col((col("r"), col("name"))), col("rule_name"))
            .expr_as(Expr::col((col("r"), col("criticality"))), col("criticality"))
            .from_as(col("violations"), col("v"))
            .inner_join(aliased("rules", "r"), Expr::col((col("r"), col("id"))).equals((col("v"), col("rule_id"))))
            .and_where(Expr::col((col("v"), col("workspace_id"))).eq(actor.ws_id()))
            .order_by((col("v"), col("id")), Order::Asc)
            .limit(f.limit.unwrap_or(1000).clamp(1, 10_000));
        let sees_all = matches!(actor.caller.role, Role::Admin | Role::Head | Role::Analyst);
        if !sees_all {
            q.and_where(Expr::col((col("v"), col("user_id"))).eq(actor.user_id()));
        }
        if let Some(after) = f.after_id {
            q.and_where(Expr::col((col("v"), col("id"))).gt(after));
        }
        // A page before a cursor is read newest first from it, then turned back to id order.
        if let Some(before) = f.before_id {
            q.and_where(Expr::col((col("v"), col("id"))).lt(before));
            q.clear_order_by().order_by((col("v"), col("id")), Order::Desc);
        }
        if let Some(state) = f.state {
            q.and_where(state.condition());
        }
        match f.answered {
            Some(true) => {
                q.and_where(Expr::col((col("v"), col("status"))).ne("not_processed"));
            }
            Some(false) => {
                q.and_where(Expr::col((col("v"), col("status"))).eq("not_processed"));
            }
            None => {}
        }
        for (c, v) in [("id", f.id), ("round_id", f.round), ("user_id", f.user), ("rule_id", f.rule)] {
            if let Some(v) = v {
                q.and_where(Expr::col((col("v"), col(c))).eq(v));
            }
        }
        if let Some(s) = &f.status {
            q.and_where(Expr::col((col("v"), col("status"))).eq(s.as_str()));
        }
        let mut list = self
            .read
            .query_all(self.backend.build(&q))
            .await?
            .iter()
            .map(|r| {
                Ok(Violation {
                    id: r.try_get("", "id")?,
                    round_id: r.try_get("", "round_id")?,
                    rule_id: r.try_get("", "rule_id")?,
                    rule_name: r.try_get("", "rule_name")?,
                    criticality: r.try_get("", "criticality")?,
                    entity: stored_entity(&r.try_get::<String>("", "entity")?)?,
                    record_id: r.try_get("", "record_id")?,
                    user_id: r.try_get("", "user_id")?,
                    status: r.try_get("", "status")?,
                    comment: r.try_get("", "comment")?,
                    answered_at: r.try_get("", "answered_at")?,
                    deadline_at: r.try_get("", "deadline_at")?,
                    recheck: r.try_get("", "recheck")?,
                    review: r.try_get("", "review")?,
                    review_comment: r.try_get("", "review_comment")?,
                    reviewed_at: r.try_get("", "reviewed_at")?,
                    created_at: r.try_get("", "created_at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        if f.before_id.is_some() {
            list.reverse();
        }
        Ok(list)
    }

    pub async fn rounds(&self, actor: &Actor) -> Result<Vec<Round>> {
        let q = Query::select()
            .columns(["id", "status", "started_at", "finished_at", "deadline_at", "violations", "error"].map(col))
            .from(col("audit_rounds"))
            .and_where(Expr::col(col("workspace_id")).eq(actor.ws_id()))
            .order_by(col("id"), Order::Desc)
            .limit(200)
            .to_owned();
        self.read
            .query_all(self.backend.build(&q))
            .await?
            .iter()
            .map(|r| {
                Ok(Round {
                    id: r.try_get("", "id")?,
                    status: r.try_get("", "status")?,
                    started_at: r.try_get("", "started_at")?,
                    finished_at: r.try_get("", "finished_at")?,
                    deadline_at: r.try_get("", "deadline_at")?,
                    violations: r.try_get("", "violations")?,
                    error: r.try_get("", "error")?,
                })
            })
            .collect()
    }

    /// Per user per round: violations, fixed on time (claimed in time and confirmed by the
    /// re-check: a claim the re-check found still matching is not a fix), warnings; and the active
    /// users never listed.
    pub async fn standings(&self, actor: &Actor) -> Result<Standings> {
        let ws = actor.ws_id();
        let q = Query::select()
            .columns(["round_id", "user_id"].map(col))
            .expr_as(Func::count(Expr::col(col("id"))), col("n"))
            .expr_as(
                Expr::cust("SUM(CASE WHEN status = 'fixed' AND recheck = 'resolved' AND answered_at <= deadline_at THEN 1 ELSE 0 END)"),
                col("fixed_on_time"),
            )
            .expr_as(Expr::cust("SUM(CASE WHEN review = 'warned' THEN 1 ELSE 0 END)"), col("warnings"))
            .from(col("violations"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .group_by_columns(["round_id", "user_id"].map(col))
            .order_by(col("round_id"), Order::Asc)
            .order_by(col("user_id"), Order::Asc)
            .to_owned();
        let mut rows = Vec::new();
        let mut listed = std::collections::HashSet::new();
        for r in self.read.query_all(self.backend.build(&q)).await? {
            let user: Option<i64> = r.try_get("", "user_id")?;
            if let Some(u) = user {
                listed.insert(u);
            }
            rows.push(Standing {
                round_id: r.try_get("", "round_id")?,
                user_id: user,
                violations: r.try_get("", "n")?,
                fixed_on_time: r.try_get::<Option<i64>>("", "fixed_on_time").ok().flatten().unwrap_or(0),
                warnings: r.try_get::<Option<i64>>("", "warnings").ok().flatten().unwrap_or(0),
            });
        }
        let users = Query::select()
            .columns(["id", "name", "role"].map(col))
            .from(col("users"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("active")).eq(true))
            .and_where(Expr::col(col("role")).is_in([Role::Manager.as_str(), Role::Consultant.as_str(), Role::PartnerManager.as_str()]))
            .order_by(col("id"), Order::Asc)
            .to_owned();
        let mut never = Vec::new();
        for r in self.read.query_all(self.backend.build(&users)).await? {
            let id: i64 = r.try_get("", "id")?;
            if !listed.contains(&id) {
                never.push(NeverListed { user_id: id, name: r.try_get("", "name")? });
            }
        }
        Ok(Standings { rows, never_listed: never })
    }
}

/// One line of a round's export: a violation with what a reader of the sheet needs about its record.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub rule_id: i64,
    pub entity: String,
    pub record_id: i64,
    pub title: String,
    pub owner: String,
    pub deal_status: String,
    pub stage: String,
    pub reason: String,
    pub answer: String,
    pub comment: String,
    pub review: String,
}

impl Db {
    /// Every violation of a round with its record's title, owner, status, stage and reason, in
    /// rule order (one query, joined), for the XLSX and CSV exports.
    pub async fn round_export(&self, actor: &Actor, round: i64) -> Result<Vec<ExportRow>> {
        may_manage(actor).or_else(|_| {
            if actor.caller.role == Role::Analyst {
                Ok(())
            } else {
                Err(StoreError::forbidden(AuditMsg::ExportForbidden {}))
            }
        })?;
        let ws = actor.ws_id();
        let on = |t: &str, entity: &str| {
            Expr::col((col("v"), col("entity"))).eq(entity).and(Expr::col((col(t), col("id"))).equals((col("v"), col("record_id"))))
        };
        let q = Query::select()
            .expr_as(Expr::col((col("v"), col("rule_id"))), col("rule_id"))
            .expr_as(Expr::col((col("v"), col("entity"))), col("entity"))
            .expr_as(Expr::col((col("v"), col("record_id"))), col("record_id"))
            .expr_as(Expr::cust("COALESCE(d.title, p.name, o.name, '')"), col("title"))
            .expr_as(Expr::cust("COALESCE(u.name, '')"), col("owner"))
            .expr_as(Expr::cust("COALESCE(d.status, '')"), col("deal_status"))
            .expr_as(Expr::cust("COALESCE(s.name, '')"), col("stage"))
            .expr_as(Expr::cust("COALESCE(d.lost_reason, d.frozen_reason, '')"), col("reason"))
            .expr_as(Expr::col((col("v"), col("status"))), col("answer"))
            .expr_as(Expr::cust("COALESCE(v.comment, '')"), col("comment"))
            .expr_as(Expr::cust("COALESCE(v.review, '')"), col("review"))
            .from_as(col("violations"), col("v"))
            .left_join(aliased("deals", "d"), on("d", "deal"))
            .left_join(aliased("persons", "p"), on("p", "person"))
            .left_join(aliased("organizations", "o"), on("o", "organization"))
            .left_join(aliased("stages", "s"), Expr::col((col("s"), col("id"))).equals((col("d"), col("stage_id"))))
            .left_join(aliased("users", "u"), Expr::col((col("u"), col("id"))).equals((col("v"), col("user_id"))))
            .and_where(Expr::col((col("v"), col("workspace_id"))).eq(ws))
            .and_where(Expr::col((col("v"), col("round_id"))).eq(round))
            .order_by((col("v"), col("rule_id")), Order::Asc)
            .order_by((col("v"), col("id")), Order::Asc)
            .to_owned();
        self.read
            .query_all(self.backend.build(&q))
            .await?
            .iter()
            .map(|r| {
                Ok(ExportRow {
                    rule_id: r.try_get("", "rule_id")?,
                    entity: r.try_get("", "entity")?,
                    record_id: r.try_get("", "record_id")?,
                    title: r.try_get("", "title")?,
                    owner: r.try_get("", "owner")?,
                    deal_status: r.try_get("", "deal_status")?,
                    stage: r.try_get("", "stage")?,
                    reason: r.try_get("", "reason")?,
                    answer: r.try_get("", "answer")?,
                    comment: r.try_get("", "comment")?,
                    review: r.try_get("", "review")?,
                })
            })
            .collect()
    }
}

/// Which violations to list.
#[derive(Debug, Default, Clone)]
pub struct ViolationQuery {
    pub id: Option<i64>,
    pub round: Option<i64>,
    pub user: Option<i64>,
    pub rule: Option<i64>,
    pub status: Option<String>,
    pub state: Option<ViolationState>,
    /// Answered (`fixed` or `not_fixed`) or not (`not_processed`).
    pub answered: Option<bool>,
    pub limit: Option<u64>,
    /// Only violations after this id (the cursor of the previous page).
    pub after_id: Option<i64>,
    /// Only violations before this id: the `limit` closest to it, still in id order (the page
    /// before one that starts at this id).
    pub before_id: Option<i64>,
}

/// Where a violation stands, as lists filter on it: its answer (`not_processed`, `fixed`,
/// `not_fixed`), whether it is still open or closed (reviewed, or closed by the re-check), and
/// whether the re-check found a "fixed" claim still matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationState {
    Open,
    Closed,
    NotProcessed,
    Fixed,
    NotFixed,
    StillMatches,
}

impl ViolationState {
    pub const ALL: [ViolationState; 6] = [
        ViolationState::Open,
        ViolationState::Closed,
        ViolationState::NotProcessed,
        ViolationState::Fixed,
        ViolationState::NotFixed,
        ViolationState::StillMatches,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ViolationState::Open => "open",
            ViolationState::Closed => "closed",
            ViolationState::NotProcessed => "not_processed",
            ViolationState::Fixed => "fixed",
            ViolationState::NotFixed => "not_fixed",
            ViolationState::StillMatches => "still_matches",
        }
    }

    pub fn parse(s: &str) -> Option<ViolationState> {
        Self::ALL.into_iter().find(|v| v.name() == s)
    }

    /// The names, for messages that list them.
    pub fn names() -> Vec<String> {
        words(Self::ALL.map(Self::name))
    }

    fn condition(self) -> sea_query::SimpleExpr {
        let c = |name: &str| Expr::col((col("v"), col(name)));
        match self {
            ViolationState::Open => c("review").is_null(),
            ViolationState::Closed => c("review").is_not_null(),
            ViolationState::NotProcessed | ViolationState::Fixed | ViolationState::NotFixed => c("status").eq(self.name()),
            ViolationState::StillMatches => c("recheck").eq("still_matches"),
        }
    }
}
