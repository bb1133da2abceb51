//! The card's timeline: history, notes, activities and messages, newest first and paged, with
//! the forms to add a note or a task and to mark a task done.
use super::*;
// ---------------------------------------------------------------------------------------------
// The timeline.

/// One change of a history event: the field and its value before and after.
#[derive(Debug, PartialEq, Eq)]
pub struct Change {
    pub label: String,
    pub from: String,
    pub to: String,
}

/// Task state shown (and changed) on an activity.
pub struct TaskMark {
    pub id: i64,
    pub done: bool,
    pub overdue: bool,
    /// The card it is shown on, sent back when it is marked done.
    pub back: String,
}

/// A recording on the timeline: a call's audio plays in place; a meeting's recording is a link
/// to where the meeting service plays it. Only http(s) addresses are shown.
pub enum Recording {
    Audio(String),
    Link(String),
}

impl Recording {
    /// `url` as a recording of an activity of type `ty`, when it is an http(s) address.
    pub fn of(ty: &str, url: &str) -> Option<Recording> {
        let url = poryadok_core::meetings::web_link(url)?;
        Some(if ty == ActivityType::Meeting.as_str() { Recording::Link(url) } else { Recording::Audio(url) })
    }
    pub fn audio(&self) -> Option<&str> {
        match self {
            Recording::Audio(u) => Some(u),
            Recording::Link(_) => None,
        }
    }
    pub fn link(&self) -> Option<&str> {
        match self {
            Recording::Link(u) => Some(u),
            Recording::Audio(_) => None,
        }
    }
}

pub struct Entry {
    pub dom_id: String,
    pub icon: &'static str,
    pub class: &'static str,
    pub headline: String,
    pub who: String,
    pub when: String,
    pub changes: Vec<Change>,
    pub body: Option<String>,
    pub meta: Vec<String>,
    pub recording: Option<Recording>,
    pub task: Option<TaskMark>,
    /// On a person's or organization's card: the deal the item belongs to.
    pub deal: Option<(String, String)>,
}

/// The note and task forms at the top of the timeline, with what was typed and what was wrong.
#[derive(Default)]
pub struct AddForms {
    pub content: String,
    pub note_error: Option<String>,
    pub task_type: String,
    pub subject: String,
    pub due: String,
    pub task_error: Option<(String, String)>,
}

