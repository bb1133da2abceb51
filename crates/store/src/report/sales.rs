//! Sales over a period: of the deals closed in it, how many were won and for how much, how many
//! lost, and how long the won ones took from creation (median and mean) — grouped by when they
//! closed (a day, week or month of the workspace's zone), by manager, by source or by pipeline.
//! Everything is counted by `GROUP BY` in the database, the median with window functions (both
//! backends have them); only the buckets of the period are laid out here.
use super::ReportScope;
use crate::actor::Actor;
use crate::error::Result;
use crate::sql::col;
use crate::Db;
use poryadok_core::domain::DealStatus;
use poryadok_core::zone;
use sea_orm::ConnectionTrait;
use sea_query::{Alias, Expr, Query, SelectStatement};
use std::collections::BTreeMap;

const DAY_MS: i64 = 86_400_000;

/// The length of the period's buckets when sales are grouped by period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Day,
    Week,
    Month,
}

impl Step {
    pub const ALL: [Step; 3] = [Step::Day, Step::Week, Step::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Day => "day",
            Step::Week => "week",
            Step::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The step a period reads best in: days up to a month, weeks up to a quarter, else months.
    pub fn for_period(from: i64, to: i64) -> Step {
        let days = (to - from + DAY_MS / 2) / DAY_MS;
        if days <= 31 {
            Step::Day
        } else if days <= 92 {
            Step::Week
        } else {
            Step::Month
        }
    }
}

/// What the sales are grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SalesGroup {
    /// Buckets of the period by the day the deals closed.
    Period,
    Owner,
    Source,
    Pipeline,
}

impl SalesGroup {
    pub const ALL: [SalesGroup; 4] = [SalesGroup::Period, SalesGroup::Owner, SalesGroup::Source, SalesGroup::Pipeline];

    pub fn as_str(self) -> &'static str {
        match self {
            SalesGroup::Period => "period",
            SalesGroup::Owner => "owner",
            SalesGroup::Source => "source",
            SalesGroup::Pipeline => "pipeline",
        }
    }

    pub fn parse(s: &str) -> Option<SalesGroup> {
        SalesGroup::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A bucket of the period: its local days as `[from, to)` in UTC milliseconds, the first and
/// the last of them as `YYYY-MM-DD`. Buckets are clipped to the period (a week begins on Monday,
/// a month on the 1st, unless the period begins later).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Bucket {
    pub from: i64,
    pub to: i64,
    pub first_day: String,
    pub last_day: String,
    /// The bucket's key as the query computes it.
    #[serde(skip)]
    pub key: i64,
}

fn offset_ms(tz: &str, ms: i64) -> i64 {
    i64::from(zone::offset_at(tz, ms).whole_seconds()) * 1000
}

fn iso_day(tz: &str, ms: i64) -> String {
    let l = zone::local(tz, ms);
    format!("{:04}-{:02}-{:02}", l.year(), u8::from(l.month()), l.day())
}

/// The local day number (days since 1970-01-01 in the zone) of an instant.
fn day_number(tz: &str, ms: i64) -> i64 {
    (ms + offset_ms(tz, ms)).div_euclid(DAY_MS)
}

fn bucket_key(tz: &str, ms: i64, step: Step) -> i64 {
    let d = day_number(tz, ms);
    match step {
        Step::Day => d,
        // 1970-01-01 was a Thursday: day 4 is the first Monday, so weeks begin where d + 3 ≡ 0.
        Step::Week => (d + 3).div_euclid(7),
        Step::Month => {
            let l = zone::local(tz, ms);
            i64::from(l.year()) * 12 + i64::from(u8::from(l.month())) - 1
        }
    }
}

