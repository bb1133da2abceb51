//! Calls from telephony and call tracking, by the rules sales teams write for their CRM:
//! an unknown number becomes a person and a deal; a known client's call lands in their most
//! recent open deal (a new deal when none is open); the call itself is a completed activity
//! (incoming, outgoing, missed) titled with the number, carrying the recording and the duration;
//! call tracking fills the deal's attribution; a missed call gets a callback task with a deadline
//! in working time for the deal's owner.
use crate::error::{Result, StoreError};
use crate::intake::client::{self, EventCtx, Landing, DEFAULT_CALLBACK_MINUTES};
use crate::sql::col;
use crate::team::{RouteAsk, RouteMode};
use poryadok_core::domain::{ActivityType, CallDirection, IdentityKind};
use poryadok_core::error::FieldError;
use poryadok_core::intake::{self as read, display_phone, CallEvent, CallMapping, Words};
use poryadok_core::msg::{Msg, TeamMsg};
use poryadok_core::schema::Entity;
use poryadok_core::template::{SmsGateway, CALLBACK_SPEC};
use poryadok_core::types::format_ms;
use sea_orm::ConnectionTrait;
use sea_query::{Expr, Query};
use serde_json::{json, Map, Value as Json};

/// The source's mapping: its preset's names with its overrides.
pub(crate) fn mapping_of(config: &Json) -> std::result::Result<CallMapping, FieldError> {
    let preset = config.get("preset").and_then(Json::as_str).unwrap_or("generic");
    read::call_mapping(preset, &super::mapping_overrides(config))
}

pub(crate) fn check_config(c: &mut Map<String, Json>) -> Result<()> {
    super::check_mapped_config(c, mapping_of)?;
    // The click-to-call request: the gateways' template with the call's placeholders.
    match c.get("callback") {
        None => {}
        Some(Json::Null) => {
            c.remove("callback");
        }
        Some(v) => {
            let g = SmsGateway::parse_as(&CALLBACK_SPEC, v, None)?;
            c.insert("callback".into(), g.to_json());
        }
    }
    Ok(())
}

/// A telephony source's click-to-call request, when it has one.
pub(crate) fn callback_of(config: &Json) -> Option<SmsGateway> {
    SmsGateway::parse_as(&CALLBACK_SPEC, config.get("callback")?, None).ok()
}

/// The provider's call id in a body, when the mapping finds one, as the event's key.
pub(crate) fn external_id(source: &crate::intake::Source, body: &[u8], content_type: Option<&str>) -> Option<String> {
    let mapping = mapping_of(&source.config).ok()?;
    let call_id = read::call_external_id(&read::body_params(body, content_type).ok()?, &mapping)?;
    Some(event_key(&call_id, body))
}

/// The inbox key of one event of a call: a provider sends several for one call (its start, then
/// the end with the duration and the recording), so the call id alone would take the later ones
/// for replays. An identical body is a replay; another body of the same call is a new event.
pub(crate) fn event_key(call_id: &str, body: &[u8]) -> String {
    format!("{call_id} {}", crate::intake::body_hash(body))
}

/// Reads a call event with the source's mapping.
pub(crate) fn read(ctx: &EventCtx<'_>, body: &[u8], content_type: Option<&str>) -> std::result::Result<CallEvent, FieldError> {
    let mapping = mapping_of(&ctx.source.config)?;
    let params = read::body_params(body, content_type)?;
    read::parse_call(&params, &mapping, &ctx.actor.ws.region, &ctx.actor.ws.timezone)
}

/// What a call event made: a call on a card, or more about a call already there.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub(crate) enum CallLanded {
    New(NewCall),
    Updated(CallUpdated),
}

/// A new call on a client's card: the event's result, as the inbox shows it.
#[derive(Debug, serde::Serialize)]
pub(crate) struct NewCall {
    pub person_id: i64,
    pub person_created: bool,
    pub deal_id: Option<i64>,
    pub deal_created: bool,
    pub activity_id: i64,
    /// Whom an inbound call should reach (none for an outgoing call or a client not a lead).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub route: Option<CallRoute>,
    /// Why the number is not a lead, when it is marked so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_lead: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_task_id: Option<i64>,
}

/// Where an inbound call was routed.
#[derive(Debug, serde::Serialize)]
pub(crate) struct CallRoute {
    pub owner_on_shift: bool,
    pub route_user_id: Option<i64>,
    /// The routing's reason, a [`TeamMsg`] code.
    pub route_reason: &'static str,
}

/// A later event of a call already on a card.
#[derive(Debug, serde::Serialize)]
pub(crate) struct CallUpdated {
    pub activity_id: i64,
    /// Always true: tells this result from a new call's.
    pub call_updated: bool,
    pub deal_id: Option<i64>,
    pub person_id: Option<i64>,
    /// The missed call's callback task, done now that the call turned out answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_task_done: Option<i64>,
}

