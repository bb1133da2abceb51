//! A source's own page: routing of new leads, the telephony mapping, the IMAP mailbox.
use super::*;

/// A secret shown once: right after creation or rotation.
pub struct Shown {
    pub secret: String,
    pub created: bool,
}

/// What the last write did, for the page to say.
pub enum Outcome {
    None,
    Saved,
    Secret(Shown),
}

/// One field of the mapping table (a call's or a meeting's): the preset's parameter and the
/// workspace's override.
pub struct MapRow {
    pub field: &'static str,
    pub preset: String,
    pub value: String,
}

pub struct OptGroup {
    pub label: String,
    pub options: Vec<Opt>,
}

/// The inputs of a source's form, from the stored source or as sent.
pub struct SourceEdit {
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub active: bool,
    pub pipeline_id: String,
    pub stage_id: String,
    pub owner_id: String,
    pub pool: Vec<String>,
    pub callback_minutes: String,
    pub preset: String,
    pub mapping: Vec<MapRow>,
    /// `imap_<field>` → value; the password shows as `***` when one is stored.
    pub imap: HashMap<String, String>,
    /// A Telegram bot's token, for replies through it; `***` when one is stored.
    pub bot_token: String,
    /// Telephony: the click-to-call request (the gateways' template); header values `***`.
    pub callback: CallbackEdit,
}

/// The click-to-call request's inputs: empty URL means none.
#[derive(Default)]
pub struct CallbackEdit {
    pub url: String,
    pub method: String,
    pub content_type: String,
    /// `Name: value` per line.
    pub headers: String,
    pub body: String,
}

impl CallbackEdit {
    fn of_config(c: &Json) -> CallbackEdit {
        let Some(cb) = c.get("callback") else { return CallbackEdit::default() };
        let headers = cb
            .get("headers")
            .and_then(Json::as_object)
            .map(|h| h.keys().map(|k| format!("{k}: {}", poryadok_core::template::MASK)).collect::<Vec<_>>().join("\n"))
            .unwrap_or_default();
        CallbackEdit {
            url: config_text(cb, "url"),
            method: config_text(cb, "method"),
            content_type: config_text(cb, "content_type"),
            headers,
            body: config_text(cb, "body"),
        }
    }

    fn of_form(f: &Fields) -> CallbackEdit {
        CallbackEdit {
            url: f.get("callback_url").trim().to_string(),
            method: f.get("callback_method").trim().to_string(),
            content_type: f.get("callback_content_type").trim().to_string(),
            headers: f.get("callback_headers").to_string(),
            body: f.get("callback_body").to_string(),
        }
    }

    /// The request as the store takes it; none when the URL is empty.
    fn to_config(&self) -> Option<Json> {
        if self.url.is_empty() {
            return None;
        }
        let headers: Map<String, Json> = self
            .headers
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), json!(v.trim())))
            .filter(|(n, _)| !n.is_empty())
            .collect();
        let mut cb = Map::new();
        cb.insert("url".into(), json!(self.url));
        cb.insert("method".into(), json!(if self.method.is_empty() { "POST" } else { self.method.as_str() }));
        if !self.content_type.is_empty() {
            cb.insert("content_type".into(), json!(self.content_type));
        }
        if !headers.is_empty() {
            cb.insert("headers".into(), Json::Object(headers));
        }
        if !self.body.trim().is_empty() {
            cb.insert("body".into(), json!(self.body.trim()));
        }
        Some(Json::Object(cb))
    }
}

impl SourceEdit {
    pub fn in_pool(&self, user: &str) -> bool {
        self.pool.iter().any(|p| p == user)
    }

    pub fn imap(&self, field: &str) -> &str {
        self.imap.get(field).map_or("", String::as_str)
    }
}

/// The fields a source of `kind` maps: a meeting's for a meetings source, else a call's.
fn mapped_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "meetings" => poryadok_core::meetings::MEETING_FIELDS,
        _ => CALL_FIELDS,
    }
}

