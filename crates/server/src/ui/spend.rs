//! The spend page (`/marketing/spend?from=&to=&channel=&campaign=`): what advertising cost per
//! day, channel, campaign and keyword over a period — totals by channel, then the rows, the
//! latest day first — with a form that enters one day's spend or a period's total (spread evenly
//! over its days), a delete per row, the import of an ad cabinet's export with a preview of what
//! it writes, and the channel aliases editor.
//!
//! Heads of sales, administrators and analysts use it; everyone else is refused (403). The
//! marketing report (`/marketing`) is another page; each links to the other.
use super::format::Fmt;
use super::i18n::{Lang, T};
use super::{messages, render_status, OrUi, Ui, UiResult};
use crate::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use poryadok_core::spend::{day_key, may_read, may_write};
use poryadok_core::Msg;
use poryadok_store::invoices::import::parse_amount;
use poryadok_store::marketing::import::{Field, ImportOptions, SpendImportReport};
use poryadok_store::marketing::{SpendGroup, SpendQuery, SpendWrite};
use poryadok_store::StoreError;
use serde_json::{json, Map, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/marketing/spend", get(page).post(save))
        .route("/marketing/spend/{id}/delete", post(delete))
        .route("/marketing/spend/delete", post(delete_matching))
        .route("/marketing/spend/import", post(import).layer(DefaultBodyLimit::max(crate::api::spend::MAX_IMPORT_BYTES)))
        .route("/marketing/aliases", post(put_alias))
        .route("/marketing/aliases/{id}/delete", post(delete_alias))
        .route("/marketing/aliases/defaults", post(restore_aliases))
}

/// Rows of the table on one page.
const PAGE_ROWS: &str = "100";

/// An option of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// The period and narrowing the page shows.
#[derive(Clone, Default)]
pub struct Filter {
    pub from: String,
    pub to: String,
    pub channel: String,
    pub campaign: String,
    pub cursor: String,
}

impl Filter {
    /// The query string of the filter (without the cursor), for links and form actions.
    pub fn query(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [("from", &self.from), ("to", &self.to), ("channel", &self.channel), ("campaign", &self.campaign)] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.finish()
    }

    fn store_query(&self) -> SpendQuery {
        let some = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        SpendQuery {
            from: some(&self.from),
            to: some(&self.to),
            channel: some(&self.channel),
            campaign: some(&self.campaign),
            limit: Some(PAGE_ROWS.into()),
            cursor: some(&self.cursor),
            ..Default::default()
        }
    }
}

/// A channel's totals as the summary shows them.
pub struct TotalView {
    pub channel: String,
    pub amount: String,
    pub impressions: String,
    pub clicks: String,
    /// The average cost of a click; a dash without clicks.
    pub cpc: String,
    pub days: String,
    /// The link that narrows the rows to the channel.
    pub href: String,
}

pub struct RowView {
    pub id: i64,
    pub day: String,
    pub channel: String,
    pub medium: String,
    pub campaign: String,
    pub term: String,
    pub impressions: String,
    pub clicks: String,
    pub amount: String,
    pub confirm: String,
}

/// What the add form was sent with (kept after a refusal), and the refusals by field.
#[derive(Default)]
pub struct AddForm {
    pub from: String,
    pub to: String,
    pub channel: String,
    pub medium: String,
    pub campaign: String,
    pub term: String,
    pub amount: String,
    pub impressions: String,
    pub clicks: String,
    pub errors: Vec<(String, String)>,
}

impl AddForm {
    pub fn error(&self, field: &str) -> String {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.clone()).unwrap_or_default()
    }
    /// Refusals that name no field of the form.
    pub fn other_errors(&self) -> Vec<String> {
        const OWN: [&str; 9] = ["from", "to", "channel", "medium", "campaign", "term", "amount", "impressions", "clicks"];
        self.errors.iter().filter(|(f, _)| !OWN.contains(&f.as_str())).map(|(_, m)| m.clone()).collect()
    }
}