/// Writes what a call means for the client's card; returns what it created, for the event's record.
/// A later event of a call already on a card updates that call instead.
pub(crate) async fn apply(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, call: &CallEvent) -> Result<CallLanded> {
    if let Some(call_id) = &call.call_id {
        if let Some(known) = known_call(ctx, conn, call_id).await? {
            return Ok(CallLanded::Updated(update_call(ctx, conn, call, known).await?));
        }
    }
    let words = Words::new(&ctx.actor.ws.locale);
    let shown = display_phone(&call.client_phone);
    let mut routed = None;
    let (person, new_person) = match client::person_by_identity(ctx, conn, IdentityKind::Phone, &call.client_phone).await? {
        Some(p) => (p, false),
        None => {
            let r = client::assign_owner_routed(ctx, conn).await?;
            let owner = r.user_id;
            routed = Some(r);
            let fields = Map::from_iter([("phone".to_string(), json!(call.client_phone))]);
            (client::create_person(ctx, conn, &shown, fields, &[], owner).await?, true)
        }
    };
    let title = words.call_deal(&shown, call.is_missed());
    let at = call.started_at.unwrap_or(ctx.received_at);
    // A number marked as not a lead: the call goes on the person's card, and nothing else happens.
    let (deal, owner, new_deal, not_lead) = match client::landing(ctx, conn, (person, new_person), &title, &call.attribution).await? {
        Landing::Deal { id, owner, created } => {
            client::record_touch(ctx, conn, id, person, "call", &call.attribution, at, created).await?;
            (Some(id), owner, created, None)
        }
        Landing::NotLead { reason } => (None, client::person_owner(ctx, conn, person).await?.0, false, Some(reason)),
    };
    let mut activity = json!({
        "type": ActivityType::Call.as_str(),
        "subject": shown,
        "done": true,
        "due_at": format_ms(at),
        "call_direction": call.direction.as_str(),
        "call_outcome": call.outcome.as_str(),
        "phone": call.client_phone,
        "deal_id": deal,
        "person_id": person,
    });
    if let Some(o) = owner {
        activity["owner_id"] = json!(o);
    }
    if let Some(url) = &call.recording_url {
        activity["recording_url"] = json!(url);
    }
    if let Some(s) = call.seconds {
        activity["call_seconds"] = json!(s);
        activity["duration_min"] = json!((s + 59) / 60);
    }
    let call_row = ctx.db.create_in(conn, ctx.actor, Entity::Activity, &activity).await?;
    if not_lead.is_none() {
        crate::live::wake(conn, ctx.db.backend).await?;
    }
    let mut callback_task = None;
    let mut result = NewCall {
        person_id: person,
        person_created: new_person,
        deal_id: deal,
        deal_created: new_deal,
        activity_id: call_row.id(),
        route: None,
        not_lead: None,
        callback_task_id: None,
    };
    // An inbound call names whom it should reach: the owner on shift, else a colleague on shift.
    let mut route_to = owner;
    if not_lead.is_none() && call.direction == CallDirection::Inbound {
        let r = match routed {
            Some(r) => r,
            None => {
                let mode = ctx
                    .source
                    .config
                    .get("shift_routing")
                    .and_then(Json::as_str)
                    .and_then(RouteMode::parse)
                    .unwrap_or(RouteMode::RoundRobin);
                let ask = RouteAsk { owner, pool: None, mode, remember: call.is_missed() };
                crate::team::route(conn, ctx.db.backend, ctx.actor.ws_id(), &ctx.actor.ws.timezone, ctx.received_at, ask).await?
            }
        };
        let head = matches!(r.reason, TeamMsg::RouteHeadNobodyOnShift {});
        result.route = Some(CallRoute {
            owner_on_shift: r.owner_on_shift.unwrap_or(!head),
            route_user_id: r.user_id,
            route_reason: Msg::from(r.reason).code(),
        });
        route_to = r.user_id.or(owner);
    }
    if not_lead.is_none() {
        let outcome = if call.is_missed() { poryadok_core::domain::CallOutcome::Missed } else { call.outcome };
        crate::client_notify::after_call(conn, ctx.db.backend, ctx.actor.ws_id(), (call_row.id(), deal, person), outcome, ctx.received_at)
            .await?;
    }
    if let Some(reason) = not_lead {
        result.not_lead = Some(reason);
    } else if call.is_missed() {
        let minutes = ctx.source.config.get("callback_minutes").and_then(Json::as_i64).unwrap_or(DEFAULT_CALLBACK_MINUTES);
        let calendar = crate::regulation::workspace_calendar(conn, ctx.db.backend, ctx.actor.ws_id()).await?;
        let due = calendar.add_working_minutes(&ctx.actor.ws.timezone, ctx.received_at, minutes);
        let mut task = json!({
            "type": ActivityType::Call.as_str(),
            "subject": words.callback(&shown),
            "due_at": format_ms(due),
            "done": false,
            "phone": call.client_phone,
            "deal_id": deal,
            "person_id": person,
        });
        let assignee = match route_to {
            Some(o) => Some(o),
            None => client::assign_owner(ctx, conn).await?,
        };
        if let Some(a) = assignee {
            task["owner_id"] = json!(a);
        }
        let task_row = ctx.db.create_in(conn, ctx.actor, Entity::Activity, &task).await?;
        result.callback_task_id = Some(task_row.id());
        callback_task = Some(task_row.id());
    }
    if let Some(call_id) = &call.call_id {
        remember_call(ctx, conn, call_id, call_row.id(), callback_task).await?;
    }
    Ok(CallLanded::New(result))
}

