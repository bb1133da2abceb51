//! One client, one card: finding the person behind a phone number, an e-mail address or a
//! messenger id, the deal a new touch belongs to, who owns what intake creates, and the touch's
//! attribution.
//!
//! Identities are unique per workspace (`identities`), so two first contacts from one new number
//! cannot both create a person: the second transaction fails on the key and is run again by
//! [`crate::Db::process_event`], and then finds the first one's person and open deal.
use crate::error::{Result, StoreError};
use crate::intake::Source;
use crate::records::Row;
use crate::rules::scalar_i64;
use crate::sql::col;
use crate::{Actor, Db};
use poryadok_core::domain::{DealStatus, IdentityKind, Role};
use poryadok_core::intake::Attribution;
use poryadok_core::msg::{Common, IntakeMsg};
use poryadok_core::schema::Entity;
use sea_orm::{ConnectionTrait, DbBackend};
use sea_query::{Expr, OnConflict, Order, Query};
use serde_json::{json, Map, Value as Json};

/// What processing one event may use.
pub(crate) struct EventCtx<'a> {
    pub db: &'a Db,
    pub actor: &'a Actor,
    pub source: &'a Source,
    pub event_id: i64,
    pub received_at: i64,
}

impl EventCtx<'_> {
    fn ws(&self) -> i64 {
        self.actor.ws_id()
    }
    fn backend(&self) -> DbBackend {
        self.db.backend
    }
    fn routing_id(&self, key: &str) -> Option<i64> {
        self.source.config.get(key).and_then(Json::as_i64)
    }
}

/// Default callback deadline for a missed call, in working minutes.
pub const DEFAULT_CALLBACK_MINUTES: i64 = 15;

/// Checks the routing part every source shares: `pipeline_id`, `stage_id` (of that pipeline),
/// `owner_id` (an active user), `pool` (active user ids for round-robin) and `callback_minutes`.
pub(crate) async fn check_routing(db: &Db, actor: &Actor, c: &mut Map<String, Json>) -> Result<()> {
    let ws = actor.ws_id();
    let id_of = |c: &Map<String, Json>, k: &str| -> Result<Option<i64>> {
        match c.get(k) {
            None | Some(Json::Null) => Ok(None),
            Some(v) => {
                v.as_i64().filter(|n| *n > 0).map(Some).ok_or_else(|| StoreError::invalid(format!("config.{k}"), IntakeMsg::MustBeId {}))
            }
        }
    };
    let pipeline = id_of(c, "pipeline_id")?;
    let stage = id_of(c, "stage_id")?;
    let live = |table: &'static str, id: i64| {
        Query::select()
            .column(col("id"))
            .from(col(table))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(id))
            .and_where(Expr::col(col("deleted_at")).is_null())
            .to_owned()
    };
    if let Some(p) = pipeline {
        if scalar_i64(&db.read, db.backend, &live("pipelines", p)).await?.is_none() {
            return Err(StoreError::invalid("config.pipeline_id", IntakeMsg::NoPipeline { id: p }));
        }
    }
    if let Some(s) = stage {
        let mut q = live("stages", s);
        if let Some(p) = pipeline {
            q.and_where(Expr::col(col("pipeline_id")).eq(p));
        }
        if scalar_i64(&db.read, db.backend, &q).await?.is_none() {
            return Err(StoreError::invalid("config.stage_id", IntakeMsg::NoStageInPipeline { id: s }));
        }
    }
    let mut users: Vec<(String, i64)> = Vec::new();
    if let Some(o) = id_of(c, "owner_id")? {
        users.push(("config.owner_id".into(), o));
    }
    match c.get("pool") {
        None | Some(Json::Null) => {}
        Some(Json::Array(ids)) => {
            for (i, v) in ids.iter().enumerate() {
                let id = v.as_i64().ok_or_else(|| StoreError::invalid(format!("config.pool.{i}"), IntakeMsg::MustBeUserId {}))?;
                users.push((format!("config.pool.{i}"), id));
            }
        }
        Some(_) => return Err(StoreError::invalid("config.pool", IntakeMsg::UserIdList {})),
    }
    for (field, id) in users {
        let q = Query::select()
            .column(col("id"))
            .from(col("users"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(id))
            .and_where(Expr::col(col("active")).eq(true))
            .to_owned();
        if scalar_i64(&db.read, db.backend, &q).await?.is_none() {
            return Err(StoreError::invalid(field, Common::NotActiveUser { id }));
        }
    }
    match c.get("callback_minutes") {
        None | Some(Json::Null) => {}
        Some(v) => {
            if v.as_i64().is_none_or(|m| !(1..=10_080).contains(&m)) {
                return Err(StoreError::invalid("config.callback_minutes", IntakeMsg::CallbackMinutes {}));
            }
        }
    }
    Ok(())
}

