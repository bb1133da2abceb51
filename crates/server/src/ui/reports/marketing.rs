//! The marketing page (`/marketing`): end-to-end analytics with its own form — the period, the
//! grouping, the attribution model, the basis and what counts as revenue, the pipeline, team,
//! manager and filter — a chart of revenue against spend, and a table sortable by any column
//! whose channel leads to its campaigns, a campaign to its keywords, and every count of leads,
//! deals and sales to the deals list narrowed to exactly those deals (the filter language's
//! `first_touch.`, `last_touch.` and `last_non_direct_touch.` fields). The same report as CSV or
//! XLSX.
use super::{deals_href_in, enc, pct, quoted, Bar};
use crate::report::marketing::{MarketingData, COLUMNS};
use crate::report::{self as r, Format};
use crate::ui::card::Opt;
use crate::ui::i18n::T;
use crate::ui::{render_status, OrUi, Ui, UiResult};
use crate::AppState;
use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use poryadok_core::attribution::{Figures, Model};
use poryadok_core::schema::Entity;
use poryadok_store::report::marketing::{Basis, GroupBy, MarketingRow, Revenue, SortKey};
use poryadok_store::{ListQuery, StoreError};

/// At most this many rows get a bar; the table lists them all.
const BARS: usize = 12;

/// The form's values as given, and what its selects offer.
pub struct MarketingForm {
    pub from: String,
    pub to: String,
    pub group_by: String,
    pub attribution: String,
    pub basis: String,
    pub revenue: String,
    pub pipeline: String,
    pub team: String,
    pub owner: String,
    pub filter: String,
    pub channel: String,
    pub campaign: String,
    pub sort: String,
    pub groups: Vec<Opt>,
    pub models: Vec<Opt>,
    pub bases: Vec<Opt>,
    pub revenues: Vec<Opt>,
    pub pipelines: Vec<Opt>,
    pub teams: Vec<Opt>,
    pub owners: Vec<Opt>,
    pub error: Option<(String, String)>,
    /// The current query without the format, for the export links.
    pub query: String,
    /// Whether the reader may open the spend page.
    pub spend_link: bool,
}

impl MarketingForm {
    pub fn invalid(&self, field: &str) -> bool {
        self.error.as_ref().is_some_and(|(f, _)| f == field)
    }
}

/// A column head: its text, the link that sorts by it, and whether it is the sorted one.
pub struct Head {
    pub label: String,
    pub href: String,
    /// `ascending`, `descending` or empty.
    pub sorted: &'static str,
}

/// A cell of the table: its text and where it leads (empty: nowhere).
pub struct MCell {
    pub text: String,
    pub href: String,
}

pub struct MRow {
    /// The name columns (channel; campaign; keyword), each maybe a drill-down link.
    pub names: Vec<MCell>,
    pub cells: Vec<MCell>,
    pub total: bool,
}

pub struct MarketingView {
    pub title: String,
    pub hint: String,
    pub period: String,
    pub empty: bool,
    /// Where the drill-down is: (label, href; empty for the current level).
    pub crumbs: Vec<(String, String)>,
    pub bars: Vec<Bar>,
    pub chart: String,
    pub note: String,
    /// The name columns' heads, then the figures'.
    pub name_heads: Vec<Head>,
    pub heads: Vec<Head>,
    pub rows: Vec<MRow>,
    /// Said when the reader does not see spend.
    pub spend_hidden: bool,
}

#[derive(Template)]
#[template(path = "marketing.html")]
struct Page {
    ctx: crate::ui::Ctx,
    t: T,
    f: MarketingForm,
    v: Option<MarketingView>,
}

#[derive(Template)]
#[template(path = "marketing_body.html")]
struct Body {
    t: T,
    f: MarketingForm,
    v: Option<MarketingView>,
}

