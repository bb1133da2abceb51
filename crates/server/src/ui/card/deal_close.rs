//! Moving a deal where it needs more: a stage that requires fields, a win that requires fields,
//! a loss that needs a reason from the workspace's list. Each opens the layout's dialog with
//! exactly what is missing; saving it makes the move in the same write.
//!
//! - `GET|POST /deals/{id}/complete?stage_id=…|status=won` — the missing fields, then the move;
//! - `GET|POST /deals/{id}/close?status=lost|frozen|won` — the board's drop zones: the reason
//!   (a select of the workspace's list), the comment, the return date of a frozen deal.
//!
//! A refused move anywhere (the board's drag, the card's stage select, "Won") answers with the
//! completion form aimed at the dialog (`HX-Retarget: #dialog-body`) when fields are missing.
use super::*;
use poryadok_core::msg::{Msg, RegulationMsg};

/// A dialog's form opened as an address of its own (a link, no script): the form in a page.
#[derive(Template)]
#[template(path = "dialog_page.html")]
struct DialogPage {
    ctx: crate::ui::Ctx,
    body: String,
}

fn dialog_or_page<P: Template>(ui: &Ui, title: String, form: &P) -> Response {
    if ui.htmx {
        return render(form);
    }
    match form.render() {
        Ok(body) => render(&DialogPage { ctx: ui.ctx("deals", title), body }),
        Err(e) => store_error(ui, StoreError::Internal(e.to_string())),
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/deals/{id}/complete", get(complete_form).post(complete)).route("/deals/{id}/close", get(close_form).post(close))
}

/// The fields a refusal says are missing, when that is why a move was refused.
pub fn missing_fields(e: &StoreError) -> Option<Vec<String>> {
    match e.msg()? {
        Msg::RegulationMsg(RegulationMsg::StageNeedsFields { fields, .. } | RegulationMsg::WinNeedsFields { fields }) => {
            Some(fields.iter().map(|f| f.key.clone()).collect())
        }
        _ => None,
    }
}

/// Where the move goes: a stage, or a status (`won`).
#[derive(Clone)]
pub(super) enum Move {
    Stage(i64),
    Won,
}

impl Move {
    fn from_pairs(pairs: &[(String, String)]) -> Option<Move> {
        let given = posted(pairs);
        match (given("stage_id").parse::<i64>(), given("status").as_str()) {
            (Ok(s), _) => Some(Move::Stage(s)),
            (_, "won") => Some(Move::Won),
            _ => None,
        }
    }
    fn hidden(&self) -> (String, String) {
        match self {
            Move::Stage(s) => ("stage_id".into(), s.to_string()),
            Move::Won => ("status".into(), "won".into()),
        }
    }
}

pub struct CompleteView {
    pub id: i64,
    pub csrf: String,
    pub version: i64,
    pub heading: String,
    pub hidden: (String, String),
    pub inputs: Vec<Input>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "deal_complete.html")]
struct CompleteTpl {
    t: T,
    f: CompleteView,
}

/// The form of the fields `wanted` of deal `id`, read from the deal or from a submitted form.
async fn complete_view(
    st: &AppState,
    ui: &Ui,
    id: i64,
    to: &Move,
    wanted: &[String],
    submitted: Option<&[(String, String)]>,
) -> Result<CompleteView, StoreError> {
    let data = load_deal(st, ui, id).await?;
    let c = choices(st, ui, data.row.get("owner_id").as_int(), &data.names).await?;
    // A zero amount is what the gate calls unfilled: the input starts empty.
    let stored =
        |name: &str| Some(stored_value(&data.row, &data.defs, name)).filter(|v| !(name == "value" && v == "0")).unwrap_or_default();
    let value_of = |name: &str| match submitted {
        Some(p) if p.iter().any(|(k, _)| k == name) => posted(p)(name),
        _ => stored(name),
    };
    let mut all = deal_inputs(ui.t, &data.defs, &c, &data.names, &value_of);
    let mut inputs: Vec<Input> = Vec::new();
    for name in wanted {
        let mut i = match all.iter().position(|i| &i.name == name) {
            Some(at) => all.swap_remove(at),
            None => Input {
                name: name.clone(),
                label: crate::ui::messages::field_label(&ui.t, name),
                kind: if name.ends_with("_date") { "date" } else { "text" },
                value: value_of(name),
                options: Vec::new(),
                required: true,
                error: None,
                focus: false,
                picker: None,
                check: None,
            },
        };
        i.required = true;
        inputs.push(i);
    }
    let heading = match to {
        Move::Stage(s) => {
            let stage = data.stages.iter().find(|r| r.id() == *s).map(|r| text(r, "name")).unwrap_or_default();
            ui.t.fmt("card.complete_stage", &[("stage", stage.as_str())])
        }
        Move::Won => ui.t.t("card.complete_won").to_string(),
    };
    let stored_version = data.row.get("version").as_int().unwrap_or(1);
    let version = submitted.and_then(|p| posted(p)("version").parse().ok()).unwrap_or(stored_version);
    Ok(CompleteView { id, csrf: ui.csrf.clone(), version, heading, hidden: to.hidden(), inputs, error: None })
}