/// The person who owns an identity, if any.
pub(crate) async fn person_by_identity(
    ctx: &EventCtx<'_>,
    conn: &impl ConnectionTrait,
    kind: IdentityKind,
    value: &str,
) -> Result<Option<i64>> {
    let q = Query::select()
        .column((col("i"), col("person_id")))
        .from_as(col("identities"), col("i"))
        .inner_join(
            crate::sql::aliased("persons", "p"),
            Expr::col((col("p"), col("id"))).equals((col("i"), col("person_id"))).and(Expr::col((col("p"), col("deleted_at"))).is_null()),
        )
        .and_where(Expr::col((col("i"), col("workspace_id"))).eq(ctx.ws()))
        .and_where(Expr::col((col("i"), col("kind"))).eq(kind.as_str()))
        .and_where(Expr::col((col("i"), col("value"))).eq(value))
        .to_owned();
    scalar_i64(conn, ctx.backend(), &q).await
}

/// Gives a found person one more way to reach them: into the contact field when it is empty
/// (an ordinary update, with its history), else as an extra identity. False when the identity
/// is someone else's.
pub(crate) async fn attach_identity(
    ctx: &EventCtx<'_>,
    conn: &impl ConnectionTrait,
    person: i64,
    kind: IdentityKind,
    value: &str,
) -> Result<bool> {
    if let Some(owner) = person_by_identity(ctx, conn, kind, value).await? {
        return Ok(owner == person);
    }
    let field = match kind {
        IdentityKind::Phone => Some("phone"),
        IdentityKind::Email => Some("email"),
        IdentityKind::Telegram => Some("telegram"),
        _ => None,
    };
    if let Some(field) = field {
        let current = ctx.db.get_in(conn, ctx.actor, Entity::Person, person).await?;
        if current.get(field).is_null() {
            ctx.db.update_in(conn, ctx.actor, Entity::Person, person, &json!({ field: value })).await?;
            return Ok(true);
        }
    }
    add_identity(ctx, conn, person, kind, value).await
}

/// Adds an identity to a person; false when it is someone else's already.
pub(crate) async fn add_identity(
    ctx: &EventCtx<'_>,
    conn: &impl ConnectionTrait,
    person: i64,
    kind: IdentityKind,
    value: &str,
) -> Result<bool> {
    if let Some(owner) = person_by_identity(ctx, conn, kind, value).await? {
        return Ok(owner == person);
    }
    let q = Query::insert()
        .into_table(col("identities"))
        .columns(["workspace_id", "person_id", "kind", "value", "created_at"].map(col))
        .values([ctx.ws().into(), person.into(), kind.as_str().into(), value.into(), ctx.db.clock.now_ms().into()])
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .to_owned();
    conn.execute(ctx.backend().build(&q)).await?;
    Ok(true)
}

/// A new person from a first contact. `fields` are person fields (phone, email, telegram…),
/// whose identities the store records itself; `extra` are identities without a field (a
/// Telegram user id).
pub(crate) async fn create_person(
    ctx: &EventCtx<'_>,
    conn: &impl ConnectionTrait,
    name: &str,
    mut fields: Map<String, Json>,
    extra: &[(IdentityKind, String)],
    owner: Option<i64>,
) -> Result<i64> {
    fields.insert("name".into(), json!(name.chars().take(255).collect::<String>()));
    if let Some(o) = owner {
        fields.insert("owner_id".into(), json!(o));
    }
    let row = ctx.db.create_in(conn, ctx.actor, Entity::Person, &Json::Object(fields)).await?;
    for (kind, value) in extra {
        add_identity(ctx, conn, row.id(), *kind, value).await?;
    }
    Ok(row.id())
}

/// A person's open deals, most recently changed first: their ids and `column`.
fn open_deals_of(ctx: &EventCtx<'_>, person: i64, column: &str) -> sea_query::SelectStatement {
    Query::select()
        .columns(["id", column].map(col))
        .from(col("deals"))
        .and_where(Expr::col(col("workspace_id")).eq(ctx.ws()))
        .and_where(Expr::col(col("person_id")).eq(person))
        .and_where(Expr::col(col("status")).eq(DealStatus::Open.as_str()))
        .and_where(Expr::col(col("deleted_at")).is_null())
        .order_by(col("updated_at"), Order::Desc)
        .order_by(col("id"), Order::Desc)
        .to_owned()
}

