//! Creating deals, persons and organizations from anywhere, and editing persons and
//! organizations in place: one form for all three, the same refusals as the API in the reader's
//! language next to their fields, what was typed kept.
//!
//! - `GET /{deals,persons,organizations}/new` — the form as a page, or for htmx as the body of the
//!   layout's dialog (the board's "+" in a column, "+ deal" on a client's card). Query parameters
//!   prefill it (`stage_id`, `person_id`, `organization_id`); a deal's form asks for the fields
//!   its stage requires.
//! - `POST …/new` — creates and opens the new card (`HX-Redirect` for htmx), or the form again
//!   with the refusal (422).
//! - `GET|POST /{persons,organizations}/{id}/edit` — the card's fields edited in place.
//! - `GET /pick/{persons,organizations}?q=` — type-ahead choices for a link, over the whole base.
//! - `GET /check/{persons,organizations}?phone=|email=|tax_id=&id=` — "this phone belongs to …".
use super::*;
use poryadok_core::types::{Email, Phone};

pub(super) fn routes() -> Router<AppState> {
    let mut r = Router::new();
    for entity in [Entity::Deal, Entity::Person, Entity::Organization] {
        let base = format!("/{}", entity.path());
        r = r.route(
            &format!("{base}/new"),
            get(move |st: State<AppState>, ui: Ui, q: Query<Vec<(String, String)>>| new_form(st, ui, q, entity))
                .post(move |st: State<AppState>, ui: Ui, f: Form<Vec<(String, String)>>| create(st, ui, f, entity)),
        );
    }
    for entity in [Entity::Person, Entity::Organization] {
        let base = format!("/{}", entity.path());
        r = r
            .route(
                &format!("{base}/{{id}}/edit"),
                get(move |st: State<AppState>, ui: Ui, id: Path<i64>| edit_form(st, ui, id, entity))
                    .post(move |st: State<AppState>, ui: Ui, id: Path<i64>, f: Form<Vec<(String, String)>>| save(st, ui, id, f, entity)),
            )
            .route(
                &format!("/pick/{}", entity.path()),
                get(move |st: State<AppState>, ui: Ui, q: Query<PickQuery>| pick(st, ui, q, entity)),
            )
            .route(
                &format!("/check/{}", entity.path()),
                get(move |st: State<AppState>, ui: Ui, q: Query<Vec<(String, String)>>| check(st, ui, q, entity)),
            );
    }
    r
}

/// The form as the template needs it.
pub struct RecordFormView {
    /// `deal`, `person`, `organization`.
    pub entity: &'static str,
    pub heading: String,
    pub action: String,
    /// Where "cancel" leads (the card, or the list).
    pub back: String,
    /// Editing in place on a card (vs. creating on a page or in the dialog).
    pub editing: bool,
    pub csrf: String,
    pub version: Option<i64>,
    pub inputs: Vec<Input>,
    pub error: Option<String>,
    pub stale: bool,
    /// A deal's form re-renders when its stage changes (the stage's required fields change).
    pub stage_reload: bool,
}

#[derive(Template)]
#[template(path = "record_form.html")]
struct FormTpl {
    t: T,
    f: RecordFormView,
}

#[derive(Template)]
#[template(path = "record_new.html")]
struct NewPage {
    ctx: crate::ui::Ctx,
    t: T,
    f: RecordFormView,
}

fn text_input(name: &str, label: String, kind: &'static str, value: String) -> Input {
    Input {
        name: name.into(),
        label,
        kind,
        value,
        options: Vec::new(),
        required: false,
        error: None,
        focus: false,
        picker: None,
        check: None,
    }
}

/// Built-in fields of each form, with their input kinds.
fn builtin(entity: Entity) -> &'static [(&'static str, &'static str)] {
    match entity {
        Entity::Person => &[
            ("name", "text"),
            ("phone", "tel"),
            ("other_phones", "text"),
            ("email", "email"),
            ("other_emails", "text"),
            ("organization_id", "picker"),
            ("job_title", "text"),
            ("telegram", "text"),
            ("whatsapp", "tel"),
            ("owner_id", "select"),
        ],
        Entity::Organization => &[("name", "text"), ("tax_id", "text"), ("address", "text"), ("website", "url"), ("owner_id", "select")],
        _ => &[
            ("title", "text"),
            ("stage_id", "select"),
            ("value", "money"),
            ("currency", "select"),
            ("person_id", "picker"),
            ("organization_id", "picker"),
            ("owner_id", "select"),
            ("expected_close_date", "date"),
        ],
    }
}

