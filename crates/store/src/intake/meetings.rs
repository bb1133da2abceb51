//! Finished online meetings (Zoom's `recording.completed`, or a generic JSON shape read through
//! the source's mapping): the recording's link and the meeting's length go onto the client's
//! card as a done meeting.
//!
//! The client is the first participant whose e-mail, then phone, is a person's identity. The
//! meeting lands in that person's most recent open deal, else on the person alone (a recording
//! creates no deal). A meeting with no known participant is stored as failed with the addresses
//! it named, so it is listed in the inbox and re-processed once the e-mail or the phone is on a
//! person: it is never dropped. The meeting's id is the event's key, so a redelivery is a no-op.
use crate::error::{Result, StoreError};
use crate::intake::client::{self, EventCtx};
use crate::sql::col;
use poryadok_core::domain::{ActivityType, IdentityKind};
use poryadok_core::error::FieldError;
use poryadok_core::meetings::{self as read, MeetingEvent, MeetingMapping};
use poryadok_core::msg::{CallMsg, Lang, Msg};
use poryadok_core::types::format_ms;
use sea_orm::ConnectionTrait;
use sea_query::{Expr, Query};
use serde_json::{json, Map, Value as Json};

/// The source's mapping: its preset's names with its overrides.
pub(crate) fn mapping_of(config: &Json) -> std::result::Result<MeetingMapping, FieldError> {
    let preset = config.get("preset").and_then(Json::as_str).unwrap_or("generic");
    read::meeting_mapping(preset, &super::mapping_overrides(config))
}

/// `preset` (`generic` or `zoom`, default generic) and `mapping` (meeting field → parameter).
pub(crate) fn check_config(c: &mut Map<String, Json>) -> Result<()> {
    super::check_mapped_config(c, mapping_of)?;
    Ok(())
}

/// Reads a meeting with the source's mapping.
pub(crate) fn read(ctx: &EventCtx<'_>, body: &[u8]) -> std::result::Result<MeetingEvent, FieldError> {
    let mapping = mapping_of(&ctx.source.config)?;
    read::parse_meeting(&read::body_json(body)?, &mapping, &ctx.actor.ws.region, &ctx.actor.ws.timezone)
}

/// The inbox key of a meeting: its id, so the provider's redelivery of the same meeting is one event.
pub(crate) fn event_key(m: &MeetingEvent) -> String {
    format!("meeting:{}", m.meeting_id)
}

/// The user hosting the meeting (by e-mail), who owns the activity when they are a colleague.
async fn host_user(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, email: &str) -> Result<Option<i64>> {
    let q = Query::select()
        .column(col("id"))
        .from(col("users"))
        .and_where(Expr::col(col("workspace_id")).eq(ctx.actor.ws_id()))
        .and_where(Expr::col(col("email")).eq(email))
        .and_where(Expr::col(col("active")).eq(true))
        .to_owned();
    crate::rules::scalar_i64(conn, ctx.db.backend, &q).await
}

/// Where a meeting landed: the event's result, as the inbox shows it.
#[derive(Debug, serde::Serialize)]
pub(crate) struct MeetingLanded {
    pub person_id: i64,
    /// Always false: a meeting lands only on a known client (kept for the inbox's common shape).
    pub person_created: bool,
    pub deal_id: Option<i64>,
    pub deal_created: bool,
    pub activity_id: i64,
    pub meeting_id: String,
}

/// Puts the meeting on the client's card; refuses (to be stored as failed) when no participant
/// is a known client.
pub(crate) async fn apply(ctx: &EventCtx<'_>, conn: &impl ConnectionTrait, m: &MeetingEvent) -> Result<MeetingLanded> {
    let mut person = None;
    let candidates =
        m.emails.iter().map(|e| (IdentityKind::Email, e)).chain(m.phones.iter().map(|p| (IdentityKind::Phone, p))).collect::<Vec<_>>();
    for (kind, value) in &candidates {
        if let Some(p) = client::person_by_identity(ctx, conn, *kind, value).await? {
            person = Some(p);
            break;
        }
    }
    let Some(person) = person else {
        let who: Vec<String> = candidates.iter().map(|(_, v)| v.to_string()).collect();
        return Err(StoreError::invalid("participants", CallMsg::MeetingNoParticipant { who }));
    };
    let deal = client::open_deal(ctx, conn, person).await?;
    let host = match &m.host_email {
        Some(e) => host_user(ctx, conn, e).await?,
        None => None,
    };
    // The deal's owner first, so the manager of the client sees the meeting; then the host
    // when they are a colleague; then the person's owner.
    let owner = match (deal.and_then(|(_, o)| o), host) {
        (Some(o), _) => Some(o),
        (None, Some(h)) => Some(h),
        (None, None) => client::person_owner(ctx, conn, person).await?.0,
    };
    let lang = Lang::from_locale(&ctx.actor.ws.locale);
    let topic = m.topic.clone().unwrap_or_else(|| Msg::from(CallMsg::MeetingNoTopic {}).text(lang));
    let mut activity = json!({
        "type": ActivityType::Meeting.as_str(),
        "subject": Msg::from(CallMsg::MeetingSubject { topic }).text(lang).chars().take(255).collect::<String>(),
        "done": true,
        "due_at": format_ms(m.started_at.unwrap_or(ctx.received_at)),
        "recording_url": m.recording_url,
        "deal_id": deal.map(|(d, _)| d),
        "person_id": person,
    });
    if let Some(o) = owner {
        activity["owner_id"] = json!(o);
    }
    if let Some(minutes) = m.duration_minutes {
        activity["duration_min"] = json!(minutes);
    }
    if let Some(d) = &m.download_url {
        activity["description"] = json!(d);
    }
    let row = ctx.db.create_in(conn, ctx.actor, poryadok_core::schema::Entity::Activity, &activity).await?;
    crate::live::wake(conn, ctx.db.backend).await?;
    Ok(MeetingLanded {
        person_id: person,
        person_created: false,
        deal_id: deal.map(|(d, _)| d),
        deal_created: false,
        activity_id: row.id(),
        meeting_id: m.meeting_id.clone(),
    })
}