/// The person's most recent open deal, with its owner.
pub(crate) async fn open_deal(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, person: i64) -> Result<Option<(i64, Option<i64>)>> {
    let q = open_deals_of(ctx, person, "owner_id").limit(1).to_owned();
    match conn.query_one(ctx.backend().build(&q)).await? {
        Some(r) => Ok(Some((r.try_get("", "id")?, r.try_get("", "owner_id")?))),
        None => Ok(None),
    }
}

/// A person's owner and organization.
pub(crate) async fn person_owner(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, person: i64) -> Result<(Option<i64>, Option<i64>)> {
    let q = Query::select()
        .columns(["owner_id", "organization_id"].map(col))
        .from(col("persons"))
        .and_where(Expr::col(col("workspace_id")).eq(ctx.ws()))
        .and_where(Expr::col(col("id")).eq(person))
        .to_owned();
    match conn.query_one(ctx.backend().build(&q)).await? {
        Some(r) => Ok((r.try_get("", "owner_id")?, r.try_get("", "organization_id")?)),
        None => Ok((None, None)),
    }
}

/// Who gets what a source creates: the source's owner when set and active, else the next user of
/// its pool (or of the active managers) in round-robin.
pub(crate) async fn assign_owner(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait) -> Result<Option<i64>> {
    Ok(assign_owner_routed(ctx, conn).await?.user_id)
}

/// [`assign_owner`] with the reason: when the workspace keeps work schedules only people on shift
/// are chosen, and with nobody on shift the head of sales gets the client (`route_head_nobody_on_shift`).
pub(crate) async fn assign_owner_routed(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait) -> Result<crate::team::Routed> {
    use poryadok_core::msg::TeamMsg;
    let now = ctx.db.clock.now_ms();
    let tz = &ctx.actor.ws.timezone;
    let sched = crate::team::load(conn, ctx.backend(), ctx.ws(), tz, crate::team::today(tz, now)).await?;
    let routed = |user_id, reason| crate::team::Routed { user_id, reason, owner_on_shift: None };
    if let Some(o) = ctx.routing_id("owner_id") {
        if active_users(ctx, conn, Some(&[o]), None).await?.contains(&o) && sched.on_shift(o, now) {
            return Ok(routed(Some(o), TeamMsg::RouteNewClient {}));
        }
    }
    let pool: Option<Vec<i64>> =
        ctx.source.config.get("pool").and_then(Json::as_array).map(|a| a.iter().filter_map(Json::as_i64).collect());
    let candidates = match &pool {
        Some(p) if !p.is_empty() => active_users(ctx, conn, Some(p), None).await?,
        _ => active_users(ctx, conn, None, Some(Role::Manager)).await?,
    };
    let candidates: Vec<i64> = candidates.into_iter().filter(|c| sched.on_shift(*c, now)).collect();
    if candidates.is_empty() && sched.used {
        let head = crate::regulation::head_of(conn, ctx.backend(), ctx.ws(), None).await?;
        return Ok(routed(head, TeamMsg::RouteHeadNobodyOnShift {}));
    }
    // New clients rotate across the workspace's sources; a source with its own pool rotates alone.
    let key = match &pool {
        Some(p) if !p.is_empty() => format!("intake:{}", ctx.source.id),
        _ => "intake".to_string(),
    };
    Ok(routed(round_robin(conn, ctx.backend(), ctx.ws(), &key, &candidates, now).await?, TeamMsg::RouteNewClient {}))
}

async fn active_users(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, ids: Option<&[i64]>, role: Option<Role>) -> Result<Vec<i64>> {
    let mut q = Query::select();
    q.column(col("id"))
        .from(col("users"))
        .and_where(Expr::col(col("workspace_id")).eq(ctx.ws()))
        .and_where(Expr::col(col("active")).eq(true))
        .order_by(col("id"), Order::Asc);
    if let Some(ids) = ids {
        q.and_where(Expr::col(col("id")).is_in(ids.iter().copied()));
    }
    if let Some(r) = role {
        q.and_where(Expr::col(col("role")).eq(r.as_str()));
    }
    conn.query_all(ctx.backend().build(&q)).await?.iter().map(|r| r.try_get::<i64>("", "id").map_err(StoreError::from)).collect()
}