/// Pipelines and their stages as one select: "Продажи · Новый".
async fn stage_options(st: &AppState, ui: &Ui) -> Result<Vec<Opt>, StoreError> {
    let lq = |sort: &str| ListQuery { limit: Some("500".into()), sort: Some(sort.into()), ..ListQuery::default() };
    let pipelines = st.db.list(&ui.actor, Entity::Pipeline, &lq("position")).await?.data;
    let stages = st.db.list(&ui.actor, Entity::Stage, &lq("position")).await?.data;
    let mut out = Vec::new();
    for p in pipelines.iter().filter(|p| p.get("active") != &Val::Bool(false)) {
        for s in stages.iter().filter(|s| s.get("pipeline_id").as_int() == Some(p.id())) {
            out.push(Opt { value: s.id().to_string(), label: format!("{} · {}", text(p, "name"), text(s, "name")) });
        }
    }
    Ok(out)
}

struct Loaded {
    defs: Vec<Def>,
    names: Names,
    users: Vec<Opt>,
}

async fn load(st: &AppState, ui: &Ui, entity: Entity, value_of: &(dyn Fn(&str) -> String + Sync)) -> Result<Loaded, StoreError> {
    let defs = custom_defs(st, ui, entity).await?;
    let mut ids = NameIds::default();
    for (field, _) in builtin(entity) {
        if let Some(kind) = ref_kind(field, &defs) {
            ids.push(kind, value_of(field).parse().ok());
        }
    }
    let names = Names::load(st, ui, ids).await?;
    let owner = value_of("owner_id").parse().ok();
    let users = choices(st, ui, owner, &names).await?.users;
    Ok(Loaded { defs, names, users })
}

/// The inputs of `entity`'s form, read through `value_of`; for a new deal, the custom fields are
/// those its stage requires (`required`), for the rest every custom field.
fn inputs(
    ui: &Ui,
    entity: Entity,
    l: &Loaded,
    stages: &[Opt],
    required: &[String],
    creating: bool,
    value_of: &dyn Fn(&str) -> String,
) -> Vec<Input> {
    let t = ui.t;
    let mut out: Vec<Input> = Vec::new();
    for (name, kind) in builtin(entity) {
        let label = field_key(name).map(|k| t.t(k).to_string()).unwrap_or_else(|| name.to_string());
        let mut i = text_input(name, label, kind, value_of(name));
        i.required = matches!(*name, "name" | "title") || required.iter().any(|r| r == name);
        match *name {
            "owner_id" => i.options = with_none(t, &l.users),
            "stage_id" => i.options = stages.iter().map(|o| Opt { value: o.value.clone(), label: o.label.clone() }).collect(),
            "currency" => {
                let mut list = crate::ui::kit::currency_choices(&ui.actor.ws.currency);
                if !i.value.is_empty() && !list.contains(&i.value) {
                    list.push(i.value.clone());
                }
                i.options = list.into_iter().map(|c| Opt { value: c.clone(), label: c }).collect();
            }
            "phone" | "whatsapp" | "email" | "tax_id" => i.check = Some(format!("/check/{}?id={}", entity.path(), value_of("id"))),
            _ => {}
        }
        if let Some(src) = picker_source(name, &l.defs) {
            i.picker = Some((src.to_string(), picked_label(name, &i.value, &l.defs, &l.names, value_of)));
        }
        out.push(i);
    }
    let wanted =
        |d: &Def| !creating || entity != Entity::Deal || required.iter().any(|r| r.strip_prefix("custom.") == Some(d.key.as_str()));
    let c = Choices { users: l.users.iter().map(|o| Opt { value: o.value.clone(), label: o.label.clone() }).collect() };
    let custom: Vec<Input> =
        deal_inputs(t, &l.defs, &c, &l.names, value_of).into_iter().filter(|i| i.name.starts_with("custom.")).collect();
    for mut i in custom {
        if l.defs.iter().any(|d| Some(d.key.as_str()) == i.name.strip_prefix("custom.") && wanted(d)) {
            i.required = required.contains(&i.name);
            out.push(i);
        }
    }
    out
}

