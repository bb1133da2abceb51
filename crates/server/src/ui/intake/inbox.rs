//! The inbox of raw events with their errors.
use super::*;

pub struct Link {
    pub href: String,
    pub label: String,
}

pub struct StatusTab {
    pub href: String,
    pub label: &'static str,
    pub count: i64,
    pub active: bool,
    pub class: &'static str,
}

pub struct EventRow {
    pub id: i64,
    pub received: String,
    pub source: String,
    pub external_id: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    /// "field: message" of a failed or rejected event.
    pub error: Option<String>,
    pub links: Vec<Link>,
    /// Why its person is marked as not a lead: it made no deal.
    pub not_lead: Option<String>,
}

pub struct InboxView {
    pub tabs: Vec<StatusTab>,
    pub sources: Vec<Opt>,
    pub status: String,
    pub source: String,
    pub rows: Vec<EventRow>,
    pub older: Option<String>,
    pub newest: Option<String>,
    pub is_admin: bool,
}

#[derive(Template)]
#[template(path = "intake_events.html")]
pub(super) struct InboxPage {
    pub(super) ctx: Ctx,
    pub(super) t: T,
    pub(super) v: InboxView,
}

/// What the inbox shows, from its query string (`status`, `source`, `before`).
pub(super) struct InboxQuery {
    pub(super) status: Option<String>,
    pub(super) source: Option<i64>,
    pub(super) before: Option<i64>,
}

impl InboxQuery {
    fn parse(raw: Option<&str>) -> InboxQuery {
        let f = fields_of(raw);
        InboxQuery {
            status: Some(f.get("status").to_string()).filter(|s| EVENT_STATUSES.contains(&s.as_str())),
            source: f.get("source").parse().ok(),
            before: f.get("before").parse().ok(),
        }
    }

    fn href(&self, status: Option<&str>, before: Option<i64>) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(s) = status {
            q.append_pair("status", s);
        }
        if let Some(s) = self.source {
            q.append_pair("source", &s.to_string());
        }
        if let Some(b) = before {
            q.append_pair("before", &b.to_string());
        }
        let q = q.finish();
        if q.is_empty() {
            "/intake/events".into()
        } else {
            format!("/intake/events?{q}")
        }
    }
}

/// A stored message in the reader's language; text stored before messages had codes as it was
/// stored.
pub(super) fn stored_text(t: &T, m: &StoredMsg) -> String {
    m.msg.as_ref().map_or_else(|| m.text.clone(), |msg| messages::say(t, msg))
}

/// An event's error in the reader's language ("caller: «12» — не номер телефона"); an error
/// stored before messages had codes is shown as it was stored.
pub(super) fn error_text(t: &T, ev: &InboundEvent) -> Option<String> {
    ev.failure.error.as_deref().filter(|m| !m.is_empty())?;
    let message = ev.failure.said(|m| messages::say(t, m))?;
    Some(match ev.error_field.as_deref().filter(|f| !f.is_empty()) {
        Some(field) => format!("{}: {message}", messages::field_label(t, field)),
        None => message,
    })
}

/// The person and the deal an event made or found, by name.
pub(super) async fn result_links(st: &AppState, ui: &Ui, events: &[InboundEvent]) -> Result<Vec<Vec<Link>>, StoreError> {
    let ids = |made: fn(&poryadok_store::intake::Outcome) -> Option<Made>| {
        events.iter().filter_map(|e| made(&e.outcome)).map(|m| m.id).collect::<Vec<_>>()
    };
    let persons = st.db.names(&ui.actor, Entity::Person, ids(|o| o.person)).await?;
    let deals = st.db.names(&ui.actor, Entity::Deal, ids(|o| o.deal)).await?;
    let link = |entity: Entity, names: &HashMap<i64, String>, m: Made| {
        let name = names.get(&m.id).cloned().unwrap_or_else(|| format!("#{}", m.id));
        let label = if m.created { ui.t.fmt("intake.result.new", &[("name", name.as_str())]) } else { name };
        Link { href: format!("/{}/{}", entity.path(), m.id), label }
    };
    Ok(events
        .iter()
        .map(|e| {
            let person = e.outcome.person.map(|m| link(Entity::Person, &persons, m));
            person.into_iter().chain(e.outcome.deal.map(|m| link(Entity::Deal, &deals, m))).collect()
        })
        .collect())
}

pub(super) fn source_names(sources: &[Source]) -> HashMap<i64, String> {
    sources.iter().map(|s| (s.id, s.name.clone())).collect()
}

pub(super) fn source_name(t: &T, names: &HashMap<i64, String>, id: i64) -> String {
    names.get(&id).cloned().unwrap_or_else(|| t.fmt("intake.source.deleted", &[("id", id.to_string().as_str())]))
}

pub(super) async fn load_inbox(st: &AppState, ui: &Ui, q: &InboxQuery) -> Result<InboxView, StoreError> {
    let a = &ui.actor;
    let mut events = st.db.events(a, q.status.as_deref(), q.source, PAGE + 1, q.before).await?;
    let more = events.len() as u64 > PAGE;
    events.truncate(PAGE as usize);
    let counts = st.db.event_counts(a).await?;
    let sources = st.db.sources(a).await?;
    let names = source_names(&sources);
    let links = result_links(st, ui, &events).await?;
    let count = |s: &str| counts.of(s);
    let mut tabs = vec![StatusTab {
        href: q.href(None, None),
        label: ui.t.t("intake.status.all"),
        count: counts.total(),
        active: q.status.is_none(),
        class: "",
    }];
    tabs.extend(EVENT_STATUSES.iter().map(|s| StatusTab {
        href: q.href(Some(s), None),
        label: status_label(&ui.t, s),
        count: count(s),
        active: q.status.as_deref() == Some(*s),
        class: if *s == "failed" && count(s) > 0 { "danger" } else { "" },
    }));
    let rows = events
        .iter()
        .zip(links)
        .map(|(e, links)| EventRow {
            id: e.id,
            received: ui.fmt().datetime(e.received_at),
            source: source_name(&ui.t, &names, e.source_id),
            external_id: e.external_id.clone(),
            status_label: state_label(&ui.t, &e.status),
            status_class: status_class(&e.status),
            error: error_text(&ui.t, e),
            links,
            not_lead: e.outcome.not_lead.clone(),
        })
        .collect();
    let last = events.last().map(|e| e.id);
    Ok(InboxView {
        tabs,
        sources: sources.iter().map(|s| Opt { value: s.id.to_string(), label: s.name.clone() }).collect(),
        status: q.status.clone().unwrap_or_default(),
        source: q.source.map(|s| s.to_string()).unwrap_or_default(),
        rows,
        older: if more { last.map(|id| q.href(q.status.as_deref(), Some(id))) } else { None },
        newest: q.before.map(|_| q.href(q.status.as_deref(), None)),
        is_admin: ui.is_admin(),
    })
}

pub(super) async fn inbox_page(State(st): State<AppState>, ui: Ui, RawQuery(raw): RawQuery) -> Response {
    if let Some(r) = not_reader(&ui) {
        return r;
    }
    match load_inbox(&st, &ui, &InboxQuery::parse(raw.as_deref())).await {
        Ok(v) => render(&InboxPage { ctx: ui.ctx(inbox_nav(&ui), ui.t.t("intake.inbox")), t: ui.t, v }),
        Err(e) => store_error(&ui, e),
    }
}