/// The next of `candidates` (sorted ids) after the one `pool` gave last, wrapping around; the
/// choice is remembered in the same transaction.
pub(crate) async fn round_robin(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    pool: &str,
    candidates: &[i64],
    now: i64,
) -> Result<Option<i64>> {
    let Some(first) = candidates.first() else {
        return Ok(None);
    };
    let q = Query::select()
        .column(col("last_user_id"))
        .from(col("round_robin"))
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("pool")).eq(pool))
        .to_owned();
    let last = scalar_i64(conn, backend, &q).await?;
    let next = last.and_then(|l| candidates.iter().find(|c| **c > l)).unwrap_or(first);
    let up = Query::insert()
        .into_table(col("round_robin"))
        .columns(["workspace_id", "pool", "last_user_id", "updated_at"].map(col))
        .values([ws.into(), pool.into(), (*next).into(), now.into()])
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .on_conflict(
            OnConflict::columns(["workspace_id", "pool"].map(col)).update_columns(["last_user_id", "updated_at"].map(col)).to_owned(),
        )
        .to_owned();
    conn.execute(backend.build(&up)).await?;
    Ok(Some(*next))
}

/// A new deal for a person, in the source's pipeline and stage, with the touch's attribution
/// as its first touch. Stage regulation (entry tasks, SLA) applies as to any new deal.
pub(crate) async fn create_deal(
    ctx: &EventCtx<'_>,
    conn: &impl ConnectionTrait,
    title: &str,
    person: i64,
    organization: Option<i64>,
    owner: Option<i64>,
    attribution: &Attribution,
) -> Result<Row> {
    let mut body = Map::new();
    body.insert("title".into(), json!(title.chars().take(255).collect::<String>()));
    body.insert("person_id".into(), json!(person));
    // The source's own name ("Ringostat", "Заявка с сайта") says more than its kind.
    body.insert("source".into(), json!(ctx.source.name.chars().take(100).collect::<String>()));
    for (k, key) in [("pipeline_id", "pipeline_id"), ("stage_id", "stage_id")] {
        if let Some(v) = ctx.routing_id(key) {
            body.insert(k.into(), json!(v));
        }
    }
    if let Some(o) = organization {
        body.insert("organization_id".into(), json!(o));
    }
    if let Some(o) = owner {
        body.insert("owner_id".into(), json!(o));
    }
    for f in Attribution::FIELDS {
        if let Some(v) = attribution.get(f) {
            body.insert(f.into(), json!(v));
        }
    }
    ctx.db.create_in(conn, ctx.actor, Entity::Deal, &Json::Object(body)).await
}

/// Records a touch on a deal, and fills the deal's empty attribution fields with it (the first
/// touch is kept; later ones are only in `touches`).
#[expect(clippy::too_many_arguments)]
pub(crate) async fn record_touch(
    ctx: &EventCtx<'_>,
    conn: &impl ConnectionTrait,
    deal: i64,
    person: i64,
    channel: &str,
    a: &Attribution,
    at: i64,
    new_deal: bool,
) -> Result<()> {
    let mut cols = vec!["workspace_id", "deal_id", "person_id", "event_id", "channel", "occurred_at"];
    let mut vals: Vec<sea_query::SimpleExpr> =
        vec![ctx.ws().into(), deal.into(), person.into(), ctx.event_id.into(), channel.into(), at.into()];
    for f in Attribution::FIELDS {
        cols.push(f);
        vals.push(a.get(f).map(str::to_string).into());
    }
    let q = Query::insert()
        .into_table(col("touches"))
        .columns(cols.into_iter().map(col))
        .values(vals)
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .to_owned();
    conn.execute(ctx.backend().build(&q)).await?;
    if new_deal || a.is_empty() {
        return Ok(());
    }
    let current = ctx.db.get_in(conn, ctx.actor, Entity::Deal, deal).await?;
    let mut patch = Map::new();
    for f in Attribution::FIELDS {
        if let (Some(v), true) = (a.get(f), current.get(f).is_null()) {
            patch.insert(f.into(), json!(v));
        }
    }
    if !patch.is_empty() {
        ctx.db.update_in(conn, ctx.actor, Entity::Deal, deal, &Json::Object(patch)).await?;
    }
    Ok(())
}

