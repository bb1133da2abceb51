//! The sources page of Settings: the webhook address, how a sender authenticates, the secret
//! shown once on creation and rotation.
use super::*;

pub struct SourceRow {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    pub active: bool,
    pub address: Address,
    /// Failed events of this source ("100+" past the count's limit); empty when none.
    pub failed: String,
}

/// The "new source" form as sent, with its refusal.
#[derive(Default)]
pub struct NewForm {
    pub kind: String,
    pub name: String,
    pub error: Option<(String, String)>,
}

impl NewForm {
    pub fn err(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
    /// A refusal that is about no input of the form.
    pub fn general(&self) -> Option<&str> {
        self.error.as_ref().filter(|(f, _)| f != "kind" && f != "name").map(|(_, m)| m.as_str())
    }
}

pub struct Opt {
    pub value: String,
    pub label: String,
}

pub struct SourcesView {
    pub csrf: String,
    pub sources: Vec<SourceRow>,
    pub kinds: Vec<Opt>,
    pub new: NewForm,
    pub failed: i64,
    /// No public URL is configured: addresses are paths on this server.
    pub relative: bool,
}

#[derive(Template)]
#[template(path = "intake.html")]
pub(super) struct SourcesPage {
    pub(super) ctx: Ctx,
    pub(super) t: T,
    pub(super) nav: Vec<NavItem>,
    pub(super) v: SourcesView,
}

#[derive(Template)]
#[template(path = "intake_sources.html")]
pub(super) struct SourcesFragment {
    pub(super) t: T,
    pub(super) v: SourcesView,
}

pub(super) async fn failed_of(st: &AppState, ui: &Ui, source: i64) -> Result<String, StoreError> {
    let n = st.db.events(&ui.actor, Some("failed"), Some(source), FAILED_SHOWN, None).await?.len() as u64;
    Ok(match n {
        0 => String::new(),
        n if n >= FAILED_SHOWN => format!("{FAILED_SHOWN}+"),
        n => n.to_string(),
    })
}

pub(super) async fn load_sources(st: &AppState, ui: &Ui, new: NewForm) -> Result<SourcesView, StoreError> {
    let mut sources = Vec::new();
    for s in st.db.sources(&ui.actor).await? {
        let failed = failed_of(st, ui, s.id).await?;
        sources.push(SourceRow {
            id: s.id,
            name: s.name.clone(),
            kind: kind_label(&ui.t, &s.kind),
            active: s.active,
            address: address(st, &s),
            failed,
        });
    }
    let kinds = SOURCE_KINDS.iter().map(|k| Opt { value: (*k).to_string(), label: kind_label(&ui.t, k).to_string() }).collect();
    let failed = st.db.event_counts(&ui.actor).await?.failed;
    Ok(SourcesView { csrf: ui.csrf.clone(), sources, kinds, new, failed, relative: st.public_url.is_none() })
}

pub(super) async fn respond_sources(st: &AppState, ui: &Ui, status: StatusCode, new: NewForm) -> Response {
    let v = match load_sources(st, ui, new).await {
        Ok(v) => v,
        Err(e) => return store_error(ui, e),
    };
    if ui.htmx {
        return render_status(status, &SourcesFragment { t: ui.t, v });
    }
    let title = format!("{} · {}", ui.t.t("nav.settings"), ui.t.t("intake.nav"));
    render_status(status, &SourcesPage { ctx: ui.ctx("settings", title), t: ui.t, nav: settings_nav(&ui.t), v })
}

pub(super) async fn sources_page(State(st): State<AppState>, ui: Ui) -> Response {
    if let Some(r) = not_admin(&ui) {
        return r;
    }
    respond_sources(&st, &ui, StatusCode::OK, NewForm::default()).await
}

pub(super) async fn create_source(State(st): State<AppState>, ui: Ui, Form(pairs): Form<Vec<(String, String)>>) -> Response {
    if let Some(r) = not_admin(&ui) {
        return r;
    }
    let f = Fields(pairs);
    let (kind, name) = (f.get("kind").trim().to_string(), f.get("name").trim().to_string());
    let config = if kind == "form" { starter_form(&ui) } else { json!({}) };
    match st.db.create_source(&ui.actor, &json!({"kind": kind, "name": name, "config": config})).await {
        Ok(s) => {
            let shown = Shown { secret: s.secret.clone(), created: true };
            let mut resp = respond_source(&st, &ui, StatusCode::OK, &s, None, Outcome::Secret(shown)).await;
            if let Ok(url) = HeaderValue::from_str(&format!("/settings/intake/{}", s.id)) {
                resp.headers_mut().insert("hx-push-url", url);
            }
            resp
        }
        Err(e) => match field_error(&ui.t, &e) {
            Some((field, message)) => {
                let new = NewForm { kind, name, error: Some((field, message)) };
                respond_sources(&st, &ui, StatusCode::UNPROCESSABLE_ENTITY, new).await
            }
            None => store_error(&ui, e),
        },
    }
}

/// A new web form starts with the fields most forms ask, labelled in the workspace's language
/// (its visitors read them); the form's editor changes them.
pub(super) fn starter_form(ui: &Ui) -> Json {
    let t = T::new(Lang::parse(&ui.actor.ws.locale).unwrap_or(ui.t.lang));
    let field = |name: &str, key: &str, kind: &str, required: bool, maps_to: &str| json!({"name": name, "label": t.t(key), "type": kind, "required": required, "maps_to": maps_to});
    json!({"fields": [
        field("name", "intake.form.name", "text", true, "person.name"),
        field("phone", "intake.form.phone", "phone", true, "person.phone"),
        field("email", "intake.form.email", "email", false, "person.email"),
        field("comment", "intake.form.comment", "textarea", false, "note"),
    ]})
}