fn heading(t: T, entity: Entity, creating: bool) -> String {
    let key = match (entity, creating) {
        (Entity::Deal, _) => "card.new_deal",
        (Entity::Person, true) => "card.new_person",
        (Entity::Organization, true) => "card.new_organization",
        (Entity::Person, false) => "card.edit_person",
        _ => "card.edit_organization",
    };
    t.t(key).to_string()
}

/// The stage a new deal goes to: the one asked for, else the first.
fn chosen_stage(stages: &[Opt], value_of: &dyn Fn(&str) -> String) -> String {
    let asked = value_of("stage_id");
    if stages.iter().any(|o| o.value == asked) {
        asked
    } else {
        stages.first().map(|o| o.value.clone()).unwrap_or_default()
    }
}

async fn creation_form(st: &AppState, ui: &Ui, entity: Entity, pairs: &[(String, String)]) -> Result<RecordFormView, StoreError> {
    let given = posted(pairs);
    let stages = if entity == Entity::Deal { stage_options(st, ui).await? } else { Vec::new() };
    let stage = chosen_stage(&stages, &given);
    let me = ui.actor.caller.user_id.to_string();
    let value_of = |name: &str| -> String {
        match name {
            "stage_id" => stage.clone(),
            "owner_id" if !pairs.iter().any(|(k, _)| k == "owner_id") => me.clone(),
            "currency" if given("currency").is_empty() => ui.actor.ws.currency.clone(),
            _ => given(name),
        }
    };
    let required = match stage.parse::<i64>() {
        Ok(s) => st.db.stage_required_fields(&ui.actor, s).await?,
        Err(_) => Vec::new(),
    };
    let l = load(st, ui, entity, &value_of).await?;
    let inputs = inputs(ui, entity, &l, &stages, &required, true, &value_of);
    Ok(RecordFormView {
        entity: entity.name(),
        heading: heading(ui.t, entity, true),
        action: format!("/{}/new", entity.path()),
        back: format!("/{}", entity.path()),
        editing: false,
        csrf: ui.csrf.clone(),
        version: None,
        inputs,
        error: None,
        stale: false,
        stage_reload: entity == Entity::Deal,
    })
}

fn show_form(ui: &Ui, f: RecordFormView) -> Response {
    if ui.htmx {
        render(&FormTpl { t: ui.t, f })
    } else {
        let title = f.heading.clone();
        let nav = match f.entity {
            "person" => "persons",
            "organization" => "organizations",
            _ => "deals",
        };
        render(&NewPage { ctx: ui.ctx(nav, title), t: ui.t, f })
    }
}

async fn new_form(State(st): State<AppState>, ui: Ui, Query(pairs): Query<Vec<(String, String)>>, entity: Entity) -> Response {
    match creation_form(&st, &ui, entity, &pairs).await {
        Ok(f) => show_form(&ui, f),
        Err(e) => store_error(&ui, e),
    }
}

/// The form back with the refusal next to its field; 422 so htmx swaps it in place.
fn refused_form(ui: &Ui, mut f: RecordFormView, field: String, message: String) -> Response {
    match f.inputs.iter_mut().find(|i| i.name == field || (field == "custom" && i.name.starts_with("custom."))) {
        Some(i) => {
            i.error = Some(message);
            i.focus = true;
        }
        None => f.error = Some(format!("{}: {message}", crate::ui::messages::field_label(&ui.t, &field))),
    }
    if ui.htmx {
        refused("#record-form", &FormTpl { t: ui.t, f })
    } else {
        let title = f.heading.clone();
        render_status(StatusCode::UNPROCESSABLE_ENTITY, &NewPage { ctx: ui.ctx("", title), t: ui.t, f })
    }
}