pub(super) fn mapping_rows(kind: &str, preset: &str, overrides: &BTreeMap<String, String>) -> Vec<MapRow> {
    let names = match kind {
        "meetings" => poryadok_core::meetings::preset_mapping(preset),
        _ => preset_mapping(preset),
    }
    .unwrap_or_default();
    mapped_fields(kind)
        .iter()
        .map(|f| MapRow {
            field: f,
            preset: names.get(*f).cloned().unwrap_or_default(),
            value: overrides.get(*f).cloned().unwrap_or_default(),
        })
        .collect()
}

pub(super) fn edit_of_source(s: &Source) -> SourceEdit {
    let c = &s.config;
    let overrides: BTreeMap<String, String> = c
        .get("mapping")
        .and_then(Json::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect())
        .unwrap_or_default();
    let preset = c.get("preset").and_then(Json::as_str).unwrap_or("generic").to_string();
    let imap_stored = c.get("imap").cloned().unwrap_or(Json::Null);
    let imap = IMAP_FIELDS
        .iter()
        .map(|f| {
            let v = match *f {
                "password" if imap_stored.get("password").and_then(Json::as_str).is_some_and(|p| !p.is_empty()) => "***".to_string(),
                "password" => String::new(),
                _ => config_text(&imap_stored, f),
            };
            (format!("imap_{f}"), v)
        })
        .collect();
    SourceEdit {
        id: s.id,
        kind: s.kind.clone(),
        name: s.name.clone(),
        active: s.active,
        pipeline_id: config_text(c, "pipeline_id"),
        stage_id: config_text(c, "stage_id"),
        owner_id: config_text(c, "owner_id"),
        pool: c.get("pool").and_then(Json::as_array).map(|a| a.iter().map(json_text).collect()).unwrap_or_default(),
        callback_minutes: config_text(c, "callback_minutes"),
        mapping: mapping_rows(&s.kind, &preset, &overrides),
        preset,
        imap,
        bot_token: if config_text(c, "bot_token").is_empty() { String::new() } else { "***".into() },
        callback: CallbackEdit::of_config(c),
    }
}

pub(super) fn edit_of_form(s: &Source, f: &Fields) -> SourceEdit {
    let preset = match f.get("preset") {
        "" => "generic".to_string(),
        p => p.to_string(),
    };
    let overrides: BTreeMap<String, String> = mapped_fields(&s.kind)
        .iter()
        .map(|c| (c.to_string(), f.get(&format!("map_{c}")).trim().to_string()))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    SourceEdit {
        id: s.id,
        kind: s.kind.clone(),
        name: f.get("name").to_string(),
        active: !f.get("active").is_empty(),
        pipeline_id: f.get("pipeline_id").trim().to_string(),
        stage_id: f.get("stage_id").trim().to_string(),
        owner_id: f.get("owner_id").trim().to_string(),
        pool: f.all("pool"),
        callback_minutes: f.get("callback_minutes").trim().to_string(),
        mapping: mapping_rows(&s.kind, &preset, &overrides),
        preset,
        imap: IMAP_FIELDS.iter().map(|x| format!("imap_{x}")).map(|k| (k.clone(), f.get(&k).to_string())).collect(),
        bot_token: f.get("bot_token").trim().to_string(),
        callback: CallbackEdit::of_form(f),
    }
}

/// The stored config with the page's keys replaced by what the form says.
pub(super) fn config_of(e: &SourceEdit, stored: &Json) -> Json {
    let mut c: Map<String, Json> = stored.as_object().cloned().unwrap_or_default();
    for k in EDITED_KEYS {
        c.remove(k);
    }
    for (key, value) in [("pipeline_id", &e.pipeline_id), ("stage_id", &e.stage_id), ("owner_id", &e.owner_id)] {
        if let Some(v) = number_or_text(value) {
            c.insert(key.into(), v);
        }
    }
    if !e.pool.is_empty() {
        c.insert("pool".into(), Json::Array(e.pool.iter().filter_map(|p| number_or_text(p)).collect()));
    }
    if matches!(e.kind.as_str(), "telephony" | "meetings") {
        c.insert("preset".into(), json!(e.preset));
        let mapping: Map<String, Json> =
            e.mapping.iter().filter(|r| !r.value.is_empty()).map(|r| (r.field.to_string(), json!(r.value))).collect();
        if !mapping.is_empty() {
            c.insert("mapping".into(), Json::Object(mapping));
        }
    }
    match e.kind.as_str() {
        "telephony" => {
            if let Some(v) = number_or_text(&e.callback_minutes) {
                c.insert("callback_minutes".into(), v);
            }
            if let Some(cb) = e.callback.to_config() {
                c.insert("callback".into(), cb);
            }
        }
        "email" => c.extend(imap_config(e).map(|imap| ("imap".to_string(), imap))),
        "telegram" if !e.bot_token.is_empty() => {
            c.insert("bot_token".into(), json!(e.bot_token));
        }
        _ => {}
    }
    Json::Object(c)
}