/// A call already on a card: its activity and the callback task it got, if it was missed.
struct KnownCall {
    activity_id: i64,
    callback_task_id: Option<i64>,
}

async fn known_call(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, call_id: &str) -> Result<Option<KnownCall>> {
    let q = Query::select()
        .columns(["activity_id", "callback_task_id"].map(col))
        .from(col("provider_calls"))
        .and_where(Expr::col(col("workspace_id")).eq(ctx.actor.ws_id()))
        .and_where(Expr::col(col("source_id")).eq(ctx.source.id))
        .and_where(Expr::col(col("call_id")).eq(call_id))
        .to_owned();
    let Some(r) = conn.query_one(ctx.db.backend.build(&q)).await? else { return Ok(None) };
    Ok(Some(KnownCall { activity_id: r.try_get("", "activity_id")?, callback_task_id: r.try_get("", "callback_task_id")? }))
}

/// Keys the call's activity by the provider's call id. Two first events of one call processed at
/// once clash on the key, and the loser's retry finds the winner's call.
async fn remember_call(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, call_id: &str, activity: i64, task: Option<i64>) -> Result<()> {
    let q = Query::insert()
        .into_table(col("provider_calls"))
        .columns(["workspace_id", "source_id", "call_id", "activity_id", "callback_task_id", "created_at"].map(col))
        .values([ctx.actor.ws_id().into(), ctx.source.id.into(), call_id.into(), activity.into(), task.into(), ctx.received_at.into()])
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .to_owned();
    conn.execute(ctx.db.backend.build(&q)).await?;
    Ok(())
}

/// A later event of a known call: what it adds (the outcome, the duration, the recording) goes
/// onto the call. Events may be processed out of order, so nothing is taken back: an answered
/// call stays answered, a duration only grows, a recording is never removed. A missed call's
/// callback task is done once the call turns out answered.
async fn update_call(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, call: &CallEvent, known: KnownCall) -> Result<CallUpdated> {
    let old = ctx.db.get_in(conn, ctx.actor, Entity::Activity, known.activity_id).await?;
    let mut patch = Map::new();
    let answered = call.outcome == poryadok_core::domain::CallOutcome::Answered;
    if old.get("call_outcome").as_text() != Some(poryadok_core::domain::CallOutcome::Answered.as_str()) {
        patch.insert("call_outcome".into(), json!(call.outcome.as_str()));
    }
    if let Some(s) = call.seconds.filter(|s| old.get("call_seconds").as_int().is_none_or(|o| *s > o)) {
        patch.insert("call_seconds".into(), json!(s));
        patch.insert("duration_min".into(), json!((s + 59) / 60));
    }
    if let Some(url) = &call.recording_url {
        patch.insert("recording_url".into(), json!(url));
    }
    let row = ctx.db.update_in(conn, ctx.actor, Entity::Activity, known.activity_id, &Json::Object(patch)).await?;
    let mut result = CallUpdated {
        activity_id: row.id(),
        call_updated: true,
        deal_id: row.get("deal_id").as_int(),
        person_id: row.get("person_id").as_int(),
        callback_task_done: None,
    };
    let was_answered = old.get("call_outcome").as_text() == Some(poryadok_core::domain::CallOutcome::Answered.as_str());
    if let (true, false, Some(person)) = (answered, was_answered, row.get("person_id").as_int()) {
        let deal = row.get("deal_id").as_int();
        crate::client_notify::after_call(conn, ctx.db.backend, ctx.actor.ws_id(), (row.id(), deal, person), call.outcome, ctx.received_at)
            .await?;
    }
    if let (true, Some(task)) = (answered, known.callback_task_id) {
        let open = ctx
            .db
            .get_in(conn, ctx.actor, Entity::Activity, task)
            .await
            .ok()
            .filter(|t| !matches!(t.get("done"), poryadok_core::types::Val::Bool(true)));
        if open.is_some() {
            ctx.db.update_in(conn, ctx.actor, Entity::Activity, task, &json!({"done": true})).await?;
            result.callback_task_done = Some(task);
        }
    }
    Ok(result)
}
