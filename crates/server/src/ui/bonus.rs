//! The bonus split by role in the web UI: the bonus report (`/bonus`, a tab of Reports) — per
//! user over a period the plan, the revenue, the won deals and the bonus, a drill into one
//! user's deals with the role(s) each paid, and the payroll export — and a pipeline's split in
//! the settings (`/settings/pipelines/{id}/bonus`: the basis and a percent per role, a refusal
//! beside its input, "Saved").
//!
//! Everything is read and written through the store with the signed-in user as the actor, so
//! what a manager sees (their own bonus only) and who may change a split are the API's rules.
use super::format::Fmt;
use super::i18n::T;
use super::reports::Tab;
use super::{field_error, render_status, HeadOrAdmin, OrUi, Ui, UiResult};
use crate::api::bonus::{export, parse_query, role_label};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use poryadok_core::bonus::Basis;
use poryadok_core::schema::Entity;
use poryadok_store::bonus::BonusSplit;
use serde_json::json;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/bonus", get(page)).route("/settings/pipelines/{id}/bonus", get(show_split).post(save_split))
}

// -- The report ---------------------------------------------------------------------------------

pub struct UserRow {
    pub name: String,
    pub href: String,
    pub plan: String,
    pub revenue: String,
    pub deals: usize,
    pub bonus: String,
    pub cost_missing: usize,
}

pub struct DealRow {
    pub title: String,
    pub href: String,
    pub closed: String,
    pub value: String,
    pub base: String,
    pub roles: String,
    pub amount: String,
    pub cost_missing: bool,
}

pub struct BonusView {
    pub from: String,
    pub to: String,
    /// The period as the reader reads dates.
    pub period: String,
    pub users: Vec<UserRow>,
    pub total: String,
    /// A user's deals (the drill), with their name.
    pub drill: Option<(String, Vec<DealRow>)>,
    pub back_href: String,
    /// The query of the export links.
    pub query: String,
    pub unsplit: String,
    /// A refused parameter: its name and why.
    pub error: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "bonus.html")]
struct BonusPage {
    ctx: super::Ctx,
    t: T,
    tabs: Vec<Tab>,
    v: BonusView,
}

#[derive(Template)]
#[template(path = "bonus_body.html")]
struct BonusBody {
    t: T,
    v: BonusView,
}

