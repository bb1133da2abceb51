//! The composer on a deal's or a person's card: write to the client by e-mail, Telegram,
//! WhatsApp or SMS, from a free text or a template filled from the card. It loads by itself
//! after the card (so the card does not wait for the channels' checks) and posts through the
//! same store call as `POST /api/v1/{deals|persons}/{id}/messages`; the sent message appears on
//! the timeline with its delivery state. An e-mail may carry the card's files (ticked in the
//! composer's list; a document's "Send to client" opens the composer with its PDF, else its DOCX,
//! ticked and the `document_send` template filled). A file chosen from disk in the composer is
//! attached to the card at once (`POST {card}/reply/upload`, multipart, the same file store and
//! size limit as the card's Files block) and comes back ticked, with what was typed kept.
use super::*;

/// A file of the card the composer can attach to an e-mail.
pub struct FileOpt {
    pub id: i64,
    pub name: String,
    pub size: String,
    pub checked: bool,
}

/// One channel in the composer's select.
pub struct ChannelOpt {
    pub value: &'static str,
    pub label: String,
    /// Where it goes, or why it cannot be used (then the option is disabled).
    pub note: String,
    pub usable: bool,
}

/// A template in the composer's select: id and label.
pub struct TemplateOpt {
    pub id: String,
    pub label: String,
}

pub struct ReplyView {
    pub base: String,
    pub csrf: String,
    pub channels: Vec<ChannelOpt>,
    pub templates: Vec<TemplateOpt>,
    pub files: Vec<FileOpt>,
    pub channel: String,
    pub template_id: String,
    pub subject: String,
    pub text: String,
    pub error: Option<String>,
    /// The field the error is about: `text`, `subject`, `template_id`, `channel`, `file_ids` or `upload`.
    pub error_field: String,
    /// The largest file that may be attached, in MiB.
    pub max_mb: i64,
    /// A line confirming the file just attached from disk.
    pub notice: Option<String>,
}

impl ReplyView {
    pub fn bad(&self, field: &str) -> bool {
        self.error.is_some() && self.error_field == field
    }
    pub fn any_usable(&self) -> bool {
        self.channels.iter().any(|c| c.usable)
    }
}

#[derive(Template)]
#[template(path = "card_reply.html")]
pub(super) struct ReplyTpl {
    pub(super) t: T,
    pub(super) r: ReplyView,
}

#[derive(Deserialize, Default)]
pub(super) struct ReplyForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    template_id: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text: String,
    /// A generated document to send (its PDF, else its DOCX, ticked).
    #[serde(default)]
    document: String,
    /// `file_<id>` for each ticked file.
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

impl ReplyForm {
    fn file_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.rest.keys().filter_map(|k| k.strip_prefix("file_")?.parse().ok()).collect();
        ids.sort_unstable();
        ids
    }
}

fn channel_label(t: T, channel: &str) -> String {
    match channel {
        "email" => t.t("timeline.msg.email").to_string(),
        "telegram" => t.t("timeline.msg.telegram").to_string(),
        "whatsapp" => t.t("timeline.msg.whatsapp").to_string(),
        _ => "SMS".to_string(),
    }
}