/// An input of the add form.
pub struct FieldView {
    pub name: &'static str,
    pub kind: &'static str,
    pub label: String,
    pub value: String,
    pub error: String,
    pub required: bool,
    pub numeric: bool,
}

impl AddForm {
    fn fields(&self, t: &T, currency: &str) -> Vec<FieldView> {
        [
            ("from", "date", &self.from),
            ("to", "date", &self.to),
            ("channel", "text", &self.channel),
            ("campaign", "text", &self.campaign),
            ("term", "text", &self.term),
            ("medium", "text", &self.medium),
            ("amount", "text", &self.amount),
            ("impressions", "text", &self.impressions),
            ("clicks", "text", &self.clicks),
        ]
        .into_iter()
        .map(|(name, kind, value)| FieldView {
            name,
            kind,
            label: if name == "amount" {
                format!("{}, {currency}", t.t("spend.add.amount"))
            } else {
                t.t(&format!("spend.add.{name}")).to_string()
            },
            value: value.clone(),
            error: self.error(name),
            required: matches!(name, "from" | "channel" | "amount"),
            numeric: matches!(name, "amount" | "impressions" | "clicks"),
        })
        .collect()
    }
}

pub struct SpendView {
    pub f: Filter,
    /// The add form's inputs.
    pub fields: Vec<FieldView>,
    pub query: String,
    pub channels: Vec<Choice>,
    pub totals: Vec<TotalView>,
    pub total: Option<TotalView>,
    pub rows: Vec<RowView>,
    pub next_href: String,
    pub first_href: String,
    /// The confirmation of removing every row the filter shows (empty when there are none).
    pub delete_all: String,
    pub filter_error: String,
    pub saved: String,
    pub form: AddForm,
    pub editable: bool,
    pub csrf: String,
    pub currency: String,
    /// Rendered into another response, to replace the page's body (htmx out of band).
    pub oob: bool,
}

pub struct AliasView {
    pub id: i64,
    pub alias: String,
    pub channel: String,
    pub confirm: String,
}

pub struct AliasesView {
    pub aliases: Vec<AliasView>,
    pub alias: String,
    pub channel: String,
    pub error: String,
    pub saved: String,
    pub editable: bool,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "spend.html")]
struct SpendPage {
    ctx: super::Ctx,
    t: T,
    v: SpendView,
    a: AliasesView,
    mapping: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "spend_body.html")]
struct SpendBody {
    t: T,
    v: SpendView,
}

#[derive(Template)]
#[template(path = "spend_aliases.html")]
struct AliasesBody {
    t: T,
    a: AliasesView,
}

pub struct ImportLineView {
    pub line: u64,
    pub day: String,
    pub channel: String,
    pub campaign: String,
    pub term: String,
    pub impressions: String,
    pub clicks: String,
    pub amount: String,
    pub action: &'static str,
    pub action_text: String,
}

pub struct ImportErrorView {
    pub line: u64,
    pub column: String,
    pub message: String,
}

pub struct ImportView {
    pub dry_run: bool,
    pub applied: bool,
    pub summary: String,
    /// The sheets of a workbook read, joined.
    pub sheets: String,
    pub columns: String,
    pub lines: Vec<ImportLineView>,
    pub more: String,
    pub errors: Vec<ImportErrorView>,
    /// A refusal of the whole file.
    pub failure: String,
}

#[derive(Template)]
#[template(path = "spend_import.html")]
struct ImportResult {
    t: T,
    r: ImportView,
    body: Option<SpendView>,
}

fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn get_of<'a>(pairs: &'a [(String, String)], k: &str) -> &'a str {
    pairs.iter().find(|(key, _)| key == k).map_or("", |(_, v)| v.as_str())
}

/// The filter a request asks for: the last 30 days by default.
fn filter_of(ui: &Ui, st: &AppState, raw: Option<&str>) -> Filter {
    let p = pairs(raw.unwrap_or("").as_bytes());
    let today = poryadok_core::zone::local(&ui.actor.ws.timezone, st.db.clock.now_ms()).date();
    let month_ago = today.checked_sub(time::Duration::days(29)).unwrap_or(today);
    let given = |k: &str| get_of(&p, k).trim().to_string();
    let or = |v: String, d: String| if p.iter().any(|(k, _)| k == "from" || k == "to") { v } else { d };
    Filter {
        from: or(given("from"), day_key(month_ago)),
        to: or(given("to"), day_key(today)),
        channel: given("channel"),
        campaign: given("campaign"),
        cursor: given("cursor"),
    }
}