fn tabs(t: &T) -> Vec<Tab> {
    let mut tabs: Vec<Tab> = crate::report::REPORTS
        .iter()
        .map(|n| Tab {
            href: if *n == "marketing" { "/marketing".to_string() } else { format!("/reports/{n}") },
            label: t.t(&format!("reports.{n}.title")).to_string(),
            active: false,
        })
        .collect();
    tabs.push(Tab { href: "/plans".into(), label: t.t("plans.title").to_string(), active: false });
    tabs.push(Tab { href: "/bonus".into(), label: t.t("bonus.title").to_string(), active: true });
    tabs
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `GET /bonus?from=&to=&user_id=&format=`
async fn page(State(st): State<AppState>, ui: Ui, RawQuery(q): RawQuery) -> UiResult {
    let pairs = crate::report::pairs(q.as_deref());
    let typed = |k: &str| pairs.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let fmt = Fmt { lang: ui.t.lang, tz: ui.actor.ws.timezone.clone() };
    let mut v = BonusView {
        from: typed("from"),
        to: typed("to"),
        period: String::new(),
        users: Vec::new(),
        total: String::new(),
        drill: None,
        back_href: String::new(),
        query: String::new(),
        unsplit: String::new(),
        error: None,
    };
    let mut status = StatusCode::OK;
    // A refused parameter, or a period the report refuses (deals in several currencies), shows
    // on the page with the period picker kept.
    let report = match parse_query(&st.db, &ui.actor, &pairs) {
        Ok(query) => {
            let with_deals = query.user.is_some() || query.format == "xlsx";
            st.db.bonus_report_of(&ui.actor, &query.period, query.user, with_deals).await.map(|r| (query, r))
        }
        Err(e) => Err(e),
    };
    match report {
        Err(e) => match field_error(&ui.t, &e) {
            Some(err) => {
                v.error = Some(err);
                status = StatusCode::UNPROCESSABLE_ENTITY;
            }
            None => return Err(ui.fail(e)),
        },
        Ok((query, r)) => {
            if query.format != "json" {
                return export(&r, &ui.t, &ui.actor.ws.timezone, &query.format, query.user.is_some()).or_ui(&ui);
            }
            let (from, to) = (r.from.clone(), r.to.clone());
            v.from.clone_from(&from);
            v.to.clone_from(&to);
            v.period = format!("{} — {}", fmt.date_str(&from), fmt.date_str(&to));
            let period = format!("from={}&to={}", enc(&from), enc(&to));
            v.back_href = format!("/bonus?{period}");
            v.query = match query.user {
                Some(u) => format!("{period}&user_id={u}"),
                None => period.clone(),
            };
            v.total = fmt.money(r.total, &r.currency);
            if r.unsplit_deals > 0 {
                v.unsplit = ui.t.fmt("bonus.unsplit", &[("n", &r.unsplit_deals.to_string())]);
            }
            for u in &r.users {
                v.users.push(UserRow {
                    name: u.name.clone(),
                    href: format!("/bonus?{period}&user_id={}", u.user_id),
                    plan: u.plan.map_or_else(|| ui.t.t("bonus.no_plan").to_string(), |p| fmt.money(p, &r.currency)),
                    revenue: fmt.money(u.revenue, &r.currency),
                    deals: u.deals,
                    bonus: fmt.money(u.bonus, &r.currency),
                    cost_missing: u.cost_missing,
                });
            }
            if let Some(u) = query.user.and_then(|id| r.users.iter().find(|u| u.user_id == id)) {
                let rows = u
                    .deal_list
                    .iter()
                    .map(|d| DealRow {
                        title: d.title.clone(),
                        href: format!("/deals/{}", d.deal_id),
                        closed: fmt.date(d.closed_at),
                        value: fmt.money(d.value, &d.currency),
                        base: d.base.map(|b| fmt.money(b, &d.currency)).unwrap_or_default(),
                        roles: d
                            .roles
                            .iter()
                            .map(|p| match p.shared_by {
                                1 => format!("{} · {} %", role_label(&ui.t, p.role), p.share),
                                n => format!("{} · {} % / {n}", role_label(&ui.t, p.role), p.share),
                            })
                            .collect::<Vec<_>>()
                            .join(", "),
                        amount: fmt.money(d.amount, &d.currency),
                        cost_missing: d.cost_missing,
                    })
                    .collect();
                v.drill = Some((u.name.clone(), rows));
            }
        }
    }
    if ui.htmx {
        return Ok(render_status(status, &BonusBody { t: ui.t, v }));
    }
    let title = ui.t.t("bonus.title").to_string();
    Ok(render_status(status, &BonusPage { ctx: ui.ctx("reports", title), t: ui.t, tabs: tabs(&ui.t), v }))
}

// -- A pipeline's split -------------------------------------------------------------------------

pub struct SplitForm {
    pub pipeline_id: i64,
    pub pipeline_name: String,
    pub basis: String,
    pub manager: String,
    pub consultant: String,
    pub head: String,
    pub cost_field: bool,
    pub configured: bool,
    /// Where a refusal is shown (`basis`, `manager`, `consultant`, `head` or `shares`), and what.
    pub error_at: String,
    pub error: String,
    pub saved: bool,
    pub csrf: String,
}

impl SplitForm {
    fn of(s: &BonusSplit, name: String, csrf: String) -> SplitForm {
        SplitForm {
            pipeline_id: s.pipeline_id,
            pipeline_name: name,
            basis: s.basis.as_str().into(),
            manager: s.shares.manager.clone(),
            consultant: s.shares.consultant.clone(),
            head: s.shares.head.clone(),
            cost_field: s.cost_field,
            configured: s.configured,
            error_at: String::new(),
            error: String::new(),
            saved: false,
            csrf,
        }
    }

    pub fn bad(&self, at: &str) -> bool {
        self.error_at == at
    }

    pub fn margin(&self) -> bool {
        self.basis == Basis::Margin.as_str()
    }
}

#[derive(Template)]
#[template(path = "bonus_split.html")]
struct SplitPage {
    ctx: super::Ctx,
    t: T,
    f: SplitForm,
}

#[derive(Template)]
#[template(path = "bonus_split_form.html")]
struct SplitFragment {
    t: T,
    f: SplitForm,
}

async fn split_form(st: &AppState, ui: &Ui, id: i64) -> Result<SplitForm, poryadok_store::StoreError> {
    let s = st.db.bonus_split(&ui.actor, id).await?;
    let name = st.db.names(&ui.actor, Entity::Pipeline, [id]).await?.remove(&id).unwrap_or_default();
    Ok(SplitForm::of(&s, name, ui.csrf.clone()))
}

fn respond_split(ui: &Ui, status: StatusCode, f: SplitForm) -> Response {
    if ui.htmx {
        return render_status(status, &SplitFragment { t: ui.t, f });
    }
    let title = ui.t.t("bonus.split_title").to_string();
    render_status(status, &SplitPage { ctx: ui.ctx("settings", title), t: ui.t, f })
}

/// `GET /settings/pipelines/{id}/bonus`
async fn show_split(State(st): State<AppState>, HeadOrAdmin(ui): HeadOrAdmin, Path(id): Path<i64>, RawQuery(q): RawQuery) -> UiResult {
    let mut f = split_form(&st, &ui, id).await.or_ui(&ui)?;
    f.saved = crate::report::pairs(q.as_deref()).iter().any(|(k, v)| k == "saved" && v == "1");
    Ok(respond_split(&ui, StatusCode::OK, f))
}

/// `POST /settings/pipelines/{id}/bonus`: saves, or shows the refusal beside its input with
/// what was typed.
async fn save_split(
    State(st): State<AppState>,
    HeadOrAdmin(ui): HeadOrAdmin,
    Path(id): Path<i64>,
    Form(v): Form<HashMap<String, String>>,
) -> UiResult {
    let mut f = split_form(&st, &ui, id).await.or_ui(&ui)?;
    let typed = |k: &str| v.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    f.basis = typed("basis");
    f.manager = typed("manager");
    f.consultant = typed("consultant");
    f.head = typed("head");
    let share = |s: &str| if s.is_empty() { json!(0) } else { json!(s) };
    let body = json!({
        "basis": f.basis,
        "shares": {"manager": share(&f.manager), "consultant": share(&f.consultant), "head": share(&f.head)},
    });
    match st.db.put_bonus_split(&ui.actor, id, &body, None).await {
        Ok(_) if ui.htmx => {
            let mut fresh = split_form(&st, &ui, id).await.or_ui(&ui)?;
            fresh.saved = true;
            Ok(respond_split(&ui, StatusCode::OK, fresh))
        }
        Ok(_) => Ok(Redirect::to(&format!("/settings/pipelines/{id}/bonus?saved=1")).into_response()),
        Err(e) => match field_error(&ui.t, &e) {
            Some((path, message)) => {
                f.error_at = match path.as_str() {
                    "shares.manager" => "manager",
                    "shares.consultant" => "consultant",
                    "shares.head" => "head",
                    "basis" => "basis",
                    _ => "shares",
                }
                .into();
                f.error = message;
                Ok(respond_split(&ui, StatusCode::UNPROCESSABLE_ENTITY, f))
            }
            None => Err(ui.fail(e)),
        },
    }
}
