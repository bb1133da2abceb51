//! The deal card: its side panel, stage and status actions.
use super::*;
// ---------------------------------------------------------------------------------------------
// The deal card.

pub struct StageStep {
    pub name: String,
    pub done: bool,
    pub current: bool,
}

pub struct StageGroup {
    pub pipeline: String,
    pub stages: Vec<Opt>,
}

pub struct Participant {
    pub name: String,
    pub role: String,
}

/// The deal's side: the head panel (title, status, stage), the fields and the participants.
pub struct DealView {
    pub id: i64,
    pub csrf: String,
    pub title: String,
    pub status: String,
    pub status_label: String,
    pub status_class: &'static str,
    pub pipeline: String,
    pub stage: String,
    pub stage_id: String,
    pub path: Vec<StageStep>,
    pub stage_groups: Vec<StageGroup>,
    pub fields: Vec<FieldView>,
    pub custom: Vec<FieldView>,
    pub participants: Vec<Participant>,
    pub status_form: StatusFormState,
    /// The workspace's lists of closing reasons (a select; free text when empty).
    pub reasons: poryadok_store::regulation::ClosingReasons,
    /// Whether the deal has a person, who may be marked when it is not a lead.
    pub has_person: bool,
    /// The first touch and the touches since (`intake_touches.html`); filled for the whole card.
    pub attribution: crate::ui::intake::Attribution,
    /// The deal's invoices and payments (`invoices_block.html`); filled for the whole card.
    pub invoices: crate::ui::invoices::InvoicesBlock,
}

impl DealView {
    pub fn is_open(&self) -> bool {
        self.status == "open"
    }
    /// The workspace's reasons for closing as `kind` (`lost`, `frozen`, `not_lead`).
    pub fn reasons(&self, kind: &str) -> &[String] {
        DealStatus::parse(kind).map_or(&[], |s| self.reasons.of(s))
    }
}

/// What the lost/frozen forms show after a refused submit.
#[derive(Default)]
pub struct StatusFormState {
    /// Which form to show open: `lost` or `frozen`.
    pub open: String,
    pub reason: String,
    pub comment: String,
    pub return_on: String,
    pub error: Option<String>,
    pub stage_error: Option<String>,
    /// The not-a-lead form's "mark the person" box as it was sent.
    pub mark_person: bool,
}

#[derive(Template)]
#[template(path = "card_deal.html")]
pub(super) struct DealPage {
    pub(super) ctx: crate::ui::Ctx,
    pub(super) t: T,
    pub(super) d: DealView,
    pub(super) tl: TimelineView,
}

#[derive(Template)]
#[template(path = "card_deal_record.html")]
pub(super) struct DealRecordTpl {
    pub(super) t: T,
    pub(super) d: DealView,
    pub(super) tl: TimelineView,
}

#[derive(Template)]
#[template(path = "card_deal_head.html")]
pub(super) struct DealHeadTpl {
    pub(super) t: T,
    pub(super) d: DealView,
}

#[derive(Template)]
#[template(path = "card_deal_fields.html")]
pub(super) struct DealFieldsTpl {
    pub(super) t: T,
    pub(super) d: DealView,
}

/// Reads a deal with what its card shows around it.
pub(super) struct DealData {
    pub(super) row: Row,
    pub(super) defs: Vec<Def>,
    pub(super) names: Names,
    pub(super) stages: Vec<Row>,
    pub(super) pipelines: Vec<Row>,
    pub(super) participants: Vec<poryadok_store::participants::Participant>,
    pub(super) reasons: poryadok_store::regulation::ClosingReasons,
}

pub(super) async fn load_deal(st: &AppState, ui: &Ui, id: i64) -> Result<DealData, StoreError> {
    let (db, a) = (&st.db, &ui.actor);
    let row = db.get(a, Entity::Deal, id).await?;
    let defs = custom_defs(st, ui, Entity::Deal).await?;
    let by_position = |limit: &str| ListQuery { limit: Some(limit.into()), sort: Some("position".into()), ..ListQuery::default() };
    let stages = db.list(a, Entity::Stage, &by_position("500")).await?.data;
    let pipelines = db.list(a, Entity::Pipeline, &by_position("100")).await?.data;
    let participants = db.participants(a, id).await?;
    let mut ids = NameIds::default();
    ids.of_row(&row, &defs);
    for p in &participants {
        ids.push(RefKind::User, Some(p.user_id));
    }
    let names = Names::load(st, ui, ids).await?;
    let reasons = db.closing_reasons(a).await?;
    Ok(DealData { row, defs, names, stages, pipelines, participants, reasons })
}

/// The deal's fields shown in the side panel, in reading order; empty ones are left out.
pub(super) const DEAL_LINES: &[&str] = &[
    "value",
    "owner_id",
    "organization_id",
    "person_id",
    "expected_close_date",
    "lost_reason",
    "frozen_reason",
    "not_lead_reason",
    "close_comment",
    "return_on",
    "source",
];

