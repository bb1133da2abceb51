//! One event: its payload, result or error, and "re-process" after a fix.
use super::*;

/// The part of an event that processing changes: refreshed after "re-process".
pub struct EventStatus {
    pub id: i64,
    pub csrf: String,
    pub status: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub error: Option<String>,
    pub attempts: i64,
    pub processed: Option<String>,
    pub links: Vec<Link>,
    /// Why processing left the event without a card (a bot's own message…).
    pub ignored: Option<String>,
    pub may_reprocess: bool,
}

impl EventStatus {
    pub fn is_pending(&self) -> bool {
        self.status == "pending"
    }
}

pub struct EventView {
    pub source: String,
    pub source_href: Option<String>,
    pub kind: &'static str,
    pub external_id: String,
    pub received: String,
    pub content_type: Option<String>,
    pub remote_addr: Option<String>,
    pub body: String,
    pub base64: bool,
}

#[derive(Template)]
#[template(path = "intake_event.html")]
pub(super) struct EventPage {
    pub(super) ctx: Ctx,
    pub(super) t: T,
    pub(super) v: EventView,
    pub(super) s: EventStatus,
}

#[derive(Template)]
#[template(path = "intake_event_status.html")]
pub(super) struct EventStatusFragment {
    pub(super) t: T,
    pub(super) s: EventStatus,
}

pub(super) async fn event_status_of(st: &AppState, ui: &Ui, ev: &InboundEvent) -> Result<EventStatus, StoreError> {
    let links = result_links(st, ui, std::slice::from_ref(ev)).await?.into_iter().flatten().collect();
    Ok(EventStatus {
        id: ev.id,
        csrf: ui.csrf.clone(),
        status_label: state_label(&ui.t, &ev.status),
        status_class: status_class(&ev.status),
        error: error_text(&ui.t, ev),
        attempts: ev.attempts,
        processed: ev.processed_at.map(|ms| ui.fmt().datetime(ms)),
        links,
        ignored: ev.outcome.ignored.as_ref().map(|why| stored_text(&ui.t, why)),
        may_reprocess: ev.status == "failed" && ui.is_admin(),
        status: ev.status.clone(),
    })
}

pub(super) async fn load_event(st: &AppState, ui: &Ui, id: i64) -> Result<(EventView, EventStatus), StoreError> {
    let EventDetail { event: ev, body, body_encoding } = st.db.event(&ui.actor, id).await?;
    let sources = st.db.sources(&ui.actor).await?;
    let source_id = ev.source_id;
    let v = EventView {
        source: source_name(&ui.t, &source_names(&sources), source_id),
        source_href: (ui.is_admin() && sources.iter().any(|s| s.id == source_id)).then(|| format!("/settings/intake/{source_id}")),
        kind: kind_label(&ui.t, &ev.kind),
        external_id: ev.external_id.clone(),
        received: ui.fmt().datetime(ev.received_at),
        content_type: ev.content_type.clone().filter(|s| !s.is_empty()),
        remote_addr: ev.remote_addr.clone().filter(|s| !s.is_empty()),
        body,
        base64: body_encoding == BodyEncoding::Base64,
    };
    Ok((v, event_status_of(st, ui, &ev).await?))
}

pub(super) async fn event_page(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = not_reader(&ui) {
        return r;
    }
    match load_event(&st, &ui, id).await {
        Ok((v, s)) => {
            let title = ui.t.fmt("intake.event.title", &[("id", id.to_string().as_str())]);
            render(&EventPage { ctx: ui.ctx(inbox_nav(&ui), title), t: ui.t, v, s })
        }
        Err(e) => store_error(&ui, e),
    }
}

pub(super) async fn status_fragment(st: &AppState, ui: &Ui, ev: &InboundEvent) -> Response {
    match event_status_of(st, ui, ev).await {
        Ok(s) => render(&EventStatusFragment { t: ui.t, s }),
        Err(e) => store_error(ui, e),
    }
}

/// The event's status block alone: polled while the event waits for the worker.
pub(super) async fn event_status(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = not_reader(&ui) {
        return r;
    }
    match st.db.event(&ui.actor, id).await {
        Ok(ev) => status_fragment(&st, &ui, &ev.event).await,
        Err(e) => store_error(&ui, e),
    }
}

pub(super) async fn reprocess(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = not_admin(&ui) {
        return r;
    }
    let ev = match st.db.reprocess_event(&ui.actor, id).await {
        Ok(ev) => ev,
        Err(e) => return store_error(&ui, e),
    };
    st.wake_worker();
    if !ui.htmx {
        return Redirect::to(&format!("/intake/events/{id}")).into_response();
    }
    status_fragment(&st, &ui, &ev.event).await
}
