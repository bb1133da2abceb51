//! Each client's last touch: `organizations.last_activity_at`, the instant of the latest call,
//! message, note, finished task, invoice or payment of the organization, so that a scan for
//! forgotten clients reads one indexed column instead of every activity of the base.
//!
//! Writes keep it current in their own transaction ([`touch`]); it only ever moves forward, so
//! an old document recorded late never makes a client look newer than it is, and a late write of
//! an old date changes nothing. The organization of a record is its own `organization_id`, else
//! its deal's, else its person's. [`Db::backfill_last_activity`] recomputes it for a whole
//! workspace from the records themselves (after a bulk load, or to repair).
use crate::error::Result;
use crate::records::Row;
use crate::sql::col;
use crate::Db;
use poryadok_core::schema::Entity;
use poryadok_core::types::Val;
use poryadok_core::zone;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use sea_query::{Expr, Func, Query, SimpleExpr};
use std::time::{Duration, Instant};

/// What a record is linked to; the first link that leads to an organization wins.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Links {
    pub organization_id: Option<i64>,
    pub deal_id: Option<i64>,
    pub person_id: Option<i64>,
}

impl Links {
    pub(crate) fn of_row(row: &Row) -> Links {
        Links {
            organization_id: row.get("organization_id").as_int(),
            deal_id: row.get("deal_id").as_int(),
            person_id: row.get("person_id").as_int(),
        }
    }
}

fn linked_org(ws: i64, table: &str, id: i64) -> SimpleExpr {
    SimpleExpr::SubQuery(
        None,
        Box::new(
            Query::select()
                .column(col("organization_id"))
                .from(col(table))
                .and_where(Expr::col(col("workspace_id")).eq(ws))
                .and_where(Expr::col(col("id")).eq(id))
                .to_owned()
                .into_sub_query_statement(),
        ),
    )
}

/// Moves the organization's last activity to `at` unless it is already later; one statement.
pub(crate) async fn touch(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, links: Links, at: i64) -> Result<()> {
    let target = match links {
        Links { organization_id: Some(org), .. } => Expr::val(org).into(),
        Links { deal_id: None, person_id: None, .. } => return Ok(()),
        Links { deal_id, person_id, .. } => {
            let mut candidates: Vec<SimpleExpr> = Vec::new();
            if let Some(d) = deal_id {
                candidates.push(linked_org(ws, "deals", d));
            }
            if let Some(p) = person_id {
                candidates.push(linked_org(ws, "persons", p));
            }
            if candidates.len() == 1 {
                candidates.remove(0)
            } else {
                Func::coalesce(candidates).into()
            }
        }
    };
    let q = Query::update()
        .table(col("organizations"))
        .value(col("last_activity_at"), at)
        .and_where(Expr::col(col("workspace_id")).eq(ws))
        .and_where(Expr::col(col("id")).eq(target))
        .and_where(Expr::col(col("last_activity_at")).is_null().or(Expr::col(col("last_activity_at")).lt(at)))
        .to_owned();
    conn.execute(backend.build(&q)).await?;
    Ok(())
}

/// The activity a record write stands for, if any: a note when written, an activity when it is
/// (or becomes) done, at its `done_at`.
pub(crate) async fn after_record_write(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    ws: i64,
    row: &Row,
    old: Option<&Row>,
) -> Result<()> {
    let at = match row.entity {
        Entity::Note if old.is_none() => row.get("created_at").as_int(),
        Entity::Activity if row.get("done") == &Val::Bool(true) && old.is_none_or(|o| o.get("done") != &Val::Bool(true)) => {
            row.get("done_at").as_int().or_else(|| row.get("updated_at").as_int())
        }
        _ => None,
    };
    match at {
        Some(at) => touch(conn, backend, ws, Links::of_row(row), at).await,
        None => Ok(()),
    }
}

