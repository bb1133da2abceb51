//! The deal's fields edited in place: inputs, money, custom fields, the save.
use super::*;
// ---------------------------------------------------------------------------------------------
// Editing the deal in place.

/// One input of the edit form.
pub struct Input {
    pub name: String,
    pub label: String,
    /// `text`, `number`, `date`, `url`, `select`.
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<Opt>,
    pub required: bool,
    pub error: Option<String>,
    /// Takes the focus when the form comes back refused, so the reader lands on the problem.
    pub focus: bool,
    /// A link to another record chosen by type-ahead (`kind` "picker"): where the choices come
    /// from (`/pick/persons`) and the name of the record linked now.
    pub picker: Option<(String, String)>,
    /// Checked as it is typed for a record that already has it (`/check/persons`).
    pub check: Option<String>,
}

/// The visible half of a type-ahead link: the chosen record's name, posted beside its id.
pub const PICKED_LABEL: &str = "__label";

impl Input {
    /// The `type` of its `<input>`: amounts and numbers are text so a comma or spaces can be typed.
    pub fn html_type(&self) -> &'static str {
        match self.kind {
            "date" | "url" | "email" | "tel" => self.kind,
            _ => "text",
        }
    }
    pub fn numeric(&self) -> bool {
        matches!(self.kind, "money" | "number")
    }
    pub fn dom_id(&self) -> String {
        format!("f-{}", self.name.replace('.', "-"))
    }
    pub fn error_id(&self) -> String {
        format!("{}-error", self.dom_id())
    }
    pub fn label_name(&self) -> String {
        format!("{}{PICKED_LABEL}", self.name)
    }
}

pub struct DealFormView {
    pub id: i64,
    pub csrf: String,
    /// The version the form was filled from; the save applies only to that version.
    pub version: i64,
    pub inputs: Vec<Input>,
    /// A refusal that names no field of the form.
    pub error: Option<String>,
    /// Someone else saved the deal after this form was opened.
    pub stale: bool,
}

#[derive(Template)]
#[template(path = "card_deal_form.html")]
pub(super) struct DealFormTpl {
    pub(super) t: T,
    pub(super) f: DealFormView,
}

/// The users a form offers as owners, by name (persons and organizations are picked by
/// type-ahead over the whole base instead: see [`picker_input`]).
pub(super) struct Choices {
    pub(super) users: Vec<Opt>,
}

pub(super) async fn choices(st: &AppState, ui: &Ui, owner: Option<i64>, names: &Names) -> Result<Choices, StoreError> {
    let lq = ListQuery {
        limit: Some(CHOICES.into()),
        sort: Some("name".into()),
        filters: vec![("active".into(), "true".into())],
        ..ListQuery::default()
    };
    let rows = st.db.list(&ui.actor, Entity::User, &lq).await?.data;
    let mut users: Vec<Opt> = rows.iter().map(|r| Opt { value: r.id().to_string(), label: text(r, "name") }).collect();
    // The current owner stays choosable even when deactivated.
    if let Some(id) = owner {
        if !users.iter().any(|o| o.value == id.to_string()) {
            users.insert(0, Opt { value: id.to_string(), label: names.get(RefKind::User, id) });
        }
    }
    Ok(Choices { users })
}

/// Where a type-ahead link of `field` picks from, if it is one.
pub(super) fn picker_source(field: &str, defs: &[Def]) -> Option<&'static str> {
    match ref_kind(field, defs)? {
        RefKind::Org => Some("/pick/organizations"),
        RefKind::Person => Some("/pick/persons"),
        _ => None,
    }
}

/// The name a form shows for a linked record: the one posted with it, else the stored one.
pub(super) fn picked_label(field: &str, id: &str, defs: &[Def], names: &Names, value_of: &dyn Fn(&str) -> String) -> String {
    let posted = value_of(&format!("{field}{PICKED_LABEL}"));
    if !posted.is_empty() || id.is_empty() {
        return posted;
    }
    match (ref_kind(field, defs), id.parse::<i64>()) {
        (Some(kind), Ok(id)) => names.get(kind, id),
        _ => String::new(),
    }
}

pub(super) fn with_none(t: T, opts: &[Opt]) -> Vec<Opt> {
    std::iter::once(Opt { value: String::new(), label: t.t("common.none").to_string() })
        .chain(opts.iter().map(|o| Opt { value: o.value.clone(), label: o.label.clone() }))
        .collect()
}

/// `150000` minor units as typed in a form: `1500` or `1500.50`.
pub(super) fn money_input(minor: i64) -> String {
    if minor % 100 == 0 {
        (minor / 100).to_string()
    } else {
        format!("{}.{:02}", minor / 100, (minor % 100).abs())
    }
}