/// Where to go after a save: `back` when the form came from a page of ours (the board), else the card.
fn after_save(pairs: &[(String, String)], card: &str) -> String {
    crate::ui::kit::saved_at(&posted(pairs)("back"), card)
}

/// A submitted form as the store's body; a refused value names its field.
fn body_of(ui: &Ui, f: &RecordFormView, defs: &[Def]) -> Result<Value, (String, String)> {
    let mut body = deal_body(&f.inputs, defs, ui.t)?;
    // A new record leaves out what was not filled rather than writing nulls.
    if !f.editing {
        if let Some(obj) = body.as_object_mut() {
            obj.retain(|_, v| !v.is_null());
        }
    }
    Ok(body)
}

/// A submitted form ready to write: the form (to show again) and the store's body, or the answer
/// that ends the request (the form refused next to its field, or an error page).
async fn prepared(
    st: &AppState,
    ui: &Ui,
    entity: Entity,
    f: Result<RecordFormView, StoreError>,
) -> Result<(RecordFormView, Value), Response> {
    let f = f.map_err(|e| store_error(ui, e))?;
    let defs = custom_defs(st, ui, entity).await.map_err(|e| store_error(ui, e))?;
    match body_of(ui, &f, &defs) {
        Ok(body) => Ok((f, body)),
        Err((field, message)) => Err(refused_form(ui, f, field, message)),
    }
}