async fn view(st: &AppState, ui: &Ui, entity: Entity, id: i64, form: ReplyForm) -> Result<ReplyView, StoreError> {
    let options = st.db.reply_options(&ui.actor, entity, id).await?;
    let templates = st.db.reply_templates(&ui.actor).await?;
    let ticked = form.file_ids();
    let channels: Vec<ChannelOpt> = options
        .channels
        .iter()
        .map(|c| ChannelOpt {
            value: c.channel,
            label: channel_label(ui.t, c.channel),
            note: match (&c.to, &c.unavailable) {
                (_, Some(why)) => crate::ui::messages::say(&ui.t, why),
                (Some(to), None) => to.clone(),
                (None, None) => String::new(),
            },
            usable: c.unavailable.is_none(),
        })
        .collect();
    let channel =
        if form.channel.is_empty() { channels.iter().find(|c| c.usable).map_or("email", |c| c.value).to_string() } else { form.channel };
    let subject = if form.subject.is_empty() { options.subject.unwrap_or_default() } else { form.subject };
    let files = match poryadok_store::files::RecordRef::new(entity, id) {
        Ok(record) => st.db.list_files(&ui.actor, record).await?,
        Err(_) => Vec::new(),
    };
    let files = files
        .into_iter()
        .map(|f| FileOpt { checked: ticked.contains(&f.id), size: crate::ui::files::size(ui.t, f.size), id: f.id, name: f.name })
        .collect();
    Ok(ReplyView {
        files,
        base: card_url(entity, id),
        csrf: ui.csrf.clone(),
        templates: templates
            .iter()
            .map(|tpl| TemplateOpt {
                id: tpl.id.to_string(),
                label: format!(
                    "{} · {}",
                    tpl.key,
                    if tpl.channel == "email" { channel_label(ui.t, "email") } else { ui.t.t("reply.template.text").to_string() }
                ),
            })
            .collect(),
        channels,
        channel,
        template_id: form.template_id,
        subject,
        text: form.text,
        error: None,
        error_field: String::new(),
        max_mb: st.files.max_mb(),
        notice: None,
    })
}

fn show(ui: &Ui, r: ReplyView) -> Response {
    render(&ReplyTpl { t: ui.t, r })
}

/// `GET {card}/reply`: the composer.
pub(super) async fn reply_form(st: State<AppState>, ui: Ui, Path(id): Path<i64>, entity: Entity) -> Response {
    match view(&st, &ui, entity, id, ReplyForm::default()).await {
        Ok(r) => show(&ui, r),
        Err(e) => store_error(&ui, e),
    }
}

/// `GET {card}/reply/fill?channel=…&template_id=…`: the composer with the template filled in
/// for the client, or the reason it cannot be (an empty placeholder, another channel's template).
pub(super) async fn reply_fill(
    st: State<AppState>,
    ui: Ui,
    Path(id): Path<i64>,
    Query(form): Query<ReplyForm>,
    entity: Entity,
) -> Response {
    let mut form = form;
    if let Ok(doc) = form.document.trim().parse::<i64>() {
        // "Send to client" on a document: by e-mail, with its file and the document template.
        match st.db.document(&ui.actor, doc).await {
            Ok(d) => {
                let file = if d.pdf_status == "done" { d.pdf_file_id.or(d.docx_file_id) } else { d.docx_file_id };
                if let Some(f) = file {
                    form.rest.insert(format!("file_{f}"), "on".into());
                }
            }
            Err(e) => return store_error(&ui, e),
        }
        form.channel = "email".into();
        if form.template_id.is_empty() {
            if let Ok(all) = st.db.reply_templates(&ui.actor).await {
                if let Some(t) = all.iter().find(|t| t.key == "document_send" && t.channel == "email") {
                    form.template_id = t.id.to_string();
                }
            }
        }
    }
    let template = form.template_id.trim().parse::<i64>().ok();
    let channel = form.channel.clone();
    let mut r = match view(&st, &ui, entity, id, form).await {
        Ok(r) => r,
        Err(e) => return store_error(&ui, e),
    };
    if let Some(tid) = template {
        match st.db.reply_template_text(&ui.actor, entity, id, &channel, tid).await {
            Ok((subject, text)) => {
                if let Some(s) = subject {
                    r.subject = s;
                }
                r.text = text;
            }
            Err(e) => match inline_error(&ui, &e) {
                Some((field, message)) => {
                    r.error = Some(message);
                    r.error_field = field;
                }
                None => return store_error(&ui, e),
            },
        }
    }
    show(&ui, r)
}