fn count(fmt: &Fmt, n: Option<i64>) -> String {
    n.map(|n| fmt.count(n)).unwrap_or_else(|| "—".into())
}

/// The page's body for `f`: a filter that does not read is explained and shown unfiltered.
async fn body(st: &AppState, ui: &Ui, f: Filter, form: AddForm) -> Result<SpendView, StoreError> {
    let (t, fmt, cur) = (&ui.t, ui.fmt(), ui.actor.ws.currency.clone());
    let mut filter_error = String::new();
    let mut q = f.store_query();
    let check = SpendQuery::from_pairs(
        [("from", f.from.as_str()), ("to", f.to.as_str()), ("channel", f.channel.as_str()), ("campaign", f.campaign.as_str())],
        &[],
    );
    if let Err(e) = check {
        filter_error = messages::refusal_line(t, &e).unwrap_or_default();
        q = SpendQuery { limit: Some(PAGE_ROWS.into()), ..Default::default() };
    }
    let (page, totals) = match st.db.spend(&ui.actor, &q).await {
        Ok(page) => {
            (page, st.db.spend_totals(&ui.actor, &SpendQuery { limit: None, cursor: None, ..q.clone() }, SpendGroup::Channel).await?)
        }
        // A cursor from another filter: the first page.
        Err(StoreError::Validation(e)) if e.field == "cursor" => {
            q.cursor = None;
            (
                st.db.spend(&ui.actor, &q).await?,
                st.db.spend_totals(&ui.actor, &SpendQuery { limit: None, ..q.clone() }, SpendGroup::Channel).await?,
            )
        }
        Err(e) => return Err(e),
    };
    let query = f.query();
    let with =
        |extra: &str| if query.is_empty() { format!("/marketing/spend?{extra}") } else { format!("/marketing/spend?{query}&{extra}") };
    let total_view = |channel: String, amount: i64, impressions: Option<i64>, clicks: Option<i64>, days: i64, href: String| TotalView {
        channel,
        amount: fmt.money(amount, &cur),
        impressions: count(&fmt, impressions),
        clicks: count(&fmt, clicks),
        cpc: clicks.filter(|c| *c > 0).map(|c| fmt.money((amount as f64 / c as f64).round() as i64, &cur)).unwrap_or_else(|| "—".into()),
        days: fmt.count(days),
        href,
    };
    let mut sum = (0i64, None::<i64>, None::<i64>, 0i64);
    let add = |a: Option<i64>, b: Option<i64>| match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    };
    let totals_view: Vec<TotalView> = totals
        .iter()
        .map(|r| {
            sum = (sum.0 + r.amount, add(sum.1, r.impressions), add(sum.2, r.clicks), sum.3 + r.rows);
            let mut narrowed = Filter { channel: r.channel.clone(), cursor: String::new(), ..f.clone() };
            narrowed.campaign.clear();
            total_view(r.channel.clone(), r.amount, r.impressions, r.clicks, r.rows, format!("/marketing/spend?{}", narrowed.query()))
        })
        .collect();
    let total = (totals_view.len() > 1).then(|| total_view(t.t("spend.total").to_string(), sum.0, sum.1, sum.2, sum.3, String::new()));
    let delete_all = if sum.3 > 0 && filter_error.is_empty() && !f.from.is_empty() && !f.to.is_empty() {
        let period = format!("{} — {}", fmt.date_str(&f.from), fmt.date_str(&f.to));
        let what = [f.channel.as_str(), f.campaign.as_str()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", ");
        let what = if what.is_empty() { t.t("spend.all_channels").to_string() } else { what };
        t.fmt(
            "spend.delete_all_confirm",
            &[
                ("n", sum.3.to_string().as_str()),
                ("period", period.as_str()),
                ("what", what.as_str()),
                ("amount", fmt.money(sum.0, &cur).as_str()),
            ],
        )
    } else {
        String::new()
    };
    let mut channels: Vec<Choice> =
        st.db.spend_channels(&ui.actor).await?.into_iter().map(|c| Choice { label: c.clone(), value: c }).collect();
    if !f.channel.is_empty() && !channels.iter().any(|c| c.value == f.channel) {
        channels.push(Choice { value: f.channel.clone(), label: f.channel.clone() });
    }
    let rows = page
        .data
        .iter()
        .map(|r| RowView {
            id: r.id,
            day: fmt.date_str(&r.day),
            channel: r.channel.clone(),
            medium: r.medium.clone(),
            campaign: r.campaign.clone(),
            term: r.term.clone(),
            impressions: count(&fmt, r.impressions),
            clicks: count(&fmt, r.clicks),
            amount: fmt.money(r.amount, &cur),
            confirm: t.fmt(
                "spend.delete_confirm",
                &[("day", fmt.date_str(&r.day).as_str()), ("channel", r.channel.as_str()), ("amount", fmt.money(r.amount, &cur).as_str())],
            ),
        })
        .collect();
    Ok(SpendView {
        next_href: page.next_cursor.map(|c| with(&format!("cursor={c}"))).unwrap_or_default(),
        first_href: if f.cursor.is_empty() { String::new() } else { format!("/marketing/spend?{query}") },
        query,
        delete_all,
        f,
        channels,
        totals: totals_view,
        total,
        rows,
        filter_error,
        saved: String::new(),
        fields: form.fields(t, &cur),
        form,
        editable: may_write(ui.actor.caller.role),
        csrf: ui.csrf.clone(),
        currency: cur,
        oob: false,
    })
}