impl AddForms {
    pub fn task_error_for(&self, field: &str) -> Option<&str> {
        self.task_error.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

pub struct TimelineView {
    pub base: String,
    pub csrf: String,
    pub entries: Vec<Entry>,
    /// The "show more" address, when there is more.
    pub more: Option<String>,
    pub forms: AddForms,
    pub types: Vec<Opt>,
}

/// History fields not worth a line: stamps that follow from another change.
pub(super) const QUIET_FIELDS: &[&str] = &["stage_entered_at", "closed_at", "done_at", "merged_from", "merged_into", "import_id"];

/// The lines of an update event, in a stable order.
pub fn changes(show: &Show<'_>, changes: &Value) -> Vec<Change> {
    let Some(map) = changes.as_object() else { return Vec::new() };
    let mut out: Vec<Change> = map
        .iter()
        .filter(|(field, _)| !QUIET_FIELDS.contains(&field.as_str()) && field.as_str() != "password")
        .map(|(field, c)| Change {
            label: show.label(field),
            from: show.value(field, c.get("from").unwrap_or(&Value::Null)),
            to: show.value(field, c.get("to").unwrap_or(&Value::Null)),
        })
        .collect();
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out
}

pub(super) fn history_entry(show: &Show<'_>, place: &Place<'_>, entity: Entity, h: &HistoryEvent) -> Entry {
    let name_of = |id: i64| record_kind(entity).map_or_else(|| format!("#{id}"), |k| show.names.get(k, id));
    let merged = |key: &str, id: i64| show.t.fmt(key, [("name", name_of(id).as_str())].as_slice());
    let (from, into) = h.merged();
    let (headline, lines) = match (h.action.as_str(), from, into, h.file_change()) {
        ("create", _, _, _) => (show.t.t(created_key(entity)).to_string(), Vec::new()),
        ("delete", _, Some(into), _) => (merged("timeline.h.merged_into", into), Vec::new()),
        ("delete", _, None, _) => (show.t.t("card.h.deleted").to_string(), Vec::new()),
        (_, Some(from), _, _) => (merged("timeline.h.merged_from", from), changes(show, &h.changes)),
        (_, _, _, Some((attached, name))) => {
            let key = if attached { "files.h.attached" } else { "files.h.removed" };
            (show.t.fmt(key, [("name", name)].as_slice()), Vec::new())
        }
        _ => (show.t.t("card.h.changed").to_string(), changes(show, &h.changes)),
    };
    let mut meta = Vec::new();
    if card_url(entity, h.record_id) != place.card {
        meta.push(merged("timeline.h.of_merged", h.record_id));
    }
    if let Some(import) = h.import_id() {
        meta.push(show.t.fmt("imports.history_note", [("id", import.to_string().as_str())].as_slice()));
    }
    let who = show.names.user(h.actor_id).unwrap_or_else(|| show.t.t("card.h.system").to_string());
    let entry = Entry {
        dom_id: format!("tl-history-{}", h.id),
        icon: "✎",
        class: "history",
        headline,
        who,
        when: show.fmt.datetime(h.at),
        changes: lines,
        body: None,
        meta,
        recording: None,
        task: None,
        deal: None,
    };
    crate::ui::assistants::explained(&show.t, &h.changes, entry)
}

pub(super) fn created_key(entity: Entity) -> &'static str {
    match entity {
        Entity::Deal => "card.h.created_deal",
        Entity::Person => "card.h.created_person",
        _ => "card.h.created_org",
    }
}

/// Context of an item on a card: the card, its deal if it is one, and titles of other deals.
pub struct Place<'a> {
    pub card: String,
    pub deal: Option<i64>,
    pub deal_titles: &'a HashMap<i64, String>,
}

impl Place<'_> {
    fn deal_link(&self, t: T, row: &Row) -> Option<(String, String)> {
        self.deal_link_of(t, row.get("deal_id").as_int())
    }

    fn deal_link_of(&self, t: T, deal: Option<i64>) -> Option<(String, String)> {
        let id = deal.filter(|d| Some(*d) != self.deal)?;
        let title =
            self.deal_titles.get(&id).cloned().unwrap_or_else(|| t.fmt("card.deal_n", [("id", id.to_string().as_str())].as_slice()));
        Some((card_url(Entity::Deal, id), title))
    }
}

pub(super) fn note_entry(show: &Show<'_>, place: &Place<'_>, r: &Row) -> Entry {
    Entry {
        dom_id: format!("tl-note-{}", r.id()),
        icon: "¶",
        class: "note",
        headline: show.t.t("card.note").to_string(),
        who: show.names.user(r.get("author_id").as_int()).unwrap_or_default(),
        when: r.get("created_at").as_int().map(|ms| show.fmt.datetime(ms)).unwrap_or_default(),
        changes: Vec::new(),
        body: Some(text(r, "content")),
        meta: Vec::new(),
        recording: None,
        task: None,
        deal: place.deal_link(show.t, r),
    }
}