/// Where a touch from a known or new person lands: their most recent open deal, or a new one
/// titled `title`. Returns (deal id, its owner, whether it is new).
pub(crate) async fn deal_for(
    ctx: &EventCtx<'_>,
    conn: &impl ConnectionTrait,
    person: i64,
    title: &str,
    attribution: &Attribution,
) -> Result<(i64, Option<i64>, bool)> {
    if let Some((deal, owner)) = open_deal(ctx, conn, person).await? {
        return Ok((deal, owner, false));
    }
    let (person_owner, org) = person_owner(ctx, conn, person).await?;
    let owner = match person_owner {
        Some(o) if active_users(ctx, conn, Some(&[o]), None).await?.contains(&o) => Some(o),
        _ => assign_owner(ctx, conn).await?,
    };
    let row = create_deal(ctx, conn, title, person, org, owner, attribution).await?;
    Ok((row.id(), row.get("owner_id").as_int(), true))
}

/// Why a person was marked as not a client, if they were: calls, messages and form leads from
/// them then land on their card without a deal, a task or a notification.
pub(crate) async fn not_lead_mark(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, person: i64) -> Result<Option<String>> {
    let q = Query::select()
        .column(col("not_lead_reason"))
        .from(col("persons"))
        .and_where(Expr::col(col("workspace_id")).eq(ctx.ws()))
        .and_where(Expr::col(col("id")).eq(person))
        .to_owned();
    match conn.query_one(ctx.backend().build(&q)).await? {
        Some(r) => Ok(r.try_get::<Option<String>>("", "not_lead_reason")?.filter(|s| !s.trim().is_empty())),
        None => Ok(None),
    }
}

/// Where a touch lands: a deal, or only the card of a person marked as not a lead.
pub(crate) enum Landing {
    Deal { id: i64, owner: Option<i64>, created: bool },
    NotLead { reason: String },
}

/// [`deal_for`], unless the known person is marked as not a lead.
pub(crate) async fn landing(
    ctx: &EventCtx<'_>,
    conn: &impl ConnectionTrait,
    (person, new_person): (i64, bool),
    title: &str,
    attribution: &Attribution,
) -> Result<Landing> {
    if !new_person {
        if let Some(reason) = not_lead_mark(ctx, conn, person).await? {
            return Ok(Landing::NotLead { reason });
        }
    }
    let (id, owner, created) = deal_for(ctx, conn, person, title, attribution).await?;
    Ok(Landing::Deal { id, owner, created })
}

/// A person's open deals with their pipelines, the deal intake would reuse first.
pub(crate) async fn open_deals(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, person: i64) -> Result<Vec<(i64, Option<i64>)>> {
    let q = open_deals_of(ctx, person, "pipeline_id");
    conn.query_all(ctx.backend().build(&q)).await?.iter().map(|r| Ok((r.try_get("", "id")?, r.try_get("", "pipeline_id")?))).collect()
}

/// After two cards of one client merged, the open intake deal the removed card brought into a
/// pipeline where the kept card already had one joins that deal: its messages, activities,
/// notes and touches move to the kept deal and the duplicate is deleted with `merged_into` in
/// its history, so the client has one open deal per pipeline. Activities, notes and both deals
/// are written through the write pipeline (history events, webhooks, the rules after a write).
pub(crate) async fn merge_brought_deals(
    ctx: &EventCtx<'_>,
    conn: &impl ConnectionTrait,
    kept: &[(i64, Option<i64>)],
    brought: &[(i64, Option<i64>)],
) -> Result<()> {
    let ws = ctx.ws();
    let now = ctx.db.clock.now_ms();
    for (dup, pipeline) in brought {
        let Some((keep, _)) = kept.iter().find(|(_, p)| p == pipeline) else { continue };
        let system = crate::records::system_view(ctx.actor);
        ctx.db.relink(conn, &system, &[Entity::Activity, Entity::Note], "deal_id", *keep, *dup, now).await?;
        for table in ["messages", "touches"] {
            let q = Query::update()
                .table(col(table))
                .value(col("deal_id"), *keep)
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("deal_id")).eq(*dup))
                .to_owned();
            conn.execute(ctx.backend().build(&q)).await?;
        }
        let noted = |k: &str, id: i64| Map::from_iter([(k.to_string(), json!(id))]);
        ctx.db.delete_noted(conn, &system, Entity::Deal, *dup, noted("merged_into", *keep)).await?;
        ctx.db.update_noted(conn, &system, Entity::Deal, *keep, &json!({}), noted("merged_from", *dup)).await?;
    }
    Ok(())
}