/// [`after_record_write`] for records just created, many at once: one update per organization
/// touched (at the latest of its records' instants, as one update a record would leave it), and
/// one a record only for those linked to no organization directly.
pub(crate) async fn after_create_many(conn: &impl ConnectionTrait, backend: DbBackend, ws: i64, rows: &[Row]) -> Result<()> {
    let mut by_org: std::collections::BTreeMap<i64, i64> = std::collections::BTreeMap::new();
    for row in rows {
        let at = match row.entity {
            Entity::Note => row.get("created_at").as_int(),
            Entity::Activity if row.get("done") == &Val::Bool(true) => {
                row.get("done_at").as_int().or_else(|| row.get("updated_at").as_int())
            }
            _ => None,
        };
        let Some(at) = at else { continue };
        let links = Links::of_row(row);
        match links.organization_id {
            Some(org) => {
                let e = by_org.entry(org).or_insert(at);
                *e = (*e).max(at);
            }
            None => touch(conn, backend, ws, links, at).await?,
        }
    }
    for (org, at) in by_org {
        touch(conn, backend, ws, Links { organization_id: Some(org), ..Links::default() }, at).await?;
    }
    Ok(())
}

/// The first instant of the local day `YYYY-MM-DD` in `tz`, in UTC milliseconds.
pub fn day_start_ms(tz: &str, day: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(day, &fmt).ok()?;
    let naive = date.midnight().assume_utc().unix_timestamp() * 1000;
    // The offset read at the naive instant, corrected once: exact except inside a DST jump.
    let guess = naive - i64::from(zone::offset_at(tz, naive).whole_seconds()) * 1000;
    Some(naive - i64::from(zone::offset_at(tz, guess).whole_seconds()) * 1000)
}

/// The local date (`YYYY-MM-DD`) of the instant `ms` in `tz`.
pub fn local_day(tz: &str, ms: i64) -> String {
    let l = zone::local(tz, ms);
    format!("{:04}-{:02}-{:02}", l.year(), l.month() as u8, l.day())
}