async fn aliases(st: &AppState, ui: &Ui) -> Result<AliasesView, StoreError> {
    let list = st.db.channel_aliases(&ui.actor).await?;
    Ok(AliasesView {
        aliases: list
            .into_iter()
            .map(|a| AliasView {
                confirm: ui.t.fmt("spend.aliases.delete_confirm", &[("alias", a.alias.as_str())]),
                id: a.id,
                alias: a.alias,
                channel: a.channel,
            })
            .collect(),
        alias: String::new(),
        channel: String::new(),
        error: String::new(),
        saved: String::new(),
        editable: may_write(ui.actor.caller.role),
        csrf: ui.csrf.clone(),
    })
}

fn mapping_fields(t: &T) -> Vec<Choice> {
    [Field::Date, Field::Campaign, Field::Term, Field::Impressions, Field::Clicks, Field::Amount, Field::Channel]
        .into_iter()
        .map(|f| Choice { value: f.key().to_string(), label: t.t(&format!("spend.col.{}", f.key())).to_string() })
        .collect()
}

fn guard(ui: &Ui) -> Result<(), super::UiError> {
    if may_read(ui.actor.caller.role) {
        Ok(())
    } else {
        Err(ui.forbidden())
    }
}

/// `GET /marketing/spend?from=&to=&channel=&campaign=&cursor=`
async fn page(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> UiResult {
    guard(&ui)?;
    let f = filter_of(&ui, &st, q.as_deref());
    let v = body(&st, &ui, f, AddForm::default()).await.or_ui(&ui)?;
    respond(&st, &ui, StatusCode::OK, v).await
}

async fn respond(st: &AppState, ui: &Ui, status: StatusCode, v: SpendView) -> UiResult {
    if ui.htmx {
        return Ok(render_status(status, &SpendBody { t: ui.t, v }));
    }
    let a = aliases(st, ui).await.or_ui(ui)?;
    let title = ui.t.t("spend.title").to_string();
    Ok(render_status(status, &SpendPage { ctx: ui.ctx("marketing", title), t: ui.t, v, a, mapping: mapping_fields(&ui.t) }))
}

/// An amount typed in currency units as minor units; an English reader's commas group thousands.
fn amount_of(lang: Lang, raw: &str) -> Result<i64, Msg> {
    let s = raw.trim();
    let s = if lang == Lang::En { s.replace(',', "") } else { s.to_string() };
    parse_amount(&s).map_err(|m| if s.trim_start().starts_with('-') { poryadok_core::msg::SpendMsg::AmountNegative {}.into() } else { m })
}

fn count_of(raw: &str) -> Result<Option<i64>, Msg> {
    let digits: String = raw.chars().filter(|c| !c.is_whitespace() && !matches!(c, '\u{a0}' | ',')).collect();
    if digits.is_empty() {
        return Ok(None);
    }
    digits.parse::<i64>().ok().filter(|n| *n >= 0).map(Some).ok_or_else(|| poryadok_core::msg::SpendMsg::CountShape {}.into())
}

/// `POST /marketing/spend?<filter>` (a form: from, to?, channel, medium, campaign, term, amount in
/// currency units, impressions, clicks): one day's row, or with `to` a period's total spread over
/// its days; the body again with a confirmation, or 422 with the refusals at their fields.
async fn save(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery, body_bytes: Bytes) -> UiResult {
    guard(&ui)?;
    if !may_write(ui.actor.caller.role) {
        return Err(ui.forbidden());
    }
    let f = filter_of(&ui, &st, q.as_deref());
    let p = pairs(&body_bytes);
    let g = |k: &str| get_of(&p, k).trim().to_string();
    let mut form = AddForm {
        from: g("from"),
        to: g("to"),
        channel: g("channel"),
        medium: g("medium"),
        campaign: g("campaign"),
        term: g("term"),
        amount: g("amount"),
        impressions: g("impressions"),
        clicks: g("clicks"),
        errors: Vec::new(),
    };
    let mut b = Map::new();
    for (k, v) in [("channel", &form.channel), ("medium", &form.medium), ("campaign", &form.campaign), ("term", &form.term)] {
        b.insert(k.into(), json!(v));
    }
    let to = if form.to.is_empty() || form.to == form.from { None } else { Some(form.to.clone()) };
    match to {
        None => b.insert("day".into(), json!(form.from)),
        Some(to) => {
            b.insert("from".into(), json!(form.from));
            b.insert("to".into(), json!(to))
        }
    };
    if form.from.is_empty() {
        form.errors.push(("from".into(), messages::say(&ui.t, &poryadok_core::msg::Common::Required {}.into())));
    }
    if form.amount.is_empty() {
        form.errors.push(("amount".into(), messages::say(&ui.t, &poryadok_core::msg::Common::Required {}.into())));
    } else {
        match amount_of(ui.t.lang, &form.amount) {
            Ok(a) => {
                b.insert("amount".into(), json!(a));
            }
            Err(m) => form.errors.push(("amount".into(), messages::say(&ui.t, &m))),
        }
    }
    for k in ["impressions", "clicks"] {
        match count_of(&g(k)) {
            Ok(n) => {
                b.insert(k.into(), json!(n));
            }
            Err(m) => form.errors.push((k.into(), messages::say(&ui.t, &m))),
        }
    }
    if !form.errors.is_empty() {
        let v = body(&st, &ui, f, form).await.or_ui(&ui)?;
        return respond(&st, &ui, StatusCode::UNPROCESSABLE_ENTITY, v).await;
    }
    match st.db.save_spend(&ui.actor, &Value::Object(b)).await {
        Ok(w) => {
            let mut v = body(&st, &ui, f, AddForm { channel: form.channel, medium: form.medium, ..Default::default() }).await.or_ui(&ui)?;
            v.saved = saved_text(&ui, &w);
            respond(&st, &ui, StatusCode::OK, v).await
        }
        Err(e @ StoreError::Validation(_)) => {
            let (field, text) = messages::field_error(&ui.t, &e).unwrap_or_default();
            // A day's refusal reads at the date the form has.
            let field = if field == "day" { "from".to_string() } else { field };
            form.errors.push((field, text));
            let v = body(&st, &ui, f, form).await.or_ui(&ui)?;
            respond(&st, &ui, StatusCode::UNPROCESSABLE_ENTITY, v).await
        }
        Err(e) => Err(ui.fail(e)),
    }
}

fn saved_text(ui: &Ui, w: &SpendWrite) -> String {
    let fmt = ui.fmt();
    let amount = fmt.money(w.rows.iter().map(|r| r.amount).sum(), &ui.actor.ws.currency);
    let days = w.rows.len().to_string();
    if w.rows.len() > 1 {
        ui.t.fmt(
            "spend.saved_period",
            &[
                ("amount", amount.as_str()),
                ("days", days.as_str()),
                ("created", w.created.to_string().as_str()),
                ("updated", w.updated.to_string().as_str()),
            ],
        )
    } else if w.created > 0 {
        ui.t.fmt("spend.saved_created", &[("amount", amount.as_str())])
    } else {
        ui.t.fmt("spend.saved_replaced", &[("amount", amount.as_str())])
    }
}

/// `POST /marketing/spend/{id}/delete?<filter>`
async fn delete(State(st): State<AppState>, ui: Ui, Path(id): Path<String>, RawQuery(q): RawQuery) -> UiResult {
    guard(&ui)?;
    let id = id.parse::<i64>().map_err(|_| ui.fail(StoreError::NotFound))?;
    st.db.delete_spend(&ui.actor, id).await.or_ui(&ui)?;
    let f = filter_of(&ui, &st, q.as_deref());
    let mut v = body(&st, &ui, Filter { cursor: String::new(), ..f }, AddForm::default()).await.or_ui(&ui)?;
    v.saved = ui.t.t("spend.deleted").to_string();
    respond(&st, &ui, StatusCode::OK, v).await
}

/// `POST /marketing/spend/delete?<filter>`: every row the filter shows (a period is required).
async fn delete_matching(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> UiResult {
    guard(&ui)?;
    let f = filter_of(&ui, &st, q.as_deref());
    let sq = SpendQuery { limit: None, cursor: None, ..f.store_query() };
    let n = st.db.delete_spend_matching(&ui.actor, &sq).await.or_ui(&ui)?;
    let mut v = body(&st, &ui, Filter { cursor: String::new(), ..f }, AddForm::default()).await.or_ui(&ui)?;
    v.saved = ui.t.fmt("spend.deleted_many", &[("n", n.to_string().as_str())]);
    respond(&st, &ui, StatusCode::OK, v).await
}

fn import_view(ui: &Ui, r: &SpendImportReport) -> ImportView {
    let (t, fmt, cur) = (&ui.t, ui.fmt(), &ui.actor.ws.currency);
    let lines = r
        .lines
        .iter()
        .map(|l| ImportLineView {
            line: l.line,
            day: fmt.date_str(&l.spend.day),
            channel: l.spend.channel.clone(),
            campaign: l.spend.campaign.clone(),
            term: l.spend.term.clone(),
            impressions: count(&fmt, l.spend.impressions),
            clicks: count(&fmt, l.spend.clicks),
            amount: fmt.money(l.spend.amount, cur),
            action: l.action.as_str(),
            action_text: t.t(&format!("spend.import.{}", l.action.as_str())).to_string(),
        })
        .collect();
    let errors = r
        .errors
        .iter()
        .map(|e| ImportErrorView { line: e.line, column: e.column.clone(), message: messages::say(t, &e.message) })
        .collect();
    let key = match (r.dry_run, r.applied, r.errors.is_empty()) {
        (_, _, false) if !r.dry_run => "spend.import.refused_summary",
        (true, _, _) => "spend.import.preview_summary",
        _ => "spend.import.done_summary",
    };
    let period = match (&r.first_day, &r.last_day) {
        (Some(a), Some(b)) if a == b => fmt.date_str(a),
        (Some(a), Some(b)) => format!("{} — {}", fmt.date_str(a), fmt.date_str(b)),
        _ => "—".into(),
    };
    let shape = t.t(&format!("spend.import.shape.{}", r.shape.as_str())).to_string();
    let summary = t.fmt(
        key,
        &[
            ("rows", r.rows.to_string().as_str()),
            ("created", r.created.to_string().as_str()),
            ("updated", r.updated.to_string().as_str()),
            ("unchanged", r.unchanged.to_string().as_str()),
            ("errors", r.errors.len().to_string().as_str()),
            ("amount", fmt.money(r.amount, cur).as_str()),
            ("period", period.as_str()),
            ("shape", shape.as_str()),
            ("channel", r.channel.as_deref().unwrap_or("—")),
        ],
    );
    let columns =
        r.columns.iter().map(|(f, h)| format!("{} ← «{h}»", t.t(&format!("spend.col.{}", f.key())))).collect::<Vec<_>>().join(", ");
    let more = if r.lines_total > r.lines.len() as u64 {
        t.fmt("spend.import.more", &[("n", (r.lines_total - r.lines.len() as u64).to_string().as_str())])
    } else {
        String::new()
    };
    let sheets = r.sheets.iter().map(|s| format!("«{s}»")).collect::<Vec<_>>().join(", ");
    ImportView { dry_run: r.dry_run, applied: r.applied, summary, sheets, columns, lines, more, errors, failure: String::new() }
}

/// `POST /marketing/spend/import[?dry_run=1]` (multipart: file, channel, medium, sheet, map.<field>):
/// what the file would write (a dry run) or wrote, as a fragment; an applied import also brings
/// the page's body up to date.
async fn import(State(st): State<AppState>, ui: Ui, headers: HeaderMap, RawQuery(q): RawQuery, body_bytes: Bytes) -> Response {
    let fail = |status: StatusCode, failure: String| {
        let r = ImportView {
            dry_run: true,
            applied: false,
            summary: String::new(),
            sheets: String::new(),
            columns: String::new(),
            lines: Vec::new(),
            more: String::new(),
            errors: Vec::new(),
            failure,
        };
        render_status(status, &ImportResult { t: ui.t, r, body: None })
    };
    if !may_write(ui.actor.caller.role) {
        return fail(StatusCode::FORBIDDEN, messages::say(&ui.t, &poryadok_core::msg::SpendMsg::WritersOnly {}.into()));
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let Some(parts) = super::invoices::multipart_parts(content_type, &body_bytes) else {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, ui.t.t("spend.import.no_file").to_string());
    };
    let file = parts.iter().find(|(n, _)| n == "file").map(|(_, d)| d.as_slice()).unwrap_or_default();
    if file.is_empty() {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, ui.t.t("spend.import.no_file").to_string());
    }
    let mut options: Vec<(String, String)> = parts
        .iter()
        .filter(|(n, _)| n == "channel" || n == "medium" || n == "sheet" || n.starts_with("map."))
        .map(|(n, d)| (n.clone(), String::from_utf8_lossy(d).trim().to_string()))
        .collect();
    let dry_run = pairs(q.as_deref().unwrap_or("").as_bytes()).iter().any(|(k, v)| k == "dry_run" && matches!(v.as_str(), "1" | "true"));
    options.push(("dry_run".into(), if dry_run { "true" } else { "false" }.into()));
    let opts = match ImportOptions::from_pairs(options.iter().map(|(k, v)| (k.as_str(), v.as_str())), &[]) {
        Ok(o) => o,
        Err(e) => return fail(StatusCode::UNPROCESSABLE_ENTITY, messages::refusal_line(&ui.t, &e).unwrap_or_default()),
    };
    let filter = filter_of(&ui, &st, q.as_deref());
    match st.db.import_spend(&ui.actor, file, None, &opts, &mut |_, _| {}).await {
        Ok(report) => {
            let r = import_view(&ui, &report);
            let status = if !dry_run && !report.errors.is_empty() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            let body = if report.applied {
                body(&st, &ui, Filter { cursor: String::new(), ..filter }, AddForm::default())
                    .await
                    .ok()
                    .map(|b| SpendView { oob: true, ..b })
            } else {
                None
            };
            render_status(status, &ImportResult { t: ui.t, r, body })
        }
        Err(e) => match messages::refusal_line(&ui.t, &e) {
            Some(line) => fail(StatusCode::UNPROCESSABLE_ENTITY, line),
            None => ui.fail(e).into_response(),
        },
    }
}

async fn aliases_respond(st: &AppState, ui: &Ui, status: StatusCode, edit: impl FnOnce(&mut AliasesView)) -> UiResult {
    let mut a = aliases(st, ui).await.or_ui(ui)?;
    edit(&mut a);
    if ui.htmx {
        return Ok(render_status(status, &AliasesBody { t: ui.t, a }));
    }
    let f = filter_of(ui, st, None);
    let v = body(st, ui, f, AddForm::default()).await.or_ui(ui)?;
    let title = ui.t.t("spend.title").to_string();
    Ok(render_status(status, &SpendPage { ctx: ui.ctx("marketing", title), t: ui.t, v, a, mapping: mapping_fields(&ui.t) }))
}

/// `POST /marketing/aliases` (a form: alias, channel): the aliases again, confirmed or refused.
async fn put_alias(State(st): State<AppState>, ui: Ui, body_bytes: Bytes) -> UiResult {
    guard(&ui)?;
    let p = pairs(&body_bytes);
    let (alias, channel) = (get_of(&p, "alias").to_string(), get_of(&p, "channel").to_string());
    match st.db.put_channel_alias(&ui.actor, &json!({"alias": alias, "channel": channel})).await {
        Ok((a, _)) => {
            let saved = ui.t.fmt("spend.aliases.saved", &[("alias", a.alias.as_str()), ("channel", a.channel.as_str())]);
            aliases_respond(&st, &ui, StatusCode::OK, |v| v.saved = saved).await
        }
        Err(e @ (StoreError::Validation(_) | StoreError::Conflict { .. })) => {
            let line = messages::refusal_line(&ui.t, &e).unwrap_or_default();
            aliases_respond(&st, &ui, StatusCode::UNPROCESSABLE_ENTITY, |v| {
                v.error = line;
                v.alias = alias;
                v.channel = channel;
            })
            .await
        }
        Err(e) => Err(ui.fail(e)),
    }
}

/// `POST /marketing/aliases/{id}/delete`
async fn delete_alias(State(st): State<AppState>, ui: Ui, Path(id): Path<String>) -> UiResult {
    guard(&ui)?;
    let id = id.parse::<i64>().map_err(|_| ui.fail(StoreError::NotFound))?;
    st.db.delete_channel_alias(&ui.actor, id).await.or_ui(&ui)?;
    let saved = ui.t.t("spend.aliases.deleted").to_string();
    aliases_respond(&st, &ui, StatusCode::OK, |v| v.saved = saved).await
}

/// `POST /marketing/aliases/defaults`
async fn restore_aliases(State(st): State<AppState>, ui: Ui) -> UiResult {
    guard(&ui)?;
    let n = st.db.restore_default_aliases(&ui.actor).await.or_ui(&ui)?;
    let saved = ui.t.fmt("spend.aliases.restored", &[("n", n.to_string().as_str())]);
    aliases_respond(&st, &ui, StatusCode::OK, |v| v.saved = saved).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_counts_read_in_the_reader_language() {
        assert_eq!(amount_of(Lang::Ru, "12 000,50"), Ok(1_200_050));
        assert_eq!(amount_of(Lang::En, "12,000.5"), Ok(1_200_050));
        assert_eq!(amount_of(Lang::Ru, "-3").unwrap_err().code(), "spend_amount_negative");
        assert!(amount_of(Lang::Ru, "много").is_err());
        assert_eq!(count_of(" 1 200 "), Ok(Some(1200)));
        assert_eq!(count_of(""), Ok(None));
        assert!(count_of("-1").is_err());
        let f = Filter { from: "2026-11-01".into(), to: "2026-11-30".into(), channel: "яндекс".into(), ..Default::default() };
        assert_eq!(f.query(), "from=2026-11-01&to=2026-11-30&channel=%D1%8F%D0%BD%D0%B4%D0%B5%D0%BA%D1%81");
    }
}