async fn create(State(st): State<AppState>, ui: Ui, Form(pairs): Form<Vec<(String, String)>>, entity: Entity) -> Response {
    let (f, body) = match prepared(&st, &ui, entity, creation_form(&st, &ui, entity, &pairs).await).await {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    match st.db.create(&ui.actor, entity, &body).await {
        Ok(row) => crate::ui::kit::go_to(&ui, &after_save(&pairs, &card_url(entity, row.id()))),
        Err(e) => match inline_error(&ui, &e) {
            Some((field, message)) => refused_form(&ui, f, field, message),
            None => store_error(&ui, e),
        },
    }
}

async fn editing_form(
    st: &AppState,
    ui: &Ui,
    entity: Entity,
    id: i64,
    pairs: Option<&[(String, String)]>,
) -> Result<RecordFormView, StoreError> {
    let row = st.db.get(&ui.actor, entity, id).await?;
    let defs = custom_defs(st, ui, entity).await?;
    let from_row = |name: &str| if name == "id" { id.to_string() } else { stored_value(&row, &defs, name) };
    let given = pairs.map(posted);
    // A field the form did not send keeps its stored value (a partial form is a partial change).
    let sent = |name: &str| pairs.is_some_and(|p| p.iter().any(|(k, _)| k == name));
    let value_of = |name: &str| match &given {
        Some(g) if name != "id" && sent(name) => g(name),
        _ => from_row(name),
    };
    let l = load(st, ui, entity, &value_of).await?;
    let inputs = inputs(ui, entity, &l, &[], &[], false, &value_of);
    let stored = row.get("version").as_int().unwrap_or(1);
    let version = given.as_ref().and_then(|g| g("version").parse().ok()).unwrap_or(stored);
    Ok(RecordFormView {
        entity: entity.name(),
        heading: heading(ui.t, entity, false),
        action: format!("{}/edit", card_url(entity, id)),
        back: card_url(entity, id),
        editing: true,
        csrf: ui.csrf.clone(),
        version: Some(version),
        inputs,
        error: None,
        stale: false,
        stage_reload: false,
    })
}

async fn edit_form(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, entity: Entity) -> Response {
    match editing_form(&st, &ui, entity, id, None).await {
        Ok(f) => show_form(&ui, f),
        Err(e) => store_error(&ui, e),
    }
}

async fn save(
    State(st): State<AppState>,
    ui: Ui,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
    entity: Entity,
) -> Response {
    let (f, body) = match prepared(&st, &ui, entity, editing_form(&st, &ui, entity, id, Some(&pairs)).await).await {
        Ok(p) => p,
        Err(answer) => return answer,
    };
    match st.db.update_if(&ui.actor, entity, id, &body, f.version).await {
        Ok(_) => crate::ui::kit::go_to(&ui, &after_save(&[], &card_url(entity, id))),
        Err(StoreError::Stale { .. }) => {
            let f = RecordFormView { stale: true, ..f };
            if ui.htmx {
                refused("#record-form", &FormTpl { t: ui.t, f })
            } else {
                render_status(StatusCode::PRECONDITION_FAILED, &FormTpl { t: ui.t, f })
            }
        }
        Err(e) => match inline_error(&ui, &e) {
            Some((field, message)) => refused_form(&ui, f, field, message),
            None => store_error(&ui, e),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Type-ahead links and "this contact is already here".

#[derive(Deserialize)]
pub(super) struct PickQuery {
    #[serde(default)]
    q: String,
}

pub struct PickView {
    pub id: i64,
    pub name: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "record_pick.html")]
struct PickTpl {
    t: T,
    items: Vec<PickView>,
    hint: Option<String>,
}

async fn pick(State(st): State<AppState>, ui: Ui, Query(p): Query<PickQuery>, entity: Entity) -> Response {
    let (items, hint) = match st.db.search(&ui.actor, &p.q, Some(10)).await {
        Ok(found) if entity == Entity::Person => (
            found
                .persons
                .into_iter()
                .map(|h| PickView {
                    id: h.id,
                    name: h.name,
                    detail: [h.phone.as_deref().map(poryadok_core::intake::display_phone), h.email]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" · "),
                })
                .collect(),
            None,
        ),
        Ok(found) => (
            found.organizations.into_iter().map(|h| PickView { id: h.id, name: h.name, detail: h.tax_id.unwrap_or_default() }).collect(),
            None,
        ),
        Err(e) => (Vec::new(), e.msg().map(|m| crate::ui::messages::say(&ui.t, m))),
    };
    render(&PickTpl { t: ui.t, items, hint })
}

/// Someone who already has the typed contact, or nothing.
pub struct Taken {
    pub href: String,
    pub name: String,
    pub what: String,
}

#[derive(Template)]
#[template(path = "record_check.html")]
struct CheckTpl {
    t: T,
    taken: Option<Taken>,
}

async fn check(State(st): State<AppState>, ui: Ui, Query(pairs): Query<Vec<(String, String)>>, entity: Entity) -> Response {
    let given = posted(&pairs);
    let own: Option<i64> = given("id").parse().ok();
    let region = ui.actor.ws.region.clone();
    let (field, normal) = ["phone", "whatsapp", "email", "tax_id"]
        .into_iter()
        .find_map(|f| {
            let raw = given(f);
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            let normal = match f {
                "email" => Email::parse(raw).ok().map(|e| e.as_str().to_string()),
                "tax_id" => Some(raw.to_string()),
                _ => Phone::parse(raw, &region).ok().map(Phone::into_string),
            }?;
            Some((f, normal))
        })
        .unzip();
    let mut taken = None;
    if let (Some(field), Some(normal)) = (field, normal) {
        if let Ok(found) = st.db.search(&ui.actor, &normal, Some(5)).await {
            taken =
                if entity == Entity::Person {
                    found
                        .persons
                        .into_iter()
                        .find(|p| {
                            Some(p.id) != own
                                && (p.phone.as_deref() == Some(normal.as_str())
                                    || p.email.as_deref() == Some(normal.as_str())
                                    || field == "whatsapp")
                        })
                        .map(|p| Taken {
                            href: card_url(Entity::Person, p.id),
                            name: p.name,
                            what: ui.t.t(field_key(field).unwrap_or("card.f.phone")).to_string(),
                        })
                } else {
                    found.organizations.into_iter().find(|o| Some(o.id) != own && o.tax_id.as_deref() == Some(normal.as_str())).map(|o| {
                        Taken { href: card_url(Entity::Organization, o.id), name: o.name, what: ui.t.t("card.f.tax_id").to_string() }
                    })
                };
        }
    }
    render(&CheckTpl { t: ui.t, taken })
}