pub(super) fn activity_entry(show: &Show<'_>, place: &Place<'_>, r: &Row, now: i64) -> Entry {
    let t = show.t;
    let ty = text(r, "type");
    let done = matches!(r.get("done"), Val::Bool(true));
    let due = r.get("due_at").as_int();
    let mut meta = Vec::new();
    if let Some(ms) = due {
        meta.push(t.fmt("card.due", [("when", show.fmt.datetime(ms).as_str())].as_slice()));
    }
    for f in ["call_direction", "call_outcome"] {
        if let Some(v) = r.get(f).as_text() {
            meta.push(t.t(call_key(v)).to_string());
        }
    }
    if let Some(p) = r.get("phone").as_text() {
        meta.push(p.to_string());
    }
    if let Some(m) = r.get("duration_min").as_int() {
        meta.push(t.fmt("card.minutes", [("n", m.to_string().as_str())].as_slice()));
    }
    let desc = text(r, "description");
    Entry {
        dom_id: format!("tl-activity-{}", r.id()),
        icon: match ActivityType::parse(&ty) {
            Some(ActivityType::Call) => "☎",
            Some(ActivityType::Meeting | ActivityType::Demo | ActivityType::Lunch) => "◷",
            Some(ActivityType::Email) => "@",
            _ => "✓",
        },
        class: "activity",
        headline: format!("{}: {}", t.t(type_key(&ty)), text(r, "subject")),
        who: show.names.user(r.get("owner_id").as_int()).unwrap_or_default(),
        when: r.get("created_at").as_int().map(|ms| show.fmt.datetime(ms)).unwrap_or_default(),
        changes: Vec::new(),
        body: (!desc.is_empty()).then_some(desc),
        meta,
        recording: r.get("recording_url").as_text().and_then(|u| Recording::of(&ty, u)),
        task: Some(TaskMark { id: r.id(), done, overdue: !done && due.is_some_and(|d| d < now), back: place.card.clone() }),
        deal: place.deal_link(t, r),
    }
}

/// A Telegram or e-mail message: its channel and direction, sender, subject and text.
pub(super) fn message_entry(show: &Show<'_>, place: &Place<'_>, m: &Message) -> Entry {
    let t = show.t;
    let channel = match m.channel.as_str() {
        "email" => t.t("timeline.msg.email"),
        "telegram" => t.t("timeline.msg.telegram"),
        "whatsapp" => t.t("timeline.msg.whatsapp"),
        other => other,
    };
    let direction = if m.direction == "out" { "timeline.msg.out" } else { "timeline.msg.in" };
    let mut headline = t.fmt(direction, [("channel", channel)].as_slice());
    if let Some(subject) = m.subject.as_deref().filter(|s| !s.trim().is_empty()) {
        headline = format!("{headline}: {subject}");
    }
    let mut meta: Vec<String> =
        m.recipients.iter().filter(|r| !r.is_empty()).map(|r| t.fmt("timeline.msg.to", [("to", r.as_str())].as_slice())).collect();
    if let Some(state) = m.delivery.as_deref() {
        let why = m.delivery_failure.said(|msg| crate::ui::messages::say(&t, msg)).unwrap_or_default();
        let key = match state {
            "sent" => "timeline.msg.sent",
            "failed" => "timeline.msg.failed",
            _ if why.is_empty() => "timeline.msg.queued",
            _ => "timeline.msg.retrying",
        };
        meta.push(t.fmt(key, [("why", why.as_str())].as_slice()));
        if let (Some(at), "queued") = (m.not_before, state) {
            meta.push(t.fmt("timeline.msg.scheduled", [("at", show.fmt.datetime(at).as_str())].as_slice()));
        }
    }
    if !m.attachments.is_empty() {
        meta.push(t.fmt("timeline.msg.files", [("files", m.attachments.join(", ").as_str())].as_slice()));
    }
    Entry {
        dom_id: format!("tl-message-{}", m.id),
        icon: match m.channel.as_str() {
            "telegram" => "✈",
            "whatsapp" => "✆",
            _ => "✉",
        },
        class: "message",
        headline,
        who: m.sender.clone().unwrap_or_default(),
        when: show.fmt.datetime(m.sent_at),
        changes: Vec::new(),
        body: Some(m.body.clone()),
        meta,
        recording: None,
        task: None,
        deal: place.deal_link_of(t, m.deal_id),
    }
}