/// A typed amount (`1 500,50`, `1500.5`) in minor units; `None` for an empty field.
pub(super) fn parse_money(s: &str) -> Result<Option<i64>, ()> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect::<String>().replace(',', ".");
    if s.is_empty() {
        return Ok(None);
    }
    let (units, frac) = s.split_once('.').unwrap_or((&s, ""));
    let digits = |p: &str| p.chars().all(|c| c.is_ascii_digit());
    if !digits(units) || !digits(frac) || frac.len() > 2 || (units.is_empty() && frac.is_empty()) {
        return Err(());
    }
    let units: i64 = if units.is_empty() { 0 } else { units.parse().map_err(|_| ())? };
    let cents: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| ())? };
    units.checked_mul(100).and_then(|u| u.checked_add(cents)).map(Some).ok_or(())
}

/// The form's inputs, their values read through `value_of` (a stored deal or a submitted form).
pub(super) fn deal_inputs(t: T, defs: &[Def], c: &Choices, names: &Names, value_of: &dyn Fn(&str) -> String) -> Vec<Input> {
    let input = |name: &str, label: String, kind: &'static str, options: Vec<Opt>| {
        let value = value_of(name);
        let picker = picker_source(name, defs).map(|src| (src.to_string(), picked_label(name, &value, defs, names, value_of)));
        Input {
            name: name.to_string(),
            label,
            kind: if picker.is_some() { "picker" } else { kind },
            value,
            options,
            required: name == "title",
            error: None,
            focus: false,
            picker,
            check: None,
        }
    };
    let mut v = vec![
        input("title", t.t("card.f.title").into(), "text", Vec::new()),
        input("value", t.t("card.f.value").into(), "money", Vec::new()),
        input("currency", t.t("card.f.currency").into(), "text", Vec::new()),
        input("owner_id", t.t("card.f.owner").into(), "select", with_none(t, &c.users)),
        input("organization_id", t.t("card.f.organization").into(), "picker", Vec::new()),
        input("person_id", t.t("card.f.person").into(), "picker", Vec::new()),
        input("expected_close_date", t.t("card.f.expected_close_date").into(), "date", Vec::new()),
        input("source", t.t("card.f.source").into(), "text", Vec::new()),
    ];
    for d in defs {
        let name = format!("custom.{}", d.key);
        let (kind, options) = match d.ty {
            CustomFieldType::Number => ("number", Vec::new()),
            CustomFieldType::Money => ("money", Vec::new()),
            CustomFieldType::Date => ("date", Vec::new()),
            CustomFieldType::Url => ("url", Vec::new()),
            CustomFieldType::Enum => {
                ("select", with_none(t, &d.options.iter().map(|o| Opt { value: o.clone(), label: o.clone() }).collect::<Vec<_>>()))
            }
            CustomFieldType::Bool => (
                "select",
                with_none(
                    t,
                    &[
                        Opt { value: "true".into(), label: t.t("common.yes").into() },
                        Opt { value: "false".into(), label: t.t("common.no").into() },
                    ],
                ),
            ),
            CustomFieldType::User => ("select", with_none(t, &c.users)),
            CustomFieldType::Organization => ("picker", Vec::new()),
            CustomFieldType::Text => ("text", Vec::new()),
        };
        v.push(input(&name, d.label.clone(), kind, options));
    }
    v
}

/// A submitted form's value of one input (empty when it was not sent).
pub(super) fn posted(pairs: &[(String, String)]) -> impl Fn(&str) -> String + '_ {
    move |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
}

/// A stored deal's value for a form input.
pub(super) fn stored_value(row: &Row, defs: &[Def], name: &str) -> String {
    if name.ends_with(PICKED_LABEL) {
        // The linked record's name comes from the card's names.
        return String::new();
    }
    if let Some(d) = custom_def(name, defs) {
        return match (d.ty, custom_map(row).get(&d.key)) {
            (_, None | Some(Value::Null)) => String::new(),
            (CustomFieldType::Money, Some(v)) => v.as_i64().map(money_input).unwrap_or_default(),
            (_, Some(Value::String(s))) => s.clone(),
            (_, Some(v)) => v.to_string(),
        };
    }
    match (name, row.get(name)) {
        ("value", Val::Int(m)) => money_input(*m),
        // A list of phones or e-mails is edited as one line, comma-separated.
        ("other_phones" | "other_emails", Val::Text(s)) => serde_json::from_str::<Vec<String>>(s).map(|v| v.join(", ")).unwrap_or_default(),
        (_, Val::Int(i)) => i.to_string(),
        (_, Val::Text(s)) => s.clone(),
        (_, Val::Bool(b)) => b.to_string(),
        (_, Val::Null) => String::new(),
    }
}

