//! The iCalendar feed at `/ical/{secret}.ics` and the API that makes and closes its address
//! (`/api/v1/me/calendar_feed`).
//!
//! Tasks go out as events, not to-dos: the common calendar applications (Google Calendar, Outlook
//! web) ignore `VTODO` in a subscribed feed. Each event's UID is the activity's, so a moved task
//! moves in the calendar instead of appearing twice; each links back to its card. An unknown or
//! revoked secret is a plain 404: the address tells nothing about whether it ever existed.
use crate::auth::Auth;
use crate::error::ApiResult;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};
use poryadok_store::calendar_feed::FeedItem;
use poryadok_store::error::StoreError;
use serde_json::{json, Value};

/// A task without a duration takes this long in the calendar.
const DEFAULT_MINUTES: i64 = 30;

/// Where the feed lives, for a secret.
pub fn feed_url(base: &str, secret: &str) -> String {
    format!("{}/ical/{secret}.ics", base.trim_end_matches('/'))
}

/// `GET /ical/{secret}.ics`: the owner's activities as `text/calendar`.
pub async fn feed(State(st): State<AppState>, Path(file): Path<String>, headers: HeaderMap) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "not found\n").into_response();
    let Some(secret) = file.strip_suffix(".ics").filter(|s| !s.is_empty()) else { return not_found() };
    let actor = match st.db.actor_for_calendar_feed(secret).await {
        Ok(a) => a,
        Err(StoreError::NotFound) => return not_found(),
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let items = match st.db.calendar_feed_items(&actor).await {
        Ok(items) => items,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let base = crate::forms::base_url(&st, &headers);
    let cal = calendar(&base, actor.ws_id(), &actor.user_name, actor.reader_tz(), st.db.clock.now_ms(), &items);
    let mut resp = (StatusCode::OK, cal.to_string()).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/calendar; charset=utf-8"));
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline; filename=\"poryadok.ics\""));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    resp
}

/// The calendar of a user's activities: one event per activity, stamped at `now_ms`.
pub fn calendar(base: &str, ws: i64, user_name: &str, timezone: &str, now_ms: i64, items: &[FeedItem]) -> Calendar {
    let mut cal = Calendar::new();
    cal.name(&format!("Poryadok — {user_name}"));
    cal.timezone(timezone);
    cal.ttl(&chrono::Duration::minutes(15));
    let base = base.trim_end_matches('/');
    let stamp = utc(now_ms);
    for it in items {
        let link = card_link(base, it);
        let minutes = it.duration_min.filter(|m| *m > 0).unwrap_or(DEFAULT_MINUTES);
        let summary = if it.done { format!("✓ {}", it.subject) } else { it.subject.clone() };
        let description = match it.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => format!("{d}\n\n{link}"),
            None => link.clone(),
        };
        let mut ev = Event::new();
        ev.uid(&format!("activity-{ws}-{}@poryadok", it.id))
            .summary(&summary)
            .description(&description)
            .url(&link)
            .starts(utc(it.due_at))
            .ends(utc(it.due_at + minutes * 60_000))
            .timestamp(stamp)
            .last_modified(utc(it.updated_at))
            .status(EventStatus::Confirmed)
            .add_property("CATEGORIES", it.kind.as_str());
        cal.push(ev.done());
    }
    cal.done()
}

/// The card an activity belongs to: its deal, else its person, else its organization, else the
/// owner's day.
fn card_link(base: &str, it: &FeedItem) -> String {
    match (it.deal_id, it.person_id, it.organization_id) {
        (Some(d), _, _) => format!("{base}/deals/{d}"),
        (None, Some(p), _) => format!("{base}/persons/{p}"),
        (None, None, Some(o)) => format!("{base}/organizations/{o}"),
        _ => format!("{base}/today"),
    }
}

fn utc(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
}

fn status_json(s: &poryadok_store::calendar_feed::FeedStatus) -> Value {
    json!({"active": s.active, "created_at": s.created_at, "last_used_at": s.last_used_at})
}

/// `GET /api/v1/me/calendar_feed`: whether the caller has a live feed address (never the secret).
pub async fn status(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"data": status_json(&st.db.calendar_feed_status(&actor).await?)})))
}

/// `POST /api/v1/me/calendar_feed`: a new secret address; the old one answers 404 from now on.
pub async fn create(State(st): State<AppState>, Auth(actor): Auth, headers: HeaderMap) -> ApiResult<Response> {
    let made = st.db.new_calendar_feed(&actor).await?;
    let url = feed_url(&crate::forms::base_url(&st, &headers), &made.secret);
    let mut resp = (StatusCode::CREATED, Json(json!({"data": {"url": url, "created_at": made.created_at}}))).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(resp)
}

/// `DELETE /api/v1/me/calendar_feed`: closes the address (204; 404 when there was none).
pub async fn revoke(State(st): State<AppState>, Auth(actor): Auth) -> ApiResult<StatusCode> {
    if st.db.revoke_calendar_feed(&actor).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(StoreError::NotFound.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i64, done: bool) -> FeedItem {
        FeedItem {
            id,
            kind: "task".into(),
            subject: "Позвонить; уточнить, счёт".into(),
            description: Some("line one\nline two".into()),
            due_at: 1_800_000_000_000,
            duration_min: None,
            done,
            deal_id: Some(7),
            person_id: None,
            organization_id: None,
            updated_at: 1_799_000_000_000,
        }
    }

    #[test]
    fn events_round_trip_through_a_parser() {
        let text =
            calendar("https://crm.example/", 3, "Анна", "Europe/Moscow", 1_790_000_000_000, &[item(1, false), item(2, true)]).to_string();
        let parsed: Calendar = text.parse().expect("parses");
        let events: Vec<&Event> = parsed.events().collect();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].get_uid(), Some("activity-3-1@poryadok"));
        assert_eq!(events[0].get_summary(), Some("Позвонить; уточнить, счёт"));
        assert_eq!(events[1].get_summary(), Some("✓ Позвонить; уточнить, счёт"));
        assert_eq!(events[0].get_url(), Some("https://crm.example/deals/7"));
        let start = events[0].get_start().expect("start");
        let end = events[0].get_end().expect("end");
        assert_eq!(start, icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(utc(1_800_000_000_000))));
        assert_eq!(end, icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(utc(1_800_000_000_000 + 30 * 60_000))));
        assert!(text.contains("BEGIN:VCALENDAR") && text.contains("\r\n"), "{text}");
    }
}
