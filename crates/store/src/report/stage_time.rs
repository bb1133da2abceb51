//! How long deals stay in each stage of a pipeline, in the workspace's working time: of the
//! stays that ended in the period (the deal moved on, or was won or lost while in the stage),
//! how many, the median and the 90th percentile; and the deals in each stage now, with the
//! longest wait among them. Stays come from `stage_stays` (a stay that ended by a move) and from
//! the deals closed in the period (their last stay ends when they are closed); working time is
//! counted here over the workspace's calendar, because no SQL of either backend knows it.
use super::{ReportScope, StageInfo};
use crate::actor::Actor;
use crate::error::{Result, StoreError};
use crate::sql::col;
use crate::Db;
use poryadok_core::calendar::BusinessHours;
use poryadok_core::domain::DealStatus;
use poryadok_core::zone;
use sea_orm::{ConnectionTrait, DbBackend};
use sea_query::{Alias, Expr, Query};
use std::collections::{BTreeMap, HashSet};
use time::Date;

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 86_400_000;
/// At most this many deals behind a stage's stays are listed by its drill-down (the longest
/// stays first): beyond it, a list is a haystack and a URL is too long.
pub const DRILL_DEALS: usize = 100;

/// One stage's times.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StageTime {
    pub stage_id: i64,
    /// Stays of the scope's deals in the stage that ended in the period.
    pub stays: i64,
    /// Working minutes of those stays: the median and the 90th percentile (nearest rank).
    pub median_minutes: Option<i64>,
    pub p90_minutes: Option<i64>,
    /// The deals of those stays, the longest stay first, each once, at most [`DRILL_DEALS`].
    pub deals: Vec<i64>,
    /// Open deals in the stage now.
    pub now: i64,
    /// The working minutes the longest waiting of them has been in it, and which deal that is.
    pub now_longest_minutes: Option<i64>,
    pub now_longest_deal: Option<i64>,
}

/// A pipeline's stage times for a period.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct StageTimeReport {
    pub stages: Vec<StageInfo>,
    /// A row per stage, in the pipeline's order.
    pub rows: Vec<StageTime>,
    /// Working minutes of a working day of the calendar (9 hours: 540), to read minutes as days.
    pub day_minutes: i64,
}

impl StageTimeReport {
    /// Stays that ended in the period, over every stage.
    pub fn stays(&self) -> i64 {
        self.rows.iter().map(|r| r.stays).sum()
    }

    /// Open deals in the pipeline's stages now.
    pub fn now(&self) -> i64 {
        self.rows.iter().map(|r| r.now).sum()
    }
}

/// The value at percentile `p` (1–100) of ascending `sorted` by nearest rank: the smallest value
/// with at least `p` % of the values at or below it, i.e. the ⌈p·n/100⌉-th.
pub fn nearest_rank<T: Copy>(sorted: &[T], p: usize) -> Option<T> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (p * n).div_ceil(100).clamp(1, n);
    sorted.get(rank - 1).copied()
}

/// The workspace's working intervals over a span laid end to end, so the working time between
/// two instants is the difference of two lookups: the same minutes as
/// [`BusinessHours::working_minutes_between`], without walking the calendar for every stay.
pub struct WorkingRuler {
    /// Working intervals `[start, end)` in UTC, in order, and the working time before each.
    starts: Vec<i64>,
    ends: Vec<i64>,
    before: Vec<i64>,
}

impl WorkingRuler {
    /// The working intervals of every local day that `[from, to]` touches in `tz`.
    pub fn new(hours: &BusinessHours, tz: &str, from: i64, to: i64) -> WorkingRuler {
        let mut r = WorkingRuler { starts: Vec::new(), ends: Vec::new(), before: Vec::new() };
        let (first, last) = (zone::local(tz, from.min(to)).date(), zone::local(tz, from.max(to)).date());
        let mut day = first.previous_day().unwrap_or(first);
        let mut total = 0;
        loop {
            if hours.is_working_day(day) {
                for &(s, e) in &hours.hours {
                    let (a, b) = (to_utc(tz, day, i64::from(s) * MINUTE_MS), to_utc(tz, day, i64::from(e) * MINUTE_MS));
                    if b > a {
                        r.starts.push(a);
                        r.ends.push(b);
                        r.before.push(total);
                        total += b - a;
                    }
                }
            }
            match day.next_day() {
                Some(next) if day <= last => day = next,
                _ => break,
            }
        }
        r
    }