/// The submitted form as the store's update body; a value that cannot be read names its field.
pub(super) fn deal_body(inputs: &[Input], defs: &[Def], t: T) -> Result<Value, (String, String)> {
    let mut body = Map::new();
    let mut custom = Map::new();
    for i in inputs {
        let raw = i.value.trim();
        let bad = |key: &str| (i.name.clone(), t.t(key).to_string());
        let v = if raw.is_empty() {
            Value::Null
        } else {
            match (i.kind, i.name.as_str()) {
                ("money", _) => json!(parse_money(raw).map_err(|_| bad("card.err.money"))?),
                ("number", _) => match raw.replace(',', ".") {
                    n if n.parse::<i64>().is_ok() => json!(n.parse::<i64>().unwrap_or_default()),
                    n => json!(n.parse::<f64>().ok().filter(|f| f.is_finite()).ok_or_else(|| bad("card.err.number"))?),
                },
                (_, "owner_id" | "organization_id" | "person_id" | "stage_id") => {
                    json!(raw.parse::<i64>().map_err(|_| bad("card.err.number"))?)
                }
                _ => match custom_def(&i.name, defs).map(|d| d.ty) {
                    Some(CustomFieldType::Bool) => json!(raw == "true"),
                    Some(CustomFieldType::User | CustomFieldType::Organization) => {
                        json!(raw.parse::<i64>().map_err(|_| bad("card.err.number"))?)
                    }
                    _ => json!(raw),
                },
            }
        };
        // An emptied amount means zero, as a new deal starts.
        let v = if i.name == "value" && v.is_null() { json!(0) } else { v };
        match i.name.strip_prefix("custom.") {
            Some(key) => {
                custom.insert(key.to_string(), v);
            }
            None => {
                body.insert(i.name.clone(), v);
            }
        }
    }
    if !custom.is_empty() {
        body.insert("custom".into(), Value::Object(custom));
    }
    Ok(Value::Object(body))
}

pub(super) async fn deal_form(st: &AppState, ui: &Ui, id: i64, submitted: Option<&[(String, String)]>) -> Result<DealFormView, StoreError> {
    let data = load_deal(st, ui, id).await?;
    let c = choices(st, ui, data.row.get("owner_id").as_int(), &data.names).await?;
    let inputs = match submitted {
        Some(pairs) => deal_inputs(ui.t, &data.defs, &c, &data.names, &posted(pairs)),
        None => deal_inputs(ui.t, &data.defs, &c, &data.names, &|name| stored_value(&data.row, &data.defs, name)),
    };
    let stored = data.row.get("version").as_int().unwrap_or(1);
    let version =
        submitted.and_then(|pairs| pairs.iter().find(|(k, _)| k == "version")).and_then(|(_, v)| v.parse::<i64>().ok()).unwrap_or(stored);
    Ok(DealFormView { id, csrf: ui.csrf.clone(), version, inputs, error: None, stale: false })
}

pub(super) async fn deal_edit(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    match deal_form(&st, &ui, id, None).await {
        Ok(f) => render(&DealFormTpl { t: ui.t, f }),
        Err(e) => store_error(&ui, e),
    }
}

/// The form again, with the message next to its field (or above the form).
pub(super) fn form_refused(t: T, mut f: DealFormView, field: String, message: String) -> DealFormView {
    match f.inputs.iter_mut().find(|i| i.name == field) {
        Some(i) => {
            i.error = Some(message);
            i.focus = true;
        }
        None => f.error = Some(format!("{}: {message}", crate::ui::messages::field_label(&t, &field))),
    }
    f
}

pub(super) async fn deal_save(
    State(st): State<AppState>,
    ui: Ui,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let f = match deal_form(&st, &ui, id, Some(&pairs)).await {
        Ok(f) => f,
        Err(e) => return store_error(&ui, e),
    };
    let defs = match custom_defs(&st, &ui, Entity::Deal).await {
        Ok(d) => d,
        Err(e) => return store_error(&ui, e),
    };
    let body = match deal_body(&f.inputs, &defs, ui.t) {
        Ok(b) => b,
        Err((field, message)) => return refused("#deal-fields", &DealFormTpl { t: ui.t, f: form_refused(ui.t, f, field, message) }),
    };
    match st.db.update_if(&ui.actor, Entity::Deal, id, &body, Some(f.version)).await {
        Ok(_) => deal_changed(&st, &ui, id).await,
        Err(StoreError::Stale { .. }) => refused("#deal-fields", &DealFormTpl { t: ui.t, f: DealFormView { stale: true, ..f } }),
        Err(e) => match inline_error(&ui, &e) {
            Some((field, message)) => refused("#deal-fields", &DealFormTpl { t: ui.t, f: form_refused(ui.t, f, field, message) }),
            None => store_error(&ui, e),
        },
    }
}