/// The buckets of `[from, to)` (local midnights) by `step` in `tz`.
pub fn buckets(tz: &str, from: i64, to: i64, step: Step) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = Vec::new();
    let mut start = from;
    while start < to {
        let end = zone::day_bounds(tz, start + DAY_MS / 2).1.min(to);
        if end <= start {
            break;
        }
        let key = bucket_key(tz, start, step);
        match out.last_mut() {
            Some(b) if b.key == key => {
                b.to = end;
                b.last_day = iso_day(tz, start);
            }
            _ => out.push(Bucket { from: start, to: end, first_day: iso_day(tz, start), last_day: iso_day(tz, start), key }),
        }
        start = end;
    }
    out
}

/// The zone's offsets over `[from, to)`: the first instant each applies from (the first one
/// from `from`) and the offset, in milliseconds.
fn offsets(tz: &str, from: i64, to: i64) -> Vec<(i64, i64)> {
    let mut out = vec![(from, offset_ms(tz, from))];
    let mut t = from;
    while t < to {
        let next = (t + DAY_MS).min(to);
        let cur = out.last().map_or(0, |o| o.1);
        if offset_ms(tz, next) != cur {
            // Zones change their offset on a whole second: find it.
            let (mut lo, mut hi) = (t.div_euclid(1000), (next + 999).div_euclid(1000));
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_ms(tz, mid * 1000) == cur {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push((hi * 1000, offset_ms(tz, hi * 1000)));
        }
        t = next;
    }
    out
}

/// SQL for the local day number of `closed_at` in `tz`, exact for instants in `[from, to)`.
/// The numbers are computed here, never read from input.
fn day_number_sql(tz: &str, from: i64, to: i64) -> String {
    let offs = offsets(tz, from, to);
    let offset = match offs.as_slice() {
        [(_, o)] => o.to_string(),
        _ => {
            let mut s = String::from("CASE");
            for w in offs.windows(2) {
                s.push_str(&format!(" WHEN closed_at < {} THEN {}", w[1].0, w[0].1));
            }
            s.push_str(&format!(" ELSE {} END", offs.last().map_or(0, |o| o.1)));
            s
        }
    };
    format!("((closed_at + {offset}) / {DAY_MS})")
}

/// SQL for the bucket key of `closed_at` (see [`Bucket::key`]).
fn bucket_sql(tz: &str, from: i64, to: i64, step: Step, buckets: &[Bucket]) -> String {
    match step {
        Step::Day => day_number_sql(tz, from, to),
        Step::Week => format!("(({} + 3) / 7)", day_number_sql(tz, from, to)),
        // Months are few: a branch each.
        Step::Month => {
            let mut s = String::from("CASE");
            for b in buckets.iter().rev() {
                s.push_str(&format!(" WHEN closed_at >= {} THEN {}", b.from, b.key));
            }
            s.push_str(&format!(" ELSE {} END", buckets.first().map_or(0, |b| b.key)));
            s
        }
    }
}

/// The figures of a group: deals won and lost, their values, and the cycle of the won ones.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct SalesCounts {
    pub won: i64,
    /// Revenue: the value of the won deals, minor units.
    pub won_value: i64,
    pub lost: i64,
    pub lost_value: i64,
    /// The sum of created → closed of the won deals, milliseconds (the mean is this ÷ won).
    pub cycle_total_ms: i64,
    /// The median of created → closed of the won deals, milliseconds.
    pub cycle_median_ms: Option<f64>,
}

impl SalesCounts {
    /// Adds `n` deals closed with `status` (won, else lost), their `value` and, won, their `cycle`.
    pub(crate) fn add_closed(&mut self, status: &str, n: i64, value: i64, cycle: i64) {
        if status == DealStatus::Won.as_str() {
            self.won += n;
            self.won_value += value;
            self.cycle_total_ms += cycle;
        } else {
            self.lost += n;
            self.lost_value += value;
        }
    }
}