pub(super) fn entry(show: &Show<'_>, place: &Place<'_>, entity: Entity, item: &TimelineItem, now: i64) -> Entry {
    match item {
        TimelineItem::History(h) => history_entry(show, place, entity, h),
        TimelineItem::Note(r) => note_entry(show, place, r),
        TimelineItem::Activity(r) => activity_entry(show, place, r, now),
        TimelineItem::Message(m) => message_entry(show, place, m),
    }
}

/// Adds to each note's entry the colleagues it mentions.
async fn mark_mentions(st: &AppState, ui: &Ui, items: &[TimelineItem], entries: &mut [Entry]) -> Result<(), StoreError> {
    let notes: Vec<i64> = items.iter().filter_map(|i| if let TimelineItem::Note(r) = i { Some(r.id()) } else { None }).collect();
    let mentions = st.db.note_mentions(&ui.actor, &notes).await?;
    for (item, e) in items.iter().zip(entries.iter_mut()) {
        let TimelineItem::Note(r) = item else { continue };
        if let Some(who) = mentions.get(&r.id()) {
            let names = who.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ");
            e.meta.push(ui.t.fmt("card.mentioned", [("names", names.as_str())].as_slice()));
        }
    }
    Ok(())
}

pub(super) fn type_options(t: T) -> Vec<Opt> {
    ActivityType::ALL.iter().map(|s| Opt { value: s.to_string(), label: t.t(type_key(s)).to_string() }).collect()
}

/// Everything needed to render timeline items of one record.
pub(super) struct TimelineSource<'a> {
    pub(super) entity: Entity,
    pub(super) id: i64,
    pub(super) defs: &'a [Def],
    pub(super) currency: String,
    pub(super) deal_titles: &'a HashMap<i64, String>,
}

pub(super) async fn load_timeline(
    st: &AppState,
    ui: &Ui,
    src: &TimelineSource<'_>,
    before: Option<&str>,
) -> Result<TimelineView, StoreError> {
    let (items, next) = st.db.timeline(&ui.actor, src.entity, src.id, before, PAGE).await?;
    let mut ids = NameIds::default();
    ids.of_items(&items, src.defs, src.entity);
    let names = Names::load(st, ui, ids).await?;
    let show = Show { t: ui.t, fmt: ui.fmt(), names: &names, defs: src.defs, currency: src.currency.clone() };
    let base = card_url(src.entity, src.id);
    let place = Place { card: base.clone(), deal: (src.entity == Entity::Deal).then_some(src.id), deal_titles: src.deal_titles };
    let now = st.db.clock.now_ms();
    let more = next.map(|c| format!("{base}/timeline?before={}", form_urlencoded::byte_serialize(c.as_bytes()).collect::<String>()));
    let mut entries: Vec<Entry> = items.iter().map(|i| entry(&show, &place, src.entity, i, now)).collect();
    mark_mentions(st, ui, &items, &mut entries).await?;
    Ok(TimelineView {
        entries,
        more,
        base,
        csrf: ui.csrf.clone(),
        forms: AddForms { task_type: "task".into(), ..AddForms::default() },
        types: type_options(ui.t),
    })
}

#[derive(Template)]
#[template(path = "timeline.html")]
pub(super) struct TimelineTpl {
    pub(super) t: T,
    pub(super) tl: TimelineView,
}

#[derive(Template)]
#[template(path = "timeline_items.html")]
pub(super) struct TimelineItemsTpl {
    pub(super) t: T,
    pub(super) tl: TimelineView,
}

#[derive(Template)]
#[template(path = "timeline_note_form.html")]
pub(super) struct NoteFormTpl {
    pub(super) t: T,
    pub(super) tl: TimelineView,
}

#[derive(Template)]
#[template(path = "timeline_task_form.html")]
pub(super) struct TaskFormTpl {
    pub(super) t: T,
    pub(super) tl: TimelineView,
}

#[derive(Template)]
#[template(path = "timeline_item.html")]
pub(super) struct ItemTpl {
    pub(super) t: T,
    pub(super) e: Entry,
}