pub(super) async fn page(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> UiResult {
    let pairs = r::pairs(q.as_deref());
    let mut f = form(&st, &ui, &pairs).await.or_ui(&ui)?;
    let (status, v) = match r::params(&st.db, &ui.actor, "marketing", &pairs).await {
        Ok(params) if params.format != Format::Json => return super::export(&st, &ui, params).await,
        Ok(params) => {
            f.from = params.period.from_date.clone();
            f.to = params.period.to_date.clone();
            let data = match r::run(&st.db.reader(), &ui.actor, params, &ui.t).await.or_ui(&ui)? {
                r::Data::Marketing(d) => d,
                _ => return Err(ui.fail(StoreError::NotFound)),
            };
            (StatusCode::OK, Some(view(&ui, &f, &data)))
        }
        Err(e) => match crate::ui::field_error(&ui.t, &e) {
            Some(err) => {
                f.error = Some(err);
                (StatusCode::UNPROCESSABLE_ENTITY, None)
            }
            None => return Err(ui.fail(e)),
        },
    };
    if ui.htmx {
        return Ok(render_status(status, &Body { t: ui.t, f, v }));
    }
    let title = ui.t.t("analytics.title").to_string();
    Ok(render_status(status, &Page { ctx: ui.ctx("marketing", title), t: ui.t, f, v }))
}

async fn form(st: &AppState, ui: &Ui, pairs: &[(String, String)]) -> Result<MarketingForm, StoreError> {
    let t = &ui.t;
    let get = |k: &str| pairs.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let opts = |rows: Vec<poryadok_store::Row>| {
        rows.iter().map(|r| Opt { value: r.id().to_string(), label: r.get("name").as_text().unwrap_or("").to_string() }).collect()
    };
    let by = |sort: &str| ListQuery { limit: Some("500".into()), sort: Some(sort.into()), ..ListQuery::default() };
    let opt = |value: &str, key: String| Opt { value: value.to_string(), label: t.t(&key).to_string() };
    let or = |v: String, d: &str| if v.is_empty() { d.to_string() } else { v };
    let defaults = crate::report::MarketingParams::default();
    Ok(MarketingForm {
        from: get("from"),
        to: get("to"),
        group_by: or(get("group_by"), defaults.group_by.as_str()),
        attribution: or(get("attribution"), defaults.model.as_str()),
        basis: or(get("basis"), defaults.basis.as_str()),
        revenue: or(get("revenue"), defaults.revenue.as_str()),
        pipeline: get("pipeline_id"),
        team: get("team_id"),
        owner: get("owner_id"),
        filter: get("filter"),
        channel: get("channel"),
        campaign: get("campaign"),
        sort: get("sort"),
        groups: GroupBy::ALL.iter().map(|g| opt(g.as_str(), format!("analytics.group_by.{}", g.as_str()))).collect(),
        models: Model::ALL.iter().map(|m| opt(m.as_str(), format!("analytics.attribution.{}", m.as_str()))).collect(),
        bases: Basis::ALL.iter().map(|b| opt(b.as_str(), format!("analytics.basis.{}", b.as_str()))).collect(),
        revenues: Revenue::ALL.iter().map(|x| opt(x.as_str(), format!("analytics.revenue.{}", x.as_str()))).collect(),
        pipelines: opts(st.db.list(&ui.actor, Entity::Pipeline, &by("position")).await?.data),
        teams: opts(st.db.list(&ui.actor, Entity::Team, &by("name")).await?.data),
        owners: opts(st.db.list(&ui.actor, Entity::User, &by("name")).await?.data),
        error: None,
        query: pairs.iter().filter(|(k, _)| k != "format").map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&"),
        spend_link: poryadok_core::spend::may_read(ui.actor.caller.role),
    })
}

/// The page's address with the current query, `set` replacing (or, with an empty value,
/// dropping) parameters.
fn href(f: &MarketingForm, set: &[(&str, &str)]) -> String {
    let given = [
        ("from", &f.from),
        ("to", &f.to),
        ("group_by", &f.group_by),
        ("attribution", &f.attribution),
        ("basis", &f.basis),
        ("revenue", &f.revenue),
        ("pipeline_id", &f.pipeline),
        ("team_id", &f.team),
        ("owner_id", &f.owner),
        ("filter", &f.filter),
        ("channel", &f.channel),
        ("campaign", &f.campaign),
        ("sort", &f.sort),
    ];
    let q: Vec<String> = given
        .iter()
        .map(|(k, v)| (*k, set.iter().find(|(s, _)| s == k).map_or(v.as_str(), |(_, x)| *x)))
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect();
    format!("/marketing?{}", q.join("&"))
}

/// The filter condition naming the deals credited to a row's channel, campaign and keyword.
fn credited(
    d: &MarketingData,
    channel: Option<&Option<String>>,
    campaign: Option<&Option<String>>,
    term: Option<&Option<String>>,
) -> String {
    let m = d.params.marketing.model.as_str();
    let part = |name: &str, v: Option<&Option<String>>| match v {
        None => None,
        Some(Some(x)) => Some(format!("{m}_touch.{name} = {}", quoted(x))),
        Some(None) => Some(format!("{m}_touch.{name} is empty")),
    };
    [part("channel", channel), part("campaign", campaign), part("term", term)].into_iter().flatten().collect::<Vec<_>>().join(" and ")
}

/// Where a row's leads, deals and sales lead: the deals list narrowed to them.
struct Links {
    leads: String,
    deals: String,
    won: String,
}

fn links(d: &MarketingData, extra: &str) -> Links {
    let p = &d.params;
    let created = Some(("created_at", p.scope.from, p.scope.to));
    let and = |a: &str, b: &str| if a.is_empty() { b.to_string() } else { format!("{a} and {b}") };
    let taken = if d.report.first_stages.is_empty() {
        String::new()
    } else {
        let ids = d.report.first_stages.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        format!("(status = won or stage_id not in ({ids}))")
    };
    let won = match (p.marketing.basis, p.marketing.revenue) {
        (_, Revenue::Paid) => String::new(),
        (Basis::Created, Revenue::Won) => deals_href_in(p, created, &and(extra, "status = won")),
        (Basis::Paid, Revenue::Won) => deals_href_in(p, Some(("closed_at", p.scope.from, p.scope.to)), &and(extra, "status = won")),
    };
    Links {
        leads: deals_href_in(p, created, extra),
        deals: if taken.is_empty() { deals_href_in(p, created, extra) } else { deals_href_in(p, created, &and(extra, &taken)) },
        won,
    }
}

fn view(ui: &Ui, f: &MarketingForm, d: &MarketingData) -> MarketingView {
    let (t, fmt) = (&ui.t, ui.fmt());
    let p = &d.params;
    let m = &p.marketing;
    let currency = ui.actor.ws.currency.clone();
    let spend = d.spend_visible();
    let money = |v: Option<i64>| v.map_or_else(|| "—".to_string(), |v| fmt.money(v, &currency));
    let hide = |s: String| if spend { s } else { "—".to_string() };
    let link = |text: String, href: String| MCell { href: if text == "0" { String::new() } else { href }, text };
    let plain = |text: String| MCell { text, href: String::new() };
    let figures = |fg: &Figures, l: &Links| {
        vec![
            plain(hide(money(Some(fg.spend)))),
            plain(hide(fmt.count(fg.impressions))),
            plain(hide(fmt.count(fg.clicks))),
            link(fmt.count(fg.leads), l.leads.clone()),
            link(fmt.count(fg.deals), l.deals.clone()),
            link(fmt.count(fg.won), l.won.clone()),
            plain(money(Some(fg.revenue))),
            plain(hide(money(fg.cost_per_lead()))),
            plain(hide(money(fg.cost_per_sale()))),
            plain(pct(t, fg.conversion())),
            plain(money(fg.average_check())),
            plain(hide(pct(t, fg.romi()))),
            plain(hide(pct(t, fg.spend_share()))),
        ]
    };
    let narrowed = (m.channel.as_ref().map(|c| Some(c.clone())), m.campaign.as_ref().map(|c| Some(c.clone())));
    let row_extra = |r: &MarketingRow| {
        let deeper = |g: GroupBy| m.group_by >= g;
        credited(
            d,
            Some(&r.key.channel),
            if deeper(GroupBy::Campaign) { Some(&r.key.campaign) } else { None },
            if deeper(GroupBy::Term) { Some(&r.key.term) } else { None },
        )
    };
    // A row's name columns: the channel leads to its campaigns, a campaign to its keywords.
    let names = |r: &MarketingRow| {
        let mut out = Vec::new();
        let channel = d.channel_label(t, r);
        out.push(match (&r.key.channel, m.group_by) {
            (Some(c), GroupBy::Source) => {
                MCell { text: channel, href: href(f, &[("group_by", "campaign"), ("channel", c), ("campaign", "")]) }
            }
            _ => plain(channel),
        });
        if m.group_by >= GroupBy::Campaign {
            let campaign = d.campaign_label(t, r);
            out.push(match (&r.key.channel, &r.key.campaign, m.group_by) {
                (Some(ch), Some(c), GroupBy::Campaign) => {
                    MCell { text: campaign, href: href(f, &[("group_by", "term"), ("channel", ch), ("campaign", c)]) }
                }
                _ => plain(campaign),
            });
        }
        if m.group_by >= GroupBy::Term {
            out.push(plain(d.term_label(t, r)));
        }
        out
    };
    let mut rows: Vec<MRow> = d
        .report
        .rows
        .iter()
        .map(|r| MRow { names: names(r), cells: figures(&r.figures, &links(d, &row_extra(r))), total: false })
        .collect();
    let width = d.name_heads(t).len();
    let mut total_names = vec![plain(t.t("reports.total").to_string())];
    total_names.extend((1..width).map(|_| plain(String::new())));
    let total_extra = credited(d, narrowed.0.as_ref(), narrowed.1.as_ref(), None);
    rows.push(MRow { names: total_names, cells: figures(&d.report.total, &links(d, &total_extra)), total: true });

    // Sortable heads: a click sorts by the column, the largest first; again, the smallest first.
    let head = |label: String, key: SortKey| {
        let (sorted, next) = match (m.sort.key == key, m.sort.desc) {
            (true, true) => ("descending", key.as_str().to_string()),
            (true, false) => ("ascending", format!("-{}", key.as_str())),
            (false, _) if key == SortKey::Name => ("", key.as_str().to_string()),
            (false, _) => ("", format!("-{}", key.as_str())),
        };
        Head { label, href: href(f, &[("sort", &next)]), sorted }
    };
    let name_heads: Vec<Head> = d
        .name_heads(t)
        .into_iter()
        .enumerate()
        .map(|(i, l)| if i + 1 == width { head(l, SortKey::Name) } else { Head { label: l, href: String::new(), sorted: "" } })
        .collect();
    let heads = COLUMNS
        .iter()
        .map(|(name, key)| {
            let k = SortKey::ALL.into_iter().find(|k| k.as_str() == *name).unwrap_or(SortKey::Name);
            head(t.t(key).to_string(), k)
        })
        .collect();

    // Revenue against spend: a bar per row, spend the thin grey one under it.
    let charted: Vec<&MarketingRow> = d.report.rows.iter().filter(|r| r.figures.revenue + r.figures.spend > 0).take(BARS).collect();
    let max = charted.iter().map(|r| r.figures.revenue.max(if spend { r.figures.spend } else { 0 })).max().unwrap_or(0).max(1) as f64;
    let bars = charted
        .iter()
        .map(|r| {
            let fg = &r.figures;
            let text = if spend {
                t.fmt("analytics.bar", &[("revenue", money(Some(fg.revenue)).as_str()), ("romi", pct(t, fg.romi()).as_str())])
            } else {
                money(Some(fg.revenue))
            };
            Bar {
                label: d.label(t, r),
                text,
                width: fg.revenue as f64 / max * 100.0,
                previous: spend.then(|| fg.spend as f64 / max * 100.0),
                previous_text: if spend {
                    t.fmt("analytics.bar.spend", &[("spend", money(Some(fg.spend)).as_str())])
                } else {
                    String::new()
                },
                href: names(r).into_iter().find(|c| !c.href.is_empty()).map(|c| c.href).unwrap_or_else(|| links(d, &row_extra(r)).leads),
            }
        })
        .collect();

    let mut crumbs = Vec::new();
    if let Some(c) = &m.channel {
        crumbs.push((t.t("analytics.crumbs.all").to_string(), href(f, &[("group_by", "source"), ("channel", ""), ("campaign", "")])));
        let campaigns = href(f, &[("group_by", "campaign"), ("campaign", "")]);
        crumbs.push((c.clone(), if m.campaign.is_some() || m.group_by == GroupBy::Term { campaigns } else { String::new() }));
        if let Some(k) = &m.campaign {
            let name = d.report.rows.first().and_then(|r| r.campaign_name.clone()).unwrap_or_else(|| k.clone());
            crumbs.push((name, String::new()));
        }
    }
    let model = t.t(&format!("analytics.attribution.{}", m.model.as_str())).to_string();
    let basis = t.t(&format!("analytics.basis.{}", m.basis.as_str())).to_string();
    let revenue = t.t(&format!("analytics.revenue.{}", m.revenue.as_str())).to_string();
    MarketingView {
        title: t.t(&format!("analytics.group_by.{}", m.group_by.as_str())).to_string(),
        hint: t.fmt("analytics.hint", &[("model", model.as_str()), ("basis", basis.as_str()), ("revenue", revenue.as_str())]),
        period: format!("{} — {}", fmt.date_str(&p.period.from_date), fmt.date_str(&p.period.to_date)),
        empty: d.report.rows.is_empty(),
        crumbs,
        bars,
        chart: t.t(if spend { "analytics.chart" } else { "analytics.chart.revenue" }).to_string(),
        note: t.t("analytics.note").to_string(),
        name_heads,
        heads,
        rows,
        spend_hidden: !spend,
    }
}