/// How long each source of [`Db::backfill_last_activity`] took.
#[derive(Debug, Clone)]
pub struct BackfillReport {
    pub steps: Vec<(&'static str, Duration)>,
    pub total: Duration,
}

/// The sources of activity, each as `SELECT org, MAX(at) … GROUP BY org` over live records.
/// `$1` is the workspace; `$2` turns a local `YYYY-MM-DD` into milliseconds (minus the zone's
/// offset), so documents count from the start of their day as [`day_start_ms`] does.
fn sources(backend: DbBackend) -> [(&'static str, String); 5] {
    let org_of = |t: &str| {
        format!(
            "COALESCE({t}.organization_id, (SELECT d.organization_id FROM deals d WHERE d.id = {t}.deal_id), \
             (SELECT p.organization_id FROM persons p WHERE p.id = {t}.person_id))"
        )
    };
    let day_ms = |c: &str| match backend {
        DbBackend::Postgres => format!("(CAST(EXTRACT(EPOCH FROM CAST({c} AS DATE)) AS BIGINT) * 1000 - $2)"),
        _ => format!("(CAST(strftime('%s', {c}) AS INTEGER) * 1000 - $2)"),
    };
    let done = if backend == DbBackend::Postgres { "a.done" } else { "a.done = 1" };
    [
        (
            "activities",
            format!(
                "SELECT {org} AS org, MAX(COALESCE(a.done_at, a.created_at)) AS t FROM activities a \
                 WHERE a.workspace_id = $1 AND {done} AND a.deleted_at IS NULL GROUP BY 1",
                org = org_of("a")
            ),
        ),
        (
            "notes",
            format!(
                "SELECT {org} AS org, MAX(n.created_at) AS t FROM notes n WHERE n.workspace_id = $1 AND n.deleted_at IS NULL GROUP BY 1",
                org = org_of("n")
            ),
        ),
        (
            "messages",
            "SELECT COALESCE((SELECT d.organization_id FROM deals d WHERE d.id = m.deal_id), \
             (SELECT p.organization_id FROM persons p WHERE p.id = m.person_id)) AS org, MAX(m.sent_at) AS t \
             FROM messages m WHERE m.workspace_id = $1 GROUP BY 1"
                .to_string(),
        ),
        (
            "invoices",
            format!(
                "SELECT COALESCE(i.organization_id, (SELECT d.organization_id FROM deals d WHERE d.id = i.deal_id)) AS org, \
                 MAX({t}) AS t FROM invoices i WHERE i.workspace_id = $1 AND i.deleted_at IS NULL GROUP BY 1",
                t = day_ms("i.issued_on")
            ),
        ),
        (
            "payments",
            format!(
                "SELECT COALESCE(i.organization_id, (SELECT d.organization_id FROM deals d WHERE d.id = i.deal_id)) AS org, \
                 MAX({t}) AS t FROM payments pm JOIN invoices i ON i.id = pm.invoice_id \
                 WHERE pm.workspace_id = $1 AND pm.deleted_at IS NULL AND i.deleted_at IS NULL GROUP BY 1",
                t = day_ms("pm.paid_on")
            ),
        ),
    ]
}

impl Db {
    /// An organization's last activity (UTC ms), if any: for background work and checks.
    pub async fn last_activity_at(&self, ws: i64, org: i64) -> Result<Option<i64>> {
        let q = Query::select()
            .column(col("last_activity_at"))
            .from(col("organizations"))
            .and_where(Expr::col(col("workspace_id")).eq(ws))
            .and_where(Expr::col(col("id")).eq(org))
            .to_owned();
        crate::rules::scalar_i64(&self.read, self.backend, &q).await
    }

    /// Recomputes `organizations.last_activity_at` of workspace `ws` from its records: one
    /// set-based `UPDATE … FROM (SELECT org, MAX(at) … GROUP BY org)` per source. Like every
    /// write it only moves the value forward, so it is safe to run on a live workspace.
    pub async fn backfill_last_activity(&self, ws: i64) -> Result<BackfillReport> {
        let started = Instant::now();
        let tz = self.workspace_info(ws).await?.timezone;
        let offset_ms = i64::from(zone::offset_at(&tz, self.clock.now_ms()).whole_seconds()) * 1000;
        let mut steps = Vec::new();
        for (name, select) in sources(self.backend) {
            let step = Instant::now();
            let sql = format!(
                "UPDATE organizations SET last_activity_at = src.t FROM ({select}) AS src \
                 WHERE organizations.workspace_id = $1 AND organizations.id = src.org AND src.t IS NOT NULL \
                 AND (organizations.last_activity_at IS NULL OR organizations.last_activity_at < src.t)"
            );
            let sql = if self.is_postgres() { sql } else { sql.replace('$', "?") };
            let values: Vec<sea_orm::Value> = if select.contains("$2") { vec![ws.into(), offset_ms.into()] } else { vec![ws.into()] };
            // SQLite's `?N` parameters are numbered like PostgreSQL's `$N`.
            self.write.execute(Statement::from_sql_and_values(self.backend, sql, values)).await?;
            steps.push((name, step.elapsed()));
        }
        Ok(BackfillReport { steps, total: started.elapsed() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_days_start_at_local_midnight() {
        // 2026-11-23 00:00 in Moscow (UTC+3) is 2026-11-22 21:00 UTC.
        assert_eq!(day_start_ms("Europe/Moscow", "2026-11-23"), Some(1_795_381_200_000));
        assert_eq!(day_start_ms("UTC", "2026-11-23"), Some(1_795_392_000_000));
        assert_eq!(day_start_ms("UTC", "23.11.2026"), None);
        assert_eq!(local_day("Europe/Moscow", 1_795_381_200_000), "2026-11-23");
        assert_eq!(local_day("UTC", 1_795_381_200_000), "2026-11-22");
    }
}