/// What the record's side needs for its timeline: custom fields of the record (history of custom
/// values names them), its currency and, for persons and organizations, their deals' titles.
pub(super) async fn timeline_source_parts(
    st: &AppState,
    ui: &Ui,
    entity: Entity,
    id: i64,
) -> Result<(Vec<Def>, String, HashMap<i64, String>), StoreError> {
    let row = st.db.get(&ui.actor, entity, id).await?;
    let defs = custom_defs(st, ui, entity).await?;
    let currency = row.get("currency").as_text().unwrap_or(&ui.actor.ws.currency).to_string();
    let titles = if entity == Entity::Deal { HashMap::new() } else { deal_titles(&related_deals(st, ui, entity, id).await?) };
    Ok((defs, currency, titles))
}

pub(super) fn deal_titles(deals: &[Row]) -> HashMap<i64, String> {
    deals.iter().map(|d| (d.id(), text(d, "title"))).collect()
}

#[derive(Deserialize)]
pub(super) struct MoreQuery {
    pub(super) before: Option<String>,
}

/// The next page of a timeline: its items and the next "show more".
pub(super) async fn timeline_more(
    State(st): State<AppState>,
    ui: Ui,
    Path(id): Path<i64>,
    Query(q): Query<MoreQuery>,
    entity: Entity,
) -> Response {
    let (defs, currency, titles) = match timeline_source_parts(&st, &ui, entity, id).await {
        Ok(p) => p,
        Err(e) => return store_error(&ui, e),
    };
    let src = TimelineSource { entity, id, defs: &defs, currency, deal_titles: &titles };
    match load_timeline(&st, &ui, &src, q.before.as_deref()).await {
        Ok(tl) => render(&TimelineItemsTpl { t: ui.t, tl }),
        Err(e) => store_error(&ui, e),
    }
}

/// The whole timeline panel, fresh, after something was added to it.
pub(super) async fn timeline_panel(st: &AppState, ui: &Ui, entity: Entity, id: i64) -> Response {
    let (defs, currency, titles) = match timeline_source_parts(st, ui, entity, id).await {
        Ok(p) => p,
        Err(e) => return store_error(ui, e),
    };
    let src = TimelineSource { entity, id, defs: &defs, currency, deal_titles: &titles };
    match load_timeline(st, ui, &src, None).await {
        Ok(tl) => render(&TimelineTpl { t: ui.t, tl }),
        Err(e) => store_error(ui, e),
    }
}

/// A refusal that names a field, in the reader's language, for showing next to that field.
pub(super) fn inline_error(ui: &Ui, e: &StoreError) -> Option<(String, String)> {
    field_error(&ui.t, e)
}

/// A refused form: status 422, swapped in place of the form (`target`) rather than what a
/// success replaces.
pub(super) fn refused<P: Template>(target: &str, page: &P) -> Response {
    let mut resp = render_status(StatusCode::UNPROCESSABLE_ENTITY, page);
    if let Ok(v) = HeaderValue::from_str(target) {
        resp.headers_mut().insert("hx-retarget", v);
        resp.headers_mut().insert("hx-reswap", HeaderValue::from_static("outerHTML"));
    }
    resp
}

/// After a plain (script-less) form post: back to the card.
pub(super) fn back_to(ui: &Ui, url: &str) -> Option<Response> {
    (!ui.htmx).then(|| Redirect::to(url).into_response())
}

pub(super) fn bare_forms(ui: &Ui, entity: Entity, id: i64, forms: AddForms) -> TimelineView {
    TimelineView { base: card_url(entity, id), csrf: ui.csrf.clone(), entries: Vec::new(), more: None, forms, types: type_options(ui.t) }
}

/// The column a note or task of `entity` is linked through.
pub(super) fn link_field(entity: Entity) -> &'static str {
    match entity {
        Entity::Deal => "deal_id",
        Entity::Person => "person_id",
        _ => "organization_id",
    }
}