/// The IMAP block as typed; none when the server and the user name are empty, which switches the
/// mailbox off (the webhook still takes e-mails).
pub(super) fn imap_config(e: &SourceEdit) -> Option<Json> {
    if e.imap("imap_host").trim().is_empty() && e.imap("imap_username").trim().is_empty() {
        return None;
    }
    let mut imap = Map::new();
    for f in IMAP_FIELDS {
        let raw = e.imap(&format!("imap_{f}"));
        let value = match f {
            "port" | "every_minutes" => number_or_text(raw),
            "password" => Some(json!(raw)),
            _ => Some(json!(raw.trim())).filter(|_| !raw.trim().is_empty()),
        };
        if let Some(v) = value {
            imap.insert(f.into(), v);
        }
    }
    Some(Json::Object(imap))
}

/// The choices of the routing inputs.
pub struct Routing {
    pub pipelines: Vec<Opt>,
    pub stages: Vec<OptGroup>,
    pub users: Vec<Opt>,
}

pub(super) async fn all_rows(st: &AppState, ui: &Ui, entity: Entity, sort: &str) -> Result<Vec<Row>, StoreError> {
    let q = ListQuery { sort: Some(sort.into()), limit: Some(ALL.into()), ..ListQuery::default() };
    Ok(st.db.list(&ui.actor, entity, &q).await?.data)
}

pub(super) fn row_text(r: &Row, name: &str) -> String {
    r.get(name).as_text().unwrap_or("").to_string()
}

pub(super) async fn load_routing(st: &AppState, ui: &Ui) -> Result<Routing, StoreError> {
    let pipelines = all_rows(st, ui, Entity::Pipeline, "position").await?;
    let stages = all_rows(st, ui, Entity::Stage, "position").await?;
    let users = all_rows(st, ui, Entity::User, "name").await?;
    let opt = |r: &Row| Opt { value: r.id().to_string(), label: row_text(r, "name") };
    Ok(Routing {
        pipelines: pipelines.iter().map(opt).collect(),
        stages: pipelines
            .iter()
            .map(|p| OptGroup {
                label: row_text(p, "name"),
                options: stages.iter().filter(|s| s.get("pipeline_id").as_int() == Some(p.id())).map(opt).collect(),
            })
            .filter(|g| !g.options.is_empty())
            .collect(),
        users: users.iter().filter(|u| u.get("active") == &Val::Bool(true)).map(opt).collect(),
    })
}

pub struct SourceView {
    pub csrf: String,
    pub e: SourceEdit,
    pub kind_label: &'static str,
    pub address: Address,
    pub relative: bool,
    pub routing: Routing,
    pub presets: Vec<Opt>,
    /// A meetings source's presets.
    pub meeting_presets: Vec<Opt>,
    /// The click-to-call request's placeholders, for the hint.
    pub callback_placeholders: String,
    pub securities: &'static [&'static str],
    pub imap_fields: &'static [&'static str],
    /// A web form's config as stored, for reading (its fields are edited elsewhere).
    pub form_config: String,
    pub failed: String,
    pub saved: bool,
    pub shown: Option<Shown>,
    /// The field the store refused (`config.` stripped, a pool entry as the pool) and why.
    pub error: Option<(String, String)>,
}

