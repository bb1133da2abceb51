//! Calls from telephony and call tracking, by the rules sales teams write for their CRM:
//! an unknown number becomes a person and a deal; a known client's call lands in their most
//! recent open deal (a new deal when none is open); the call itself is a completed activity
//! (incoming, outgoing, missed) titled with the number, carrying the recording and the duration;
//! call tracking fills the deal's attribution; a missed call gets a callback task with a deadline
//! in working time for the deal's owner.
use crate::error::{Result, StoreError};
use crate::intake::client::{self, EventCtx, DEFAULT_CALLBACK_MINUTES};
use poryadok_core::domain::{ActivityType, IdentityKind};
use poryadok_core::error::FieldError;
use poryadok_core::intake::{self as read, display_phone, CallEvent, CallMapping, Words};
use poryadok_core::schema::Entity;
use poryadok_core::types::format_ms;
use sea_orm::ConnectionTrait;
use serde_json::{json, Map, Value as Json};

/// The source's mapping: its preset's names with its overrides.
pub(crate) fn mapping_of(config: &Json) -> std::result::Result<CallMapping, FieldError> {
    let preset = config.get("preset").and_then(Json::as_str).unwrap_or("generic");
    let overrides: CallMapping = match config.get("mapping") {
        Some(Json::Object(m)) => m.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect(),
        _ => CallMapping::new(),
    };
    read::call_mapping(preset, &overrides)
}

pub(crate) fn check_config(c: &mut Map<String, Json>) -> Result<()> {
    match c.get("preset") {
        None => {
            c.insert("preset".into(), json!("generic"));
        }
        Some(Json::String(_)) => {}
        Some(_) => return Err(StoreError::invalid("config.preset", "must be a preset name")),
    }
    if let Some(m) = c.get("mapping") {
        let Json::Object(m) = m else {
            return Err(StoreError::invalid("config.mapping", "must be an object of call field → provider parameter"));
        };
        if let Some((k, _)) = m.iter().find(|(_, v)| !v.is_string()) {
            return Err(StoreError::invalid(format!("config.mapping.{k}"), "must be a parameter name"));
        }
    }
    mapping_of(&Json::Object(c.clone())).map_err(|e| StoreError::invalid(format!("config.{}", e.field), e.message))?;
    Ok(())
}

/// The provider's call id in a body, when the mapping finds one.
pub(crate) fn external_id(source: &crate::intake::Source, body: &[u8], content_type: Option<&str>) -> Option<String> {
    let mapping = mapping_of(&source.config).ok()?;
    read::call_external_id(&read::body_params(body, content_type).ok()?, &mapping)
}

/// Reads a call event with the source's mapping.
pub(crate) fn read(ctx: &EventCtx<'_>, body: &[u8], content_type: Option<&str>) -> std::result::Result<CallEvent, FieldError> {
    let mapping = mapping_of(&ctx.source.config)?;
    let params = read::body_params(body, content_type)?;
    read::parse_call(&params, &mapping, &ctx.actor.ws.region, &ctx.actor.ws.timezone)
}

/// Writes what a call means for the client's card; returns what it created, for the event's record.
pub(crate) async fn apply(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, call: &CallEvent) -> Result<Json> {
    let words = Words::new(&ctx.actor.ws.locale);
    let shown = display_phone(&call.client_phone);
    let (person, new_person) = match client::person_by_identity(ctx, conn, IdentityKind::Phone, &call.client_phone).await? {
        Some(p) => (p, false),
        None => {
            let owner = client::assign_owner(ctx, conn).await?;
            let fields = Map::from_iter([("phone".to_string(), json!(call.client_phone))]);
            (client::create_person(ctx, conn, &shown, fields, &[], owner).await?, true)
        }
    };
    let title = words.call_deal(&shown, call.is_missed());
    let (deal, owner, new_deal) = client::deal_for(ctx, conn, person, &title, &call.attribution).await?;
    let at = call.started_at.unwrap_or(ctx.received_at);
    client::record_touch(ctx, conn, deal, person, "call", &call.attribution, at, new_deal).await?;
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
    let mut result = json!({
        "person_id": person,
        "person_created": new_person,
        "deal_id": deal,
        "deal_created": new_deal,
        "activity_id": call_row.id(),
    });
    if call.is_missed() {
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
        let assignee = match owner {
            Some(o) => Some(o),
            None => client::assign_owner(ctx, conn).await?,
        };
        if let Some(a) = assignee {
            task["owner_id"] = json!(a);
        }
        let task_row = ctx.db.create_in(conn, ctx.actor, Entity::Activity, &task).await?;
        result["callback_task_id"] = json!(task_row.id());
    }
    Ok(result)
}