#[derive(Deserialize)]
pub(super) struct NoteForm {
    #[serde(default)]
    pub(super) content: String,
}

pub(super) async fn add_note(
    State(st): State<AppState>,
    ui: Ui,
    Path(id): Path<i64>,
    Form(form): Form<NoteForm>,
    entity: Entity,
) -> Response {
    let refuse = |message: String| {
        let forms = AddForms { content: form.content.clone(), note_error: Some(message), ..AddForms::default() };
        refused("#note-form", &NoteFormTpl { t: ui.t, tl: bare_forms(&ui, entity, id, forms) })
    };
    if form.content.trim().is_empty() {
        return refuse(ui.t.t("card.err.note_empty").to_string());
    }
    // The record must be visible before anything is linked to it.
    if let Err(e) = st.db.get(&ui.actor, entity, id).await {
        return store_error(&ui, e);
    }
    let body = json!({"content": form.content, link_field(entity): id});
    if let Err(e) = st.db.create(&ui.actor, Entity::Note, &body).await {
        return match inline_error(&ui, &e) {
            Some((_, m)) => refuse(m),
            None => store_error(&ui, e),
        };
    }
    back_to(&ui, &card_url(entity, id)).unwrap_or(timeline_panel(&st, &ui, entity, id).await)
}

#[derive(Deserialize)]
pub(super) struct TaskForm {
    #[serde(default)]
    r#type: String,
    #[serde(default)]
    pub(super) subject: String,
    #[serde(default)]
    pub(super) due: String,
}