impl SourceView {
    pub fn err(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    pub fn bad(&self, field: &str) -> bool {
        self.err(field).is_some()
    }

    /// The refusal for the top of the form: a pointer when an input shows it, else the reason.
    pub fn summary(&self, t: &T) -> Option<String> {
        let (field, message) = self.error.as_ref()?;
        let routing = ["name", "pipeline_id", "stage_id", "owner_id", "pool", "callback_minutes", "preset"];
        let inline =
            routing.contains(&field.as_str()) || field.starts_with("map_") || field.starts_with("imap_") || field.starts_with("callback_");
        Some(if inline { t.t("intake.see_field").to_string() } else { t.fmt("intake.not_saved", &[("why", message.as_str())]) })
    }

    /// The secret for the examples: the real one only while it is shown.
    pub fn secret<'a>(&'a self, t: &T) -> &'a str {
        self.shown.as_ref().map_or_else(|| t.t("intake.secret.placeholder"), |s| s.secret.as_str())
    }

    pub fn imap_label(&self, t: &T, field: &str) -> &'static str {
        match field {
            "host" => t.t("intake.imap.host"),
            "port" => t.t("intake.imap.port"),
            "security" => t.t("intake.imap.security"),
            "username" => t.t("intake.imap.username"),
            "password" => t.t("intake.imap.password"),
            "mailbox" => t.t("intake.imap.mailbox"),
            _ => t.t("intake.imap.every_minutes"),
        }
    }
}

/// The store names config fields `config.x`, pool entries `config.pool.N`; the page's inputs are `x`.
pub(super) fn input_of(field: &str) -> String {
    let f = field.strip_prefix("config.").unwrap_or(field);
    let f = if f.starts_with("pool.") { "pool" } else { f };
    let f = f.replace("imap.", "imap_").replace("mapping.", "map_").replace("callback.", "callback_");
    // A header's own error shows under the headers.
    match f.strip_prefix("callback_headers.") {
        Some(_) => "callback_headers".to_string(),
        None if f == "callback" => "callback_url".to_string(),
        None => f,
    }
}

#[derive(Template)]
#[template(path = "intake_source.html")]
pub(super) struct SourcePage {
    pub(super) ctx: Ctx,
    pub(super) t: T,
    pub(super) nav: Vec<NavItem>,
    pub(super) v: SourceView,
}

#[derive(Template)]
#[template(path = "intake_source_body.html")]
pub(super) struct SourceFragment {
    pub(super) t: T,
    pub(super) v: SourceView,
}

#[derive(Template)]
#[template(path = "intake_mapping.html")]
pub(super) struct MappingFragment {
    pub(super) t: T,
    pub(super) v: SourceView,
}

pub(super) async fn source_view(
    st: &AppState,
    ui: &Ui,
    s: &Source,
    e: SourceEdit,
    outcome: Outcome,
    error: Option<(String, String)>,
) -> Result<SourceView, StoreError> {
    let (saved, shown) = match outcome {
        Outcome::None => (false, None),
        Outcome::Saved => (true, None),
        Outcome::Secret(x) => (false, Some(x)),
    };
    Ok(SourceView {
        csrf: ui.csrf.clone(),
        kind_label: kind_label(&ui.t, &e.kind),
        e,
        address: address(st, s),
        relative: st.public_url.is_none(),
        routing: load_routing(st, ui).await?,
        presets: CALL_PRESETS.iter().map(|p| Opt { value: (*p).to_string(), label: preset_label(&ui.t, p) }).collect(),
        meeting_presets: poryadok_core::meetings::MEETING_PRESETS
            .iter()
            .map(|p| Opt { value: (*p).to_string(), label: preset_label(&ui.t, p) })
            .collect(),
        callback_placeholders: poryadok_core::template::CALLBACK_PLACEHOLDERS
            .iter()
            .map(|p| format!("{{{p}}}"))
            .collect::<Vec<_>>()
            .join(", "),
        securities: &SECURITIES,
        imap_fields: &IMAP_FIELDS,
        form_config: serde_json::to_string_pretty(&s.to_json(false)["config"]).unwrap_or_default(),
        failed: failed_of(st, ui, s.id).await?,
        saved,
        shown,
        error,
    })
}