/// The completion form aimed at the dialog: the answer to a move refused for missing fields.
pub async fn ask_for_fields(st: &AppState, ui: &Ui, id: i64, to_stage: Option<i64>, fields: &[String]) -> Response {
    let to = to_stage.map_or(Move::Won, Move::Stage);
    match complete_view(st, ui, id, &to, fields, None).await {
        Ok(f) => {
            let mut resp = render_status(StatusCode::UNPROCESSABLE_ENTITY, &CompleteTpl { t: ui.t, f });
            resp.headers_mut().insert("hx-retarget", HeaderValue::from_static("#dialog-body"));
            resp.headers_mut().insert("hx-reswap", HeaderValue::from_static("innerHTML"));
            resp
        }
        Err(e) => store_error(ui, e),
    }
}

/// The fields a stage move still needs: those of `field=` in the address (a link made from a
/// refusal), else the stage's required ones the deal has empty.
async fn still_missing(st: &AppState, ui: &Ui, id: i64, to: &Move, pairs: &[(String, String)]) -> Result<Vec<String>, StoreError> {
    let named: Vec<String> = pairs.iter().filter(|(k, _)| k == "field").map(|(_, v)| v.clone()).filter(|f| is_deal_field(f)).collect();
    if !named.is_empty() {
        return Ok(named);
    }
    let Move::Stage(stage) = to else { return Ok(named) };
    let required = st.db.stage_required_fields(&ui.actor, *stage).await?;
    let row = st.db.get(&ui.actor, Entity::Deal, id).await?;
    let defs = custom_defs(st, ui, Entity::Deal).await?;
    Ok(required
        .into_iter()
        .filter(|f| stored_value(&row, &defs, f).is_empty() || (f == "value" && row.get("value").as_int() == Some(0)))
        .collect())
}

async fn complete_form(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Query(pairs): Query<Vec<(String, String)>>) -> Response {
    let Some(to) = Move::from_pairs(&pairs) else {
        return store_error(&ui, StoreError::invalid("stage_id", poryadok_core::msg::Common::Required {}));
    };
    let shown = async {
        let wanted = still_missing(&st, &ui, id, &to, &pairs).await?;
        complete_view(&st, &ui, id, &to, &wanted, None).await
    };
    match shown.await {
        Ok(f) => dialog_or_page(&ui, f.heading.clone(), &CompleteTpl { t: ui.t, f }),
        Err(e) => store_error(&ui, e),
    }
}

/// Where to go after a move made in the dialog: back where the user was (the board), else the card.
fn back_or_card(pairs: &[(String, String)], id: i64) -> String {
    crate::ui::kit::saved_at(&posted(pairs)("back"), &card_url(Entity::Deal, id))
}

async fn complete(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    let Some(to) = Move::from_pairs(&pairs) else {
        return store_error(&ui, StoreError::invalid("stage_id", poryadok_core::msg::Common::Required {}));
    };
    let wanted: Vec<String> = pairs.iter().map(|(k, _)| k.clone()).filter(|k| is_deal_field(k)).collect();
    let f = match complete_view(&st, &ui, id, &to, &wanted, Some(&pairs)).await {
        Ok(f) => f,
        Err(e) => return store_error(&ui, e),
    };
    let defs = match custom_defs(&st, &ui, Entity::Deal).await {
        Ok(d) => d,
        Err(e) => return store_error(&ui, e),
    };
    let refused_with = |mut f: CompleteView, field: String, message: String| {
        match f.inputs.iter_mut().find(|i| i.name == field) {
            Some(i) => {
                i.error = Some(message);
                i.focus = true;
            }
            None => f.error = Some(message),
        }
        refused("#deal-complete", &CompleteTpl { t: ui.t, f })
    };
    let mut body = match deal_body(&f.inputs, &defs, ui.t) {
        Ok(b) => b,
        Err((field, message)) => return refused_with(f, field, message),
    };
    let (key, value) = to.hidden();
    if let (Some(obj), Move::Stage(s)) = (body.as_object_mut(), &to) {
        obj.insert(key, json!(s));
        if let Ok(stage) = st.db.get(&ui.actor, Entity::Stage, *s).await {
            obj.insert("pipeline_id".into(), json!(stage.get("pipeline_id").as_int()));
        }
    } else if let Some(obj) = body.as_object_mut() {
        obj.insert(key, json!(value));
    }
    match st.db.update_if(&ui.actor, Entity::Deal, id, &body, Some(f.version)).await {
        Ok(_) => crate::ui::kit::go_to(&ui, &back_or_card(&pairs, id)),
        Err(StoreError::Stale { .. }) => {
            let message = ui.t.t("card.changed_meanwhile").to_string();
            refused_with(f, String::new(), message)
        }
        Err(e) => match inline_error(&ui, &e) {
            Some((field, message)) => refused_with(f, field, message),
            None => store_error(&ui, e),
        },
    }
}

