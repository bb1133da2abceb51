//! The bonus split by role: a pipeline's split (`/api/v1/pipelines/{id}/bonus_split`) and the
//! bonus report (`/api/v1/reports/bonus`) as JSON, or for payroll as CSV and XLSX
//! (docs/TEAM.md, "Bonus split by role").
use super::json_body;
use crate::api::extract::ApiPath;
use crate::api::records::{etag, if_match};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::report::{Cell, Table};
use crate::ui::i18n::T;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use poryadok_core::bonus::Role;
use poryadok_core::msg::{Common, ReportMsg};
use poryadok_core::report::Period;
use poryadok_store::actor::Actor;
use poryadok_store::bonus::{BonusReport, BonusSplit};
use poryadok_store::{Db, StoreError};
use serde_json::json;

fn id_of(raw: &str) -> ApiResult<i64> {
    raw.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(ApiError::not_found)
}

fn split_response(s: &BonusSplit) -> Response {
    let mut res = Json(json!({"data": s})).into_response();
    if let Ok(tag) = HeaderValue::from_str(&etag(s.version)) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    res
}

/// `GET /api/v1/pipelines/{id}/bonus_split`.
pub async fn get_split(State(st): State<AppState>, Auth(actor): Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Response> {
    Ok(split_response(&st.db.bonus_split(&actor, id_of(&id)?).await?))
}

/// `PUT /api/v1/pipelines/{id}/bonus_split` with `{basis, shares: {manager, consultant, head}}`.
pub async fn put_split(
    State(st): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let version = if_match(&headers)?;
    Ok(split_response(&st.db.put_bonus_split(&actor, id_of(&id)?, &json_body(&body)?, version).await?))
}

/// What a bonus report is asked for.
#[derive(Debug, Clone)]
pub struct BonusQuery {
    pub period: Period,
    pub user: Option<i64>,
    /// `json`, `csv` or `xlsx`.
    pub format: String,
}

/// Reads `from`, `to` (the current month without them), `user_id` and `format`.
pub fn parse_query(db: &Db, actor: &Actor, pairs: &[(String, String)]) -> Result<BonusQuery, StoreError> {
    const KNOWN: [&str; 4] = ["from", "to", "user_id", "format"];
    if let Some((k, _)) = pairs.iter().find(|(k, _)| !KNOWN.contains(&k.as_str())) {
        return Err(StoreError::invalid(k, Common::OneOf { list: KNOWN.iter().map(|s| s.to_string()).collect() }));
    }
    let get = |k: &str| pairs.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty());
    let tz = actor.ws.timezone.clone();
    let period = match (get("from"), get("to")) {
        (None, None) => Period::month_of(db.clock.now_ms(), &tz),
        (Some(f), Some(t)) => Period::parse(&f, &t, &tz).map_err(StoreError::Validation)?,
        (None, Some(_)) => return Err(StoreError::invalid("from", Common::Required {})),
        (Some(_), None) => return Err(StoreError::invalid("to", Common::Required {})),
    };
    let user = match get("user_id") {
        None => None,
        Some(v) => {
            Some(v.parse::<i64>().ok().filter(|i| *i > 0).ok_or_else(|| StoreError::invalid("user_id", Common::PositiveInteger {}))?)
        }
    };
    let format = get("format").unwrap_or_else(|| "json".into());
    if !["json", "csv", "xlsx"].contains(&format.as_str()) {
        return Err(StoreError::invalid("format", ReportMsg::FormatWord {}));
    }
    Ok(BonusQuery { period, user, format })
}

/// The role's name in the reader's language.
pub fn role_label(t: &T, role: Role) -> &'static str {
    match role {
        Role::Manager => t.t("bonus.role_manager"),
        Role::Consultant => t.t("bonus.role_consultant"),
        Role::Head => t.t("bonus.role_head"),
    }
}