pub(super) fn preset_label(t: &T, preset: &str) -> String {
    match preset {
        "generic" => t.t("intake.preset.generic").to_string(),
        "ringostat" => "Ringostat".to_string(),
        "retailcrm" => "retailCRM".to_string(),
        "zoom" => "Zoom".to_string(),
        other => other.to_string(),
    }
}

pub(super) async fn respond_source(
    st: &AppState,
    ui: &Ui,
    status: StatusCode,
    s: &Source,
    edit: Option<SourceEdit>,
    outcome: Outcome,
) -> Response {
    respond_source_with(st, ui, status, s, edit, outcome, None).await
}

pub(super) async fn respond_source_with(
    st: &AppState,
    ui: &Ui,
    status: StatusCode,
    s: &Source,
    edit: Option<SourceEdit>,
    outcome: Outcome,
    error: Option<(String, String)>,
) -> Response {
    let e = edit.unwrap_or_else(|| edit_of_source(s));
    let v = match source_view(st, ui, s, e, outcome, error).await {
        Ok(v) => v,
        Err(e) => return store_error(ui, e),
    };
    if ui.htmx {
        return render_status(status, &SourceFragment { t: ui.t, v });
    }
    let title = format!("{} · {}", ui.t.t("nav.settings"), s.name);
    render_status(status, &SourcePage { ctx: ui.ctx("settings", title), t: ui.t, nav: settings_nav(&ui.t), v })
}

/// The source behind `id` for an administrator, or the page that says why not.
pub(super) async fn admin_source(st: &AppState, ui: &Ui, id: i64) -> Result<Source, Response> {
    if let Some(r) = not_admin(ui) {
        return Err(r);
    }
    st.db.source(&ui.actor, id).await.map_err(|e| store_error(ui, e))
}

pub(super) async fn source_page(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    match admin_source(&st, &ui, id).await {
        Ok(s) => respond_source(&st, &ui, StatusCode::OK, &s, None, Outcome::None).await,
        Err(r) => r,
    }
}

pub(super) async fn save_source(
    State(st): State<AppState>,
    ui: Ui,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let s = match admin_source(&st, &ui, id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let e = edit_of_form(&s, &Fields(pairs));
    let body = json!({"name": e.name.trim(), "active": e.active, "config": config_of(&e, &s.config)});
    match st.db.update_source(&ui.actor, id, &body).await {
        Ok(saved) => respond_source(&st, &ui, StatusCode::OK, &saved, None, Outcome::Saved).await,
        Err(err) => match field_error(&ui.t, &err) {
            Some((field, message)) => {
                let error = Some((input_of(&field), message));
                respond_source_with(&st, &ui, StatusCode::UNPROCESSABLE_ENTITY, &s, Some(e), Outcome::None, error).await
            }
            None => store_error(&ui, err),
        },
    }
}

/// The mapping table for the preset chosen in the form (the preset select asks for it).
pub(super) async fn mapping_table(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>, RawQuery(raw): RawQuery) -> Response {
    let s = match admin_source(&st, &ui, id).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let e = edit_of_form(&s, &fields_of(raw.as_deref()));
    match source_view(&st, &ui, &s, e, Outcome::None, None).await {
        Ok(v) => render(&MappingFragment { t: ui.t, v }),
        Err(e) => store_error(&ui, e),
    }
}

pub(super) async fn rotate_secret(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = not_admin(&ui) {
        return r;
    }
    match st.db.rotate_source_secret(&ui.actor, id).await {
        Ok(s) => {
            let shown = Shown { secret: s.secret.clone(), created: false };
            respond_source(&st, &ui, StatusCode::OK, &s, None, Outcome::Secret(shown)).await
        }
        Err(e) => store_error(&ui, e),
    }
}

pub(super) async fn delete_source(State(st): State<AppState>, ui: Ui, Path(id): Path<i64>) -> Response {
    if let Some(r) = not_admin(&ui) {
        return r;
    }
    if let Err(e) = st.db.delete_source(&ui.actor, id).await {
        return store_error(&ui, e);
    }
    if ui.htmx {
        let mut resp = StatusCode::OK.into_response();
        resp.headers_mut().insert("hx-redirect", HeaderValue::from_static("/settings/intake"));
        return resp;
    }
    Redirect::to("/settings/intake").into_response()
}