/// What a group is: a bucket's key, a user's or pipeline's id, or a source (none: without one).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(untagged)]
pub enum SalesKey {
    Id(Option<i64>),
    Text(Option<String>),
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SalesRow {
    pub key: SalesKey,
    /// The bucket, when grouped by period.
    pub bucket: Option<Bucket>,
    pub counts: SalesCounts,
}

/// Sales of a period, by group: every bucket in order when grouped by period (empty ones too),
/// otherwise the groups with a closed deal, the most revenue first.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SalesReport {
    pub rows: Vec<SalesRow>,
    pub total: SalesCounts,
}

impl Db {
    /// Sales of the scope's period in `pipeline` (none: every pipeline), grouped by `group`
    /// (by `step` when by period).
    pub async fn sales_report(
        &self,
        actor: &Actor,
        scope: &ReportScope,
        pipeline: Option<i64>,
        group: SalesGroup,
        step: Step,
    ) -> Result<SalesReport> {
        if group == SalesGroup::Owner && self.rollup_answers(actor, scope).await? {
            return self.sales_by_owner_rollup(actor, scope, pipeline).await;
        }
        let tz = actor.ws.timezone.as_str();
        let buckets = if group == SalesGroup::Period { buckets(tz, scope.from, scope.to, step) } else { Vec::new() };
        let key = match group {
            SalesGroup::Period => format!("CAST({} AS BIGINT)", bucket_sql(tz, scope.from, scope.to, step, &buckets)),
            SalesGroup::Owner => "owner_id".into(),
            SalesGroup::Source => "NULLIF(source, '')".into(),
            SalesGroup::Pipeline => "pipeline_id".into(),
        };
        let closed = |key: &str, won_only: bool| {
            let statuses: &[&str] =
                if won_only { &[DealStatus::Won.as_str()] } else { &[DealStatus::Won.as_str(), DealStatus::Lost.as_str()] };
            Query::select()
                .expr_as(Expr::cust(key), Alias::new("g"))
                .columns(["status", "value"].map(col))
                .expr_as(Expr::cust("closed_at - created_at"), Alias::new("c"))
                .from(col("deals"))
                .cond_where(self.report_deals_in(actor, scope, pipeline))
                .and_where(Expr::col(col("status")).is_in(statuses.iter().copied()))
                .and_where(Expr::col(col("closed_at")).gte(scope.from))
                .and_where(Expr::col(col("closed_at")).lt(scope.to))
                .to_owned()
        };
        let read_key = |r: &sea_orm::QueryResult| -> Result<SalesKey> {
            Ok(match group {
                SalesGroup::Source => SalesKey::Text(r.try_get("", "g")?),
                _ => SalesKey::Id(r.try_get("", "g")?),
            })
        };

        let agg = Query::select()
            .columns(["g", "status"].map(col))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .expr_as(Expr::cust("CAST(COALESCE(SUM(value), 0) AS BIGINT)"), Alias::new("total"))
            .expr_as(Expr::cust("CAST(COALESCE(SUM(c), 0) AS BIGINT)"), Alias::new("cycle"))
            .from_subquery(closed(&key, false), Alias::new("r"))
            .group_by_columns(["g", "status"].map(col))
            .to_owned();
        let mut groups: BTreeMap<SalesKey, SalesCounts> = BTreeMap::new();
        let mut total = SalesCounts::default();
        for r in self.read.query_all(self.backend.build(&agg)).await? {
            let (status, n, value, cycle): (String, i64, i64, i64) =
                (r.try_get("", "status")?, r.try_get("", "n")?, r.try_get("", "total")?, r.try_get("", "cycle")?);
            let c = groups.entry(read_key(&r)?).or_default();
            for c in [c, &mut total] {
                c.add_closed(&status, n, value, cycle);
            }
        }
        for r in self.read.query_all(self.backend.build(&median(closed(&key, true)))).await? {
            let m: Option<f64> = r.try_get("", "median")?;
            groups.entry(read_key(&r)?).or_default().cycle_median_ms = m;
        }
        total.cycle_median_ms = match self.read.query_one(self.backend.build(&median(closed("0", true)))).await? {
            Some(r) => r.try_get("", "median")?,
            None => None,
        };

        let rows = if group == SalesGroup::Period {
            buckets
                .into_iter()
                .map(|b| {
                    let key = SalesKey::Id(Some(b.key));
                    let counts = groups.remove(&key).unwrap_or_default();
                    SalesRow { key, bucket: Some(b), counts }
                })
                .collect()
        } else {
            let mut rows: Vec<SalesRow> = groups.into_iter().map(|(key, counts)| SalesRow { key, bucket: None, counts }).collect();
            rows.sort_by(|a, b| {
                (b.counts.won_value, b.counts.won, b.counts.lost)
                    .cmp(&(a.counts.won_value, a.counts.won, a.counts.lost))
                    .then(a.key.cmp(&b.key))
            });
            rows
        };
        Ok(SalesReport { rows, total })
    }
}