pub(super) async fn add_task(
    State(st): State<AppState>,
    ui: Ui,
    Path(id): Path<i64>,
    Form(form): Form<TaskForm>,
    entity: Entity,
) -> Response {
    let refuse = |field: &str, message: String| {
        let forms = AddForms {
            task_type: form.r#type.clone(),
            subject: form.subject.clone(),
            due: form.due.clone(),
            task_error: Some((field.to_string(), message)),
            ..AddForms::default()
        };
        refused("#task-form", &TaskFormTpl { t: ui.t, tl: bare_forms(&ui, entity, id, forms) })
    };
    if form.subject.trim().is_empty() {
        return refuse("subject", ui.t.t("card.err.required").to_string());
    }
    let mut body = json!({"type": form.r#type, "subject": form.subject, link_field(entity): id});
    if !form.due.trim().is_empty() {
        match ui.fmt().parse_input_datetime(&form.due) {
            Some(ms) => body["due_at"] = json!(poryadok_core::types::format_ms(ms)),
            None => return refuse("due_at", ui.t.t("card.err.datetime").to_string()),
        }
    }
    if let Err(e) = st.db.get(&ui.actor, entity, id).await {
        return store_error(&ui, e);
    }
    if let Err(e) = st.db.create(&ui.actor, Entity::Activity, &body).await {
        return match inline_error(&ui, &e) {
            Some((f, m)) => refuse(&f, m),
            None => store_error(&ui, e),
        };
    }
    back_to(&ui, &card_url(entity, id)).unwrap_or(timeline_panel(&st, &ui, entity, id).await)
}

#[derive(Deserialize)]
pub(super) struct DoneForm {
    /// The card the task is shown on, to come back to and to tell whether to link its deal.
    #[serde(default)]
    pub(super) back: String,
}

/// Marks a task done and answers with its refreshed timeline item.
pub(super) async fn activity_done(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(form): Form<DoneForm>) -> Response {
    let row = match st.db.update(&ui.actor, Entity::Activity, id, &json!({"done": true})).await {
        Ok(r) => r,
        Err(e) => return store_error(&ui, e),
    };
    if !ui.htmx {
        let safe = form.back.starts_with('/') && !form.back.starts_with("//");
        return Redirect::to(if safe { &form.back } else { "/today" }).into_response();
    }
    let mut ids = NameIds::default();
    ids.push(RefKind::User, row.get("owner_id").as_int());
    let names = match Names::load(&st, &ui, ids).await {
        Ok(n) => n,
        Err(e) => return store_error(&ui, e),
    };
    let deal = row.get("deal_id").as_int();
    let on_deal = deal.filter(|d| form.back == card_url(Entity::Deal, *d));
    let mut titles = HashMap::new();
    if let (Some(d), None) = (deal, on_deal) {
        if let Ok(r) = st.db.get(&ui.actor, Entity::Deal, d).await {
            titles.insert(d, text(&r, "title"));
        }
    }
    let show = Show { t: ui.t, fmt: ui.fmt(), names: &names, defs: &[], currency: ui.actor.ws.currency.clone() };
    let place = Place { card: form.back.clone(), deal: on_deal, deal_titles: &titles };
    let e = activity_entry(&show, &place, &row, st.db.clock.now_ms());
    let next = match on_deal {
        Some(d) => next_step(&st, &ui, d).await,
        None => None,
    };
    render(&DoneTpl { t: ui.t, e, next })
}

/// The offer under a task just marked done on a deal's card: the deal has no open task left
/// (the first rule of hygiene), so the next step is asked for in place, through the same form
/// path as "add task".
pub struct NextStep {
    pub base: String,
    pub csrf: String,
    pub types: Vec<Opt>,
    pub task_type: String,
    /// The next working day at 10:00, local, as `<input type="datetime-local">` takes it.
    pub due: String,
}

#[derive(Template)]
#[template(path = "timeline_item_done.html")]
pub(super) struct DoneTpl {
    pub(super) t: T,
    pub(super) e: Entry,
    pub(super) next: Option<NextStep>,
}

/// The local hour a scheduled next step is due by default.
const NEXT_STEP_HOUR: u8 = 10;

/// The next step to offer for open deal `deal` when no open task of it is left; nothing when one
/// is, when the deal is closed, or when that cannot be read (the offer is a convenience).
async fn next_step(st: &AppState, ui: &Ui, deal: i64) -> Option<NextStep> {
    let row = st.db.get(&ui.actor, Entity::Deal, deal).await.ok()?;
    if row.get("status").as_text() != Some(DealStatus::Open.as_str()) {
        return None;
    }
    if st.db.next_tasks(&ui.actor, &[deal]).await.ok()?.contains_key(&deal) {
        return None;
    }
    let hours = st
        .db
        .workspace_json(&ui.actor)
        .await
        .ok()
        .and_then(|w| poryadok_core::calendar::BusinessHours::parse(&w["business_hours"]).ok())
        .or_else(|| poryadok_core::calendar::BusinessHours::parse(&poryadok_store::workspace::default_business_hours()).ok())?;
    Some(NextStep {
        base: card_url(Entity::Deal, deal),
        csrf: ui.csrf.clone(),
        types: type_options(ui.t),
        task_type: ActivityType::Task.as_str().to_string(),
        due: next_working_morning(&hours, &ui.fmt(), st.db.clock.now_ms()),
    })
}

/// The first working day after the local day of `now`, at [`NEXT_STEP_HOUR`]:00, in the form
/// [`Fmt::input_datetime`] writes (a calendar without a working day within a year: tomorrow).
pub(super) fn next_working_morning(hours: &poryadok_core::calendar::BusinessHours, fmt: &Fmt, now: i64) -> String {
    let today = poryadok_core::zone::local(&fmt.tz, now).date();
    let mut day = today;
    let mut found = None;
    for _ in 0..366 {
        let Some(next) = day.next_day() else { break };
        day = next;
        if hours.is_working_day(day) {
            found = Some(day);
            break;
        }
    }
    let day = found.or_else(|| today.next_day()).unwrap_or(today);
    format!("{:04}-{:02}-{:02}T{:02}:00", day.year(), day.month() as u8, day.day(), NEXT_STEP_HOUR)
}