/// The per-user sheet for payroll: user, plan, revenue, deals, bonus.
pub fn users_table(r: &BonusReport, t: &T) -> Table {
    let mut table = Table::new(
        ["bonus.col_user", "bonus.col_plan", "bonus.col_revenue", "bonus.col_deals", "bonus.col_bonus"]
            .iter()
            .map(|k| t.t(k).to_string())
            .collect(),
    );
    for u in &r.users {
        table.rows.push(vec![
            Cell::Text(u.name.clone()),
            u.plan.map_or(Cell::Empty, Cell::Money),
            Cell::Money(u.revenue),
            Cell::Int(u.deals as i64),
            Cell::Money(u.bonus),
        ]);
    }
    table
}

/// Every bonus line: user, deal, closing day, value, basis amount, roles, bonus.
pub fn deals_table(r: &BonusReport, t: &T, tz: &str) -> Table {
    let mut table = Table::new(
        ["bonus.col_user", "bonus.col_deal", "bonus.col_closed", "bonus.col_value", "bonus.col_base", "bonus.col_roles", "bonus.col_bonus"]
            .iter()
            .map(|k| t.t(k).to_string())
            .collect(),
    );
    for u in &r.users {
        for d in &u.deal_list {
            let l = poryadok_core::zone::local(tz, d.closed_at);
            let roles: Vec<String> = d
                .roles
                .iter()
                .map(|p| match p.shared_by {
                    1 => format!("{} {} %", role_label(t, p.role), p.share),
                    n => format!("{} {} % / {n}", role_label(t, p.role), p.share),
                })
                .collect();
            table.rows.push(vec![
                Cell::Text(u.name.clone()),
                Cell::Text(format!("#{} {}", d.deal_id, d.title)),
                Cell::Text(format!("{:04}-{:02}-{:02}", l.year(), u8::from(l.month()), l.day())),
                Cell::Money(d.value),
                d.base.map_or(Cell::Empty, Cell::Money),
                Cell::Text(if d.cost_missing { t.t("bonus.cost_missing").to_string() } else { roles.join("; ") }),
                Cell::Money(d.amount),
            ]);
        }
    }
    table
}

/// The report as a download: CSV is the per-user sheet (one user's deals with `user_id`), XLSX
/// both sheets.
pub fn export(r: &BonusReport, t: &T, tz: &str, format: &str, one_user: bool) -> Result<Response, StoreError> {
    let file = format!("bonus-{}-{}", r.from, r.to);
    Ok(match format {
        "csv" => {
            let table = if one_user { deals_table(r, t, tz) } else { users_table(r, t) };
            crate::ui::kit::download(table.csv().into_bytes(), "text/csv; charset=utf-8", &format!("{file}.csv"))
        }
        _ => {
            let (users, deals) = (users_table(r, t), deals_table(r, t, tz));
            let bytes =
                crate::report::workbook(&[(t.t("bonus.sheet_users").to_string(), &users), (t.t("bonus.sheet_deals").to_string(), &deals)])
                    .map_err(|e| StoreError::Internal(e.to_string()))?;
            crate::ui::kit::download(bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &format!("{file}.xlsx"))
        }
    })
}

/// `GET /api/v1/reports/bonus?from=&to=&user_id=&format=json|csv|xlsx`: each user's bonus over
/// the period beside their revenue plan; the deals of each with `user_id`.
pub async fn report(State(st): State<AppState>, Auth(actor): Auth, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let query = parse_query(&st.db, &actor, &crate::report::pairs(q.as_deref()))?;
    // Everyone's deals only where they are shown: one user's report, a manager's own, the workbook.
    let with_deals = query.user.is_some() || !actor.caller.role.sees_all() || query.format == "xlsx";
    let mut r = st.db.bonus_report_of(&actor, &query.period, query.user, with_deals).await?;
    if query.format != "json" {
        let t = T::new(actor.ws_lang());
        return Ok(export(&r, &t, &actor.ws.timezone, &query.format, query.user.is_some())?);
    }
    // The deals come with one user's report; the whole team's lists only the figures.
    if query.user.is_none() && actor.caller.role.sees_all() {
        for u in &mut r.users {
            u.deal_list.clear();
        }
    }
    Ok(Json(json!({"data": r})).into_response())
}
