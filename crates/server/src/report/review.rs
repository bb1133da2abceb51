//! The monthly review of the department (seed 003): one workbook of the month's sales dynamics
//! by week against the month before, the violations its audits found and how many were fixed,
//! the calls and the rest of the managers' activity, the results per manager, and the plan's
//! fulfilment — each sheet the table of its report.
use super::{params, run, workbook, Cell, Table};
use crate::ui::i18n::T;
use poryadok_core::msg::ReportMsg;
use poryadok_core::report::Period;
use poryadok_core::schema::Entity;
use poryadok_store::{Actor, Db, StoreError};

/// The month `YYYY-MM` (none: the month before the current one) as a period.
pub fn review_month(db: &Db, actor: &Actor, month: Option<&str>) -> Result<Period, StoreError> {
    let tz = &actor.ws.timezone;
    let Some(m) = month.map(str::trim).filter(|m| !m.is_empty()) else {
        return Ok(Period::month_of(db.clock.now_ms(), tz).months_before(1, tz));
    };
    let bad = || StoreError::invalid("month", ReportMsg::NotMonth { s: m.to_string() });
    let (y, mo) = m.split_once('-').ok_or_else(bad)?;
    let (y, mo): (i32, u8) = (y.parse().map_err(|_| bad())?, mo.parse().map_err(|_| bad())?);
    let days = time::Month::try_from(mo).map_err(|_| bad())?.length(y);
    Period::parse(&format!("{y:04}-{mo:02}-01"), &format!("{y:04}-{mo:02}-{days:02}"), tz).map_err(|_| bad())
}

/// One report's table over the month with `extra` parameters.
async fn sheet(db: &Db, actor: &Actor, t: &T, name: &str, month: &Period, extra: &[(&str, &str)]) -> Result<Table, StoreError> {
    let mut pairs = vec![("from".to_string(), month.from_date.clone()), ("to".to_string(), month.to_date.clone())];
    pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let p = params(db, actor, name, &pairs).await?;
    Ok(run(db, actor, p, t).await?.table(t))
}

/// The violations of the month's audit rounds by manager and rule.
async fn violations(db: &Db, actor: &Actor, t: &T, month: &Period) -> Result<Table, StoreError> {
    let lines = db.violations_by_user(actor, month.from, month.to).await?;
    let names = db.names(actor, Entity::User, lines.iter().filter_map(|l| l.user_id)).await?;
    let heads = ["review.col.manager", "review.col.rule", "review.col.found", "review.col.fixed", "review.col.fixed_share"];
    let mut table = Table::new(heads.iter().map(|k| t.t(k).to_string()).collect());
    let (mut found, mut fixed) = (0, 0);
    for l in &lines {
        let who = l.user_id.and_then(|u| names.get(&u).cloned()).unwrap_or_else(|| t.t("reports.no_owner").to_string());
        table.rows.push(vec![
            Cell::Text(who),
            Cell::Text(l.rule.clone()),
            Cell::Int(l.found),
            Cell::Int(l.fixed),
            Cell::Pct(poryadok_core::report::ratio(l.fixed, l.found)),
        ]);
        found += l.found;
        fixed += l.fixed;
    }
    table.rows.push(vec![
        Cell::Text(t.t("reports.total").to_string()),
        Cell::Empty,
        Cell::Int(found),
        Cell::Int(fixed),
        Cell::Pct(poryadok_core::report::ratio(fixed, found)),
    ]);
    Ok(table)
}

/// The month's call quality review per manager (issue 22): the reviews of the ISO weeks whose
/// Thursday falls in the month, their number and average score.
async fn call_reviews(db: &Db, actor: &Actor, t: &T, month: &Period) -> Result<Table, StoreError> {
    use poryadok_store::reviews::week_key;
    let heads = ["reviews.col.manager", "reviews.col.reviews", "reviews.col.score"];
    let mut table = Table::new(heads.iter().map(|k| t.t(k).to_string()).collect());
    let parse = |s: &str| poryadok_core::schedule::parse_date(s);
    let (Some(first), Some(last)) = (parse(&month.from_date), parse(&month.to_date)) else { return Ok(table) };
    let report = db.review_report(actor, &week_key(first), &week_key(last)).await?;
    let key = month.from_date.get(..7).unwrap_or("");
    for l in report.manager_months.iter().filter(|l| l.period == key) {
        table.rows.push(vec![Cell::Text(l.manager_name.clone()), Cell::Int(l.reviews), Cell::Pct(Some(l.score_pct / 100.0))]);
    }
    Ok(table)
}

/// The review of `month` as an XLSX workbook, over what `actor` may see.
pub async fn review_workbook(db: &Db, actor: &Actor, t: &T, month: &Period) -> Result<Vec<u8>, StoreError> {
    let sales = sheet(db, actor, t, "sales", month, &[("group", "period"), ("step", "week"), ("compare", "previous")]).await?;
    let managers = sheet(db, actor, t, "sales", month, &[("group", "owner")]).await?;
    let found = violations(db, actor, t, month).await?;
    let activity = sheet(db, actor, t, "activity", month, &[]).await?;
    let load = sheet(db, actor, t, "load", month, &[]).await?;
    let plan = sheet(db, actor, t, "plan_fact", month, &[]).await?;
    let calls = call_reviews(db, actor, t, month).await?;
    let sheets = [
        (t.t("review.sheet.sales").to_string(), &sales),
        (t.t("review.sheet.violations").to_string(), &found),
        (t.t("review.sheet.activity").to_string(), &activity),
        (t.t("review.sheet.managers").to_string(), &managers),
        (t.t("review.sheet.load").to_string(), &load),
        (t.t("review.sheet.plan").to_string(), &plan),
        (t.t("reviews.title").to_string(), &calls),
    ];
    workbook(&sheets).map_err(|e| StoreError::Internal(e.to_string()))
}
