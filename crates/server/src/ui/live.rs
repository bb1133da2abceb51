//! `GET /events`: the signed-in user's live events as server-sent events — the bell's count when
//! a notification arrives, and a toast with a link to the card when one of their clients calls or
//! writes. The page's `EventSource` reconnects by itself; a stream ends after a few minutes so a
//! signed-out session does not keep hearing (the reconnect goes through the sign-in check again).
use super::Ui;
use crate::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use axum::Router;
use futures_util::stream::{self, Stream};
use poryadok_store::live::{LiveCursor, LiveEvent};
use serde_json::json;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use tokio::time::Instant;

pub fn routes() -> Router<AppState> {
    Router::new().route("/events", get(events))
}

/// How often a page looks without being woken (SQLite, or a lost PostgreSQL listener).
const LOOK_EVERY: Duration = Duration::from_secs(3);
/// How long one stream lasts before the browser reconnects.
const STREAM_FOR: Duration = Duration::from_secs(300);

struct Listening {
    st: AppState,
    ui: Ui,
    seen: LiveCursor,
    queue: VecDeque<Event>,
    until: Instant,
}

fn event_of(ui: &Ui, e: LiveEvent) -> Event {
    let t = ui.t;
    let (name, data) = match e {
        LiveEvent::Bell { unread } => ("bell", json!({"unread": unread})),
        LiveEvent::Call { from, link } => ("toast", json!({"text": t.fmt("notifications.live_call", &[("from", &from)]), "link": link})),
        LiveEvent::Message { from, channel, link } => {
            let text = t.fmt("notifications.live_message", &[("from", &from), ("channel", &channel)]);
            ("toast", json!({"text": text, "link": link}))
        }
    };
    Event::default().event(name).data(data.to_string())
}

/// Behind nginx (docs/SCALING.md) the stream is passed on as it comes: `X-Accel-Buffering: no`
/// turns off the proxy's response buffering for it alone, which would otherwise hold events back.
async fn events(
    State(st): State<AppState>,
    ui: Ui,
) -> ([(&'static str, &'static str); 1], Sse<impl Stream<Item = Result<Event, Infallible>>>) {
    let wake = std::sync::Arc::downgrade(&st.live);
    st.live_listening.call_once(|| st.db.listen_live(wake));
    // A failed start shows nothing new until the reconnect; the page works without it.
    let seen = st.db.live_start(&ui.actor).await.unwrap_or_default();
    let start = Listening { st, ui, seen, queue: VecDeque::new(), until: Instant::now() + STREAM_FOR };
    let stream = stream::unfold(start, |mut s| async move {
        loop {
            if let Some(e) = s.queue.pop_front() {
                return Some((Ok(e), s));
            }
            if Instant::now() >= s.until {
                return None;
            }
            let _ = tokio::time::timeout(LOOK_EVERY, s.st.live.notified()).await;
            match s.st.db.live_since(&s.ui.actor, &mut s.seen).await {
                Ok(found) => {
                    let ui = s.ui.clone();
                    s.queue.extend(found.into_iter().map(|e| event_of(&ui, e)));
                }
                Err(e) => tracing::warn!(error = %e, "live events: a look failed"),
            }
        }
    });
    ([("x-accel-buffering", "no")], Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(20))))
}