    /// Working milliseconds from the ruler's start to `t`.
    fn at(&self, t: i64) -> i64 {
        let i = self.starts.partition_point(|s| *s <= t);
        if i == 0 {
            return 0;
        }
        self.before[i - 1] + t.min(self.ends[i - 1]) - self.starts[i - 1]
    }

    /// Whole working minutes between two instants inside the ruler's span (0 unless `to > from`).
    pub fn minutes(&self, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        (self.at(to) - self.at(from)) / MINUTE_MS
    }
}

/// The UTC instant at which the wall clock of `tz` shows `ms_of_day` on `date`: the calendar's
/// own reading (a repeated time is its first occurrence, a skipped one the moment the clocks
/// jump), so the ruler's intervals are the calendar's to the millisecond.
fn to_utc(tz: &str, date: Date, ms_of_day: i64) -> i64 {
    const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;
    let wall = (i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY) * DAY_MS + ms_of_day;
    let off = |ms: i64| i64::from(zone::offset_at(tz, ms).whole_seconds()) * 1000;
    let (before, after) = (off(wall - DAY_MS), off(wall + DAY_MS));
    let reads_as = |o: i64| (off(wall - o) == o).then_some(wall - o);
    if before == after {
        if let Some(at) = reads_as(before) {
            return at;
        }
    }
    match (reads_as(before), reads_as(after)) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => {
            let (mut lo, mut hi) = (wall - after, wall - before);
            if lo >= hi || off(hi) != after {
                return hi;
            }
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if off(mid) == after {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            hi
        }
    }
}

/// A stay read back: its stage, deal, and when it began and ended.
struct Stay {
    stage: i64,
    deal: i64,
    entered: i64,
    ended: i64,
}

impl Db {
    /// The stage times of the scope's pipeline over its period; with `now`, also the deals in
    /// each stage at this moment (the comparison period leaves them out).
    pub async fn stage_time_report(&self, actor: &Actor, scope: &ReportScope, now: bool) -> Result<StageTimeReport> {
        let stages = self.pipeline_stages(actor, scope.pipeline).await?;
        let stays = self.ended_stays(actor, scope).await?;
        let waiting = if now {
            let ids: Vec<i64> = stages.iter().map(|s| s.id).collect();
            self.waiting_now(actor, scope, &ids).await?
        } else {
            Vec::new()
        };
        let at = self.clock.now_ms();
        let hours = crate::regulation::workspace_calendar(&self.read, self.backend, actor.ws_id()).await?;
        let tz = actor.ws.timezone.as_str();
        let earliest = stays.iter().map(|s| s.entered).chain(waiting.iter().map(|w| w.2)).min().unwrap_or(scope.from);
        let latest = stays.iter().map(|s| s.ended).max().unwrap_or(scope.to).max(if now { at } else { scope.to });
        let ruler = WorkingRuler::new(&hours, tz, earliest, latest);

        let mut by_stage: BTreeMap<i64, Vec<(i64, i64)>> = BTreeMap::new();
        for s in &stays {
            by_stage.entry(s.stage).or_default().push((ruler.minutes(s.entered, s.ended), s.deal));
        }
        let rows = stages
            .iter()
            .map(|st| {
                let mut times = by_stage.remove(&st.id).unwrap_or_default();
                times.sort_unstable();
                let minutes: Vec<i64> = times.iter().map(|t| t.0).collect();
                let mut seen = HashSet::new();
                let deals = times.iter().rev().map(|t| t.1).filter(|d| seen.insert(*d)).take(DRILL_DEALS).collect();
                let wait = waiting.iter().find(|w| w.0 == st.id);
                StageTime {
                    stage_id: st.id,
                    stays: times.len() as i64,
                    median_minutes: nearest_rank(&minutes, 50),
                    p90_minutes: nearest_rank(&minutes, 90),
                    deals,
                    now: wait.map_or(0, |w| w.1),
                    now_longest_minutes: wait.map(|w| ruler.minutes(w.2, at)),
                    now_longest_deal: wait.map(|w| w.3),
                }
            })
            .collect();
        let day_minutes = hours.hours.iter().map(|(s, e)| i64::from(e - s)).sum();
        Ok(StageTimeReport { stages, rows, day_minutes })
    }