pub(super) fn deal_view(ui: &Ui, data: &DealData, status_form: StatusFormState) -> DealView {
    let row = &data.row;
    let currency = row.get("currency").as_text().unwrap_or(&ui.actor.ws.currency).to_string();
    let show = Show { t: ui.t, fmt: ui.fmt(), names: &data.names, defs: &data.defs, currency };
    let status = text(row, "status");
    let (stage_id, pipeline_id) = (row.get("stage_id").as_int(), row.get("pipeline_id").as_int());
    let in_pipeline: Vec<&Row> = data.stages.iter().filter(|s| s.get("pipeline_id").as_int() == pipeline_id).collect();
    let current_pos = in_pipeline.iter().position(|s| Some(s.id()) == stage_id);
    let path = in_pipeline
        .iter()
        .enumerate()
        .map(|(i, s)| StageStep { name: text(s, "name"), done: current_pos.is_some_and(|c| i <= c), current: Some(i) == current_pos })
        .collect();
    let stage_groups = data
        .pipelines
        .iter()
        .map(|p| StageGroup {
            pipeline: text(p, "name"),
            stages: data
                .stages
                .iter()
                .filter(|s| s.get("pipeline_id").as_int() == Some(p.id()))
                .map(|s| Opt { value: s.id().to_string(), label: text(s, "name") })
                .collect(),
        })
        .filter(|g| !g.stages.is_empty())
        .collect();
    let name_of = |rows: &[Row], id: Option<i64>| rows.iter().find(|r| Some(r.id()) == id).map(|r| text(r, "name")).unwrap_or_default();
    DealView {
        id: row.id(),
        csrf: ui.csrf.clone(),
        title: text(row, "title"),
        status_label: ui.t.t(status_key(&status)).to_string(),
        status_class: status_class(&status),
        status,
        pipeline: name_of(&data.pipelines, pipeline_id),
        stage: name_of(&data.stages, stage_id),
        stage_id: stage_id.map(|s| s.to_string()).unwrap_or_default(),
        path,
        stage_groups,
        fields: show.lines(row, DEAL_LINES),
        custom: show.custom_lines(row),
        participants: data
            .participants
            .iter()
            .map(|p| Participant { name: data.names.get(RefKind::User, p.user_id), role: p.role.clone() })
            .collect(),
        status_form,
        reasons: data.reasons.clone(),
        has_person: row.get("person_id").as_int().is_some(),
        attribution: Default::default(),
        invoices: Default::default(),
    }
}

pub(super) async fn deal_record(
    st: &AppState,
    ui: &Ui,
    id: i64,
    status_form: StatusFormState,
) -> Result<(DealView, TimelineView), StoreError> {
    let data = load_deal(st, ui, id).await?;
    let mut d = deal_view(ui, &data, status_form);
    d.attribution = crate::ui::intake::deal_attribution(st, ui, &data.row).await?;
    d.invoices = crate::ui::invoices::deal_invoices(st, ui, &data.row).await?;
    let titles = HashMap::new();
    let currency = data.row.get("currency").as_text().unwrap_or(&ui.actor.ws.currency).to_string();
    let src = TimelineSource { entity: Entity::Deal, id, defs: &data.defs, currency, deal_titles: &titles };
    let tl = load_timeline(st, ui, &src, None).await?;
    Ok((d, tl))
}

/// The deal card: the whole page, or for htmx the `#record` part of it.
pub async fn render_deal_card(st: &AppState, ui: &Ui, id: i64) -> Response {
    let (d, tl) = match deal_record(st, ui, id, StatusFormState::default()).await {
        Ok(x) => x,
        Err(e) => return store_error(ui, e),
    };
    if ui.htmx {
        return render(&DealRecordTpl { t: ui.t, d, tl });
    }
    render(&DealPage { ctx: ui.ctx("deals", d.title.clone()), t: ui.t, d, tl })
}

pub(super) async fn deal_page(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    render_deal_card(&st, &ui, id).await
}

/// After a change to the deal: the refreshed `#record`, or for a plain form post the card.
pub(super) async fn deal_changed(st: &AppState, ui: &Ui, id: i64) -> Response {
    if let Some(r) = back_to(ui, &card_url(Entity::Deal, id)) {
        return r;
    }
    render_deal_card(st, &Ui { htmx: true, ..ui.clone() }, id).await
}

/// The head panel again, with the refusal in it.
pub(super) async fn deal_head_refused(st: &AppState, ui: &Ui, id: i64, form: StatusFormState) -> Response {
    match load_deal(st, ui, id).await {
        Ok(data) => refused("#deal-head", &DealHeadTpl { t: ui.t, d: deal_view(ui, &data, form) }),
        Err(e) => store_error(ui, e),
    }
}

#[derive(Deserialize)]
pub(super) struct StageForm {
    pub(super) stage_id: i64,
}