/// A field of the deal a completion form may write (built-in or custom); the rest of the
/// submitted form (the token, the move, where to go back) is not.
fn is_deal_field(name: &str) -> bool {
    name.starts_with("custom.")
        || (Entity::Deal.field(name).is_some_and(|f| f.writable_on_update()) && !matches!(name, "stage_id" | "status" | "pipeline_id"))
}

// ---------------------------------------------------------------------------------------------
// Closing from the board: won, lost with a reason, frozen until a date.

pub struct CloseView {
    pub id: i64,
    pub csrf: String,
    pub title: String,
    /// `lost`, `frozen` or `not_lead` (or `won`, which asks for nothing).
    pub status: String,
    /// Whether the deal has a person to mark when it is not a lead, and whether to mark them.
    pub has_person: bool,
    pub mark_person: bool,
    pub reasons: Vec<String>,
    pub reason: String,
    pub comment: String,
    pub return_on: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "deal_close.html")]
struct CloseTpl {
    t: T,
    f: CloseView,
}

async fn close_view(st: &AppState, ui: &Ui, id: i64, form: &StatusForm) -> Result<CloseView, StoreError> {
    let row = st.db.get(&ui.actor, Entity::Deal, id).await?;
    let reasons = st.db.closing_reasons(&ui.actor).await?;
    Ok(CloseView {
        id,
        csrf: ui.csrf.clone(),
        title: text(&row, "title"),
        reasons: DealStatus::parse(&form.status).map(|s| reasons.of(s).to_vec()).unwrap_or_default(),
        status: form.status.clone(),
        has_person: row.get("person_id").as_int().is_some(),
        mark_person: form.mark_person.is_some(),
        reason: form.reason.clone(),
        comment: form.comment.clone(),
        return_on: form.return_on.clone(),
        error: None,
    })
}

async fn close_form(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Query(form): Query<StatusForm>) -> Response {
    match close_view(&st, &ui, id, &form).await {
        Ok(f) => dialog_or_page(&ui, f.title.clone(), &CloseTpl { t: ui.t, f }),
        Err(e) => store_error(&ui, e),
    }
}

async fn close(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    let given = posted(&pairs);
    let form = StatusForm {
        status: given("status"),
        reason: given("reason"),
        comment: given("comment"),
        return_on: given("return_on"),
        mark_person: pairs.iter().any(|(k, _)| k == "mark_person").then(String::new),
    };
    let Some(status) = DealStatus::parse(&form.status) else {
        return store_error(
            &ui,
            StoreError::invalid("status", poryadok_core::msg::Common::OneOf { list: poryadok_core::msg::words(DealStatus::ALL) }),
        );
    };
    let refuse = |f: CloseView, message: String| refused("#deal-close", &CloseTpl { t: ui.t, f: CloseView { error: Some(message), ..f } });
    let f = match close_view(&st, &ui, id, &form).await {
        Ok(f) => f,
        Err(e) => return store_error(&ui, e),
    };
    if matches!(status, DealStatus::Lost | DealStatus::Frozen | DealStatus::NotLead) && form.reason.trim().is_empty() {
        return refuse(f, ui.t.t("card.err.reason").to_string());
    }
    match super::deal::write_status(&st, &ui, id, status, &form).await {
        Ok(_) => crate::ui::kit::go_to(&ui, &back_or_card(&pairs, id)),
        Err(e) => match missing_fields(&e) {
            Some(fields) => ask_for_fields(&st, &ui, id, None, &fields).await,
            None => match inline_error(&ui, &e) {
                Some((_, m)) => refuse(f, m),
                None => store_error(&ui, e),
            },
        },
    }
}