    /// The stays of the scope's deals in its pipeline that ended in its period: left for another
    /// stage (a stay's `left_at`), or ended by the deal being won or lost in it (`closed_at`;
    /// the deal's current stay began at its `stage_entered_at`).
    async fn ended_stays(&self, actor: &Actor, scope: &ReportScope) -> Result<Vec<Stay>> {
        let moved = Query::select()
            .expr_as(Expr::col((col("ss"), col("stage_id"))), Alias::new("stage"))
            .expr_as(Expr::col((col("ss"), col("deal_id"))), Alias::new("deal"))
            .expr_as(Expr::col((col("ss"), col("entered_at"))), Alias::new("entered"))
            .expr_as(Expr::col((col("ss"), col("left_at"))), Alias::new("ended"))
            .from_as(col("stage_stays"), col("ss"))
            .and_where(Expr::col((col("ss"), col("workspace_id"))).eq(actor.ws_id()))
            .and_where(Expr::col((col("ss"), col("pipeline_id"))).eq(scope.pipeline))
            .and_where(Expr::col((col("ss"), col("left_at"))).gte(scope.from))
            .and_where(Expr::col((col("ss"), col("left_at"))).lt(scope.to))
            .and_where(self.report_deal_exists(actor, scope, ("ss", "deal_id")))
            .to_owned();
        let closed = Query::select()
            .expr_as(Expr::col(col("stage_id")), Alias::new("stage"))
            .expr_as(Expr::col(col("id")), Alias::new("deal"))
            .expr_as(Expr::col(col("stage_entered_at")), Alias::new("entered"))
            .expr_as(Expr::col(col("closed_at")), Alias::new("ended"))
            .from(col("deals"))
            .cond_where(self.report_deals(actor, scope))
            .and_where(Expr::col(col("status")).is_in([DealStatus::Won.as_str(), DealStatus::Lost.as_str()]))
            .and_where(Expr::col(col("closed_at")).gte(scope.from))
            .and_where(Expr::col(col("closed_at")).lt(scope.to))
            .to_owned();
        // A row a stay costs about 7 µs on its way out of SQLite (a month at a million deals: 60k
        // stays, 0.45 s of the report's 1 s), so each stage's stays come as one JSON array of
        // `[entered, ended, deal]`, which both backends build and serde reads in milliseconds.
        let packed = match self.backend {
            DbBackend::Postgres => "CAST(json_agg(json_build_array(entered, ended, deal)) AS TEXT)",
            _ => "json_group_array(json_array(entered, ended, deal))",
        };
        let mut out = Vec::new();
        for q in [moved, closed] {
            let by_stage = Query::select()
                .column(col("stage"))
                .expr_as(Expr::cust(packed), Alias::new("stays"))
                .from_subquery(q, Alias::new("s"))
                .group_by_col(col("stage"))
                .to_owned();
            for r in self.read.query_all(self.backend.build(&by_stage)).await? {
                let stage: i64 = r.try_get("", "stage")?;
                let text: String = r.try_get("", "stays")?;
                let stays: Vec<(i64, i64, i64)> = serde_json::from_str(&text).map_err(|e| StoreError::Internal(e.to_string()))?;
                out.extend(stays.into_iter().map(|(entered, ended, deal)| Stay { stage, deal, entered, ended }));
            }
        }
        Ok(out)
    }