/// The median of `c` per `g` over `rows`: the middle row of each group, or the mean of the two
/// middle ones.
fn median(rows: SelectStatement) -> SelectStatement {
    let ranked = Query::select()
        .columns(["g", "c"].map(col))
        .expr_as(Expr::cust("ROW_NUMBER() OVER (PARTITION BY g ORDER BY c)"), Alias::new("rn"))
        .expr_as(Expr::cust("COUNT(*) OVER (PARTITION BY g)"), Alias::new("n"))
        .from_subquery(rows, Alias::new("r"))
        .to_owned();
    Query::select()
        .column(col("g"))
        .expr_as(Expr::cust("CAST(AVG(c) AS DOUBLE PRECISION)"), Alias::new("median"))
        .from_subquery(ranked, Alias::new("m"))
        .and_where(Expr::cust("rn = (n + 1) / 2 OR rn = (n + 2) / 2"))
        .group_by_col(col("g"))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSK: &str = "Europe/Moscow";

    fn days(b: &[Bucket]) -> Vec<(&str, &str)> {
        b.iter().map(|b| (b.first_day.as_str(), b.last_day.as_str())).collect()
    }

    #[test]
    fn buckets_are_local_days_weeks_from_monday_and_months_clipped_to_the_period() {
        let p = poryadok_core::report::Period::parse("2026-11-20", "2026-12-02", MSK).unwrap();
        let d = buckets(MSK, p.from, p.to, Step::Day);
        assert_eq!(d.len(), 13);
        assert_eq!((d[0].from, d[12].to), (p.from, p.to));
        assert_eq!(day_number(MSK, d[3].from), d[3].key);
        let w = buckets(MSK, p.from, p.to, Step::Week);
        // The 20th is a Friday; the 23rd and the 30th are Mondays.
        assert_eq!(days(&w), vec![("2026-11-20", "2026-11-22"), ("2026-11-23", "2026-11-29"), ("2026-11-30", "2026-12-02")]);
        let m = buckets(MSK, p.from, p.to, Step::Month);
        assert_eq!(days(&m), vec![("2026-11-20", "2026-11-30"), ("2026-12-01", "2026-12-02")]);
        assert_eq!(Step::for_period(p.from, p.to), Step::Day);
    }

    #[test]
    fn a_zone_with_summer_time_has_its_changes_found_to_the_second() {
        let p = poryadok_core::report::Period::parse("2026-03-01", "2026-04-30", "Europe/Berlin").unwrap();
        let o = offsets("Europe/Berlin", p.from, p.to);
        // 2026-03-29 01:00 UTC: from +1 h to +2 h.
        assert_eq!(o, vec![(p.from, 3_600_000), (1_774_746_000_000, 7_200_000)]);
        let sql = day_number_sql("Europe/Berlin", p.from, p.to);
        assert!(sql.contains("WHEN closed_at < 1774746000000 THEN 3600000 ELSE 7200000"), "{sql}");
        assert_eq!(day_number_sql(MSK, p.from, p.to), "((closed_at + 10800000) / 86400000)");
        assert_eq!(Step::for_period(p.from, p.to), Step::Week);
    }
}