/// Moves the deal to a stage of any pipeline: the keyboard's way to do what the board's drag does.
pub(super) async fn deal_stage(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(form): Form<StageForm>) -> Response {
    let moved = match st.db.get(&ui.actor, Entity::Stage, form.stage_id).await {
        Ok(stage) => {
            let body = json!({"stage_id": form.stage_id, "pipeline_id": stage.get("pipeline_id").as_int()});
            st.db.update(&ui.actor, Entity::Deal, id, &body).await
        }
        Err(StoreError::NotFound) => {
            Err(StoreError::invalid("stage_id", poryadok_core::msg::RecordMsg::NoRecord { what: "stage".into(), id: form.stage_id }))
        }
        Err(e) => Err(e),
    };
    match moved {
        Ok(_) => deal_changed(&st, &ui, id).await,
        Err(e) if ui.htmx && missing_fields(&e).is_some() => {
            ask_for_fields(&st, &ui, id, Some(form.stage_id), &missing_fields(&e).unwrap_or_default()).await
        }
        Err(e) => match inline_error(&ui, &e) {
            Some((_, m)) => deal_head_refused(&st, &ui, id, StatusFormState { stage_error: Some(m), ..StatusFormState::default() }).await,
            None => store_error(&ui, e),
        },
    }
}

#[derive(Deserialize)]
pub(super) struct StatusForm {
    pub(super) status: String,
    #[serde(default)]
    pub(super) reason: String,
    #[serde(default)]
    pub(super) comment: String,
    #[serde(default)]
    pub(super) return_on: String,
    /// The "mark the person" checkbox of closing as not a lead.
    #[serde(default)]
    pub(super) mark_person: Option<String>,
}

impl StatusForm {
    /// Closing as not a lead, as the store takes it.
    pub(super) fn not_lead(&self) -> poryadok_store::not_lead::NotLead {
        poryadok_store::not_lead::NotLead {
            reason: self.reason.clone(),
            comment: self.comment.clone(),
            mark_person: self.mark_person.is_some(),
        }
    }
}

/// The store's write for a status change: the reason and comment go with lost and frozen (and
/// the return date with frozen), and are cleared otherwise so a reopened deal keeps nothing stale.
pub(super) fn status_body(status: DealStatus, form: &StatusForm) -> Value {
    let (reason, comment, back) = (form.reason.trim(), form.comment.trim(), form.return_on.trim());
    let or_null = |s: &str| if s.is_empty() { Value::Null } else { json!(s) };
    match status {
        DealStatus::Lost => json!({"status": "lost", "lost_reason": reason, "frozen_reason": null, "not_lead_reason": null,
            "close_comment": or_null(comment), "return_on": null}),
        DealStatus::Frozen => json!({"status": "frozen", "frozen_reason": reason, "lost_reason": null, "not_lead_reason": null,
            "close_comment": or_null(comment), "return_on": or_null(back)}),
        DealStatus::NotLead => poryadok_store::not_lead::close_body(&form.not_lead()),
        other => json!({"status": other.as_str(), "lost_reason": null, "frozen_reason": null, "not_lead_reason": null,
            "close_comment": null, "return_on": null}),
    }
}

pub(super) async fn deal_status(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(form): Form<StatusForm>) -> Response {
    let Some(status) = DealStatus::parse(&form.status) else {
        return store_error(
            &ui,
            StoreError::invalid("status", poryadok_core::msg::Common::OneOf { list: poryadok_core::msg::words(DealStatus::ALL) }),
        );
    };
    let refuse = |message: String| StatusFormState {
        open: form.status.clone(),
        reason: form.reason.clone(),
        comment: form.comment.clone(),
        return_on: form.return_on.clone(),
        error: Some(message),
        stage_error: None,
        mark_person: form.mark_person.is_some(),
    };
    let needs_reason = matches!(status, DealStatus::Lost | DealStatus::Frozen | DealStatus::NotLead);
    if needs_reason && form.reason.trim().is_empty() {
        return deal_head_refused(&st, &ui, id, refuse(ui.t.t("card.err.reason").to_string())).await;
    }
    if let Err(e) = write_status(&st, &ui, id, status, &form).await {
        if let (true, Some(fields)) = (ui.htmx, missing_fields(&e)) {
            return ask_for_fields(&st, &ui, id, None, &fields).await;
        }
        return match inline_error(&ui, &e) {
            Some((_, m)) => deal_head_refused(&st, &ui, id, refuse(m)).await,
            None => store_error(&ui, e),
        };
    }
    deal_changed(&st, &ui, id).await
}

/// A status change as the store takes it: closing as not a lead may mark the person too.
pub(super) async fn write_status(st: &AppState, ui: &Ui, id: i64, status: DealStatus, form: &StatusForm) -> Result<Row, StoreError> {
    match status {
        DealStatus::NotLead => st.db.close_not_lead(&ui.actor, id, &form.not_lead(), None).await,
        _ => st.db.update(&ui.actor, Entity::Deal, id, &status_body(status, form)).await,
    }
}

/// The read-only fields panel (what "Cancel" of the edit form goes back to).
pub(super) async fn deal_fields(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    match load_deal(&st, &ui, id).await {
        Ok(data) => render(&DealFieldsTpl { t: ui.t, d: deal_view(&ui, &data, StatusFormState::default()) }),
        Err(e) => store_error(&ui, e),
    }
}