    /// The open deals in each of `stages` now: `(stage, how many, the earliest entry, that deal)`.
    /// The stages are listed so that both backends seek the board's index (pipeline, stage,
    /// status) to the open deals of each, instead of reading the pipeline's every deal.
    async fn waiting_now(&self, actor: &Actor, scope: &ReportScope, stages: &[i64]) -> Result<Vec<(i64, i64, i64, i64)>> {
        let mut open = Query::select();
        open.from(col("deals"))
            .cond_where(self.report_deals(actor, scope))
            .and_where(Expr::col(col("stage_id")).is_in(stages.iter().copied()))
            .and_where(Expr::col(col("status")).eq(DealStatus::Open.as_str()));
        let q = if self.backend == DbBackend::Sqlite {
            // With a single MIN(), SQLite takes a bare column from the row holding the minimum:
            // the earliest deal in one grouping pass, where the window below sorts the stage.
            open.columns(["stage_id", "id"].map(col))
                .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
                .expr_as(Expr::cust("MIN(stage_entered_at)"), Alias::new("stage_entered_at"))
                .group_by_col(col("stage_id"))
                .to_owned()
        } else {
            open.columns(["stage_id", "id", "stage_entered_at"].map(col))
                .expr_as(Expr::cust("ROW_NUMBER() OVER (PARTITION BY stage_id ORDER BY stage_entered_at, id)"), Alias::new("rn"))
                .expr_as(Expr::cust("COUNT(*) OVER (PARTITION BY stage_id)"), Alias::new("n"));
            Query::select()
                .columns(["stage_id", "n", "stage_entered_at", "id"].map(col))
                .from_subquery(open, Alias::new("o"))
                .and_where(Expr::col(col("rn")).eq(1))
                .to_owned()
        };
        self.read
            .query_all(self.backend.build(&q))
            .await?
            .iter()
            .map(|r| Ok((r.try_get("", "stage_id")?, r.try_get("", "n")?, r.try_get("", "stage_entered_at")?, r.try_get("", "id")?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(v: serde_json::Value) -> BusinessHours {
        BusinessHours::parse(&v).unwrap()
    }

    #[test]
    fn nearest_rank_takes_the_value_with_enough_at_or_below_it() {
        let v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        assert_eq!((nearest_rank(&v, 50), nearest_rank(&v, 90)), (Some(5), Some(9)));
        assert_eq!((nearest_rank(&v[..5], 50), nearest_rank(&v[..5], 90)), (Some(3), Some(5)));
        assert_eq!((nearest_rank(&[7], 50), nearest_rank(&[7], 90)), (Some(7), Some(7)));
        assert_eq!(nearest_rank::<i64>(&[], 50), None);
    }

    #[test]
    fn the_ruler_counts_the_calendars_minutes() {
        let cal = hours(serde_json::json!({"days": [1, 2, 3, 4, 5], "hours": [["09:00", "13:00"], ["14:00", "18:00"]],
            "holidays": ["2026-03-30"], "workdays": ["2026-03-28"]}));
        // Over Berlin's change to summer time (29 March 2026), a holiday and a working Saturday.
        for tz in ["Europe/Berlin", "Europe/Moscow", "UTC"] {
            let (from, to) = (1_774_000_000_000_i64, 1_776_000_000_000_i64);
            let ruler = WorkingRuler::new(&cal, tz, from, to);
            let mut a = from;
            let mut step = 0;
            while a < to {
                let b = (a + 7_919_000 * (step % 37 + 1)).min(to);
                assert_eq!(ruler.minutes(a, b), cal.working_minutes_between(tz, a, b), "{tz} {a} {b}");
                assert_eq!(ruler.minutes(from, b), cal.working_minutes_between(tz, from, b), "{tz} {from} {b}");
                a += 3_600_000 + 60_017 * step;
                step += 1;
            }
            assert_eq!(ruler.minutes(to, from), 0);
        }
    }
}