/// `POST {card}/reply`: sends; the timeline comes back with the message on it.
pub(super) async fn reply_send(st: State<AppState>, ui: Ui, Path(id): Path<i64>, Form(form): Form<ReplyForm>, entity: Entity) -> Response {
    let mut body = Map::new();
    body.insert("channel".into(), json!(form.channel));
    body.insert("text".into(), json!(form.text));
    if form.channel == "email" {
        body.insert("subject".into(), json!(form.subject));
    }
    let files = form.file_ids();
    if !files.is_empty() {
        body.insert("file_ids".into(), json!(files));
    }
    match st.db.send_reply(&ui.actor, entity, id, &Value::Object(body)).await {
        Ok(_) => {
            st.wake_worker();
            back_to(&ui, &card_url(entity, id)).unwrap_or(timeline_panel(&st, &ui, entity, id).await)
        }
        Err(e) => match inline_error(&ui, &e) {
            Some((field, message)) => {
                let mut r = match view(&st, &ui, entity, id, form).await {
                    Ok(r) => r,
                    Err(e) => return store_error(&ui, e),
                };
                r.error = Some(message);
                r.error_field = field;
                refused("#reply", &ReplyTpl { t: ui.t, r })
            }
            None => store_error(&ui, e),
        },
    }
}

/// `POST {card}/reply/upload` (multipart, htmx: the CSRF token in the header): attaches the
/// chosen file to the card through the file store (its size limit, its kinds), then answers the
/// composer with everything typed kept and the new file ticked.
pub(super) async fn reply_upload(
    st: State<AppState>,
    ui: Ui,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
    entity: Entity,
) -> Response {
    let mut form = ReplyForm::default();
    let attached = read_composer_upload(&st, &headers, body, &mut form).await;
    let attached = match attached {
        Ok((name, bytes)) => match poryadok_store::files::RecordRef::new(entity, id) {
            Ok(record) => {
                let new = poryadok_store::files::NewFile { name: &name, content_type: None, kind: None, bytes: &bytes };
                poryadok_store::files::attach(&st.db, &st.files, &ui.actor, record, new).await.map_err(|e| match e {
                    StoreError::NotFound => None,
                    e => Some(crate::ui::messages::refusal_line(&ui.t, &e).unwrap_or_else(|| ui.t.t("error.internal").to_string())),
                })
            }
            Err(e) => Err(crate::ui::messages::refusal_line(&ui.t, &e)),
        },
        Err(e) => Err(Some(crate::ui::messages::say_api_error(&ui.t, &e))),
    };
    if let Ok(f) = &attached {
        form.rest.insert(format!("file_{}", f.id), "on".into());
    }
    let mut r = match view(&st, &ui, entity, id, form).await {
        Ok(r) => r,
        Err(e) => return store_error(&ui, e),
    };
    match attached {
        Ok(f) => {
            r.notice = Some(ui.t.fmt("files.attached", [("name", f.name.as_str())].as_slice()));
            show(&ui, r)
        }
        Err(None) => store_error(&ui, StoreError::NotFound),
        Err(Some(message)) => {
            r.error = Some(message);
            r.error_field = "upload".into();
            refused("#reply", &ReplyTpl { t: ui.t, r })
        }
    }
}

/// Reads the composer's multipart body: the file (`file`: its name and bytes, within the file
/// store's limit) and the composer's other fields into `form`.
async fn read_composer_upload(
    st: &AppState,
    headers: &axum::http::HeaderMap,
    body: axum::body::Body,
    form: &mut ReplyForm,
) -> Result<(String, Vec<u8>), crate::error::ApiError> {
    use poryadok_core::msg::FileMsg;
    let too_large = || crate::api::files::too_large(&st.files);
    let limit = st.files.max_bytes as usize + 64 * 1024;
    let body = axum::body::to_bytes(body, limit).await.map_err(|_| too_large())?;
    let content_type = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let missing = || crate::error::ApiError::invalid("file", FileMsg::Missing {});
    let parts = crate::api::imports::multipart(content_type, &body).ok_or_else(missing)?;
    let mut file = None;
    for (name, filename, data) in parts {
        let text = || String::from_utf8_lossy(&data).into_owned();
        match name.as_str() {
            "file" if !data.is_empty() => file = Some((filename.unwrap_or_default(), data)),
            "file" | "csrf_token" => {}
            "channel" => form.channel = text(),
            "template_id" => form.template_id = text(),
            "subject" => form.subject = text(),
            "text" => form.text = text(),
            other => {
                form.rest.insert(other.to_string(), text());
            }
        }
    }
    let (name, bytes) = file.ok_or_else(missing)?;
    if bytes.len() as u64 > st.files.max_bytes {
        return Err(too_large());
    }
    Ok((name, bytes))
}
